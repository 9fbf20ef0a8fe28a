"""What the Ceph capacity runbook reads: the cluster through the ceph CLI (live) or a snapshot, with the
OpenStack inventory when a cloud is given, and ``rbd status`` for the deletion candidates only."""

from __future__ import annotations

from runbook_lib.ceph_capacity.capacity import build_ledger
from runbook_lib.ceph_capacity.plan import ReweightLimits
from runbook_lib.ceph_capacity.tables import CEPH_PARTS, PARTS, one
from runbook_lib.ceph_capacity.upmap import UpmapLimits
from runbook_lib.errors import ConfigError, SourceError
from runbook_lib.records import comma_list
from runbook_lib.snapshot import Snapshot, load_snapshot, new_manifest
from runbook_lib.sources.ceph import CephAccess, check_ceph_name, check_pool_name
from runbook_lib.sources.ceph_gather import collect_ceph, rbd_watchers
from runbook_lib.sources.deadline import COLLECTION_DEADLINE_S, Deadline
from runbook_lib.sources.origin import open_snapshot
from runbook_lib.sources.osdmap import ceph_offline

OSDMAPTOOL_DEVIATION = 1  # PGs: the strictest it takes, its best shot at balance


def open_ceph(
    cloud: str = "",
    snapshot: str = "demo",
    ceph_live: bool = False,
    ceph_command: str = "ceph",
    ceph_conf: str = "",
    ceph_cluster: str = "",
    ceph_id: str = "",
    ceph_timeout: int = 20,
    pools: str = "volumes,images,vms,backups",
    reweight_limits: ReweightLimits | None = None,
    upmap_limits: UpmapLimits | None = None,
) -> Snapshot:
    """Ceph read live (``ceph_live``, or whenever ``cloud`` is given: a live cloud is never paired with
    recorded Ceph data) or from ``snapshot``. A live read is marked ``live``: only it may be changed."""
    pool_names = [check_pool_name(p) for p in comma_list(pools)]
    check_ceph_name(ceph_cluster, "ceph_cluster")
    check_ceph_name(ceph_id, "ceph_id")
    if not (ceph_live or cloud):
        return load_snapshot(snapshot or "demo")
    access = CephAccess(ceph_command, ceph_conf, ceph_cluster, ceph_id, ceph_timeout)
    if cloud:
        base = open_snapshot(cloud, parts=PARTS)
    else:
        manifest = new_manifest(f"ceph via {ceph_command!r}", {"runbook_lib": "ceph CLI"})
        base = Snapshot(manifest=manifest, parts={}, live=True)
    deadline = Deadline(COLLECTION_DEADLINE_S)  # Ceph's own, from now: the cloud's was its own
    limits = reweight_limits.as_dict() if reweight_limits else None
    try:
        parts, problems = collect_ceph(access, pool_names, limits, deadline)
    except (SourceError, ConfigError) as exc:
        if ceph_live:
            raise  # asked for Ceph explicitly: say so at once
        # `run all --cloud`: a cloud whose Ceph this machine cannot reach still gets its report, which says why
        parts, problems = {}, {part: f"{exc}; pass -p ceph_command / ceph_conf" for part in CEPH_PARTS}
    if deadline.passed() and "ceph/pg_dump_pgs" in parts:
        problems |= {part: deadline.not_asked(part) for part in ("ceph/osdmaptool_upmap", "ceph/crushmap")}
    else:
        parts |= offline_parts(access, parts, upmap_limits or UpmapLimits())
    gathered = base.with_parts(parts).with_problems(problems)
    return with_watchers(gathered, access, deadline) if parts.get("ceph/rbd") else gathered


def offline_parts(access: CephAccess, parts: dict, limits: UpmapLimits) -> dict:
    """From the map the parts were read at: Ceph's own optimizer with the upmap plan's move budget (for the
    side-by-side) and the CRUSH map (the reweight plan replays it); nothing when the PGs were not read (there
    is nothing to compare with, nothing to replay)."""
    if "ceph/pg_dump_pgs" not in parts:
        return {}
    epoch = parts["ceph/osd_dump"][0]["epoch"]
    optimizer, crush = ceph_offline(access, epoch, [], OSDMAPTOOL_DEVIATION, limits.total_moves)
    return {"ceph/osdmaptool_upmap": [optimizer], "ceph/crushmap": [crush]}


def with_watchers(snapshot: Snapshot, access: CephAccess, deadline: Deadline | None = None) -> Snapshot:
    """Who has each deletion candidate open (``rbd status``): read for the candidates only, after the
    ledger has found them; with every unused image a candidate, whatever its age."""
    ledger = build_ledger(snapshot, one(snapshot, "ceph/osd_dump") or {}, unused_days=0)
    if ledger.empty:
        return snapshot
    candidates = ledger[ledger["category"].isin(["orphan", "unused"]) & ~ledger["trash"]]
    specs = [f"{r.pool}/{r.image}" for r in candidates.itertuples()]
    watchers = rbd_watchers(access, specs, deadline)
    return snapshot.with_parts({"ceph/rbd_watchers": watchers}, note="deletion candidates only")
