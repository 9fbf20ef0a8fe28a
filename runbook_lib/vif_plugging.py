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
from runbook_lib.neutron_events import covers, notifier_events
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
# Collected live too, but a snapshot without it still works (the DHCP check then looks at every DHCP agent).
EXTRA_PARTS = ("openstack/dhcp_hosting",)
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
    "port-error": ("Neutron set the port to ERROR (its agent could not wire it) and sent network-vif-plugged with "
                   "status failed: Nova aborted the build at once ('Neutron Reported failure on event'), no timeout",
                   "read the L2 agent's log on {host} for the port, and 'openstack port show <port>' (status ERROR); "
                   "fix the wiring (bridge mappings, OVS, the physical network) before rebuilding"),
    "l2-agent-missing": ("no L2 agent is registered for the host: ML2 bound the port but nothing wires it, so it "
                         "stays DOWN and network-vif-plugged is never sent",
                         "install/start the L2 agent (OVS / Linux bridge / OVN controller) on {host}; its [DEFAULT] "
                         "host must equal nova's"),
    "l2-agent-dead": ("the host's L2 agent is not alive (or administratively down): the port stays DOWN",
                      "restart the L2 agent on {host} and check its log; 'openstack network agent list --host {host}'"),
    "dhcp-agent-dead": ("the L2 agent is alive, but a DHCP agent is not: a port created with a device owner on a "
                        "network that agent hosts keeps its DHCP provisioning block, so it stays DOWN and the event "
                        "is never sent (ports Nova creates itself carry no owner at creation, and Neutron 29 gives "
                        "them no DHCP block)",
                        "restart the DHCP agent on {agent_hosts} (or take the dead agent off the network: "
                        "'openstack network agent remove network --dhcp <agent> <network>')"),
    "events-not-delivered": ("the port went ACTIVE but Neutron's notifier could not deliver network-vif-plugged "
                             "(refused by Nova, or the notifier itself failing)",
                             "check neutron.conf [nova] (auth_url, credentials, region_name, endpoint_type) and "
                             "notify_nova_on_port_status_changes on the neutron-server hosts; then restart "
                             "neutron-server"),
    "duplicate-nova-compute": ("another nova-compute for the same host received the event ('Received unexpected "
                               "event'): the process that builds the guest never sees it",
                               "on {host}: pgrep -af nova-compute; stop the stray process (not parent/child)"),
    "event-not-received": ("Neutron delivered network-vif-plugged and Nova's API accepted it before the timeout, "
                           "but the building nova-compute never got it: most often a second nova-compute for the "
                           "host consumed it from the compute.<host> queue",
                           "read the host (host_facts) or on {host}: pgrep -af nova-compute; stop the stray process; "
                           "check the RPC path (rabbitmqctl list_consumers for compute.{host})"),
    "event-late": ("the event arrived, but after the timeout: the agent is alive but too slow",
                   "find why the agent is slow (rootwrap daemon mode, RPC backlog); raise vif_plugging_timeout only "
                   "with that reason"),
    "unknown": ("nothing checked explains it", "read neutron-server's notifier lines and the L2 agent's log on {host}"),
}  # fmt: skip
DHCP_AGENT = "DHCP agent"
DELIVERY_FAILURES = ("refused", "not-found", "notify-failed", "nova-error-response", "endpoint-not-found")
_UNEXPECTED = re.compile(r"Received unexpected event network-vif-plugged-(?P<port>[0-9a-f-]{36}) for instance "
                         r"with vm_state (?P<vm>\w+)")  # fmt: skip


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
    columns = [
        "port_id",
        "name",
        "status",
        "network_id",
        "device_id",
        "device_owner",
        "host",
        "vif_type",
        "updated_at",
    ]
    rows = [{"port_id": p.get("id"), "name": p.get("name"), "status": p.get("status"), "network_id": p.get("network_id"),
             "device_id": p.get("device_id"),
             "device_owner": p.get("device_owner"), "host": p.get("binding:host_id"),
             "vif_type": p.get("binding:vif_type"), "updated_at": p.get("updated_at")} for p in ports]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], errors="coerce", utc=True).dt.tz_localize(None)
    return frame


