"""Every part a Ceph runbook reads, once, within one deadline for the whole gather.

Each part is stored as a snapshot part of one record (``ceph/osd_dump`` → ``[<ceph's object>]``), so a
snapshot replays exactly what Ceph printed, after :func:`~runbook_lib.sources.ceph.parse_ceph_json` normalised
its quirks. A monitor that does not answer ends the gather at once (nothing else would answer either); a
cluster that answers slowly is asked until the deadline has passed, and what was not asked says so.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from runbook_lib.errors import SourceError, SourceUnreachable
from runbook_lib.sos_parts import as_record, pg_stats
from runbook_lib.sources.ceph import CephAccess, check_pool_name, run_json
from runbook_lib.sources.deadline import COLLECTION_DEADLINE_S, Deadline

CEPH_PARTS = (
    ("ceph/osd_dump", ["osd", "dump"]),
    ("ceph/osd_df_tree", ["osd", "df", "tree"]),
    ("ceph/df_detail", ["df", "detail"]),
    ("ceph/health_detail", ["health", "detail"]),
    ("ceph/status", ["status"]),
    ("ceph/pg_dump_pgs", ["pg", "dump", "pgs"]),  # slimmed to what a plan reads (sos_parts.pg_stats)
    ("ceph/crush_rules", ["osd", "crush", "rule", "dump"]),
    ("ceph/balancer_status", ["balancer", "status"]),
    ("ceph/versions", ["versions"]),
)


def test_reweight(access: CephAccess, oload: int, max_change: float, max_osds: int, no_increasing: bool) -> dict:
    """What Ceph itself would reweight with these limits (a dry run; the mon never applies ``test-``)."""
    args = ["osd", "test-reweight-by-utilization", str(oload), f"{max_change:g}", str(max_osds)]
    if no_increasing:
        args.append("--no-increasing")
    limits = {"oload": oload, "max_change": max_change, "max_osds": max_osds, "no_increasing": no_increasing}
    try:
        return {**limits, "result": run_json(access, "ceph", args), "error": ""}
    except SourceError as exc:  # EDOM on a near-empty cluster: "Refusing to reweight: we only have N kb used"
        return {**limits, "result": None, "error": str(exc)}


def collect_rbd(access: CephAccess, pool: str, deadline: Deadline | None = None) -> dict:
    """Images (with parents and locks), their actual usage and the trash of one pool."""
    check_pool_name(pool)
    record: dict[str, Any] = {"pool": pool, "images": [], "du": {}, "trash": [], "error": ""}
    if deadline is not None and deadline.passed():
        return {**record, "error": deadline.not_asked(f"rbd of pool {pool}")}
    try:
        record["images"] = run_json(access, "rbd", ["ls", "-l", "--pool", pool])
        record["du"] = run_json(access, "rbd", ["du", "--pool", pool])
        record["trash"] = run_json(access, "rbd", ["trash", "ls", "--long", "--pool", pool])
    except SourceError as exc:
        record["error"] = str(exc)
    return record


def rbd_watchers(access: CephAccess, specs: list[str], deadline: Deadline | None = None) -> list[dict[str, Any]]:
    """``rbd status`` of each ``pool/image``: its watchers (a client that has it open, e.g. a running
    guest or a mapped device). One call per deletion candidate only, never per image."""
    records = []
    for spec in specs:
        pool, _, image = spec.partition("/")
        check_pool_name(pool)
        record: dict[str, Any] = {"image": spec, "watchers": [], "error": ""}
        if deadline is not None and deadline.passed():
            records.append({**record, "error": deadline.not_asked(f"rbd status of {spec}")})
            continue
        try:
            record["watchers"] = run_json(access, "rbd", ["status", "--pool", pool, "--image", image]).get(
                "watchers", []
            )
        except SourceError as exc:
            record["error"] = str(exc)
        records.append(record)
    return records


def collect_ceph(
    access: CephAccess,
    pools: list[str],
    reweight_limits: dict[str, Any] | None = None,
    deadline: Deadline | None = None,
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """Every Ceph part once, within ``deadline`` (COLLECTION_DEADLINE_S from now by default): (parts,
    problems). The osdmap epoch is read before and after, so a cluster that changed during the gather is said
    so (PGs may have moved between two outputs)."""
    for pool in pools:
        check_pool_name(pool)
    deadline = deadline or Deadline(COLLECTION_DEADLINE_S)
    parts: dict[str, list[dict[str, Any]]] = {}
    problems: dict[str, str] = {}
    for part, args in CEPH_PARTS:
        if deadline.passed():
            problems[part] = deadline.not_asked(part)
            continue
        try:
            value = run_json(access, "ceph", args)
            parts[part] = pg_stats(value) if part == "ceph/pg_dump_pgs" else [as_record(value)]
        except SourceUnreachable:
            raise  # nothing else will answer either
        except SourceError as exc:
            problems[part] = str(exc)
    if "ceph/osd_dump" not in parts:
        raise SourceError(f"ceph gave no 'osd dump', so nothing can be analysed: {problems.get('ceph/osd_dump')}")
    epoch_after = run_json(access, "ceph", ["osd", "dump"])["epoch"]
    parts["ceph/gather"] = [
        {
            "epoch_before": parts["ceph/osd_dump"][0]["epoch"],
            "epoch_after": epoch_after,
            "command": access.command,
            "pools": list(pools),
            "access": dataclasses.asdict(access),
        }
    ]  # how to reach it again (no secret: paths, names)
    if reweight_limits and deadline.passed():
        problems["ceph/test_reweight"] = deadline.not_asked("ceph/test_reweight")
    elif reweight_limits:
        parts["ceph/test_reweight"] = [test_reweight(access, **reweight_limits)]
        error = parts["ceph/test_reweight"][0]["error"]
        if error and not refused_to_reweight(error):  # Ceph's refusal is its answer; any other error is not
            problems["ceph/test_reweight"] = error
    parts["ceph/rbd"] = [collect_rbd(access, pool, deadline) for pool in pools]
    failed = unread_pools(parts["ceph/rbd"], parts["ceph/osd_dump"][0])
    if failed:
        first = next(iter(failed.values()))
        problems["ceph/rbd"] = f"rbd could not read pool(s) {', '.join(failed)} (first: {first})"
    return parts, problems


def unread_pools(rbd: list[dict[str, Any]], osd_dump: dict[str, Any]) -> dict[str, str]:
    """Pool → rbd's error, for the pools the OSDMap has that rbd could not read (a pool named that the cluster
    does not have is no failure: there is nothing to read in it)."""
    existing = {str(p.get("pool_name")) for p in osd_dump.get("pools", []) if isinstance(p, dict)}
    return {str(r.get("pool")): str(r["error"]) for r in rbd if r.get("error") and str(r.get("pool")) in existing}


def refused_to_reweight(error: str) -> bool:
    """Ceph's EDOM on a near-empty cluster ("Refusing to reweight: we only have N kb used"): an answer."""
    return "EDOM" in error or "Refusing to reweight" in error
