"""Why a build waited in vain: each check reads the evidence around one failed build and may conclude
(the diagnosis as data: :data:`CAUSES`, every cause with its explanation and its fix)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from runbook_lib.message_forms import first_match
from runbook_lib.vif_plugging.evidence import (
    DELIVERY_FAILURES,
    DHCP_AGENT,
    L2_AGENT_TYPES,
    NOTIFIER_FAILURES,
    working,
)
from runbook_lib.vif_plugging.neutron_events import covers
from runbook_lib.vif_plugging.nova_messages import BINDING_FAILED_FORM, NO_FIXED_IP_FORM, UNEXPECTED_FORMS

CAUSES = {
    "port-binding-failed": (
        "Neutron could not bind the port on this host (a different fault: PortBindingFailed)",
        "check the mechanism drivers and that the L2 agent's host equals nova's [DEFAULT] host; "
        "neutron-server logs 'Failed to bind port'",
    ),
    "no-fixed-ip": (
        "the network has no free fixed IP address left (Nova: 'Failed to allocate the network(s) with error …, "
        "not rescheduling'): a different fault from the vif-plugging wait",
        "openstack ip availability show {network}; extend the subnet's allocation pool or add a subnet, then "
        "rebuild the server",
    ),
    "port-error": (
        "Neutron set the port to ERROR (its agent could not wire it) and sent network-vif-plugged with "
        "status failed: Nova aborted the build at once ('Neutron Reported failure on event'), no timeout",
        "read the L2 agent's log on {host} for the port, and 'openstack port show {port}' (status ERROR); "
        "fix the wiring (bridge mappings, OVS, the physical network) before rebuilding",
    ),
    "l2-agent-missing": (
        "no L2 agent is registered for the host: ML2 bound the port but nothing wires it, so it "
        "stays DOWN and network-vif-plugged is never sent",
        "install/start the L2 agent (OVS / Linux bridge / OVN controller) on {host}; its [DEFAULT] "
        "host must equal nova's",
    ),
    "l2-agent-dead": (
        "the host's L2 agent is not alive (or administratively down): the port stays DOWN",
        "restart the L2 agent on {host} and check its log; 'openstack network agent list --host {host}'",
    ),
    "dhcp-agent-dead": (
        "the L2 agent is alive, but a DHCP agent is not: a port created with a device owner on a "
        "network that agent hosts keeps its DHCP provisioning block, so it stays DOWN and the event "
        "is never sent (ports Nova creates itself carry no owner at creation, and Neutron 29 gives "
        "them no DHCP block)",
        "restart the DHCP agent on {agent_hosts} (or take the dead agent off the network: "
        "'openstack network agent remove network --dhcp {agent} {network}')",
    ),
    "events-not-delivered": (
        "the port went ACTIVE but Neutron's notifier could not deliver network-vif-plugged "
        "(refused by Nova, or the notifier itself failing)",
        "check neutron.conf [nova] (auth_url, credentials, region_name, endpoint_type) and "
        "notify_nova_on_port_status_changes on the neutron-server hosts; then restart "
        "neutron-server",
    ),
    "duplicate-nova-compute": (
        "another nova-compute for the same host received the event ('Received unexpected "
        "event'): the process that builds the guest never sees it",
        "on {host}: pgrep -af nova-compute; stop the stray process (not parent/child)",
    ),
    "event-not-received": (
        "Neutron delivered network-vif-plugged and Nova's API accepted it before the timeout, "
        "but the building nova-compute never got it: most often a second nova-compute for the "
        "host consumed it from the compute.<host> queue",
        "read the host (host_facts) or on {host}: pgrep -af nova-compute; stop the stray process; "
        "check the RPC path (rabbitmqctl list_consumers for compute.{host})",
    ),
    "event-late": (
        "the event arrived, but after the timeout: the agent is alive but too slow",
        "find why the agent is slow (rootwrap daemon mode, RPC backlog); raise vif_plugging_timeout only "
        "with that reason",
    ),
    "unknown": (
        "nothing checked explains it",
        "read neutron-server's notifier lines and the L2 agent's log on {host}",
    ),
}


@dataclasses.dataclass
class Evidence:
    """What is known around one failed build; each check reads it and may conclude."""

    host: str | None
    fault: str
    ports: list[str]
    server_id: str
    timeout: pd.Series | None  # the matching 'Timeout waiting for' row
    agents: pd.DataFrame
    logs: pd.DataFrame  # nova-compute
    notifier: pd.DataFrame  # neutron-server's notifier events
    neutron_logs: pd.DataFrame
    duplicates: dict[str, list[int]]
    port_networks: dict[str, str] = dataclasses.field(default_factory=dict)  # port → network (ports that exist)
    dhcp_hosting: dict[str, list[dict]] = dataclasses.field(default_factory=dict)  # network → its DHCP agents
    fault_form: str = ""  # the meaning of the fault's form (nova_messages.BUILD_FAULT_FORMS)
    # where ``agents`` comes from: "API" (every registered agent), "neutron-server log" (only the agents its
    # health check found dead), or "" (no agent list was read)
    agents_source: str = "API"

    @property
    def timed_out_at(self) -> pd.Timestamp:
        return self.timeout["time"] if self.timeout is not None else pd.NaT


def _port_error(ev: Evidence, checked: list[str]) -> tuple[str, list[str]] | None:
    """Neutron reported the port failed: nova's 'Neutron Reported failure on event' line. (neutron-server's
    notifier line cannot tell: it logs Nova's answer, whose status reads 'completed' for a failed event too.)"""
    if ev.logs.empty:
        return None
    lines = ev.logs[
        (ev.logs["instance"] == ev.server_id)
        & ev.logs["message"].str.contains("Neutron Reported failure on event", regex=False)
    ]
    if lines.empty:
        return None
    first = lines.iloc[0]
    return "port-error", [
        *checked,
        f"{ev.host} pid {first['pid']} at {first['time']}: {first['message'].split(chr(10))[0][:200]}",
    ]


