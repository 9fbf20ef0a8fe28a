"""One row per failed build or unwired server: the evidence around it gathered, its cause (the first check in
:mod:`runbook_lib.vif_plugging.causes` that concludes), and the findings."""

from __future__ import annotations

import pandas as pd

from runbook_lib.findings import Finding, collection_findings, server_subject
from runbook_lib.vif_plugging.causes import CAUSES, Evidence, _cause
from runbook_lib.vif_plugging.evidence import (
    DHCP_AGENT,
    RUNBOOK,
    UUID_PATTERN,
    working,
)
from runbook_lib.vif_plugging.neutron_events import notifier_events


def diagnose(
    failed: pd.DataFrame,
    unwired: pd.DataFrame,
    hosts: dict[str, str],
    timeouts: pd.DataFrame,
    agents: pd.DataFrame,
    logs: pd.DataFrame,
    duplicates: dict[str, list[int]] | None = None,
    neutron_logs: pd.DataFrame | None = None,
    ports: pd.DataFrame | None = None,
    dhcp_hosting: list[dict] | None = None,
    agents_source: str = "API",
) -> pd.DataFrame:
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
        port = getattr(r, "port", None)  # a binding failure names its port
        if isinstance(port, str):
            ports_of = [port]
        if not ports_of and not logs.empty:  # no timeout: Neutron may have reported the port failed at once
            reported = logs[
                (logs["instance"] == r.server_id)
                & logs["message"].str.contains("Neutron Reported failure on event", regex=False)
            ]
            ports_of = sorted(
                {p for m in reported["message"] for p in UUID_PATTERN.findall(m.split(" for instance")[0])}
            )
        if not ports_of and ports is not None and not ports.empty:  # a timeout line that names no event (≤ Pike)
            ports_of = sorted(ports.loc[ports["device_id"] == r.server_id, "port_id"].dropna())
        timeout = mine.iloc[0] if not mine.empty else None
        cause, evidence = _cause(
            Evidence(
                host,
                fault,
                ports_of,
                r.server_id,
                timeout,
                agents,
                logs,
                notifier,
                neutron_logs,
                duplicates or {},
                port_networks,
                hosting,
                agents_source=agents_source,
                fault_form=str(getattr(r, "fault_form", "") or ""),
            )
        )
        if timeout is not None:
            evidence.insert(0, f"{timeout['form']} timeout line on {timeout['host']}: {timeout['message'][:300]}")
        dhcp = agents[(agents["agent_type"] == DHCP_AGENT) & ~working(agents)] if not agents.empty else agents
        explanation, fix = CAUSES[cause]
        fix = fix.format(**fix_values(host, ports_of, str(getattr(r, "error", "") or ""), port_networks, hosting, dhcp))
        rows.append(
            {
                "server_id": r.server_id,
                "server": r.server,
                "outcome": outcome,
                "host": host,
                "ports": ports_of,
                "cause": cause,
                "explanation": explanation,
                "fix": fix,
                "evidence": evidence,
                "timed_out_at": timeout["time"] if timeout is not None else pd.NaT,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
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
        ],
    )


def fix_values(
    host: str | None,
    ports: list[str],
    error: str,
    port_networks: dict[str, str],
    hosting: dict[str, list[dict]],
    dead_dhcp: pd.DataFrame,
) -> dict[str, str]:
    """What a cause's fix names, filled in wherever it is known (a placeholder stays only where it is not):
    the host, the port, its network (or the one a 'No fixed IP' error names) and a dead DHCP agent on it."""
    named = UUID_PATTERN.search(error)  # 'No fixed IP addresses available for network: <id>'
    network = named.group(0) if named else next((port_networks[p] for p in ports if p in port_networks), "")
    dead = [a for a in hosting.get(network, []) if not (a.get("alive") and a.get("admin_state_up")) and a.get("id")]
    return {
        "host": host or "<host>",
        "agent_hosts": ", ".join(sorted(set(dead_dhcp["host"]))) or "<host>",
        "port": ports[0] if ports else "<port>",
        "network": network or "<network>",
        "agent": str(dead[0]["id"]) if dead else "<agent>",
    }


def check_vif_plugging(diagnosis: pd.DataFrame, problems: dict[str, str] | None = None) -> list[Finding]:
    findings = collection_findings(RUNBOOK, problems or {})
    for r in diagnosis.itertuples():
        hidden = r.outcome == "ACTIVE without wiring"
        severity = "warn" if hidden else "crit"
        message = (
            f"server {r.server} went ACTIVE on {r.host} although Nova timed out waiting for "
            "network-vif-plugged (vif_plugging_is_fatal=False hid it): "
            if hidden
            else f"build of server {r.server} on {r.host or 'an unknown host'} aborted: "
        )
        findings.append(
            Finding(
                RUNBOOK,
                f"vif-{r.cause}",
                severity,
                server_subject(r.server, r.server_id),
                message + r.explanation,
                r.fix,
                {"host": r.host, "ports": r.ports, "evidence": r.evidence},
            )
        )
    return findings


ABORTED = "Failed to allocate the network(s)"  # the build's abort, in the log and in the fault


def check_log_only(timeouts: pd.DataFrame, logs: pd.DataFrame) -> list[Finding]:
    """Without the API (a sosreport, a directory of logs), each 'Timeout waiting for' a nova-compute log holds
    is a finding of its own, citing the file: the build aborted (the log says so) or went on unwired."""
    findings = []
    for row in timeouts.itertuples():
        mine = logs[(logs["source"] == row.host) & (logs["instance"] == row.instance)]
        aborted = bool(mine["message"].str.contains(ABORTED, regex=False).any())
        ports = ", ".join(row.ports) or "its port"
        findings.append(
            Finding(
                RUNBOOK,
                "vif-timeout-in-log",
                "crit" if aborted else "warn",
                f"server {row.instance}",
                f"{row.host}'s nova-compute timed out at {row.time:%Y-%m-%d %H:%M:%S} waiting for "
                f"network-vif-plugged of {ports} and "
                + ("aborted the build" if aborted else "went on without it (vif_plugging_is_fatal=False): unwired")
                + f" (in {row.file or 'the log'}); without the API the port's and agents' state is not known",
                f"where the API answers: openstack port show {row.ports[0] if row.ports else '<port>'}; "
                f"openstack network agent list --host {row.host}; or run with --cloud for the cause",
                {"host": row.host, "file": row.file, "ports": list(row.ports), "pid": row.pid},
            )
        )
    return findings
