"""The evidence around failed builds: failed servers, the hosts that built them, 'Timeout waiting for' lines of
every release, unwired servers, ports and agents, on real captures (tests/fixtures/nova-minicloud-failures)
and the demo."""

import json
from pathlib import Path

import pandas as pd
import pytest

from runbook_lib.oslo_log import parse_oslo_log
from runbook_lib.vif_plugging.evidence import (
    build_hosts,
    find_failed_builds,
    find_timeouts,
    find_unwired_servers,
    tabulate_agents,
    tabulate_ports,
    working,
)
from runbook_lib.vif_plugging.nova_messages import ALLOCATION_ABORTED_FORM, BINDING_FAILED_FORM

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nova-minicloud-failures"
PORT = "3c1b8a5e-2f4d-4e6a-9b7c-1d2e3f4a5b6c"
INSTANCE = "0f1e2d3c-4b5a-4968-8776-655443322110"


def _capture(host):
    server = json.loads((CAPTURES / f"vif-{host}-server.json").read_text())
    server = server.get("server", server)
    actions = json.loads((CAPTURES / f"vif-{host}-actions.json").read_text())
    for action in actions:
        action.setdefault("instance_uuid", server["id"])
    logs = parse_oslo_log((CAPTURES / f"vif-{host}-nova-compute.log").read_text().splitlines(), host)
    return server, actions, logs


@pytest.mark.parametrize(
    ("message", "form"),
    [
        (
            f"Timeout waiting for ['network-vif-plugged-{PORT}'] for instance with vm_state building and task_state "
            f"spawning. Event states are: network-vif-plugged-{PORT}: timed out after 300.00 seconds",
            "≥ Yoga",
        ),
        (
            f"Timeout waiting for [('network-vif-plugged', '{PORT}')] for instance with vm_state building and "
            "task_state spawning",
            "Queens–Xena tuple",
        ),
        (
            f"Timeout waiting for [('network-vif-plugged', '{PORT}')] for instance with vm_state building and "
            "task_state spawning.: Timeout: 300 seconds",
            "Queens–Xena tuple",
        ),  # a Rocky line from the field
    ],
)
def test_timeout_lines_of_every_release(message, form):
    line = (
        f"2026-11-23 20:10:00.000 777 WARNING nova.compute.manager [req-{INSTANCE} - - -] "
        f"[instance: {INSTANCE}] {message}"
    )
    timeouts = find_timeouts(parse_oslo_log([line], "cmp1"))
    assert timeouts[["host", "instance", "form"]].values.tolist() == [["cmp1", INSTANCE, form]]
    assert timeouts["ports"].iloc[0] == [PORT]


def test_real_fatal_timeout_evidence():
    server, actions, logs = _capture("vif-down-1")
    failed = find_failed_builds([server])
    assert failed["server_id"].tolist() == [server["id"]]
    assert failed["fault_form"].tolist() == [ALLOCATION_ABORTED_FORM.message]
    assert server.get("OS-EXT-SRV-ATTR:host") is None  # Nova nils it: the host comes from the build event
    assert build_hosts(actions) == {server["id"]: "vif-down-1"}
    timeouts = find_timeouts(logs)
    assert timeouts["instance"].tolist() == [server["id"]] and timeouts["form"].tolist() == ["≥ Yoga"]


def test_real_non_fatal_timeout_is_an_unwired_active_server():
    server, _, logs = _capture("vif-down-2")
    port = json.loads((CAPTURES / "vif-vif-down-2-port.json").read_text())
    port = port.get("port", port)
    unwired = find_unwired_servers([server], tabulate_ports([port]), find_timeouts(logs))
    assert unwired[["server", "host", "ports_down"]].values.tolist() == [[server["name"], "vif-down-2", 1]]


def test_healthy_late_event_is_not_a_failure():
    server, _, logs = _capture("vif-late-1")
    assert find_failed_builds([server]).empty and find_timeouts(logs).empty


def _by_name(records, name):
    return next(r for r in records if r["name"] == name)


