"""The diagnosis per failed build or unwired server (the first cause that concludes, with what was checked), on
real captures (tests/fixtures/nova-minicloud-failures) and the demo, and the findings made of it."""

import pandas as pd
import pytest
from conftest import FIXTURES

from runbook_lib.headless.sosreports import sosreport_snapshot
from runbook_lib.oslo_log import parse_oslo_log
from runbook_lib.vif_plugging.analysis import analyse_vif_plugging
from runbook_lib.vif_plugging.diagnosis import check_log_only, check_vif_plugging, diagnose
from runbook_lib.vif_plugging.evidence import (
    build_hosts,
    find_failed_builds,
    find_timeouts,
    find_unwired_servers,
    tabulate_agents,
    tabulate_ports,
)
from runbook_lib.vif_plugging.neutron_events import notifier_events
from vif_plugging.test_evidence import CAPTURES, INSTANCE, PORT, _capture
from vif_plugging.test_neutron_events import _notifier_line


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


def _failed(message, actions=()):
    """diagnose() of one ERROR server with this fault message, built on fail-bind-1."""
    server = {"id": INSTANCE, "name": "b", "status": "ERROR", "fault": {"code": 500, "message": message}}
    return diagnose(
        find_failed_builds([server], actions),
        find_unwired_servers([], tabulate_ports([]), find_timeouts(pd.DataFrame())),
        {INSTANCE: "fail-bind-1"},
        find_timeouts(pd.DataFrame()),
        tabulate_agents([]),
        pd.DataFrame(),
    )


def test_no_fixed_ip_left_is_its_own_cause_with_the_network_to_look_at():
    network = "7a1f0c3e-52d9-4b1e-9c0a-2f6d8e4b3a91"
    result = _failed(
        f"Build of instance {INSTANCE} aborted: Failed to allocate the network(s) with error No fixed IP "
        f"addresses available for network: {network}, not rescheduling."
    )
    assert result["cause"].tolist() == ["no-fixed-ip"]
    assert result["fix"].iloc[0].startswith(f"openstack ip availability show {network};")
    [finding] = check_vif_plugging(result)
    assert finding.kind == "vif-no-fixed-ip" and "not the vif-plugging wait" not in finding.message
    assert "a different fault from the vif-plugging wait" in finding.message


