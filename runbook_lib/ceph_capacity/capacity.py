"""Ceph OSDs nearfull / full: fill per OSD, host, device class and pool against the thresholds the
OSDMap holds, and the findings (pure functions over the parts :mod:`runbook_lib.sources.ceph` gathers).

Units differ between Ceph's outputs: ratios in ``osd dump`` are 0..1 float32 (0.7 prints as
0.699999988), ``osd df`` utilization is a percentage, ``df`` percent_used a 0..1 fraction. Everything
here is a 0..1 fraction, compared with RATIO_TOLERANCE.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from runbook_lib.findings import Finding, collection_findings
from runbook_lib.records import Record
from runbook_lib.snapshot import Snapshot

RUNBOOK = "ceph_capacity"
CEPH_PARTS = (
    "ceph/osd_dump",
    "ceph/osd_df_tree",
    "ceph/df_detail",
    "ceph/health_detail",
    "ceph/status",
    "ceph/gather",
)
# The reclaim ledger's OpenStack inventory (collected when the runbook is given a cloud).
INVENTORY_PARTS = {
    "volumes": "openstack/volumes",
    "snapshots": "openstack/volume_snapshots",
    "images": "openstack/images",
    "servers": "openstack/servers",
}
PARTS = CEPH_PARTS + tuple(INVENTORY_PARTS.values())
RATIO_TOLERANCE = 1e-6
FAILSAFE_FULL = 0.97  # osd_failsafe_full_ratio: the OSD itself drops writes past it
STATES = ("ok", "nearfull", "backfillfull", "full")
# Health checks the per-OSD findings already say (from the same ratios); the rest become findings.
_OSD_CHECKS = {"OSD_NEARFULL", "OSD_BACKFILLFULL", "OSD_FULL"}
_SEVERITY = {"HEALTH_ERR": "crit", "HEALTH_WARN": "warn"}
_BLOCKS_WRITES = {"POOL_FULL", "OSD_OUT_OF_ORDER_FULL"}  # crit whatever severity a release gives them


def one(snapshot: Snapshot, part: str) -> Record:
    """The single record of a Ceph part (each part holds one command's output)."""
    records = snapshot.get(part)
    return records[0] if records else {}


def _size(kib: float) -> str:
    return f"{kib / 1024**2:.1f} GiB" if kib >= 1024**2 else f"{kib / 1024:.0f} MiB"


def thresholds(osd_dump: Record) -> dict[str, float]:
    """The ratios in force: read from the OSDMap, never from config (mon_osd_*_ratio act only at mkfs)."""
    return {name: round(float(osd_dump[f"{name}_ratio"]), 6) for name in ("nearfull", "backfillfull", "full")}


def ratios_in_order(ratios: dict[str, float]) -> bool:
    return ratios["nearfull"] < ratios["backfillfull"] < ratios["full"] < FAILSAFE_FULL


def osd_state(utilization: float, ratios: dict[str, float]) -> str:
    if pd.isna(utilization):
        return "out"
    for state in ("full", "backfillfull", "nearfull"):
        if utilization >= ratios[state] - RATIO_TOLERANCE:
            return state
    return "ok"


def tabulate_osds(osd_df_tree: Record, osd_dump: Record) -> pd.DataFrame:
    """One row per OSD: its host (parent bucket), class, weights, space (KiB) and fill (fraction)."""
    nodes = osd_df_tree.get("nodes", [])
    parent = {child: n["name"] for n in nodes if n.get("type") == "host" for child in n.get("children", [])}
    state = {o["osd"]: o for o in osd_dump.get("osds", [])}
    rows = []
    for node in nodes:
        if node.get("type") != "osd":
            continue
        kb = node.get("kb") or 0
        used = node.get("kb_used") or 0
        movable = (node.get("kb_used_data") or 0) + (node.get("kb_used_omap") or 0)
        dump = state.get(node["id"], {})
        rows.append(
            {
                "osd": node["id"],
                "name": node["name"],
                "host": parent.get(node["id"], ""),
                "device_class": node.get("device_class", ""),
                "crush_weight": node.get("crush_weight", 0.0),
                "reweight": node.get("reweight", 0.0),
                "kb": kb,
                "kb_used": used,
                "kb_movable": movable,
                "kb_avail": node.get("kb_avail") or 0,
                "utilization": used / kb if kb else float("nan"),
                "pgs": node.get("pgs", 0),
                "up": bool(dump.get("up", node.get("status", "up") == "up")),
                "in": bool(dump.get("in", kb > 0)),
            }
        )
    columns = [
        "osd",
        "name",
        "host",
        "device_class",
        "crush_weight",
        "reweight",
        "kb",
        "kb_used",
        "kb_movable",
        "kb_avail",
        "utilization",
        "pgs",
        "up",
        "in",
    ]
    floats = {c: float for c in ("crush_weight", "reweight", "kb", "kb_used", "kb_movable", "kb_avail", "utilization")}
    return pd.DataFrame(rows, columns=columns).astype(floats)


def with_states(osds: pd.DataFrame, ratios: dict[str, float]) -> pd.DataFrame:
    return osds.assign(state=[osd_state(u, ratios) for u in osds["utilization"]])


def summarise_by(osds: pd.DataFrame, key: str) -> pd.DataFrame:
    """Fill per host or per device class: sums of space, the fullest OSD."""
    live = osds[osds["kb"] > 0]
    grouped = live.groupby(key).agg(
        osds=("osd", "count"),
        kb=("kb", "sum"),
        kb_used=("kb_used", "sum"),
        fullest=("utilization", "max"),
        pgs=("pgs", "sum"),
    )
    return grouped.assign(utilization=grouped["kb_used"] / grouped["kb"]).reset_index()


def tabulate_pools(df_detail: Record, osd_dump: Record) -> pd.DataFrame:
    """Per pool: replication, what is stored, raw use, and ``max_avail`` — what users can still write
    (Ceph already limits it by the fullest OSD of the pool's rule and the full ratio)."""
    meta = {p["pool"]: p for p in osd_dump.get("pools", [])}
    rows = []
    for pool in df_detail.get("pools", []):
        stats, info = pool.get("stats", {}), meta.get(pool["id"], {})
        rows.append(
            {
                "pool": pool["name"],
                "id": pool["id"],
                "type": "erasure" if info.get("type") == 3 else "replicated",
                "size": info.get("size"),
                "pg_num": info.get("pg_num"),
                "stored": stats.get("stored", 0),
                "bytes_used": stats.get("bytes_used", 0),
                "percent_used": stats.get("percent_used", 0.0),
                "max_avail": stats.get("max_avail", 0),
                "objects": stats.get("objects", 0),
                "flags": info.get("flags_names", ""),
                "application": ",".join(info.get("application_metadata", {})),
            }
        )
    return pd.DataFrame(rows)


def tabulate_health(health_detail: Record) -> pd.DataFrame:
    """Active health checks; ``summary.count`` and ``muted`` are optional (they came with Octopus)."""
    rows = []
    for code, check in (health_detail.get("checks") or {}).items():
        rows.append(
            {
                "code": code,
                "severity": check.get("severity", ""),
                "summary": (check.get("summary") or {}).get("message", ""),
                "detail": "; ".join(d.get("message", "") for d in check.get("detail") or []),
                "muted": bool(check.get("muted", False)),
            }
        )
    return pd.DataFrame(rows, columns=["code", "severity", "summary", "detail", "muted"])


def check_capacity(
    osds: pd.DataFrame,
    health: pd.DataFrame,
    ratios: dict[str, float],
    gather: Record,
    problems: dict[str, str] | None = None,
) -> list[Finding]:
    """Per OSD past a ratio, health checks the OSD findings do not already say, ratios out of order, an
    average past nearfull (reweighting cannot help), a cluster that changed while it was read."""
    findings = collection_findings(RUNBOOK, problems or {})
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


@dataclasses.dataclass
class CephCapacityAnalysis:
    ratios: dict[str, float]
    osds: pd.DataFrame
    pools: pd.DataFrame
    health: pd.DataFrame
    findings: list[Finding]
    gather: Record
    test_reweight: Record = dataclasses.field(default_factory=dict)  # Ceph's own proposal, if asked
    ledger: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)

    @property
    def ledger_table(self) -> pd.DataFrame:
        if self.ledger.empty:
            return self.ledger
        order = {c: i for i, c in enumerate(("orphan", "unused", "in-trash", "blocked", "unknown", "in-use"))}
        table = self.ledger.sort_values(
            ["category", "raw_bytes"], key=lambda c: c.map(order) if c.name == "category" else -c
        )
        return table.assign(used_mib=table["used_bytes"] / 1024**2, raw_mib=table["raw_bytes"] / 1024**2)[
            [
                "pool",
                "image",
                "kind",
                "category",
                "owner",
                "used_mib",
                "raw_mib",
                "why",
                "snapshot_notes",
                "command",
            ]
        ]

    @property
    def reclaim_summary(self) -> pd.DataFrame:
        from runbook_lib.ceph_capacity.reclaim import reclaim_summary

        return reclaim_summary(self.ledger)

    @property
    def hosts(self) -> pd.DataFrame:
        return summarise_by(self.osds, "host")

    @property
    def device_classes(self) -> pd.DataFrame:
        return summarise_by(self.osds, "device_class")

    @property
    def osd_table(self) -> pd.DataFrame:
        table = self.osds.sort_values("utilization", ascending=False)
        return table.assign(size_gib=table["kb"] / 1024**2, used_gib=table["kb_used"] / 1024**2)[
            [
                "name",
                "host",
                "device_class",
                "state",
                "utilization",
                "size_gib",
                "used_gib",
                "pgs",
                "reweight",
                "crush_weight",
                "up",
                "in",
            ]
        ]

    @property
    def pool_table(self) -> pd.DataFrame:
        gib = 1024**3
        if self.pools.empty:
            return self.pools
        return self.pools.assign(
            stored_gib=self.pools["stored"] / gib,
            used_gib=self.pools["bytes_used"] / gib,
            max_avail_gib=self.pools["max_avail"] / gib,
        )[
            [
                "pool",
                "type",
                "size",
                "pg_num",
                "objects",
                "stored_gib",
                "used_gib",
                "percent_used",
                "max_avail_gib",
                "flags",
                "application",
            ]
        ]

    @property
    def summary(self) -> str:
        if not self.ratios:
            return "no Ceph data: " + "; ".join(f.message for f in self.findings)[:300]
        live = self.osds[self.osds["kb"] > 0]
        counts = self.osds["state"].value_counts()
        average = live["kb_used"].sum() / live["kb"].sum() if not live.empty else float("nan")
        return (
            f"{len(self.osds)} OSD(s), average {average:.1%} full, fullest {live['utilization'].max():.1%}; "
            f"{counts.get('nearfull', 0)} nearfull, {counts.get('backfillfull', 0)} backfillfull, "
            f"{counts.get('full', 0)} full (ratios {self.ratios['nearfull']:g} / {self.ratios['backfillfull']:g} / "
            f"{self.ratios['full']:g} from the OSDMap)"
        )