def _delivery(ev: Evidence, checked: list[str]) -> tuple[str, list[str]] | None:
    """What neutron-server's notifier did with this server's network-vif-plugged."""
    if ev.notifier.empty:
        return None
    mine = ev.notifier[(ev.notifier["server_id"] == ev.server_id) & (ev.notifier["event"] == "network-vif-plugged")]
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
    for r in host_logs[host_logs["message"].str.contains("Received unexpected event", regex=False)].itertuples():
        found = first_match(UNEXPECTED_FORMS, r.message)
        if not found or found[1].group("port") not in ev.ports:
            continue
        match = found[1]
        said = f"{ev.host} pid {r.pid} at {r.time}: {r.message.split(chr(10))[0][:140]}"
        if match.groupdict().get("vm") == "building" or (waiter is not None and r.pid != waiter):
            return "duplicate-nova-compute", [*checked, said, f"the waiting process was pid {waiter}"]
        return "event-late", [*checked, said]
    if concurrent_pids(host_logs):
        return "duplicate-nova-compute", [*checked, f"{ev.host}: two nova-compute pids log at the same time"]
    return None


def _agents(ev: Evidence, checked: list[str]) -> tuple[str, list[str]] | None:
    agents = ev.agents
    l2 = agents[(agents["host"] == ev.host) & agents["agent_type"].isin(L2_AGENT_TYPES)] if not agents.empty else agents
    if l2.empty and ev.agents_source != "API":
        # a partial list (or none) cannot show that an agent is missing
        checked.append(
            f"no dead L2 agent on {ev.host} in neutron-server's health checks (the API's agent list was not read)"
            if ev.agents_source
            else "no agent list was read (neither the API's nor neutron-server's health-check lines)"
        )
        return _dhcp_agents(ev, checked)
    if l2.empty:
        return "l2-agent-missing", [
            *checked,
            f"no L2 agent registered for host {ev.host} ({len(agents)} agents in all)",
        ]
    if not working(l2).any():
        seen = f" ({l2['seen_in'].iloc[0]})" if "seen_in" in l2 and ev.agents_source != "API" else ""
        return "l2-agent-dead", [
            *checked,
            f"L2 agent on {ev.host}: alive={l2['alive'].tolist()}, "
            f"admin_state_up={l2['admin_state_up'].tolist()}, "
            f"last heartbeat {l2['heartbeat_timestamp'].max()}{seen}",
        ]
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
            return "dhcp-agent-dead", [
                *checked,
                "DHCP agents hosting the port's network, not alive: "
                + ", ".join(f"{a['host']} (network {n[:8]})" for n, a in dead),
            ]
        checked.append(f"the {len(hosting)} DHCP agent(s) hosting the port's network are alive")
        return None
    dhcp = ev.agents[ev.agents["agent_type"] == DHCP_AGENT] if not ev.agents.empty else ev.agents
    dead = dhcp[~working(dhcp)] if not dhcp.empty else dhcp
    if not dead.empty:
        return "dhcp-agent-dead", [
            *checked,
            "DHCP agents not alive: "
            + ", ".join(f"{r.host} (last heartbeat {r.heartbeat_timestamp})" for r in dead.itertuples())
            + " (which network the port was on is not known: the port is gone or its DHCP agents were not read)",
        ]
    checked.append(f"DHCP agents alive ({len(dhcp)})")
    return None