def test_retries_exhausted_is_read_through_the_build_events():
    """Queens and later: the fault says only that the retries ran out; each host's error is in its event."""
    retries = (
        "Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for "
        f"instance {INSTANCE}."
    )
    reschedule = (
        "Traceback (most recent call last):\n  ...\nnova.exception.RescheduledException: Build of instance "
        f"{INSTANCE} was re-scheduled: Binding failed for port {PORT}, please check neutron logs for more "
        "information.\n"
    )
    event = {"event": "compute__do_build_and_run_instance", "host": "fail-bind-1", "result": "Error"}
    actions = [{"instance_uuid": INSTANCE, "action": "create", "events": [{**event, "traceback": reschedule}]}]
    result = _failed(retries, actions)
    assert result[["cause", "ports"]].values.tolist() == [["port-binding-failed", [PORT]]]
    assert _failed(retries).empty  # without the events nothing says it was the network: not listed


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
DELETED_ELSEWHERE = (
    "Nova returned NotFound for event: [{{'server_uuid': '"
    + INSTANCE
    + "', 'name': 'network-vif-deleted', 'tag': 'y', 'status': 'completed'}}]"
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
        # Nova's 404 for another server's event (one deleted meanwhile) says nothing of this build's event
        (
            [_agent("vif-down-1"), _agent("net-1", kind="DHCP agent")],
            [_notifier_line("20:05:10.000", "DEBUG", DELETED_ELSEWHERE)],
            (),
            "unknown",
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


def _finding(findings, server):
    return next(f for f in findings if f.subject.startswith(f"server {server} ("))


def test_an_aborted_build_is_crit_and_names_its_host_and_fix(demo_snapshot):
    analysis = analyse_vif_plugging(demo_snapshot)
    finding = _finding(check_vif_plugging(analysis.diagnosis), "vif-timeout")
    assert (finding.kind, finding.severity) == ("vif-l2-agent-dead", "crit")
    assert finding.message == (
        "build of server vif-timeout on vif-down-1 aborted: the host's L2 agent is not alive (or administratively "
        "down): the port stays DOWN"
    )
    assert finding.remediation == (
        "restart the L2 agent on vif-down-1 and check its log; 'openstack network agent list --host vif-down-1'"
    )
    assert finding.evidence["host"] == "vif-down-1"
    port = next(p["id"] for p in demo_snapshot.get("openstack/ports") if p["name"] == "vif-timeout-port")
    assert finding.evidence["ports"] == [port]
    assert finding.evidence["evidence"][0].startswith("≥ Yoga timeout line on vif-down-1: Timeout waiting for")


def test_a_hidden_failure_is_a_warning_that_says_what_hid_it(demo_snapshot):
    finding = _finding(check_vif_plugging(analyse_vif_plugging(demo_snapshot).diagnosis), "vif-nonfatal")
    assert (finding.kind, finding.severity) == ("vif-l2-agent-missing", "warn")
    assert finding.message.startswith(
        "server vif-nonfatal went ACTIVE on vif-down-2 although Nova timed out waiting for network-vif-plugged "
        "(vif_plugging_is_fatal=False hid it): no L2 agent is registered for the host"
    )
    assert finding.remediation.startswith(
        "install/start the L2 agent (OVS / Linux bridge / OVN controller) on vif-down-2"
    )


def test_the_dhcp_fix_names_the_dead_agent_s_host(demo_snapshot):
    row = analyse_vif_plugging(demo_snapshot).diagnosis.set_index("server").loc["vif-dhcp"]
    assert (row["cause"], row["host"]) == ("dhcp-agent-dead", "vif-dhcp-1")
    assert row["fix"].startswith("restart the DHCP agent on net-1 (or take the dead agent off the network")


def test_a_build_with_no_known_host_says_so():
    """A non-admin snapshot: the build events carry no host, so the cause is unknown and the message says where."""
    server, _, logs = _capture("vif-down-1")
    timeouts = find_timeouts(logs)
    diagnosis = diagnose(
        find_failed_builds([server]),
        find_unwired_servers([], tabulate_ports([]), timeouts),
        {},
        timeouts,
        tabulate_agents([_agent("vif-down-1")]),
        logs,
    )
    row = diagnosis.iloc[0]
    assert (row["host"], row["cause"]) == (None, "unknown")
    assert row["evidence"][-1] == "no build event with a host (admin and microversion ≥ 2.62 needed)"
    assert row["fix"] == "read neutron-server's notifier lines and the L2 agent's log on <host>"
    [finding] = check_vif_plugging(diagnosis)
    assert finding.kind == "vif-unknown" and finding.message.startswith(
        f"build of server {server['name']} on an unknown host aborted: nothing checked explains it"
    )


def _no_failures():
    """diagnose's arguments for a snapshot without a failed build."""
    empty = find_timeouts(pd.DataFrame())
    return (
        find_failed_builds([]),
        find_unwired_servers([], tabulate_ports([]), empty),
        {},
        empty,
        tabulate_agents([]),
        pd.DataFrame(),
    )


def test_a_part_that_could_not_be_read_comes_first_as_a_collection_problem():
    problems = {"openstack/network_agents": "openstack/network_agents: cloud 'x' answered HTTP 403"}
    findings = check_vif_plugging(diagnose(*_no_failures()), problems)
    assert [(f.kind, f.severity, f.subject) for f in findings] == [
        ("collection-problem", "error", "openstack/network_agents")
    ]


def test_no_failure_is_no_row_and_no_finding():
    diagnosis = diagnose(*_no_failures())
    assert diagnosis.empty and list(diagnosis.columns) == [
        "server_id",
        "server",
        "outcome",
        "host",
        "ports",
        "cause",
        "explanation",
        "fix",
        "evidence",
        "timed_out_at",
    ]
    assert check_vif_plugging(diagnosis) == []


def test_without_the_api_each_timeout_in_a_log_is_a_finding_citing_its_file_and_line():
    """A real sosreport of a compute: no server list, so the log's own abort is the finding, with the file it
    is in; a timeout the build went on after is a warning."""
    sos = FIXTURES / "sosreport-compute" / "sosreport-compute-01.tar.xz"
    analysis = analyse_vif_plugging(sosreport_snapshot([str(sos)]))
    [timeout] = [f for f in analysis.findings if f.kind == "vif-timeout-in-log"]
    assert timeout.severity == "crit" and timeout.subject == f"server {analysis.timeouts['instance'].iloc[0]}"
    # line 4 of the rotated log is the "Timeout waiting for" record (zcat … | sed -n 4p)
    assert f"(in {sos.name}:var/log/nova/nova-compute.log.1.gz:4)" in timeout.message
    assert "aborted the build" in timeout.message and timeout.evidence["host"] == "compute-01"
    went_on = analysis.logs.assign(message=analysis.logs["message"].str.replace("Failed to allocate", "Allocated"))
    [warning] = check_log_only(analysis.timeouts, went_on)
    assert warning.severity == "warn" and "went on without it" in warning.message
