"""The Ceph capacity analysis of one snapshot: fill per OSD, host, device class and pool, the health checks,
the reclaim ledger and the findings, gathered in one :class:`CephCapacityAnalysis`.

Units differ between Ceph's outputs: ratios in ``osd dump`` are 0..1 float32 (0.7 prints as
0.699999988), ``osd df`` utilization is a percentage, ``df`` percent_used a 0..1 fraction. Everything
here is a 0..1 fraction, compared with RATIO_TOLERANCE.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from runbook_lib.ceph_capacity.checks import check_balancer, check_capacity
from runbook_lib.ceph_capacity.inputs import check_inputs, check_pg_dump, rbd_problems
from runbook_lib.ceph_capacity.placement import Layout, read_layout
from runbook_lib.ceph_capacity.tables import (
    CEPH_PARTS,
    INVENTORY_PARTS,
    OPTIONAL_PARTS,
    PARTS,
    RUNBOOK,
    one,
    summarise_by,
    tabulate_health,
    tabulate_osds,
    tabulate_pools,
    thresholds,
    with_states,
)
from runbook_lib.findings import Finding, collection_findings
from runbook_lib.records import Record
from runbook_lib.snapshot import Snapshot


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
    layout: Layout | None = None  # PGs, rules, CRUSH tree: what a PG-level (upmap) plan reads
    layout_missing: str = ""  # why there is no layout
    facts: Record = dataclasses.field(default_factory=dict)  # osd_dump, status, balancer: what decides the plan
    ceph_optimizer: Record = dataclasses.field(default_factory=dict)  # osdmaptool --upmap's proposal, if run
    crushmap: Record = dataclasses.field(default_factory=dict)  # the CRUSH map (base64) the reweight plan replays
    left_out: str = ""  # the OSDs left out of every computation, their numbers unreadable (inputs.ReadOSDs)
    not_planned: str = ""  # why no plan can be computed: an input empty, missing or disagreeing
    ledger_missing: str = ""  # the pools rbd could not read (their images are not in the ledger)

    @property
    def why_no_osd(self) -> str:
        """What an empty OSD table says, with why it is empty."""
        return "no OSD" + (f": {self.not_planned} (see the findings)" if self.not_planned else "")

    @property
    def why_no_image(self) -> str:
        """What an empty ledger says: no image in the pools read, or which pools could not be read."""
        return self.ledger_missing or "no RBD image in the collected pools"

    @property
    def ledger_table(self) -> pd.DataFrame:
        if self.ledger.empty:
            return self.ledger
        order = {c: i for i, c in enumerate(("orphan", "unused", "in-trash", "blocked", "unknown", "idle", "in-use"))}
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
        if live.empty:
            return f"no OSD's fill computed: {self.not_planned or 'no OSD in osd df has a size'} (see the findings)"
        counts = self.osds["state"].value_counts()
        average = live["kb_used"].sum() / live["kb"].sum()
        return (
            f"{len(self.osds)} OSD(s), average {average:.1%} full, fullest {live['utilization'].max():.1%}; "
            f"{counts.get('nearfull', 0)} nearfull, {counts.get('backfillfull', 0)} backfillfull, "
            f"{counts.get('full', 0)} full (ratios {self.ratios['nearfull']:g} / {self.ratios['backfillfull']:g} / "
            f"{self.ratios['full']:g} from the OSDMap)"
            + (f"; {self.left_out}" if self.left_out else "")
            + (f"; no plan computed: {self.not_planned}" if self.not_planned else "")
        )


def build_ledger(snapshot: Snapshot, osd_dump: Record, unused_days: float) -> pd.DataFrame:
    """The RBD images of the collected pools joined with whatever OpenStack inventory the snapshot has."""
    from runbook_lib.ceph_capacity.rbd import tabulate_rbd
    from runbook_lib.ceph_capacity.reclaim import Inventory, ledger

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
        if not any(part in snapshot.problems or part in snapshot.skipped for part in CEPH_PARTS):
            from runbook_lib.errors import SnapshotError

            raise SnapshotError(
                f"snapshot {snapshot.label} holds no Ceph data: run live (ceph_live=True) or collect it"
            )
        empty = with_states(tabulate_osds({}, {}), {})
        return CephCapacityAnalysis(
            {}, empty, pd.DataFrame(), tabulate_health({}), collection_findings(RUNBOOK, failed), {}
        )
    ratios = thresholds(osd_dump)
    problems = snapshot.problems_for(CEPH_PARTS) | {
        p: m for p, m in snapshot.unread.items() if p in PARTS + OPTIONAL_PARTS
    }
    per_pool, absent_pools = rbd_problems(snapshot.get("ceph/rbd"), osd_dump)
    if per_pool:  # said per pool, not once for the part
        problems = {p: m for p, m in problems.items() if p != "ceph/rbd"} | per_pool
    unread_pools = ", ".join(p.removeprefix("ceph/rbd pool ") for p in per_pool)
    read = check_inputs(
        with_states(tabulate_osds(one(snapshot, "ceph/osd_df_tree"), osd_dump), ratios), osd_dump, problems
    )
    osds = read.osds
    pools = tabulate_pools(one(snapshot, "ceph/df_detail"), osd_dump)
    health = tabulate_health(one(snapshot, "ceph/health_detail"))
    gather = one(snapshot, "ceph/gather")
    layout, layout_missing, empty_pgs = layout_of(snapshot, osds, osd_dump)
    findings = check_capacity(osds, health, ratios, gather, problems, read.findings + empty_pgs) + absent_pools
    findings += check_balancer(one(snapshot, "ceph/balancer_status"), osd_dump)
    ledger_frame = build_ledger(snapshot, osd_dump, unused_days)
    if not ledger_frame.empty:
        from runbook_lib.ceph_capacity.reclaim import check_reclaim

        findings += check_reclaim(ledger_frame, osds, bool((osds["state"] == "full").any()))
    facts = {
        "osd_dump": osd_dump,
        "status": one(snapshot, "ceph/status"),
        "balancer": one(snapshot, "ceph/balancer_status"),
    }
    return CephCapacityAnalysis(
        ratios,
        osds,
        pools,
        health,
        findings,
        gather,
        one(snapshot, "ceph/test_reweight"),
        ledger_frame,
        layout,
        layout_missing,
        facts,
        one(snapshot, "ceph/osdmaptool_upmap"),
        one(snapshot, "ceph/crushmap"),
        read.left_out_note,
        read.not_planned,
        f"no RBD image read: rbd could not read pool(s) {unread_pools} (see the findings)" if per_pool else "",
    )


LAYOUT_PARTS = {
    "ceph/pg_dump_pgs": "ceph pg dump pgs --format json",
    "ceph/crush_rules": "ceph osd crush rule dump --format json",
}


def layout_of(snapshot: Snapshot, osds: pd.DataFrame, osd_dump: Record) -> tuple[Layout | None, str, list[Finding]]:
    """The PG layout, or None and what is missing (a snapshot from before these parts, or one that failed), and
    the finding when pg dump was read but holds no PG."""
    missing = [
        f"{part} ({snapshot.unread.get(part) or 'not in this snapshot'}; by hand: {command})"
        for part, command in LAYOUT_PARTS.items()
        if not snapshot.get(part) or part in snapshot.unread
    ]
    if missing:
        return None, "it needs " + "; ".join(missing), []
    empty = check_pg_dump(one(snapshot, "ceph/pg_dump_pgs"), osds)
    if empty is not None:
        return None, empty.message, [empty]
    parts = [one(snapshot, p) for p in ("ceph/osd_df_tree", "ceph/pg_dump_pgs", "ceph/crush_rules")]
    return read_layout(osds, osd_dump, *parts), "", []
