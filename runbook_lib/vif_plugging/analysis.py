"""The vif-plugging analysis of one snapshot: failed builds, unwired servers, their causes, the timeline."""

from __future__ import annotations

import dataclasses

import pandas as pd

from runbook_lib.findings import Finding
from runbook_lib.oslo_log import tabulate_logs
from runbook_lib.records import Records
from runbook_lib.snapshot import Snapshot
from runbook_lib.vif_plugging.agent_health import agents_from_log, health_checks
from runbook_lib.vif_plugging.canary import Canaries
from runbook_lib.vif_plugging.diagnosis import check_log_only, check_vif_plugging, diagnose
from runbook_lib.vif_plugging.evidence import (
    DHCP_AGENT,
    EXTRA_PARTS,
    HOST_FACTS_PART,
    L2_AGENT_TYPES,
    NEUTRON_LOG_PART,
    PARTS,
    build_hosts,
    find_failed_builds,
    find_timeouts,
    find_unwired_servers,
    tabulate_agents,
    tabulate_ports,
    working,
)
from runbook_lib.vif_plugging.host_facts import check_host_facts, merge_duplicate_findings, tabulate_host_facts
from runbook_lib.vif_plugging.neutron_events import notifier_events


@dataclasses.dataclass
class VifPluggingAnalysis:
    failed: pd.DataFrame
    unwired: pd.DataFrame
    timeouts: pd.DataFrame
    ports: pd.DataFrame
    agents: pd.DataFrame
    logs: pd.DataFrame
    diagnosis: pd.DataFrame
    findings: list[Finding]
    host_facts: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    notifier: pd.DataFrame = dataclasses.field(default_factory=lambda: notifier_events(pd.DataFrame()))
    agents_source: str = "API"  # "API", "neutron-server log" (its health checks: dead agents only) or ""

    @property
    def agents_note(self) -> str:
        """Which source the agent states come from, for the report."""
        return {
            "API": "agent states from Neutron's API (every registered agent)",
            "neutron-server log": "agent states from neutron-server's health-check lines (the API's list was not "
            "read): only agents found dead are known, so a host without a line is not known to lack an agent",
        }.get(self.agents_source, "no agent state was read: neither the API's list nor neutron-server's log")

    @property
    def host_facts_table(self) -> pd.DataFrame:
        """What each host said: its nova-compute processes and effective vif_plugging_* options."""
        if self.host_facts.empty:
            return self.host_facts
        return self.host_facts[
            [
                "host",
                "reached",
                "nova_compute_pids",
                "duplicate_pids",
                "vif_plugging_is_fatal",
                "fatal_from",
                "vif_plugging_timeout",
                "timeout_from",
                "started_before_config_change",
            ]
        ]

    @property
    def diagnosis_table(self) -> pd.DataFrame:
        return self.diagnosis[["server", "outcome", "host", "cause", "explanation", "fix"]]

    def pick(self, server: str = "") -> str | None:
        """A diagnosed server's id by name or id; the first aborted build when ``server`` is empty."""
        if self.diagnosis.empty:
            return None
        if not server:  # the most telling one: an aborted build with a timeout line
            ranked = self.diagnosis.assign(
                _t=self.diagnosis["timed_out_at"].notna(), _a=self.diagnosis["outcome"] == "build aborted"
            )
            return str(ranked.sort_values(["_t", "_a"], ascending=False).iloc[0]["server_id"])
        match = self.diagnosis[(self.diagnosis["server"] == server) | (self.diagnosis["server_id"] == server)]
        return str(match.iloc[0]["server_id"]) if not match.empty else None

    def timeline(self, server_id: str | None) -> pd.DataFrame:
        """The order of events for one server: its nova-compute log records, what neutron-server's
        notifier sent for it, its ports' last update, the host's agents' heartbeats, the fault."""
        columns = ["time", "source", "what"]
        if not server_id:
            return pd.DataFrame(columns=columns)
        rows = []
        if not self.logs.empty:
            for r in self.logs[self.logs["instance"] == server_id].itertuples():
                rows.append(
                    {
                        "time": r.time,
                        "source": f"nova-compute {r.source} ({r.level})",
                        "what": r.message.split("\n")[0][:110],
                    }
                )
        for r in self.notifier[self.notifier["server_id"] == server_id].itertuples():
            rows.append(
                {
                    "time": r.time,
                    "source": "neutron-server notifier",
                    "what": f"{r.event} port {str(r.port)[:8]}: {r.outcome} (code {r.code})",
                }
            )
        row = self.diagnosis[self.diagnosis["server_id"] == server_id].iloc[0]
        for p in self.ports[self.ports["port_id"].isin(row["ports"])].itertuples():
            rows.append(
                {
                    "time": p.updated_at,
                    "source": "neutron port",
                    "what": f"port {p.port_id[:8]} last update: {p.status}, {p.vif_type}",
                }
            )
        failed = self.failed[self.failed["server_id"] == server_id]
        if not failed.empty:
            rows.append(
                {
                    "time": failed.iloc[0]["fault_at"],
                    "source": "nova fault",
                    "what": failed.iloc[0]["fault"][:110],
                }
            )
        frame = pd.DataFrame(rows, columns=columns).dropna(subset=["time"])
        frame = pd.concat([frame, self._heartbeats(row["host"], frame["time"])], ignore_index=True)
        return frame.sort_values("time", kind="stable").reset_index(drop=True)

    def _heartbeats(self, host: str | None, times: pd.Series) -> pd.DataFrame:
        """The last heartbeat of the host's L2 agent and of every DHCP agent: on the chart when it falls
        within an hour of the build, else noted at the build's start (a heartbeat from last week would
        squash the chart)."""
        columns = ["time", "source", "what"]
        if self.agents.empty or times.empty:
            return pd.DataFrame(columns=columns)
        mine = self.agents[
            ((self.agents["host"] == host) & self.agents["agent_type"].isin(L2_AGENT_TYPES))
            | (self.agents["agent_type"] == DHCP_AGENT)
        ]
        start, end = times.min(), times.max()
        rows = []
        for a in mine.itertuples():
            beat = pd.to_datetime(a.heartbeat_timestamp, errors="coerce")
            state = "alive" if a.alive else "NOT alive"
            what = f"{a.agent_type} on {a.host} ({state}): last heartbeat"
            if pd.isna(beat):
                continue
            if start - pd.Timedelta(hours=1) <= beat <= end + pd.Timedelta(hours=1):
                rows.append({"time": beat, "source": "neutron agent", "what": what})
            else:
                rows.append({"time": start, "source": "neutron agent", "what": f"{what} {beat} (off the chart)"})
        return pd.DataFrame(rows, columns=columns)

    @property
    def fleet(self) -> pd.DataFrame:
        """Failures per host and cause."""
        if self.diagnosis.empty:
            return pd.DataFrame(columns=["host", "cause", "servers"])
        return self.diagnosis.groupby(["host", "cause"], dropna=False).size().rename("servers").reset_index()

    @property
    def per_day(self) -> pd.DataFrame:
        """Failures per day and host (aborted builds by their fault time, unwired servers by their timeout):
        a spike after an upgrade or on one host tells where to look."""
        columns = ["day", "host", "aborted", "unwired"]
        if self.diagnosis.empty:
            return pd.DataFrame(columns=columns)
        when = self.diagnosis.merge(self.failed[["server_id", "fault_at"]], on="server_id", how="left")
        when["day"] = when["fault_at"].fillna(when["timed_out_at"]).dt.date
        when["aborted"] = when["outcome"] == "build aborted"
        when["unwired"] = ~when["aborted"]
        table = when.groupby(["day", "host"], dropna=False)[["aborted", "unwired"]].sum().reset_index()
        return table.astype({"aborted": int, "unwired": int})[columns]

    @property
    def agents_not_working(self) -> pd.DataFrame:
        """Network agents that are not alive or administratively down, every type."""
        if self.agents.empty:
            return self.agents
        return self.agents[~working(self.agents)]


