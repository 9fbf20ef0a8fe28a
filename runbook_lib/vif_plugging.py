"""'Failed to allocate the network(s), not rescheduling': Nova timed out waiting for network-vif-plugged.

The handshake: Nova binds the port to the compute host, starts the guest paused and waits
(``vif_plugging_timeout``, 300 s by default) for Neutron's ``network-vif-plugged`` event. Neutron sends it
when the port goes ACTIVE, which needs the host's L2 agent (and, where DHCP runs, the DHCP agent) to
clear their provisioning blocks. No event in time → with ``vif_plugging_is_fatal`` (default True) the
build is aborted with this message and the server ends ERROR with *no host* (Nova nils it), the port
unbound again; with it False the server goes ACTIVE without network wiring, and nothing looks wrong.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pandas as pd

from runbook_lib.findings import Finding, collection_findings
from runbook_lib.oslo_log import tabulate_logs

RUNBOOK = "vif_plugging"
HOST_FACTS_PART = "hosts/nova_compute"  # read over SSH when asked: processes and vif_plugging_* options
# What this runbook reads; a live run collects only these.
PARTS = (
    "openstack/servers",
    "openstack/instance_actions",
    "openstack/ports",
    "openstack/network_agents",
    "openstack/compute_services",
)
_ABORT = re.compile(r"Failed to allocate the network\(s\)")  # also "… with error …, not rescheduling"
_BINDING = re.compile(r"Binding failed for port (?P<port>[0-9a-f-]{36})")
# ≥ Yoga: Timeout waiting for ['network-vif-plugged-<port>'] …; ≤ Xena: [('network-vif-plugged', '<port>')]
_TIMEOUT = re.compile(
    r"Timeout waiting for \[(?P<events>.*?)\] for instance with vm_state (?P<vm>\w+) and task_state (?P<task>\w+)"
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
L2_AGENT_TYPES = (
    "Open vSwitch agent",
    "Linux bridge agent",
    "OVN Controller agent",
    "NIC Switch agent",
    "Macvtap agent",
)

CAUSES = {
    "port-binding-failed": ("Neutron could not bind the port on this host (a different fault: PortBindingFailed)",
                            "check the mechanism drivers and that the L2 agent's host equals nova's [DEFAULT] host; "
                            "neutron-server logs 'Failed to bind port'"),
    "l2-agent-missing": ("no L2 agent is registered for the host: ML2 bound the port but nothing wires it, so it "
                         "stays DOWN and network-vif-plugged is never sent",
                         "install/start the L2 agent (OVS / Linux bridge / OVN controller) on {host}; its [DEFAULT] "
                         "host must equal nova's"),
    "l2-agent-dead": ("the host's L2 agent is not alive (or administratively down): the port stays DOWN",
                      "restart the L2 agent on {host} and check its log; 'openstack network agent list --host {host}'"),
    "duplicate-nova-compute": ("another nova-compute for the same host received the event ('Received unexpected "
                               "event'): the process that builds the guest never sees it",
                               "on {host}: pgrep -af nova-compute; stop the stray process (not parent/child)"),
    "event-late": ("the event arrived, but after the timeout: the agent is alive but too slow",
                   "find why the agent is slow (rootwrap daemon mode, RPC backlog); raise vif_plugging_timeout only "
                   "with that reason"),
    "unknown": ("nothing checked explains it", "read neutron-server's notifier lines and the L2 agent's log on {host}"),
}  # fmt: skip


def find_failed_builds(servers: list[dict[str, Any]]) -> pd.DataFrame:
    """ERROR servers whose fault is the build abort (or, told apart, a port binding failure)."""
    rows = []
    for s in servers:
        message = (s.get("fault") or {}).get("message", "")
        if s.get("status") != "ERROR" or not (_ABORT.search(message) or _BINDING.search(message)):
            continue
        rows.append({"server_id": s["id"], "server": s.get("name"), "project_id": s.get("tenant_id"),
                     "fault": message, "fault_at": (s.get("fault") or {}).get("created"),
                     "binding_failed": bool(_BINDING.search(message)), "created": s.get("created")})  # fmt: skip
    frame = pd.DataFrame(
        rows, columns=["server_id", "server", "project_id", "fault", "fault_at", "binding_failed", "created"]
    )
    for column in ("fault_at", "created"):
        frame[column] = pd.to_datetime(frame[column], errors="coerce", utc=True).dt.tz_localize(None)
    return frame


def build_hosts(actions: list[dict[str, Any]]) -> dict[str, str]:
    """server → the compute host that tried to build it: the ERROR server's own host field is empty.

    The build event says 'Success' even for an aborted build (Nova catches the abort), so any build
    event with a host counts.
    """
    hosts = {}
    for action in actions:
        for event in action.get("events") or []:
            if event.get("event", "").endswith("build_and_run_instance") and event.get("host"):
                hosts[action.get("instance_uuid")] = event["host"]
    return hosts


def find_timeouts(logs: pd.DataFrame) -> pd.DataFrame:
    """'Timeout waiting for …' lines of both release forms, with the ports they name."""
    columns = ["time", "host", "instance", "pid", "ports", "form", "message"]
    if logs.empty:
        return pd.DataFrame(columns=columns)
    hits = logs[logs["message"].str.contains("Timeout waiting for [", regex=False)]
    rows = []
    for r in hits.itertuples():
        match = _TIMEOUT.search(r.message)
        events = match.group("events") if match else ""
        rows.append({"time": r.time, "host": r.source, "instance": r.instance, "pid": r.pid,
                     "ports": _UUID.findall(events), "form": "≤ Xena tuple" if "('" in events else "≥ Yoga",
                     "message": r.message.split("\n")[0]})  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def find_unwired_servers(
    servers: list[dict[str, Any]], ports: pd.DataFrame, timeouts: pd.DataFrame
) -> pd.DataFrame:
    """ACTIVE servers whose build timed out waiting for the event: vif_plugging_is_fatal=False hid it."""
    timed_out = set(timeouts["instance"].dropna())
    rows = []
    for s in servers:
        if s.get("status") != "ACTIVE" or s["id"] not in timed_out:
            continue
        own = ports[ports["device_id"] == s["id"]] if not ports.empty else ports
        rows.append({"server_id": s["id"], "server": s.get("name"), "host": s.get("OS-EXT-SRV-ATTR:host"),
                     "ports_down": int((own["status"] != "ACTIVE").sum()) if not own.empty else None})  # fmt: skip
    return pd.DataFrame(rows, columns=["server_id", "server", "host", "ports_down"])


def tabulate_ports(ports: list[dict[str, Any]]) -> pd.DataFrame:
    columns = ["port_id", "name", "status", "device_id", "device_owner", "host", "vif_type", "updated_at"]
    rows = [{"port_id": p.get("id"), "name": p.get("name"), "status": p.get("status"), "device_id": p.get("device_id"),
             "device_owner": p.get("device_owner"), "host": p.get("binding:host_id"),
             "vif_type": p.get("binding:vif_type"), "updated_at": p.get("updated_at")} for p in ports]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], errors="coerce", utc=True).dt.tz_localize(None)
    return frame


def tabulate_agents(agents: list[dict[str, Any]]) -> pd.DataFrame:
    columns = ["agent_type", "host", "alive", "admin_state_up", "heartbeat_timestamp", "started_at"]
    return pd.DataFrame(agents).reindex(columns=columns)


def _cause(
    host: str | None, fault: str, agents: pd.DataFrame, logs: pd.DataFrame, ports: list[str],
    duplicates: dict[str, list[int]] | None = None,
) -> tuple[str, list[str]]:  # fmt: skip
    checked = []
    if _BINDING.search(fault):
        return "port-binding-failed", [f"fault: {fault[:120]}"]
    if not host:
        return "unknown", ["no build event with a host (admin and microversion ≥ 2.62 needed)"]
    if (duplicates or {}).get(host):
        return "duplicate-nova-compute", [f"{host} runs {len(duplicates[host])} separate nova-compute processes "
                                          f"(pids {', '.join(map(str, duplicates[host]))}), read on the host"]  # fmt: skip
    host_logs = logs[logs["source"] == host] if not logs.empty else logs
    unexpected = (
        host_logs[
            host_logs["message"].str.contains("Received unexpected event network-vif-plugged", regex=False)
        ]
        if not host_logs.empty
        else host_logs
    )
    if any(p in m for m in unexpected["message"] for p in ports) or (
        not host_logs.empty and host_logs["pid"].nunique() > 1
    ):
        return "duplicate-nova-compute", [
            f"{host}: 'Received unexpected event' or two nova-compute pids in one log"
        ]
    checked.append("no sign of a duplicate nova-compute in the log")
    l2 = (
        agents[(agents["host"] == host) & agents["agent_type"].isin(L2_AGENT_TYPES)]
        if not agents.empty
        else agents
    )
    if l2.empty:
        return "l2-agent-missing", [
            *checked,
            f"no L2 agent registered for host {host} ({len(agents)} agents in all)",
        ]
    if not (l2["alive"].astype(bool) & l2["admin_state_up"].astype(bool)).any():
        return "l2-agent-dead", [
            *checked,
            f"L2 agent on {host}: alive={l2['alive'].tolist()}, admin_state_up={l2['admin_state_up'].tolist()}",
        ]
    checked.append(f"L2 agent on {host} alive")
    return "unknown", checked


def concurrent_pids(host_logs: pd.DataFrame) -> bool:
    """Two nova-compute pids logging at the same time on one host (a restart gives disjoint spans)."""
    if host_logs.empty or host_logs["pid"].nunique() < 2:
        return False
    spans = host_logs.groupby("pid")["time"].agg(["min", "max"]).sort_values("min")
    return bool((spans["min"].shift(-1) < spans["max"]).iloc[:-1].any())


def diagnose(failed: pd.DataFrame, unwired: pd.DataFrame, hosts: dict[str, str], timeouts: pd.DataFrame,
             agents: pd.DataFrame, logs: pd.DataFrame, duplicates: dict[str, list[int]] | None = None) -> pd.DataFrame:  # fmt: skip
    """One row per failed build or unwired server: the cause, and what was checked to get there."""
    rows = []
    cases = [(r, "build aborted") for r in failed.itertuples()]
    cases += [(r, "ACTIVE without wiring") for r in unwired.itertuples()]
    for r, outcome in cases:
        host = hosts.get(r.server_id) or getattr(r, "host", None)
        mine = timeouts[timeouts["instance"] == r.server_id]
        ports = sorted({p for ps in mine["ports"] for p in ps})
        fault = getattr(r, "fault", "") or ""  # unwired servers have no fault
        binding = _BINDING.search(fault)
        if binding:
            ports = [binding.group("port")]
        cause, evidence = _cause(host, fault, agents, logs, ports, duplicates)
        if not mine.empty:
            evidence.insert(
                0,
                f"{mine.iloc[0]['form']} timeout line on {mine.iloc[0]['host']}: {mine.iloc[0]['message'][:160]}",
            )
        explanation, fix = CAUSES[cause]
        rows.append({"server_id": r.server_id, "server": r.server, "outcome": outcome, "host": host, "ports": ports,
                     "cause": cause, "explanation": explanation, "fix": fix.format(host=host or "<host>"),
                     "evidence": evidence, "timed_out_at": mine.iloc[0]["time"] if not mine.empty else pd.NaT})  # fmt: skip
    return pd.DataFrame(rows, columns=["server_id", "server", "outcome", "host", "ports", "cause", "explanation", "fix",
                                       "evidence", "timed_out_at"])  # fmt: skip


def check_vif_plugging(diagnosis: pd.DataFrame, problems: dict[str, str] | None = None) -> list[Finding]:
    findings = collection_findings(RUNBOOK, problems or {})
    for r in diagnosis.itertuples():
        hidden = r.outcome == "ACTIVE without wiring"
        severity = "warn" if hidden else "crit"
        message = (f"server {r.server} went ACTIVE on {r.host} although Nova timed out waiting for "
                   "network-vif-plugged (vif_plugging_is_fatal=False hid it): " if hidden else
                   f"build of server {r.server} on {r.host or 'an unknown host'} aborted: ")  # fmt: skip
        findings.append(Finding(RUNBOOK, f"vif-{r.cause}", severity, f"server {r.server} ({r.server_id})",
                                message + r.explanation, r.fix, {"host": r.host, "ports": r.ports, "evidence": r.evidence}))  # fmt: skip
    return findings


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

    @property
    def host_facts_table(self) -> pd.DataFrame:
        """What each host said: its nova-compute processes and effective vif_plugging_* options."""
        if self.host_facts.empty:
            return self.host_facts
        return self.host_facts[["host", "reached", "nova_compute_pids", "duplicate_pids", "vif_plugging_is_fatal",
                                "fatal_from", "vif_plugging_timeout", "timeout_from", "started_before_config_change"]]  # fmt: skip

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
        """The order of events for one server: its log records, its ports' last update, the fault."""
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
        return frame.sort_values("time").reset_index(drop=True)

    @property
    def fleet(self) -> pd.DataFrame:
        """Failures per host and cause."""
        if self.diagnosis.empty:
            return pd.DataFrame(columns=["host", "cause", "servers"])
        return self.diagnosis.groupby(["host", "cause"], dropna=False).size().rename("servers").reset_index()


