"""Every form of the nova-compute messages the diagnosis reads, each built from its release's format string,
found by the same code in every log layout."""

import pandas as pd
import pytest

from runbook_lib.message_forms import first_match
from runbook_lib.oslo_log import parse_oslo_log
from runbook_lib.vif_plugging.evidence import find_timeouts
from runbook_lib.vif_plugging.nova_messages import (
    ALLOCATION_ABORTED_FORM,
    BINDING_FAILED_FORM,
    BUILD_FAULT_FORMS,
    NO_FIXED_IP_FORM,
    PORT_FAILED_FORMS,
    RETRIES_EXHAUSTED_FORM,
    TIMEOUT_FORMS,
    UNEXPECTED_FORMS,
)

PORT = "e6bcaae5-7ad6-4448-affd-9aefb94c1c9a"
SERVER = "6eb7ea92-bc5a-4dff-b426-0a3ff94ee204"

# (release, message exactly as that release's format string renders it)
TIMEOUTS = [
    ("Mitaka–Pike", f"Timeout waiting for vif plugging callback for instance {SERVER}"),
    (
        "Queens–Xena",
        f"Timeout waiting for [('network-vif-plugged', '{PORT}')] for instance with vm_state building and "
        "task_state spawning.",
    ),
    (
        "Yoga and later",
        f"Timeout waiting for ['network-vif-plugged-{PORT}'] for instance with vm_state building and task_state "
        f"spawning. Event states are: network-vif-plugged-{PORT}: timed out after 300.00 seconds",
    ),
]
UNEXPECTED = [
    ("Mitaka–Pike", f"Received unexpected event network-vif-plugged-{PORT} for instance"),
    (
        "Queens and later",
        f"Received unexpected event network-vif-plugged-{PORT} for instance with vm_state building and "
        "task_state spawning.",
    ),
]


def _layouts(message: str) -> list[str]:
    """The message in the layouts that ship: oslo with and without context, journald, devstack's journal."""
    context = "[None req-7f2cc1a0-d726-40e3-a7a6-2345245d6ae3 u p - - default default]"
    oslo = f"2026-11-23 20:10:00.000 777 WARNING nova.compute.manager {context} [instance: {SERVER}] {message}"
    return [
        oslo,
        f"2026-11-23 20:10:00.000 777 WARNING nova.virt.libvirt.driver [instance: {SERVER}] {message}",
        f"Nov 23 20:10:00 cmp1 nova-compute[777]: {oslo}",
        f"Nov 23 20:10:00 cmp1 nova-compute[777]: WARNING nova.compute.manager {context} "
        f"[instance: {SERVER}] {message}",
    ]


@pytest.mark.parametrize(("release", "message"), TIMEOUTS, ids=[r for r, _ in TIMEOUTS])
def test_every_timeout_form_is_found_in_every_layout(release, message):
    for line in _layouts(message):
        [row] = find_timeouts(parse_oslo_log([line], "cmp1", year=2026)).to_dict("records")
        assert row["instance"] == SERVER and row["host"] == "cmp1"
        assert row["ports"] == ([] if release == "Mitaka–Pike" else [PORT])


@pytest.mark.parametrize(("release", "message"), UNEXPECTED, ids=[r for r, _ in UNEXPECTED])
def test_every_unexpected_event_form_names_the_port(release, message):
    form, match = first_match(UNEXPECTED_FORMS, message)
    assert match.group("port") == PORT and release.startswith(form.releases.split(" ")[0])
    assert match.groupdict().get("vm") == (None if release == "Mitaka–Pike" else "building")


def test_the_port_failed_form():
    _, match = first_match(
        PORT_FAILED_FORMS, f"Neutron Reported failure on event network-vif-plugged-{PORT} for instance {SERVER}"
    )
    assert match.group("port") == PORT


def test_each_form_names_its_releases_and_quotes_its_source():
    for form in (*TIMEOUT_FORMS, *UNEXPECTED_FORMS, *PORT_FAILED_FORMS):
        assert form.releases and "nova/" in form.source and "'" in form.source


