"""Ceph's JSON outputs as tables (pure): OSDs with their state against the OSDMap's ratios, pools, health checks."""

from __future__ import annotations

import math

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
# Read when asked for (pools, Ceph's own proposal): a snapshot without them still works, one read wrong is said.
OPTIONAL_PARTS = (
    "ceph/rbd",
    "ceph/rbd_watchers",
    "ceph/test_reweight",
    "ceph/pg_dump_pgs",
    "ceph/crush_rules",
    "ceph/osdmaptool_upmap",
    "ceph/crushmap",
)


RATIO_TOLERANCE = 1e-6


FAILSAFE_FULL = 0.97  # osd_failsafe_full_ratio: the OSD itself drops writes past it


STATES = ("ok", "nearfull", "backfillfull", "full")


def one(snapshot: Snapshot, part: str) -> Record:
    """The single record of a Ceph part (each part holds one command's output)."""
    records = snapshot.get(part)
    return records[0] if records else {}


def _size(kib: float) -> str:
    return f"{kib / 1024**2:.1f} GiB" if kib >= 1024**2 else f"{kib / 1024:.0f} MiB"


# Before Luminous the ratios were not in the OSDMap: the monitors' mon_osd_full_ratio / mon_osd_nearfull_ratio
# and the OSDs' osd_backfill_full_ratio, at these defaults unless configured.
PRE_LUMINOUS_DEFAULTS = {"nearfull": 0.85, "backfillfull": 0.85, "full": 0.95}


def thresholds(osd_dump: Record) -> dict[str, float]:
    """The ratios in force: read from the OSDMap (Luminous and later), never from config (mon_osd_*_ratio
    act only at mkfs then); an OSDMap without them (Jewel, Kraken) gets that era's defaults, said by
    :func:`ratio_source`."""
    return {
        name: round(float(osd_dump.get(f"{name}_ratio", PRE_LUMINOUS_DEFAULTS[name])), 6)
        for name in ("nearfull", "backfillfull", "full")
    }


def ratio_source(osd_dump: Record) -> str:
    if all(f"{name}_ratio" in osd_dump for name in ("nearfull", "backfillfull", "full")):
        return "the OSDMap"
    return (
        "the pre-Luminous defaults (this OSDMap holds no ratios: check mon_osd_nearfull_ratio, "
        "mon_osd_full_ratio and osd_backfill_full_ratio in ceph.conf)"
    )


def ratios_in_order(ratios: dict[str, float]) -> bool:
    return ratios["nearfull"] < ratios["backfillfull"] < ratios["full"] < FAILSAFE_FULL


def osd_state(utilization: float, ratios: dict[str, float]) -> str:
    if pd.isna(utilization):
        return "out"
    for state in ("full", "backfillfull", "nearfull"):
        if utilization >= ratios[state] - RATIO_TOLERANCE:
            return state
    return "ok"


# The numbers an OSD's row is computed from: one that is not a finite number leaves the OSD out of everything.
_REQUIRED_NUMBERS = ("kb", "kb_used")
_PLANNED_NUMBERS = ("crush_weight", "reweight", "pgs")  # where present (every release), null is unreadable too
_DEFAULTED_NUMBERS = ("kb_avail", "kb_used_data", "kb_used_omap")  # null or absent (before Mimic): 0