def build_ledger(snapshot: Snapshot, osd_dump: Record, unused_days: float) -> pd.DataFrame:
    """The RBD images of the collected pools joined with whatever OpenStack inventory the snapshot has."""
    from runbook_lib.ceph_capacity.reclaim import Inventory, ledger, tabulate_rbd

    rbd = [r for r in snapshot.get("ceph/rbd") if not r.get("error")]
    if not rbd:
        return pd.DataFrame()
    known = frozenset(
        k for k, part in INVENTORY_PARTS.items() if part in snapshot.parts and part not in snapshot.problems
    )
    inventory = Inventory(
        volumes=snapshot.get(INVENTORY_PARTS["volumes"]),
        snapshots=snapshot.get(INVENTORY_PARTS["snapshots"]),
        images=snapshot.get(INVENTORY_PARTS["images"]),
        servers=snapshot.get(INVENTORY_PARTS["servers"]),
        known=known,
    )
    replication = {p["pool_name"]: float(p.get("size") or 1) for p in osd_dump.get("pools", [])}
    now = pd.Timestamp(snapshot.manifest.get("collected_at") or pd.Timestamp.now(tz="UTC"))
    now = now if now.tzinfo else now.tz_localize("UTC")
    watchers = {w["image"]: w["watchers"] for w in snapshot.get("ceph/rbd_watchers") if not w.get("error")}
    return ledger(tabulate_rbd(rbd), inventory, now, unused_days, replication, watchers)


