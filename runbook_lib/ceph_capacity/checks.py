"""The capacity findings: OSDs past a ratio, health checks, ratios out of order, the balancer's state."""

from __future__ import annotations

import re

import pandas as pd

from runbook_lib.ceph_capacity.tables import FAILSAFE_FULL, RATIO_TOLERANCE, RUNBOOK, _size, ratios_in_order
from runbook_lib.findings import Finding, collection_findings
from runbook_lib.records import Record

# Health checks the per-OSD findings already say (from the same ratios); the rest become findings.
_OSD_CHECKS = {"OSD_NEARFULL", "OSD_BACKFILLFULL", "OSD_FULL"}


_SEVERITY = {"HEALTH_ERR": "crit", "HEALTH_WARN": "warn"}


_BLOCKS_WRITES = {"POOL_FULL", "OSD_OUT_OF_ORDER_FULL"}  # crit whatever severity a release gives them


def check_capacity(
    osds: pd.DataFrame,
    health: pd.DataFrame,
    ratios: dict[str, float],
    gather: Record,
    problems: dict[str, str] | None = None,
    unread: list[Finding] | None = None,
) -> list[Finding]:
    """Per OSD past a ratio, health checks the OSD findings do not already say, ratios out of order, an
    average past nearfull (reweighting cannot help), a cluster that changed while it was read; after the parts
    not collected and ``unread`` (what could not be read in them: no "capacity-ok" beside it)."""
    findings = collection_findings(RUNBOOK, problems or {}) + list(unread or [])
    if not ratios_in_order(ratios):
        findings.append(
            Finding(
                RUNBOOK,
                "ratios-out-of-order",
                "crit",
                "OSDMap full ratios",
                f"nearfull {ratios['nearfull']} < backfillfull {ratios['backfillfull']} < full "
                f"{ratios['full']} < failsafe {FAILSAFE_FULL} does not hold (OSD_OUT_OF_ORDER_FULL)",
                "set them in order: ceph osd set-nearfull-ratio / set-backfillfull-ratio / set-full-ratio",
            )
        )
    state_severity = {"full": "crit", "backfillfull": "crit", "nearfull": "warn"}
    next_line = {"nearfull": "backfillfull", "backfillfull": "full", "full": "full"}
    for row in osds[osds["state"].isin(state_severity)].sort_values("utilization", ascending=False).itertuples():
        limit = ratios[next_line[row.state]]
        effect = {
            "nearfull": "a warning for now; backfill onto it stops at backfillfull",
            "backfillfull": "PGs cannot backfill onto it (backfill_toofull)",
            "full": "every pool mapped to it stops accepting writes; guests hang on I/O",
        }[row.state]
        findings.append(
            Finding(
                RUNBOOK,
                f"osd-{row.state}",
                state_severity[row.state],
                f"{row.name} ({row.host})",
                f"{row.name} is {row.utilization:.1%} full, past {row.state} {ratios[row.state]:.0%}"
                + (
                    f", {_size((limit - row.utilization) * row.kb)} before {next_line[row.state]}"
                    if row.state != "full"
                    else ""
                )
                + f": {effect}",
                "reclaim space first (deletions move no data), then reweight it down in small steps (the plan below)",
                {"utilization": round(row.utilization, 4), "pgs": int(row.pgs)},
            )
        )
    findings += check_named_osds(osds, health)
    for check in health[~health["code"].isin(_OSD_CHECKS)].itertuples():
        severity = "crit" if check.code in _BLOCKS_WRITES else _SEVERITY.get(check.severity, "info")
        findings.append(
            Finding(
                RUNBOOK,
                f"health-{check.code}",
                severity,
                f"health check {check.code}",
                f"{check.summary}: {check.detail}"[:400],
                "see the tables below; pool checks follow the OSDs their rule maps to",
            )
        )
    live = osds[osds["kb"] > 0]
    if not live.empty:
        average = live["kb_used"].sum() / live["kb"].sum()
        if average >= ratios["nearfull"] - RATIO_TOLERANCE:
            findings.append(
                Finding(
                    RUNBOOK,
                    "cluster-too-full",
                    "crit",
                    "cluster",
                    f"the average OSD is {average:.1%} full, at or past nearfull {ratios['nearfull']:.0%}: "
                    "moving data cannot bring every OSD below it",
                    "reclaim space or add OSDs; reweighting only shifts the problem",
                )
            )
    if gather and gather.get("epoch_before") != gather.get("epoch_after"):
        findings.append(
            Finding(
                RUNBOOK,
                "cluster-changed-during-gather",
                "warn",
                "osdmap",
                f"the osdmap went from epoch {gather['epoch_before']} to {gather['epoch_after']} while "
                "the data was read: outputs may disagree",
                "run again when the cluster is quiet",
            )
        )
    if not findings and not osds.empty:
        fullest = osds.loc[osds["utilization"].idxmax()]
        findings.append(
            Finding(
                RUNBOOK,
                "capacity-ok",
                "ok",
                "cluster",
                f"every OSD is below nearfull {ratios['nearfull']:.0%} (fullest: {fullest['name']} at "
                f"{fullest['utilization']:.1%})",
                "",
            )
        )
    return findings