def test_an_old_timeout_that_names_no_port_takes_the_server_s_ports(demo_snapshot):
    """Mitaka–Pike's timeout line names no event: the diagnosis takes the server's ports from Neutron."""
    import copy

    from runbook_lib.vif_plugging.analysis import analyse_vif_plugging

    snap = copy.deepcopy(demo_snapshot)
    analysis = analyse_vif_plugging(snap)
    row = analysis.diagnosis.set_index("server").loc["vif-nonfatal"]
    server_id, ports = row["server_id"], row["ports"]
    for record in snap.parts["logs/nova-compute"]:
        record["lines"] = [
            line.split("Timeout waiting for")[0] + f"Timeout waiting for vif plugging callback for instance {server_id}"
            if "Timeout waiting for" in line and server_id in line
            else line
            for line in record["lines"]
        ]
    old = analyse_vif_plugging(snap).diagnosis.set_index("server").loc["vif-nonfatal"]
    assert old["ports"] == ports and old["cause"] == row["cause"]
    assert isinstance(pd.Timestamp(old["timed_out_at"]), pd.Timestamp)


@pytest.mark.parametrize(
    ("message", "form"),
    [
        # Mitaka to Ocata 15.1.0: _LW('Timeout waiting for vif plugging callback for instance %(uuid)s')
        (f"Timeout waiting for vif plugging callback for instance {SERVER}", "Mitaka–Pike, no events named"),
        # Ocata 15.1.1 to Pike
        (
            "Timeout waiting for vif plugging callback for instance with vm_state building and task_state spawning.",
            "Mitaka–Pike, no events named",
        ),
        # Queens to Train on Python 2: tuples with u'<port>', and oslo.log's error summary appended
        (
            f"Timeout waiting for [('network-vif-plugged', u'{PORT}')] for instance with vm_state building and "
            "task_state spawning.: Timeout: 300 seconds",
            "Queens–Xena tuple",
        ),
        # Wallaby, Xena: no final period
        (
            f"Timeout waiting for [('network-vif-plugged', '{PORT}')] for instance with vm_state building and "
            "task_state spawning: eventlet.timeout.Timeout: 300 seconds",
            "Queens–Xena tuple",
        ),
    ],
    ids=["mitaka", "ocata-pike", "queens-train-py2", "wallaby-xena"],
)
def test_each_release_s_timeout_gets_its_form(message, form):
    line = f"2026-11-23 20:10:00.000 777 WARNING nova.virt.libvirt.driver [instance: {SERVER}] {message}"
    [row] = find_timeouts(parse_oslo_log([line], "cmp1")).to_dict("records")
    assert row["form"] == form
    assert row["ports"] == ([] if form.startswith("Mitaka") else [PORT])


NETWORK = "7a1f0c3e-52d9-4b1e-9c0a-2f6d8e4b3a91"
ABORTED = f"Build of instance {SERVER} aborted: Failed to allocate the network(s), not rescheduling."
NO_FIXED_IP = (
    f"Build of instance {SERVER} aborted: Failed to allocate the network(s) with error No fixed IP addresses "
    f"available for network: {NETWORK}, not rescheduling."
)
BINDING = f"Binding failed for port {PORT}, please check neutron logs for more information."
RETRIES = (
    f"Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance "
    f"{SERVER}."
)
# (how it reaches the fault, fault message as nova/exception.py's wrappers render the reason, its meaning)
BUILD_FAULTS = [
    ("abort after the vif-plugging wait", ABORTED, ALLOCATION_ABORTED_FORM),
    ("abort: no fixed IP left", NO_FIXED_IP, NO_FIXED_IP_FORM),
    ("binding failure as the fault", BINDING, BINDING_FAILED_FORM),
    ("binding failure rescheduled", f"Build of instance {SERVER} was re-scheduled: {BINDING}", BINDING_FAILED_FORM),
    (
        "binding failure after the retries, Mitaka–Pike",
        f"Exceeded maximum number of retries. Exceeded max scheduling attempts 3 for instance {SERVER}. "
        f"Last exception: {BINDING}",
        BINDING_FAILED_FORM,
    ),
    ("retries exhausted, Queens and later", RETRIES, RETRIES_EXHAUSTED_FORM),
]


@pytest.mark.parametrize(("how", "message", "form"), BUILD_FAULTS, ids=[h for h, _, _ in BUILD_FAULTS])
def test_every_build_fault_form_is_told_apart(how, message, form):
    found = first_match(BUILD_FAULT_FORMS, message)
    assert found is not None and found[0] is form
    groups = found[1].groupdict()
    assert groups.get("port") == (PORT if form is BINDING_FAILED_FORM else None)
    assert groups.get("error") == (
        f"No fixed IP addresses available for network: {NETWORK}" if form is NO_FIXED_IP_FORM else None
    )


def test_a_fault_of_another_kind_has_no_form():
    assert first_match(BUILD_FAULT_FORMS, "No valid host was found. There are not enough hosts available.") is None
    assert first_match(BUILD_FAULT_FORMS, "Virtual Interface creation failed") is None  # a failed migration