def tabulate_agents(agents: list[dict[str, Any]]) -> pd.DataFrame:
    columns = ["agent_type", "host", "alive", "admin_state_up", "heartbeat_timestamp", "started_at"]
    return pd.DataFrame(agents).reindex(columns=columns)


@dataclasses.dataclass
class Evidence:
    """What is known around one failed build; each check reads it and may conclude."""

    host: str | None
    fault: str
    ports: list[str]
    server_id: str
    timeout: Any  # the matching 'Timeout waiting for' row, or None
    agents: pd.DataFrame
    logs: pd.DataFrame  # nova-compute
    notifier: pd.DataFrame  # neutron-server's notifier events
    neutron_logs: pd.DataFrame
    duplicates: dict[str, list[int]]
    port_networks: dict[str, str] = dataclasses.field(
        default_factory=dict
    )  # port → network (ports that exist)
    dhcp_hosting: dict[str, list[dict]] = dataclasses.field(default_factory=dict)  # network → its DHCP agents

    @property
    def timed_out_at(self) -> Any:
        return self.timeout["time"] if self.timeout is not None else pd.NaT


def _port_error(ev: Evidence, checked: list[str]) -> tuple[str, list[str]] | None:
    """Neutron reported the port failed: nova's 'Neutron Reported failure on event' line. (neutron-server's
    notifier line cannot tell: it logs Nova's answer, whose status reads 'completed' for a failed event too.)"""
    if ev.logs.empty:
        return None
    lines = ev.logs[(ev.logs["instance"] == ev.server_id)
                    & ev.logs["message"].str.contains("Neutron Reported failure on event", regex=False)]  # fmt: skip
    if lines.empty:
        return None
    first = lines.iloc[0]
    return "port-error", [*checked, f"{ev.host} pid {first['pid']} at {first['time']}: "
                                    f"{first['message'].split(chr(10))[0][:200]}"]  # fmt: skip


def _delivery(ev: Evidence, checked: list[str]) -> tuple[str, list[str]] | None:
    """What neutron-server's notifier did with this server's network-vif-plugged."""
    if ev.notifier.empty:
        return None
    mine = ev.notifier[
        (ev.notifier["server_id"] == ev.server_id) & (ev.notifier["event"] == "network-vif-plugged")
    ]
    for r in mine.itertuples():
        said = f"neutron-server {r.time}: network-vif-plugged for port {str(r.port)[:8]} {r.outcome} (code {r.code})"
        if r.outcome in DELIVERY_FAILURES:
            return "events-not-delivered", [*checked, said]
        if r.outcome == "delivered" and not pd.isna(ev.timed_out_at):
            if r.time > ev.timed_out_at:
                return "event-late", [*checked, said, f"nova timed out at {ev.timed_out_at}, before it"]
            return "event-not-received", [*checked, said, f"nova still timed out at {ev.timed_out_at}"]
    return None


def _duplicate_in_log(ev: Evidence, checked: list[str]) -> tuple[str, list[str]] | None:
    """'Received unexpected event' for our port: another process while building (duplicate) or the same one
    after the timeout (late); or two pids logging at once."""
    host_logs = ev.logs[ev.logs["source"] == ev.host] if not ev.logs.empty else ev.logs
    if host_logs.empty:
        return None
    waiter = ev.timeout["pid"] if ev.timeout is not None else None
    for r in host_logs[
        host_logs["message"].str.contains("Received unexpected event", regex=False)
    ].itertuples():
        match = _UNEXPECTED.search(r.message)
        if not match or match.group("port") not in ev.ports:
            continue
        said = f"{ev.host} pid {r.pid} at {r.time}: {r.message.split(chr(10))[0][:140]}"
        if match.group("vm") == "building" or (waiter is not None and r.pid != waiter):
            return "duplicate-nova-compute", [*checked, said, f"the waiting process was pid {waiter}"]
        return "event-late", [*checked, said]
    if concurrent_pids(host_logs):
        return "duplicate-nova-compute", [*checked, f"{ev.host}: two nova-compute pids log at the same time"]
    return None


