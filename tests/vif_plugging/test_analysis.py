"""vif plugging: log forms of several releases, the failed-build evidence, and the diagnosis per cause."""

import json
from pathlib import Path

import pandas as pd
import pytest

from runbook_lib.oslo_log import parse_oslo_log, tabulate_logs
from runbook_lib.sources.logs import read_log_dir
from runbook_lib.vif_plugging.analysis import analyse_vif_plugging
from runbook_lib.vif_plugging.canary import canary_plan, check_canaries, tabulate_canaries
from runbook_lib.vif_plugging.causes import concurrent_pids
from runbook_lib.vif_plugging.diagnosis import diagnose
from runbook_lib.vif_plugging.evidence import (
    build_hosts,
    find_failed_builds,
    find_timeouts,
    find_unwired_servers,
    tabulate_agents,
    tabulate_ports,
)
from runbook_lib.vif_plugging.neutron_events import notifier_events

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
            "≤ Xena tuple",
        ),
        (
            f"Timeout waiting for [('network-vif-plugged', '{PORT}')] for instance with vm_state building and "
            "task_state spawning.: Timeout: 300 seconds",
            "≤ Xena tuple",
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
    return {
        "id": "a1",
        "agent_type": kind,
        "binary": "neutron-openvswitch-agent",
        "host": host,
        "alive": alive,
        "admin_state_up": admin,
        "heartbeat_timestamp": "2026-11-23 20:00:00",
        "started_at": "2026-11-20 08:00:00",
    }


@pytest.mark.parametrize(
    ("agents", "extra_log", "cause"),
    [
        ([], "", "l2-agent-missing"),
        ([_agent("vif-down-1", alive=False)], "", "l2-agent-dead"),
        ([_agent("vif-down-1", admin=False)], "", "l2-agent-dead"),
        ([_agent("other-host")], "", "l2-agent-missing"),
        ([_agent("vif-down-1")], "", "unknown"),
        (
            [_agent("vif-down-1")],
            "Received unexpected event network-vif-plugged-{port} for instance with vm_state "
            "building and task_state spawning.",
            "duplicate-nova-compute",
        ),
    ],
)
def test_diagnosis_per_cause(agents, extra_log, cause):
    server, actions, logs = _capture("vif-down-1")
    timeouts = find_timeouts(logs)
    if extra_log:
        port = timeouts["ports"].iloc[0][0]
        stray = (
            f"2026-11-23 20:09:59.000 999 WARNING nova.compute.manager [-] [instance: {server['id']}] "
            f"{extra_log.format(port=port)}"
        )
        logs = pd.concat([logs, parse_oslo_log([stray], "vif-down-1")], ignore_index=True)
    result = diagnose(
        find_failed_builds([server]),
        find_unwired_servers([], tabulate_ports([]), timeouts),
        build_hosts(actions),
        timeouts,
        tabulate_agents(agents),
        logs,
    )
    assert result["cause"].tolist() == [cause]
    assert result["evidence"].iloc[0][0].startswith("≥ Yoga timeout line on vif-down-1")


def test_binding_failure_is_told_apart():
    server = {
        "id": INSTANCE,
        "name": "b",
        "status": "ERROR",
        "fault": {
            "code": 500,
            "created": "2026-11-23T20:00:00Z",
            "message": f"Binding failed for port {PORT}, please check neutron logs for more information.",
        },
    }
    failed = find_failed_builds([server])
    result = diagnose(
        failed,
        find_unwired_servers([], tabulate_ports([]), find_timeouts(pd.DataFrame())),
        {INSTANCE: "fail-bind-1"},
        find_timeouts(pd.DataFrame()),
        tabulate_agents([]),
        pd.DataFrame(),
    )
    assert result[["cause", "ports"]].values.tolist() == [["port-binding-failed", [PORT]]]


def test_a_restart_is_not_a_duplicate_but_interleaving_is():
    def line(t, pid):
        return f"2026-11-23 20:00:{t:02d}.000 {pid} INFO nova.compute.manager [-] x"

    restart = parse_oslo_log([line(1, 10), line(2, 10), line(5, 20), line(6, 20)], "cmp1")
    interleaved = parse_oslo_log([line(1, 10), line(2, 20), line(3, 10), line(4, 20)], "cmp1")
    assert not concurrent_pids(restart) and concurrent_pids(interleaved)


def test_demo_shows_five_causes_and_a_timeline(demo_snapshot):
    """The demo is the mini cloud's real failures: a dead L2 agent, no L2 agent, a dead DHCP agent whose
    provisioning block kept the port DOWN, a port Neutron set to ERROR, and a port that could not be bound."""
    analysis = analyse_vif_plugging(demo_snapshot)
    kinds = sorted((f.kind, f.severity, f.subject.split(" (")[0]) for f in analysis.findings)
    assert kinds == [
        ("vif-dhcp-agent-dead", "crit", "server vif-dhcp"),
        ("vif-l2-agent-dead", "crit", "server vif-timeout"),
        ("vif-l2-agent-missing", "warn", "server vif-nonfatal"),
        ("vif-port-binding-failed", "crit", "server bind-fail"),
        ("vif-port-error", "crit", "server vif-error"),
    ]
    timeline = analysis.timeline(analysis.pick("vif-timeout"))
    assert any("Timeout waiting for" in w for w in timeline["what"]) and timeline["time"].is_monotonic_increasing
    assert "neutron-server notifier" in set(timeline["source"])  # network-changed for the server
    assert any(w.startswith("Open vSwitch agent on vif-down-1 (NOT alive)") for w in timeline["what"])
    assert analysis.fleet["servers"].sum() == 5
    assert analysis.per_day[["aborted", "unwired"]].sum().tolist() == [4, 1]
    assert set(analysis.agents_not_working["host"]) == {"vif-down-1", "net-1"}


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


def _diagnose_vif_down_1(agents, notifier=(), nova_extra=()):
    server, actions, logs = _capture("vif-down-1")
    timeouts = find_timeouts(logs)
    port = timeouts["ports"].iloc[0][0]
    extra = [line.format(server=server["id"], port=port) for line in nova_extra]
    logs = pd.concat([logs, parse_oslo_log(extra, "vif-down-1")], ignore_index=True)
    neutron = parse_oslo_log(
        [line.format(server=server["id"], port=port) for line in notifier], "ctl", "neutron-server"
    )
    result = diagnose(
        find_failed_builds([server]),
        find_unwired_servers([], tabulate_ports([]), timeouts),
        build_hosts(actions),
        timeouts,
        tabulate_agents(agents),
        logs,
        None,
        neutron,
    )
    return result.iloc[0]


DELIVERED = (
    "Nova event matching ['req-1'] response: {{'server_uuid': '{server}', 'name': 'network-vif-plugged', "
    "'status': 'completed', 'tag': '{port}', 'code': 200}}"
)
REFUSED = (
    "Nova event matching ['req-1']: {{'server_uuid': '{server}', 'name': 'network-vif-plugged', "
    "'status': 'completed', 'tag': '{port}', 'code': 422}} returned with failed status"
)
OTHER_SERVER = (
    "Nova event matching ['req-2'] response: {{'server_uuid': '"
    + INSTANCE
    + "', 'name': 'network-changed', 'tag': 'x', 'status': 'completed', 'code': 200}}"
)
TIMEOUT_AT = "20:05:18.062"  # vif-down-1's real timeout line


@pytest.mark.parametrize(
    ("agents", "notifier", "nova_extra", "cause"),
    [
        ([_agent("vif-down-1"), _agent("net-1", alive=False, kind="DHCP agent")], (), (), "dhcp-agent-dead"),
        ([_agent("vif-down-1"), _agent("net-1", admin=False, kind="DHCP agent")], (), (), "dhcp-agent-dead"),
        ([_agent("vif-down-1"), _agent("net-1", kind="DHCP agent")], (), (), "unknown"),
        (
            [_agent("vif-down-1")],
            [_notifier_line("20:05:10.000", "WARNING", REFUSED)],
            (),
            "events-not-delivered",
        ),
        (
            [_agent("vif-down-1")],
            [_notifier_line("20:05:10.000", "ERROR", "Failed to notify nova on events: x")],
            (),
            "events-not-delivered",
        ),
        (
            [_agent("vif-down-1")],
            [_notifier_line("20:05:10.000", "INFO", DELIVERED)],
            (),
            "event-not-received",
        ),
        ([_agent("vif-down-1")], [_notifier_line("20:05:30.000", "INFO", DELIVERED)], (), "event-late"),
        # the same process logs the event as unexpected once the guest is no longer building: late, not a duplicate
        (
            [_agent("vif-down-1")],
            (),
            [
                "2026-11-23 20:05:40.000 32245 WARNING nova.compute.manager [-] [instance: "
                "{server}] Received unexpected event network-vif-plugged-{port} for instance "
                "with vm_state error and task_state None."
            ],
            "event-late",
        ),
        # another process took it while the guest was building
        (
            [_agent("vif-down-1")],
            (),
            [
                "2026-11-23 20:05:10.000 4711 WARNING nova.compute.manager [-] [instance: "
                "{server}] Received unexpected event network-vif-plugged-{port} for instance "
                "with vm_state building and task_state spawning."
            ],
            "duplicate-nova-compute",
        ),
        # the agent is dead: the port never went ACTIVE, whatever the notifier did for other servers
        (
            [_agent("vif-down-1", alive=False)],
            [_notifier_line("20:05:10.000", "INFO", OTHER_SERVER)],
            (),
            "l2-agent-dead",
        ),
    ],
)
def test_diagnosis_with_the_notifier_and_dhcp(agents, notifier, nova_extra, cause):
    row = _diagnose_vif_down_1(agents, notifier, nova_extra)
    assert row["cause"] == cause, row["evidence"]
    if cause == "dhcp-agent-dead":
        assert "net-1" in row["fix"] and "net-1" in row["evidence"][-1]


def test_a_silent_notifier_log_says_the_port_never_went_active():
    notifier = [
        _notifier_line("20:04:00.000", "INFO", OTHER_SERVER),
        _notifier_line("20:06:00.000", "INFO", OTHER_SERVER),
    ]
    row = _diagnose_vif_down_1([_agent("vif-down-1")], notifier)
    assert row["cause"] == "unknown" and "never went ACTIVE" in row["evidence"][-1]


def test_log_files_are_told_apart_by_service(tmp_path):
    (tmp_path / "cmp1").mkdir()
    (tmp_path / "cmp1" / "nova-compute.log").write_text((CAPTURES / "vif-vif-down-1-nova-compute.log").read_text())
    (tmp_path / "neutron-server.log").write_text((CAPTURES / "vif-neutron-notifier.log").read_text())
    records = read_log_dir(tmp_path)
    assert sorted((r["source"], r["service"]) for r in records) == [
        ("cmp1", "nova-compute"),
        (tmp_path.name, "neutron-server"),
    ]
    assert not tabulate_logs(records, "nova-compute")["module"].str.startswith("neutron").any()
    assert set(tabulate_logs(records, "neutron-server")["service"]) == {"neutron-server"}


def test_canary_plan_findings_and_table():
    plan = canary_plan(["cmp 1;rm"], "cirros", "m1.tiny", "net1")
    assert (
        plan["command"].iloc[0].count("'nova:cmp 1;rm'") == 1
        and "'stack-runbooks-canary-cmp 1;rm'" in plan["command"].iloc[0]
    )
    records = [
        {
            "host": "a",
            "status": "ACTIVE",
            "elapsed_s": 4.9,
            "fault": "",
            "deleted": True,
            "ports": [{"id": "p", "status": "ACTIVE", "vif_type": "ovs"}],
        },
        {
            "host": "b",
            "status": "ERROR",
            "elapsed_s": 12.1,
            "deleted": True,
            "ports": [],
            "fault": "Build of instance x aborted: Failed to allocate the network(s), not rescheduling.",
        },
    ]
    kinds = [(f.kind, f.severity, f.subject) for f in check_canaries(records)]
    assert kinds == [("canary-booted", "info", "host a"), ("canary-failed", "crit", "host b")]
    assert tabulate_canaries(records)["ports_active"].tolist() == ["1/1", "0/0"]


def test_a_port_neutron_set_to_error_aborts_at_once_and_is_told_apart():
    """Real capture (vif-fail-1): the agent set the port ERROR, Neutron sent the event with status failed,
    Nova logged 'Neutron Reported failure on event' and aborted with the same message, no timeout. The
    notifier's line shows Nova's answer ('completed'), so only nova's own line tells."""
    server, actions, logs = _capture("vif-fail-1")
    notifier = parse_oslo_log(
        (CAPTURES / "vif-vif-fail-1-neutron-notifier.log").read_text().splitlines(), "c", "neutron-server"
    )
    assert find_timeouts(logs).empty and "Failed to allocate the network(s)" in server["fault"]["message"]
    result = diagnose(
        find_failed_builds([server]),
        find_unwired_servers([], tabulate_ports([]), find_timeouts(logs)),
        build_hosts(actions),
        find_timeouts(logs),
        tabulate_agents([_agent("vif-fail-1")]),
        logs,
        None,
        notifier,
    )
    row = result.iloc[0]
    assert row["cause"] == "port-error" and row["host"] == "vif-fail-1"
    assert row["ports"] == ["830050fa-8902-4132-8bf8-6251a8c8e291"]
    assert set(notifier_events(notifier)["status"]) == {"completed"}


@pytest.mark.parametrize(("hosting_alive", "cause"), [(True, "unknown"), (False, "dhcp-agent-dead")])
def test_dhcp_check_looks_at_the_agents_of_the_ports_network(hosting_alive, cause):
    """With the port and its network's DHCP agents known (openstack/dhcp_hosting), a dead DHCP agent
    elsewhere does not count; a dead one hosting the network does."""
    server, actions, logs = _capture("vif-down-1")
    timeouts = find_timeouts(logs)
    port_id = timeouts["ports"].iloc[0][0]
    ports = tabulate_ports(
        [
            {
                "id": port_id,
                "status": "DOWN",
                "network_id": "net-a",
                "device_id": "",
                "device_owner": "compute:nova",
                "binding:vif_type": "unbound",
            }
        ]
    )
    agents = [
        _agent("vif-down-1"),
        _agent("other-net-host", alive=False, kind="DHCP agent"),
        _agent("net-a-host", alive=hosting_alive, kind="DHCP agent"),
    ]
    hosting = [
        {
            "network_id": "net-a",
            "agents": [{"id": "d1", "host": "net-a-host", "alive": hosting_alive, "admin_state_up": True}],
        }
    ]
    result = diagnose(
        find_failed_builds([server]),
        find_unwired_servers([], ports, timeouts),
        build_hosts(actions),
        timeouts,
        tabulate_agents(agents),
        logs,
        None,
        None,
        ports,
        hosting,
    )
    row = result.iloc[0]
    assert row["cause"] == cause, row["evidence"]
    if cause == "unknown":
        assert any("hosting the port's network are alive" in e for e in row["evidence"])
    else:
        assert "net-a-host" in row["evidence"][-1] and "other-net-host" not in row["evidence"][-1]
