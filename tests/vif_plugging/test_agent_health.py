"""Agent liveness from neutron-server's health-check lines, so a snapshot of logs alone is diagnosed.

The lines are built from the format string of ``AgentDbMixin.agent_health_check`` (neutron/db/agents_db.py:
``"Agent healthcheck: found %(count)s dead agents out of %(total)s:\\n%(data)s"``, rows ``'%20s %20s %s'`` of
agent type, heartbeat and host, after a ``Type / Last heartbeat / host`` header), logged at WARNING by
neutron.db.agents_db; with every agent alive, ``"Agent healthcheck: found %s active agents"`` at DEBUG.
"""

import copy

from runbook_lib.oslo_log import parse_oslo_log
from runbook_lib.vif_plugging.agent_health import agents_from_log, health_checks
from runbook_lib.vif_plugging.analysis import analyse_vif_plugging

PREFIX = (
    "2026-11-24 03:15:20.114 32292 WARNING neutron.db.agents_db [None req-5d1c4e2a-8b1f-4a8e-9c3e-0f6b7a1d2c3e - - -]"
)
NEUTRON_ROW = "%20s %20s %s"  # neutron's own format string for the table's rows


def row(*fields: str) -> str:
    return NEUTRON_ROW % fields


DEAD = [
    f"{PREFIX} Agent healthcheck: found 2 dead agents out of 5:",
    row("Type", "Last heartbeat", "host"),
    row("Open vSwitch agent", "2026-11-24 03:14:37", "vif-down-1"),
    row("DHCP agent", "2026-11-24 03:14:37", "net-1"),
]
ALIVE = ["2026-11-24 03:13:50.001 32292 DEBUG neutron.db.agents_db [-] Agent healthcheck: found 5 active agents"]


def test_the_health_check_table_becomes_one_row_per_dead_agent():
    checks = health_checks(parse_oslo_log(ALIVE + DEAD, "controller", "neutron-server"))
    dead = checks[checks["agent_type"] != ""]
    assert dead[["agent_type", "host", "heartbeat_timestamp"]].values.tolist() == [
        ["Open vSwitch agent", "vif-down-1", "2026-11-24 03:14:37"],
        ["DHCP agent", "net-1", "2026-11-24 03:14:37"],
    ]
    assert set(dead["dead"]) == {2} and set(dead["total"]) == {5}
    assert checks[checks["agent_type"] == ""]["total"].tolist() == [5]  # the all-alive check, earlier
    agents = agents_from_log(checks)
    assert agents["alive"].tolist() == [False, False] and agents["admin_state_up"].all()
    assert agents["seen_in"].str.startswith("neutron-server log (controller), health check at").all()


def test_a_snapshot_with_logs_but_no_agent_list_is_diagnosed_from_the_health_checks(demo_snapshot):
    """The demo with its API agent list taken away and the health-check lines in neutron-server's log: the
    dead L2 and DHCP agents are still found; a host the check does not name is not called agent-missing."""
    logs_only = copy.deepcopy(demo_snapshot)
    del logs_only.parts["openstack/network_agents"]
    logs_only.parts["logs/neutron-server"][0]["lines"] += ALIVE + DEAD
    analysis = analyse_vif_plugging(logs_only)
    causes = dict(zip(analysis.diagnosis["server"], analysis.diagnosis["cause"], strict=True))
    assert causes["vif-timeout"] == "l2-agent-dead"
    assert causes["vif-dhcp"] == "dhcp-agent-dead"
    assert causes["vif-nonfatal"] != "l2-agent-missing"  # the API would have said; the log cannot
    timeout = analysis.diagnosis.set_index("server").at["vif-timeout", "evidence"]
    assert any("health check at" in line for line in timeout)
    assert analysis.agents_source == "neutron-server log" and "health-check lines" in analysis.agents_note


def test_with_the_api_list_the_api_decides(demo_snapshot):
    analysis = analyse_vif_plugging(demo_snapshot)
    assert analysis.agents_source == "API" and (analysis.agents["seen_in"] == "API").all()
    causes = dict(zip(analysis.diagnosis["server"], analysis.diagnosis["cause"], strict=True))
    assert causes["vif-nonfatal"] == "l2-agent-missing"
