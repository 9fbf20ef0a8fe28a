"""Ceph's JSON outputs as tables (pure): OSDs with their state against the OSDMap's ratios, pools, health checks."""

from __future__ import annotations

import pandas as pd

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