def _number(value: object) -> float:
    """A finite, non-negative number as a float; NaN for anything else (a string, null, a bool, NaN, inf)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return float("nan")
    return float(value)


def _said(value: object) -> str:
    """A value as the reader should see it in a message: NaN, inf, null, the string '524288', -1."""
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return "null or nan" if value is None else "true" if value is True else "false" if value is False else repr(value)


def unreadable_numbers(node: Record) -> str:
    """What in an ``osd df`` row is not a number ('' when every number reads): "kb_used is NaN"."""
    bad = [f for f in _REQUIRED_NUMBERS if pd.isna(_number(node.get(f)))]
    bad += [f for f in _PLANNED_NUMBERS if f in node and pd.isna(_number(node[f]))]
    bad += [f for f in _DEFAULTED_NUMBERS if node.get(f) is not None and pd.isna(_number(node[f]))]
    bad += ["pgs"] if "pgs" not in bad and "pgs" in node and not float(node["pgs"]).is_integer() else []
    return ", ".join(f"{f} is {_said(node[f]) if f in node else 'missing'}" for f in bad)


def tabulate_osds(osd_df_tree: Record, osd_dump: Record) -> pd.DataFrame:
    """One row per OSD: its host (parent bucket), class, weights, space (KiB) and fill (fraction); ``problem``
    says which of its numbers cannot be read ('' for a usable row: only those may be computed with)."""
    nodes = [n for n in osd_df_tree.get("nodes", []) if isinstance(n, dict)]
    parent = {child: n["name"] for n in nodes if n.get("type") == "host" for child in n.get("children", [])}
    state = {o["osd"]: o for o in osd_dump.get("osds", []) if isinstance(o, dict)}
    rows = []
    for node in nodes:
        if node.get("type") != "osd":
            continue
        kb, used = _number(node.get("kb")), _number(node.get("kb_used"))  # Jewel's -nan reads as null: unknown
        problem = unreadable_numbers(node)
        # What a move carries: data and omap (BlueFS metadata stays). Before Mimic osd df had no
        # kb_used_data / kb_used_omap (ceph PR 18096): then all of kb_used is taken as movable.
        data, omap = _number(node.get("kb_used_data") or 0), _number(node.get("kb_used_omap") or 0)
        dump = state.get(node["id"], {})
        rows.append(
            {
                "osd": node["id"],
                "name": node.get("name", f"osd.{node['id']}"),
                "host": parent.get(node["id"], ""),
                "device_class": node.get("device_class", ""),
                "crush_weight": _number(node.get("crush_weight", 0.0)),
                "reweight": _number(node.get("reweight", 0.0)),
                "kb": kb,
                "kb_used": used,
                "kb_movable": data + omap if "kb_used_data" in node else used,
                "kb_avail": _number(node.get("kb_avail") or 0),
                "utilization": used / kb if kb > 0 else float("nan"),
                "pgs": int(node["pgs"]) if "pgs" in node and not problem else 0,  # else the row is left out
                "up": bool(dump.get("up", node.get("status", "up") == "up")),
                "in": bool(dump.get("in", kb > 0)),
                "problem": problem,
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
        "problem",
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
                # Nautilus and later: stored (logical), bytes_used (raw), percent_used a 0..1 ratio. Before:
                # bytes_used was the logical size, raw_bytes_used the raw one, percent_used a percent (0..100).
                "stored": stats["stored"] if "stored" in stats else stats.get("bytes_used", 0),
                "bytes_used": stats["bytes_used"] if "stored" in stats else stats.get("raw_bytes_used", 0),
                "percent_used": float(stats.get("percent_used") or 0.0) / (1 if "stored" in stats else 100),
                "max_avail": stats.get("max_avail", 0),
                "objects": stats.get("objects", 0),
                "flags": info.get("flags_names", ""),
                "application": ",".join(info.get("application_metadata", {})),
            }
        )
    return pd.DataFrame(rows)


# Jewel/Kraken's health detail has no check codes: its summary lines, mapped to the Luminous codes.
_LEGACY_CODES = (
    ("near full osd", "OSD_NEARFULL"),
    ("nearfull osd", "OSD_NEARFULL"),
    ("backfillfull osd", "OSD_BACKFILLFULL"),
    ("full osd", "OSD_FULL"),
    ("nearfull", "POOL_NEARFULL"),
    ("pool", "POOL_FULL"),
)


def _legacy_health(health_detail: Record) -> list[Record]:
    """``{"summary": [{"severity", "summary"}], "detail": ["osd.3 is near full at 86%", …]}`` (before
    Luminous) as rows of the newer shape; every detail line goes to the check whose words it carries."""
    rows = []
    details = [str(d) for d in health_detail.get("detail") or []]
    for item in health_detail.get("summary") or []:
        text = str(item.get("summary", ""))
        code = next((c for words, c in _LEGACY_CODES if words in text.lower()), "LEGACY_" + text.split(" ")[-1].upper())
        words = {"OSD_NEARFULL": "near full", "OSD_FULL": " full", "OSD_BACKFILLFULL": "backfill"}.get(code, "")
        mine = [d for d in details if words and words in d and (code != "OSD_FULL" or "near full" not in d)]
        row = {"code": code, "severity": item.get("severity", ""), "summary": text, "detail": "; ".join(mine)}
        rows.append({**row, "muted": False})
    return rows


def tabulate_health(health_detail: Record) -> pd.DataFrame:
    """Active health checks; ``summary.count`` and ``muted`` are optional (they came with Octopus); the
    pre-Luminous shape (no check codes) is read too."""
    rows = [] if "checks" in health_detail else _legacy_health(health_detail)
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