def analyse_ceph_capacity(snapshot: Snapshot, unused_days: float = 30.0) -> CephCapacityAnalysis:
    """Fill per OSD / host / class / pool against the OSDMap's ratios, health checks, the reclaim ledger
    (RBD images × OpenStack inventory) and the findings."""
    osd_dump = one(snapshot, "ceph/osd_dump")
    if not osd_dump:
        failed = snapshot.problems_for(CEPH_PARTS)
        if not any(part in snapshot.problems for part in CEPH_PARTS):
            from runbook_lib.errors import SnapshotError

            raise SnapshotError(
                f"snapshot {snapshot.label} holds no Ceph data: run live (ceph_live=True) or collect it"
            )
        empty = with_states(tabulate_osds({}, {}), {})
        return CephCapacityAnalysis(
            {}, empty, pd.DataFrame(), tabulate_health({}), collection_findings(RUNBOOK, failed), {}
        )
    ratios = thresholds(osd_dump)
    osds = with_states(tabulate_osds(one(snapshot, "ceph/osd_df_tree"), osd_dump), ratios)
    pools = tabulate_pools(one(snapshot, "ceph/df_detail"), osd_dump)
    health = tabulate_health(one(snapshot, "ceph/health_detail"))
    gather = one(snapshot, "ceph/gather")
    problems = snapshot.problems_for(CEPH_PARTS) | {p: m for p, m in snapshot.problems.items() if p in PARTS}
    findings = check_capacity(osds, health, ratios, gather, problems)
    findings += check_balancer(one(snapshot, "ceph/balancer_status"), osd_dump)
    ledger_frame = build_ledger(snapshot, osd_dump, unused_days)
    if not ledger_frame.empty:
        from runbook_lib.ceph_capacity.reclaim import check_reclaim

        findings += check_reclaim(ledger_frame, osds, bool((osds["state"] == "full").any()))
    return CephCapacityAnalysis(
        ratios, osds, pools, health, findings, gather, one(snapshot, "ceph/test_reweight"), ledger_frame
    )


def plan_ratio_bump(ratios: dict[str, float], step: float = 0.02) -> Record:
    """The last resort when OSDs are full: raise the ratios a little to let writes (and deletes through
    the APIs) through, in an order that keeps nearfull < backfillfull < full at every moment, staying
    under the OSD's failsafe; with the commands that restore today's values afterwards."""
    if not ratios:
        return {"possible": False, "why": "no Ceph data", "raise": [], "restore": [], "new": ratios}
    new = {name: round(value + step, 4) for name, value in ratios.items()}
    if new["full"] >= FAILSAFE_FULL:
        return {
            "possible": False,
            "why": f"full would reach {new['full']:.2f}, at or past the failsafe {FAILSAFE_FULL}",
            "raise": [],
            "restore": [],
            "new": ratios,
        }
    order = ("full", "backfillfull", "nearfull")  # raising: the top first
    raise_commands = [f"ceph osd set-{name}-ratio {new[name]:g}" for name in order]
    restore_commands = [f"ceph osd set-{name}-ratio {ratios[name]:g}" for name in reversed(order)]
    return {"possible": True, "why": "", "raise": raise_commands, "restore": restore_commands, "new": new}
