"""vif plugging: log forms of several releases, the failed-build evidence, and the diagnosis per cause."""

import json
from pathlib import Path

import pandas as pd
import pytest

from runbook_lib.oslo_log import parse_oslo_log
from runbook_lib.vif_plugging import (
    analyse_vif_plugging,
    build_hosts,
    concurrent_pids,
    diagnose,
    find_failed_builds,
    find_timeouts,
    find_unwired_servers,
    tabulate_agents,
    tabulate_ports,
)

CAPTURES = Path(__file__).parent / "fixtures" / "nova-minicloud-failures"
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
        (f"Timeout waiting for ['network-vif-plugged-{PORT}'] for instance with vm_state building and task_state "
         f"spawning. Event states are: network-vif-plugged-{PORT}: timed out after 300.00 seconds", "≥ Yoga"),
        (f"Timeout waiting for [('network-vif-plugged', '{PORT}')] for instance with vm_state building and "
         "task_state spawning", "≤ Xena tuple"),
        (f"Timeout waiting for [('network-vif-plugged', '{PORT}')] for instance with vm_state building and "
         "task_state spawning.: Timeout: 300 seconds", "≤ Xena tuple"),  # a Rocky line from the field
    ],
)  # fmt: skip
def test_timeout_lines_of_every_release(message, form):
    line = f"2026-11-23 20:10:00.000 777 WARNING nova.compute.manager [req-{INSTANCE} - - -] [instance: {INSTANCE}] {message}"
    timeouts = find_timeouts(parse_oslo_log([line], "cmp1"))
    assert timeouts[["host", "instance", "form"]].values.tolist() == [["cmp1", INSTANCE, form]]
    assert timeouts["ports"].iloc[0] == [PORT]


def test_real_fatal_timeout_evidence():
    server, actions, logs = _capture("vif-down-1")
    failed = find_failed_builds([server])
    assert failed["server_id"].tolist() == [server["id"]] and not failed["binding_failed"].iloc[0]
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


def _agent(host, alive=True, admin=True, kind="Open vSwitch agent"):
    # The shape of neutron's GET /v2.0/agents items.
    return {"id": "a1", "agent_type": kind, "binary": "neutron-openvswitch-agent", "host": host, "alive": alive,
            "admin_state_up": admin, "heartbeat_timestamp": "2026-11-23 20:00:00", "started_at": "2026-11-20 08:00:00"}  # fmt: skip


@pytest.mark.parametrize(
    ("agents", "extra_log", "cause"),
    [
        ([], "", "l2-agent-missing"),
        ([_agent("vif-down-1", alive=False)], "", "l2-agent-dead"),
        ([_agent("vif-down-1", admin=False)], "", "l2-agent-dead"),
        ([_agent("other-host")], "", "l2-agent-missing"),
        ([_agent("vif-down-1")], "", "unknown"),
        ([_agent("vif-down-1")], "Received unexpected event network-vif-plugged-{port} for instance with vm_state "
                                  "building and task_state spawning.", "duplicate-nova-compute"),
    ],
)  # fmt: skip
def test_diagnosis_per_cause(agents, extra_log, cause):
    server, actions, logs = _capture("vif-down-1")
    timeouts = find_timeouts(logs)
    if extra_log:
        port = timeouts["ports"].iloc[0][0]
        stray = f"2026-11-23 20:09:59.000 999 WARNING nova.compute.manager [-] [instance: {server['id']}] {extra_log.format(port=port)}"
        logs = pd.concat([logs, parse_oslo_log([stray], "vif-down-1")], ignore_index=True)
    result = diagnose(find_failed_builds([server]), find_unwired_servers([], tabulate_ports([]), timeouts),
                      build_hosts(actions), timeouts, tabulate_agents(agents), logs)  # fmt: skip
    assert result["cause"].tolist() == [cause]
    assert result["evidence"].iloc[0][0].startswith("≥ Yoga timeout line on vif-down-1")


def test_binding_failure_is_told_apart():
    server = {"id": INSTANCE, "name": "b", "status": "ERROR", "fault": {
        "code": 500, "created": "2026-11-23T20:00:00Z",
        "message": f"Binding failed for port {PORT}, please check neutron logs for more information."}}  # fmt: skip
    failed = find_failed_builds([server])
    result = diagnose(failed, find_unwired_servers([], tabulate_ports([]), find_timeouts(pd.DataFrame())),
                      {INSTANCE: "fail-bind-1"}, find_timeouts(pd.DataFrame()), tabulate_agents([]), pd.DataFrame())  # fmt: skip
    assert result[["cause", "ports"]].values.tolist() == [["port-binding-failed", [PORT]]]


def test_a_restart_is_not_a_duplicate_but_interleaving_is():
    def line(t, pid):
        return f"2026-11-23 20:00:{t:02d}.000 {pid} INFO nova.compute.manager [-] x"

    restart = parse_oslo_log([line(1, 10), line(2, 10), line(5, 20), line(6, 20)], "cmp1")
    interleaved = parse_oslo_log([line(1, 10), line(2, 20), line(3, 10), line(4, 20)], "cmp1")
    assert not concurrent_pids(restart) and concurrent_pids(interleaved)


def test_demo_shows_three_causes_and_a_timeline(demo_snapshot):
    analysis = analyse_vif_plugging(demo_snapshot)
    kinds = sorted((f.kind, f.severity, f.subject.split(" (")[0]) for f in analysis.findings)
    assert kinds == [
        ("vif-l2-agent-missing", "crit", "server vif-timeout"),
        ("vif-l2-agent-missing", "warn", "server vif-nonfatal"),
        ("vif-port-binding-failed", "crit", "server bind-fail"),
    ]
    timeline = analysis.timeline(analysis.pick(""))
    assert (
        any("Timeout waiting for" in w for w in timeline["what"]) and timeline["time"].is_monotonic_increasing
    )
    assert analysis.fleet["servers"].sum() == 3