def _agents(ev: Evidence, checked: list[str]) -> tuple[str, list[str]] | None:
    agents = ev.agents
    l2 = (
        agents[(agents["host"] == ev.host) & agents["agent_type"].isin(L2_AGENT_TYPES)]
        if not agents.empty
        else agents
    )
    if l2.empty:
        return "l2-agent-missing", [
            *checked,
            f"no L2 agent registered for host {ev.host} ({len(agents)} agents in all)",
        ]
    if not working(l2).any():
        return "l2-agent-dead", [*checked, f"L2 agent on {ev.host}: alive={l2['alive'].tolist()}, "
                                           f"admin_state_up={l2['admin_state_up'].tolist()}, "
                                           f"last heartbeat {l2['heartbeat_timestamp'].max()}"]  # fmt: skip
    checked.append(f"L2 agent on {ev.host} alive")
    return _dhcp_agents(ev, checked)


def _dhcp_agents(ev: Evidence, checked: list[str]) -> tuple[str, list[str]] | None:
    """The DHCP agents hosting the port's network when the port and that mapping are known; else any."""
    networks = sorted({ev.port_networks[p] for p in ev.ports if p in ev.port_networks})
    known = [n for n in networks if n in ev.dhcp_hosting]
    if known:
        hosting = [(n, a) for n in known for a in ev.dhcp_hosting[n]]
        dead = [(n, a) for n, a in hosting if not (a.get("alive") and a.get("admin_state_up"))]
        if dead:
            return "dhcp-agent-dead", [*checked, "DHCP agents hosting the port's network, not alive: " + ", ".join(
                f"{a['host']} (network {n[:8]})" for n, a in dead)]  # fmt: skip
        checked.append(f"the {len(hosting)} DHCP agent(s) hosting the port's network are alive")
        return None
    dhcp = ev.agents[ev.agents["agent_type"] == DHCP_AGENT] if not ev.agents.empty else ev.agents
    dead = dhcp[~working(dhcp)] if not dhcp.empty else dhcp
    if not dead.empty:
        return "dhcp-agent-dead", [*checked, "DHCP agents not alive: " + ", ".join(
            f"{r.host} (last heartbeat {r.heartbeat_timestamp})" for r in dead.itertuples())
            + " (which network the port was on is not known: the port is gone or its DHCP agents were not read)"]  # fmt: skip
    checked.append(f"DHCP agents alive ({len(dhcp)})")
    return None


def _notifier_failing(ev: Evidence, checked: list[str]) -> tuple[str, list[str]] | None:
    if ev.notifier.empty:
        return None
    failures = ev.notifier[ev.notifier["outcome"].isin(DELIVERY_FAILURES)]
    if not pd.isna(ev.timed_out_at):  # failures during this build's wait (timeout up to an hour)
        failures = failures[(failures["time"] <= ev.timed_out_at)
                            & (failures["time"] >= ev.timed_out_at - pd.Timedelta(hours=1))]  # fmt: skip
    if failures.empty:
        return None
    first = failures.iloc[0]
    return "events-not-delivered", [*checked, f"neutron-server's notifier failing: {len(failures)} line(s), "
                                              f"first at {first['time']}: {first['message'][:140]}"]  # fmt: skip


def working(agents: pd.DataFrame) -> pd.Series:
    """Alive and administratively up."""
    return agents["alive"].fillna(False).astype(bool) & agents["admin_state_up"].fillna(False).astype(bool)


