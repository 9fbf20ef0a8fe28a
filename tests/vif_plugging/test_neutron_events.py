"""What neutron-server's Nova notifier says about the events it sent: real lines from the mini cloud's
neutron-server (tests/fixtures/nova-minicloud-failures, the demo) and every failure form neutron logs."""

import pandas as pd
import pytest

from runbook_lib.oslo_log import parse_oslo_log, tabulate_logs
from runbook_lib.vif_plugging.neutron_events import COLUMNS, covers, notifier_events
from vif_plugging.test_evidence import CAPTURES, INSTANCE, PORT, _capture


# neutron-server's notifier, in the forms neutron.notifiers.nova logs (reference: neutron 29 and older)
def _notifier_line(time, level, message):
    return f"2026-11-23 {time} 29796 {level} neutron.notifiers.nova [-] {message}"


def _vif_event(server_id, port, code=200, status="completed"):
    return {
        "server_uuid": server_id,
        "name": "network-vif-plugged",
        "status": status,
        "tag": port,
        "code": code,
    }


def test_real_notifier_lines_are_read():
    lines = (CAPTURES / "vif-neutron-notifier.log").read_text().splitlines()
    events = notifier_events(parse_oslo_log(lines, "controller", "neutron-server"))
    plugged = events[events["event"] == "network-vif-plugged"]
    late_1, _, _ = _capture("vif-late-1")
    assert late_1["id"] in set(plugged["server_id"])  # the healthy control got its event
    assert set(events["outcome"]) == {"delivered"} and set(events["code"]) == {200}
    assert len(events) == 8  # every event line, the probe's own "setting port ACTIVE" lines excluded


@pytest.mark.parametrize(
    ("message", "level", "outcome"),
    [
        ("Nova event matching ['req-1']: {event} returned with failed status", "WARNING", "refused"),
        ("Nova returned NotFound for event: [{event}]", "WARNING", "not-found"),  # ≤ Train
        ("Failed to notify nova on events: [{event}]", "ERROR", "notify-failed"),
        ("Nova endpoint not found, invalidating the session", "ERROR", "endpoint-not-found"),
    ],
)
def test_notifier_failures_of_every_form(message, level, outcome):
    event = repr(_vif_event(INSTANCE, PORT, code=422))
    logs = parse_oslo_log([_notifier_line("20:00:01.000", level, message.format(event=event))], "c", "neutron-server")
    assert notifier_events(logs)["outcome"].tolist() == [outcome]


def test_the_demo_s_notifier_lines_say_which_server_got_which_event(demo_snapshot):
    """Real neutron-server lines: vif-late's port went ACTIVE and vif-dup-1's too (its event reached the stray
    nova-compute), bind-fail's network-changed came back 422 (no host), and the orphan port's
    network-vif-deleted 404 (no such server)."""
    events = notifier_events(tabulate_logs(demo_snapshot.get("logs/neutron-server"), "neutron-server"))
    assert list(events.columns) == COLUMNS and set(events["source"]) == {"controller"}
    servers = {s["name"]: s["id"] for s in demo_snapshot.get("openstack/servers")}
    ports = {p["name"]: p["id"] for p in demo_snapshot.get("openstack/ports")}
    plugged = events[events["event"] == "network-vif-plugged"]
    rows = plugged[["server_id", "port", "status", "code", "outcome"]].values.tolist()
    expected = [
        [servers["vif-late"], ports["vif-late-port"], "completed", 200, "delivered"],
        [servers["vif-dup-1"], ports["vif-dup-1-port"], "completed", 200, "delivered"],
    ]
    assert [r for r in rows if r in expected] == expected
    # the lab's one race: vif-error's port may come up after Nova gave up (a late event, delivered to no waiter)
    assert [r[0] for r in rows if r not in expected] in ([], [servers["vif-error"]])
    failed = events[events["outcome"] != "delivered"]
    assert failed[["event", "code", "outcome"]].values.tolist() == [
        ["network-changed", 422, "refused"],
        ["network-vif-deleted", 404, "not-found"],
    ]
    assert failed["server_id"].iloc[0] == servers["bind-fail"] and failed["server_id"].iloc[1] not in servers.values()


@pytest.mark.parametrize(("code", "outcome"), [(404, "not-found"), (422, "refused"), (None, "refused")])
def test_todays_per_event_failure_says_which_answer_nova_gave(code, outcome):
    """Nova answers a batch 207 with a code per event (the whole-batch NotFound is older Nova's): a 404 means no
    such server (deleted meanwhile), a 422 a server with no host yet."""
    event = repr({**_vif_event(INSTANCE, PORT, status="failed"), "name": "network-vif-deleted", "code": code})
    line = f"Nova event matching ['req-9']: {event} returned with failed status"
    logs = parse_oslo_log([_notifier_line("20:00:01.000", "WARNING", line)], "ctl", "neutron-server")
    assert notifier_events(logs)[["outcome", "event"]].values.tolist() == [[outcome, "network-vif-deleted"]]


def test_a_non_200_answer_is_a_refusal_and_a_notifier_error_names_no_event():
    event = repr(_vif_event(INSTANCE, PORT, code=404))
    logs = parse_oslo_log(
        [
            _notifier_line("20:00:01.000", "INFO", f"Nova event matching ['req-1'] response: {event}"),
            _notifier_line("20:00:02.000", "ERROR", "Error response returned from nova: Service Unavailable (503)"),
        ],
        "ctl",
        "neutron-server",
    )
    events = notifier_events(logs)
    assert events[["outcome", "server_id", "code"]].values.tolist()[0] == ["not-found", INSTANCE, 404]
    failure = events.iloc[1]
    assert failure["outcome"] == "nova-error-response" and pd.isna(failure["event"]) and pd.isna(failure["server_id"])
    assert failure["message"] == "Error response returned from nova: Service Unavailable (503)"


def test_lines_of_other_modules_and_dicts_that_are_not_events_are_ignored():
    logs = parse_oslo_log(
        [
            "2026-11-23 20:00:01.000 29796 INFO neutron.wsgi [-] Nova event matching response: {'name': 'x'}",
            _notifier_line("20:00:02.000", "INFO", "Nova event matching ['req-1'] response: {'a': 1}"),
            _notifier_line("20:00:03.000", "INFO", "Nova event matching ['req-1'] response: {'name': x}"),
        ],
        "ctl",
        "neutron-server",
    )
    assert notifier_events(logs).empty
    assert list(notifier_events(pd.DataFrame()).columns) == COLUMNS


def test_silence_means_something_only_inside_the_log_s_span():
    _, _, logs = _capture("vif-down-1")
    start, end = logs["time"].min(), logs["time"].max()
    assert covers(logs, start + (end - start) / 2) and covers(logs, start) and covers(logs, end)
    assert not covers(logs, end + pd.Timedelta(seconds=1)) and not covers(logs, start - pd.Timedelta(seconds=1))
    assert not covers(logs, pd.NaT) and not covers(pd.DataFrame(), start)