def analyse_vif_plugging(snapshot: Snapshot, extra_logs: Records | None = None) -> VifPluggingAnalysis:
    """Failed builds, unwired servers, timeouts, ports, agents, neutron-server's notifier lines and (when
    read) the hosts' own processes and options from one snapshot, with a cause for each failure."""
    records = snapshot.get("logs/nova-compute") + snapshot.get(NEUTRON_LOG_PART) + list(extra_logs or [])
    logs = tabulate_logs(records, "nova-compute")
    neutron_logs = tabulate_logs(records, "neutron-server")
    failed = find_failed_builds(snapshot.get("openstack/servers"), snapshot.get("openstack/instance_actions"))
    timeouts = find_timeouts(logs)
    ports = tabulate_ports(snapshot.get("openstack/ports"))
    agents, agents_source = _agents(snapshot, neutron_logs)
    unwired = find_unwired_servers(snapshot.get("openstack/servers"), ports, timeouts)
    facts = tabulate_host_facts(snapshot.get(HOST_FACTS_PART))
    duplicates = {} if facts.empty else {r.host: r.nova_compute_pids for r in facts.itertuples() if r.duplicate}
    hosts = build_hosts(snapshot.get("openstack/instance_actions"))
    diagnosis = diagnose(
        failed,
        unwired,
        hosts,
        timeouts,
        agents,
        logs,
        duplicates,
        neutron_logs,
        ports,
        snapshot.get("openstack/dhcp_hosting"),
        agents_source,
    )
    problems = snapshot.problems_for(PARTS) | {p: m for p, m in snapshot.unread.items() if p in EXTRA_PARTS}
    findings = merge_duplicate_findings(check_vif_plugging(diagnosis, problems), check_host_facts(facts))
    if "openstack/servers" in problems:  # no server to diagnose: the logs' own timeouts are the findings
        findings += check_log_only(timeouts, logs)
    return VifPluggingAnalysis(
        failed,
        unwired,
        timeouts,
        ports,
        agents,
        logs,
        diagnosis,
        findings,
        facts,
        notifier_events(neutron_logs),
        agents_source,
    )


def _agents(snapshot: Snapshot, neutron_logs: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The network agents and where they come from: the API's list when it was read, else the agents that
    neutron-server's own health checks found dead (a snapshot of logs alone), else none."""
    part = "openstack/network_agents"
    if part in snapshot.parts and part not in snapshot.problems:
        return tabulate_agents(snapshot.get(part)).assign(seen_in="API"), "API"
    checks = health_checks(neutron_logs)
    return agents_from_log(checks), ("neutron-server log" if not checks.empty else "")


def final_findings(analysis: VifPluggingAnalysis, canaries: Canaries) -> list[Finding]:
    """Every finding of the run, taken once all are known: the diagnosis's and the canaries' (a canary
    that failed is CRIT, whatever the evidence said), so the banner and the exit code say the same."""
    return [*analysis.findings, *canaries.findings]