def _cause(ev: Evidence) -> tuple[str, list[str]]:
    """The first check that concludes: direct evidence (host, notifier, nova log) before agent states."""
    if _BINDING.search(ev.fault):
        return "port-binding-failed", [f"fault: {ev.fault[:120]}"]
    if not ev.host:
        return "unknown", ["no build event with a host (admin and microversion ≥ 2.62 needed)"]
    if ev.duplicates.get(ev.host):
        pids = ", ".join(map(str, ev.duplicates[ev.host]))
        return "duplicate-nova-compute", [f"{ev.host} runs {len(ev.duplicates[ev.host])} separate nova-compute "
                                          f"processes (pids {pids}), read on the host"]  # fmt: skip
    checked: list[str] = []
    for check in (_port_error, _delivery, _duplicate_in_log):
        found = check(ev, checked)
        if found:
            return found
    checked.append("no sign of a duplicate nova-compute in the log")
    for check in (_agents, _notifier_failing):
        found = check(ev, checked)
        if found:
            return found
    if covers(ev.neutron_logs, ev.timed_out_at):
        checked.append("neutron-server's log covers the wait and has no network-vif-plugged for the port: "
                       "the port never went ACTIVE (read the L2 agent's log)")  # fmt: skip
    return "unknown", checked


def concurrent_pids(host_logs: pd.DataFrame) -> bool:
    """Two nova-compute pids logging at the same time on one host (a restart gives disjoint spans)."""
    if host_logs.empty or host_logs["pid"].nunique() < 2:
        return False
    spans = host_logs.groupby("pid")["time"].agg(["min", "max"]).sort_values("min")
    return bool((spans["min"].shift(-1) < spans["max"]).iloc[:-1].any())


def diagnose(failed: pd.DataFrame, unwired: pd.DataFrame, hosts: dict[str, str], timeouts: pd.DataFrame,
             agents: pd.DataFrame, logs: pd.DataFrame, duplicates: dict[str, list[int]] | None = None,
             neutron_logs: pd.DataFrame | None = None, ports: pd.DataFrame | None = None,
             dhcp_hosting: list[dict] | None = None) -> pd.DataFrame:  # fmt: skip
    """One row per failed build or unwired server: the cause, and what was checked to get there."""
    neutron_logs = pd.DataFrame(columns=logs.columns) if neutron_logs is None else neutron_logs
    notifier = notifier_events(neutron_logs)
    port_networks = (
        {} if ports is None or ports.empty else dict(zip(ports["port_id"], ports["network_id"], strict=True))
    )
    hosting = {h["network_id"]: h.get("agents", []) for h in dhcp_hosting or []}
    rows = []
    cases = [(r, "build aborted") for r in failed.itertuples()]
    cases += [(r, "ACTIVE without wiring") for r in unwired.itertuples()]
    for r, outcome in cases:
        host = hosts.get(r.server_id) or getattr(r, "host", None)
        mine = timeouts[timeouts["instance"] == r.server_id]
        ports_of = sorted({p for ps in mine["ports"] for p in ps})
        fault = getattr(r, "fault", "") or ""  # unwired servers have no fault
        binding = _BINDING.search(fault)
        if binding:
            ports_of = [binding.group("port")]
        if not ports_of and not logs.empty:  # no timeout: Neutron may have reported the port failed at once
            reported = logs[(logs["instance"] == r.server_id)
                            & logs["message"].str.contains("Neutron Reported failure on event", regex=False)]  # fmt: skip
            ports_of = sorted(
                {p for m in reported["message"] for p in _UUID.findall(m.split(" for instance")[0])}
            )
        timeout = mine.iloc[0] if not mine.empty else None
        cause, evidence = _cause(Evidence(host, fault, ports_of, r.server_id, timeout, agents, logs, notifier,
                                          neutron_logs, duplicates or {}, port_networks, hosting))  # fmt: skip
        if timeout is not None:
            evidence.insert(
                0, f"{timeout['form']} timeout line on {timeout['host']}: {timeout['message'][:300]}"
            )
        dhcp = agents[(agents["agent_type"] == DHCP_AGENT) & ~working(agents)] if not agents.empty else agents
        explanation, fix = CAUSES[cause]
        fix = fix.format(host=host or "<host>", agent_hosts=", ".join(sorted(set(dhcp["host"]))) or "<host>")
        rows.append({"server_id": r.server_id, "server": r.server, "outcome": outcome, "host": host, "ports": ports_of,
                     "cause": cause, "explanation": explanation, "fix": fix, "evidence": evidence,
                     "timed_out_at": timeout["time"] if timeout is not None else pd.NaT})  # fmt: skip
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
    notifier: pd.DataFrame = dataclasses.field(default_factory=lambda: notifier_events(pd.DataFrame()))

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
        """The order of events for one server: its nova-compute log records, what neutron-server's
        notifier sent for it, its ports' last update, the host's agents' heartbeats, the fault."""
        columns = ["time", "source", "what"]
        if not server_id:
            return pd.DataFrame(columns=columns)
        rows = []
        if not self.logs.empty:
            for r in self.logs[self.logs["instance"] == server_id].itertuples():
                rows.append({"time": r.time, "source": f"nova-compute {r.source} ({r.level})",
                             "what": r.message.split("\n")[0][:110]})  # fmt: skip
        for r in self.notifier[self.notifier["server_id"] == server_id].itertuples():
            rows.append({"time": r.time, "source": "neutron-server notifier",
                         "what": f"{r.event} port {str(r.port)[:8]}: {r.outcome} (code {r.code})"})  # fmt: skip
        row = self.diagnosis[self.diagnosis["server_id"] == server_id].iloc[0]
        for p in self.ports[self.ports["port_id"].isin(row["ports"])].itertuples():
            rows.append({"time": p.updated_at, "source": "neutron port",
                         "what": f"port {p.port_id[:8]} last update: {p.status}, {p.vif_type}"})  # fmt: skip
        failed = self.failed[self.failed["server_id"] == server_id]
        if not failed.empty:
            rows.append({"time": failed.iloc[0]["fault_at"], "source": "nova fault",
                         "what": failed.iloc[0]["fault"][:110]})  # fmt: skip
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
        mine = self.agents[((self.agents["host"] == host) & self.agents["agent_type"].isin(L2_AGENT_TYPES))
                           | (self.agents["agent_type"] == DHCP_AGENT)]  # fmt: skip
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
                rows.append(
                    {"time": start, "source": "neutron agent", "what": f"{what} {beat} (off the chart)"}
                )
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