_NAMED_OSD = re.compile(r"\b(osd\.\d+)\b")
_CHECK_SEVERITY = {"OSD_FULL": "crit", "OSD_BACKFILLFULL": "crit", "OSD_NEARFULL": "warn"}


_AT_LEAST = {
    "OSD_NEARFULL": {"nearfull", "backfillfull", "full"},
    "OSD_BACKFILLFULL": {"backfillfull", "full"},
    "OSD_FULL": {"full"},
}


def check_named_osds(osds: pd.DataFrame, health: pd.DataFrame) -> list[Finding]:
    """An OSD that a full/nearfull health check names always reaches a finding. Usually the per-OSD finding
    says it already; when ``osd df`` has no usable row for it, or the ratios read here put it below what the
    check says (ratios not in the OSDMap before Luminous), the health check's own words are the finding."""
    usable = osds[osds["utilization"].notna() & (osds["kb"] > 0)] if not osds.empty else osds
    states = dict(zip(usable["name"], usable["state"], strict=True)) if not usable.empty else {}
    findings = []
    for check in health[health["code"].isin(_OSD_CHECKS)].itertuples():
        for line in str(check.detail).split("; "):
            for name in _NAMED_OSD.findall(line):
                if states.get(name) in _AT_LEAST[check.code]:
                    continue
                why = (
                    f"osd df has no usable row for {name}, so its fill is known only from the health check"
                    if name not in states
                    else f"by the ratios read here {name} is {states[name]}: the ratios in force are not those"
                )
                findings.append(
                    Finding(
                        RUNBOOK,
                        f"health-{check.code}",
                        _CHECK_SEVERITY[check.code],
                        name,
                        f"Ceph's health check {check.code} says: {line}; {why}",
                        f"ceph osd df tree | grep -w {name}; ceph osd find {name.split('.')[1]}",
                        {"check": check.code},
                    )
                )
    return findings


def check_balancer(balancer: Record, osd_dump: Record) -> list[Finding]:
    """How a reweight plan meets the mgr balancer: in upmap mode it balances PG counts (not bytes) with
    pg_upmap_items, and override weights below 1.0 work against it."""
    upmaps = len(osd_dump.get("pg_upmap_items") or [])
    lowered = [o["osd"] for o in osd_dump.get("osds", []) if 0 < float(o.get("weight", 1)) < 1 - RATIO_TOLERANCE]
    if balancer.get("active"):
        return [
            Finding(
                RUNBOOK,
                "balancer-active",
                "info",
                f"mgr balancer ({balancer.get('mode', '?')})",
                f"the balancer is on in {balancer.get('mode')} mode with {upmaps} pg_upmap_items entries"
                + (f"; override weights below 1.0 on osd {', '.join(map(str, lowered))}" if lowered else "")
                + ": it evens out PG counts, not bytes, and it fights override reweights",
                "prefer the balancer (ceph balancer eval / optimize); if you reweight, turn it off meanwhile "
                "(ceph balancer off) and set the weights back to 1.0 before turning it on again",
            )
        ]
    if upmaps:
        return [
            Finding(
                RUNBOOK,
                "upmap-entries",
                "info",
                "pg_upmap_items",
                f"{upmaps} pg_upmap_items entries pin PGs while the balancer is off: a reweight moves only the rest",
                "ceph osd dump | grep pg_upmap_items; remove stale ones with ceph osd rm-pg-upmap-items <pgid>",
            )
        ]
    return []
