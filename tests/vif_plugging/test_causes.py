"""The causes as data and the checks that conclude, on the real vif-down-1 capture (Nova's 10 s wait timed
out): what each check reads, and which one wins when several could."""

import string

import pandas as pd

from runbook_lib.oslo_log import parse_oslo_log
from runbook_lib.vif_plugging.causes import CAUSES, Evidence, _cause, concurrent_pids
from runbook_lib.vif_plugging.evidence import build_hosts, find_timeouts, tabulate_agents
from runbook_lib.vif_plugging.neutron_events import notifier_events
from runbook_lib.vif_plugging.nova_messages import BINDING_FAILED_FORM
from vif_plugging.test_diagnosis import _agent
from vif_plugging.test_evidence import PORT, _capture


def test_a_restart_is_not_a_duplicate_but_interleaving_is():
    def line(t, pid):
        return f"2026-11-23 20:00:{t:02d}.000 {pid} INFO nova.compute.manager [-] x"

    restart = parse_oslo_log([line(1, 10), line(2, 10), line(5, 20), line(6, 20)], "cmp1")
    interleaved = parse_oslo_log([line(1, 10), line(2, 20), line(3, 10), line(4, 20)], "cmp1")
    assert not concurrent_pids(restart) and concurrent_pids(interleaved)


def _evidence(agents, **changes) -> Evidence:
    """What is known around vif-down-1's real failed build (its timeout line, its nova-compute log)."""
    server, actions, logs = _capture("vif-down-1")
    timeout = find_timeouts(logs).iloc[0]
    known = {
        "host": build_hosts(actions)[server["id"]],
        "fault": server["fault"]["message"],
        "ports": timeout["ports"],
        "server_id": server["id"],
        "timeout": timeout,
        "agents": tabulate_agents(agents),
        "logs": logs,
        "notifier": notifier_events(pd.DataFrame()),
        "neutron_logs": pd.DataFrame(),
        "duplicates": {},
    }
    return Evidence(**(known | changes))


def test_every_cause_explains_itself_and_its_fix_names_only_what_the_diagnosis_fills_in():
    for cause, (explanation, fix) in CAUSES.items():
        fields = {name for _, name, _, _ in string.Formatter().parse(fix) if name}
        assert explanation and fields <= {"host", "agent_hosts", "network", "port", "agent"}, cause
    assert CAUSES["l2-agent-dead"][1].format(host="cmp1", agent_hosts="") == (
        "restart the L2 agent on cmp1 and check its log; 'openstack network agent list --host cmp1'"
    )


def test_a_dead_agent_on_the_building_host_is_the_cause():
    cause, checked = _cause(_evidence([_agent("vif-down-1", alive=False)]))
    assert cause == "l2-agent-dead"
    assert checked == [
        "no sign of a duplicate nova-compute in the log",
        "L2 agent on vif-down-1: alive=[False], admin_state_up=[True], last heartbeat 2026-11-23 20:00:00",
    ]


def test_a_duplicate_read_on_the_host_wins_over_the_agents():
    """Direct evidence first: the stray process is why the event was lost, whatever the agents say."""
    cause, checked = _cause(_evidence([_agent("vif-down-1", alive=False)], duplicates={"vif-down-1": [31000, 32245]}))
    assert cause == "duplicate-nova-compute"
    assert checked == ["vif-down-1 runs 2 separate nova-compute processes (pids 31000, 32245), read on the host"]


def test_a_binding_failure_is_concluded_from_the_fault_alone():
    fault = f"Binding failed for port {PORT}, please check neutron logs for more information."
    evidence = _evidence([], fault=fault, host=None, ports=[PORT], fault_form=BINDING_FAILED_FORM.message)
    cause, checked = _cause(evidence)
    assert (cause, checked) == ("port-binding-failed", [f"fault: {fault}", f"port {PORT}"])


def test_without_a_host_nothing_can_be_checked():
    cause, checked = _cause(_evidence([_agent("vif-down-1")], host=None))
    assert (cause, checked) == ("unknown", ["no build event with a host (admin and microversion ≥ 2.62 needed)"])


def test_the_timeout_moment_comes_from_the_timeout_line():
    evidence = _evidence([])
    assert evidence.timed_out_at == pd.Timestamp("2026-11-23 20:05:18.062")
    assert pd.isna(_evidence([], timeout=None).timed_out_at)