NEUTRON_LOG_PART = "logs/neutron-server"


def analyse_vif_plugging(
    snapshot: Any, extra_logs: list[dict[str, Any]] | None = None
) -> VifPluggingAnalysis:
    """Failed builds, unwired servers, timeouts, ports, agents, neutron-server's notifier lines and (when
    read) the hosts' own processes and options from one snapshot, with a cause for each failure."""
    from runbook_lib.nova_host_facts import check_host_facts, tabulate_host_facts

    records = snapshot.get("logs/nova-compute") + snapshot.get(NEUTRON_LOG_PART) + list(extra_logs or [])
    logs = tabulate_logs(records, "nova-compute")
    neutron_logs = tabulate_logs(records, "neutron-server")
    failed = find_failed_builds(snapshot.get("openstack/servers"))
    timeouts = find_timeouts(logs)
    ports = tabulate_ports(snapshot.get("openstack/ports"))
    agents = tabulate_agents(snapshot.get("openstack/network_agents"))
    unwired = find_unwired_servers(snapshot.get("openstack/servers"), ports, timeouts)
    facts = tabulate_host_facts(snapshot.get(HOST_FACTS_PART))
    duplicates = (
        {} if facts.empty else {r.host: r.nova_compute_pids for r in facts.itertuples() if r.duplicate}
    )
    hosts = build_hosts(snapshot.get("openstack/instance_actions"))
    diagnosis = diagnose(failed, unwired, hosts, timeouts, agents, logs, duplicates, neutron_logs, ports,
                         snapshot.get("openstack/dhcp_hosting"))  # fmt: skip
    problems = snapshot.problems_for(PARTS) | {p: m for p, m in snapshot.problems.items() if p in EXTRA_PARTS}
    findings = check_vif_plugging(diagnosis, problems) + check_host_facts(facts)
    return VifPluggingAnalysis(failed, unwired, timeouts, ports, agents, logs, diagnosis, findings, facts,
                               notifier_events(neutron_logs))  # fmt: skip