def analyse_vif_plugging(
    snapshot: Any, extra_logs: list[dict[str, Any]] | None = None
) -> VifPluggingAnalysis:
    """Failed builds, unwired servers, timeouts, ports, agents and (when read) the hosts' own processes and
    options from one snapshot, with a cause for each failure."""
    from runbook_lib.nova_host_facts import check_host_facts, tabulate_host_facts

    logs = tabulate_logs(snapshot.get("logs/nova-compute") + list(extra_logs or []))
    failed = find_failed_builds(snapshot.get("openstack/servers"))
    timeouts = find_timeouts(logs)
    ports = tabulate_ports(snapshot.get("openstack/ports"))
    agents = tabulate_agents(snapshot.get("openstack/network_agents"))
    unwired = find_unwired_servers(snapshot.get("openstack/servers"), ports, timeouts)
    facts = tabulate_host_facts(snapshot.get(HOST_FACTS_PART))
    duplicates = (
        {} if facts.empty else {r.host: r.nova_compute_pids for r in facts.itertuples() if r.duplicate}
    )
    diagnosis = diagnose(
        failed,
        unwired,
        build_hosts(snapshot.get("openstack/instance_actions")),
        timeouts,
        agents,
        logs,
        duplicates,
    )
    problems = snapshot.problems_for(PARTS)
    findings = check_vif_plugging(diagnosis, problems) + check_host_facts(facts)
    return VifPluggingAnalysis(failed, unwired, timeouts, ports, agents, logs, diagnosis, findings, facts)