def test_the_demo_s_failed_builds_are_the_aborts_and_the_binding_failure(demo_snapshot):
    """ERROR servers that failed elsewhere (No valid host, a failed migration) are not vif failures."""
    servers = demo_snapshot.get("openstack/servers")
    failed = find_failed_builds(servers).set_index("server")
    assert set(failed.index) == {"vif-error", "vif-dhcp", "vif-timeout", "vif-dup-1", "bind-fail"}
    assert (failed["fault_form"] == BINDING_FAILED_FORM.message).to_dict() == {
        "vif-error": False,
        "vif-dhcp": False,
        "vif-timeout": False,
        "vif-dup-1": False,
        "bind-fail": True,
    }
    assert failed.loc["bind-fail", "port"] == _by_name(demo_snapshot.get("openstack/ports"), "bind-fail-port")["id"]
    created = _by_name(servers, "vif-timeout")["fault"]["created"]  # "2026-…T…Z"
    assert failed.loc["vif-timeout", "fault_at"] == pd.Timestamp(created).tz_localize(None)  # UTC, naive
    assert failed.loc["vif-timeout", "fault"].startswith("Build of instance ")
    assert {_by_name(servers, n)["status"] for n in ("nvh-boot", "migrate-fail")} == {"ERROR"}


def test_the_build_host_comes_from_the_build_event(demo_snapshot):
    failed = find_failed_builds(demo_snapshot.get("openstack/servers")).set_index("server")["server_id"]
    hosts = build_hosts(demo_snapshot.get("openstack/instance_actions"))
    assert {name: hosts[server_id] for name, server_id in failed.items()} == {
        "vif-error": "vif-fail-1",
        "vif-dhcp": "vif-dhcp-1",
        "vif-timeout": "vif-down-1",
        "vif-dup-1": "vif-late-2",
        "bind-fail": "fail-bind-1",
    }


def test_the_demo_s_unwired_server_is_the_non_fatal_timeout(demo_snapshot):
    logs = parse_oslo_log(
        [line for r in demo_snapshot.get("logs/nova-compute") if r["source"] == "vif-down-2" for line in r["lines"]],
        "vif-down-2",
    )
    ports = tabulate_ports(demo_snapshot.get("openstack/ports"))
    unwired = find_unwired_servers(demo_snapshot.get("openstack/servers"), ports, find_timeouts(logs))
    assert unwired.values.tolist() == [
        [_by_name(demo_snapshot.get("openstack/servers"), "vif-nonfatal")["id"], "vif-nonfatal", "vif-down-2", 1]
    ]


def test_ports_keep_their_binding_and_their_last_update(demo_snapshot):
    ports = tabulate_ports(demo_snapshot.get("openstack/ports")).set_index("name")
    assert list(ports.columns) == [
        "port_id",
        "status",
        "network_id",
        "device_id",
        "device_owner",
        "host",
        "vif_type",
        "updated_at",
    ]
    bound = ports.loc["vif-nonfatal-port"]  # bound, never wired
    assert (bound["status"], bound["host"], bound["vif_type"]) == ("DOWN", "vif-down-2", "ovs")
    unbound = ports.loc["vif-timeout-port"]  # Nova unbound it on abort
    assert (unbound["status"], unbound["vif_type"]) == ("DOWN", "unbound")
    assert ports["updated_at"].dt.tz is None and ports["updated_at"].notna().all()
    assert tabulate_ports([]).empty


def test_an_agent_works_only_when_alive_and_admin_up(demo_snapshot):
    agents = tabulate_agents(demo_snapshot.get("openstack/network_agents"))
    assert list(agents.columns) == [
        "agent_type",
        "host",
        "alive",
        "admin_state_up",
        "heartbeat_timestamp",
        "started_at",
    ]
    assert set(agents.loc[~working(agents), "host"]) == {"vif-down-1", "net-1"}
    partial = tabulate_agents(
        [
            {"agent_type": "DHCP agent", "host": "a", "alive": True, "admin_state_up": False},
            {"agent_type": "DHCP agent", "host": "b", "alive": True},  # no admin state: not known to work
            {"agent_type": "DHCP agent", "host": "c", "alive": True, "admin_state_up": True},
        ]
    )
    assert working(partial).tolist() == [False, False, True]


def test_no_log_has_no_timeout():
    timeouts = find_timeouts(pd.DataFrame())
    assert timeouts.empty and list(timeouts.columns) == [
        "time",
        "host",
        "instance",
        "pid",
        "ports",
        "form",
        "message",
        "file",
    ]