def _notifier_failing(ev: Evidence, checked: list[str]) -> tuple[str, list[str]] | None:
    if ev.notifier.empty:
        return None
    # The notifier itself failing (no event named): a 404 or 422 for another server's event says nothing of
    # this one (a network-vif-deleted for a server already deleted is routine); this server's own events are
    # read by _delivery.
    failures = ev.notifier[ev.notifier["outcome"].isin(NOTIFIER_FAILURES)]
    if not pd.isna(ev.timed_out_at):  # failures during this build's wait (timeout up to an hour)
        failures = failures[
            (failures["time"] <= ev.timed_out_at) & (failures["time"] >= ev.timed_out_at - pd.Timedelta(hours=1))
        ]
    if failures.empty:
        return None
    first = failures.iloc[0]
    return "events-not-delivered", [
        *checked,
        f"neutron-server's notifier failing: {len(failures)} line(s), "
        f"first at {first['time']}: {first['message'][:140]}",
    ]


def _cause(ev: Evidence) -> tuple[str, list[str]]:
    """The first check that concludes: direct evidence (host, notifier, nova log) before agent states."""
    if ev.fault_form == BINDING_FAILED_FORM.message:
        return "port-binding-failed", [f"fault: {ev.fault[:200]}", f"port {', '.join(ev.ports) or 'not named'}"]
    if ev.fault_form == NO_FIXED_IP_FORM.message:
        return "no-fixed-ip", [f"fault: {ev.fault[:240]}"]
    if not ev.host:
        return "unknown", ["no build event with a host (admin and microversion ≥ 2.62 needed)"]
    if ev.duplicates.get(ev.host):
        pids = ", ".join(map(str, ev.duplicates[ev.host]))
        return "duplicate-nova-compute", [
            f"{ev.host} runs {len(ev.duplicates[ev.host])} separate nova-compute "
            f"processes (pids {pids}), read on the host"
        ]
    checked: list[str] = []
    for check in (_port_error, _duplicate_in_log, _delivery):  # another process took the event: the most specific
        found = check(ev, checked)
        if found:
            return found
    checked.append("no sign of a duplicate nova-compute in the log")
    for check in (_agents, _notifier_failing):
        found = check(ev, checked)
        if found:
            return found
    if covers(ev.neutron_logs, ev.timed_out_at):
        checked.append(
            "neutron-server's log covers the wait and has no network-vif-plugged for the port: "
            "the port never went ACTIVE (read the L2 agent's log)"
        )
    return "unknown", checked


def concurrent_pids(host_logs: pd.DataFrame) -> bool:
    """Two nova-compute pids logging at the same time on one host (a restart gives disjoint spans)."""
    if host_logs.empty or host_logs["pid"].nunique() < 2:
        return False
    spans = host_logs.groupby("pid")["time"].agg(["min", "max"]).sort_values("min")
    return bool((spans["min"].shift(-1) < spans["max"]).iloc[:-1].any())
