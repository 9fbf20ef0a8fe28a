"""RBD images as a table (pure): what each name means (volume-<id>, <id>_disk, a Glance image's id,
a backup), its parent, clones, snapshots, locks, bytes used and whether it is in the trash."""

from __future__ import annotations

import re

import pandas as pd

from runbook_lib.records import Records

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


_PATTERNS = (
    ("cinder-volume-deleted", re.compile(rf"^volume-({_UUID})\.deleted$")),
    ("cinder-backup", re.compile(rf"^volume-({_UUID})\.backup\..+$")),
    ("cinder-volume", re.compile(rf"^volume-({_UUID})$")),
    ("nova-disk", re.compile(rf"^({_UUID})_disk(?:\.(?:local|swap|config|eph\d+))?$")),
    ("glance-image", re.compile(rf"^({_UUID})$")),
)


def classify_name(name: str) -> tuple[str, str]:
    """(kind, uuid) of an RBD image name; ("unknown", "") for a name no OpenStack service writes."""
    for kind, pattern in _PATTERNS:
        match = pattern.match(name)
        if match:
            return kind, match.group(1)
    return "unknown", ""


def tabulate_rbd(rbd_parts: Records) -> pd.DataFrame:
    """One row per RBD image (head), with its snapshots, parent, lock and bytes (head + snapshots)."""
    rows = []
    for record in rbd_parts:
        pool = record["pool"]
        used: dict[str, int] = {}
        provisioned: dict[str, int] = {}
        for entry in (record.get("du") or {}).get("images", []):
            used[entry["name"]] = used.get(entry["name"], 0) + int(entry.get("used_size") or 0)
            if "snapshot" not in entry:
                provisioned[entry["name"]] = int(entry.get("provisioned_size") or 0)
        heads = [e for e in record.get("images", []) if "snapshot" not in e]
        snaps: dict[str, list[dict]] = {}
        for entry in record.get("images", []):
            if "snapshot" in entry:
                snaps.setdefault(entry["image"], []).append(entry)
        for head in heads:
            kind, uuid = classify_name(head["image"])
            parent = head.get("parent") or {}
            rows.append(
                {
                    "pool": pool,
                    "image": head["image"],
                    "kind": kind,
                    "uuid": uuid,
                    "used_bytes": used.get(head["image"], 0),
                    "provisioned": provisioned.get(head["image"], head.get("size", 0)),
                    "snapshots": [s["snapshot"] for s in snaps.get(head["image"], [])],
                    "protected_snapshots": [
                        s["snapshot"] for s in snaps.get(head["image"], []) if s.get("protected") == "true"
                    ],
                    "parent": f"{parent['pool']}/{parent['image']}@{parent['snapshot']}" if parent else "",
                    "lock": head.get("lock_type", ""),
                    "trash": False,
                }
            )
        for entry in record.get("trash", []):
            rows.append(
                {
                    "pool": pool,
                    "image": entry.get("name", ""),
                    "kind": "trash",
                    "uuid": entry.get("id", ""),
                    "used_bytes": 0,
                    "provisioned": 0,
                    "snapshots": [],
                    "protected_snapshots": [],
                    "parent": "",
                    "lock": "",
                    "trash": True,
                }
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "pool",
            "image",
            "kind",
            "uuid",
            "used_bytes",
            "provisioned",
            "snapshots",
            "protected_snapshots",
            "parent",
            "lock",
            "trash",
        ],
    )
    children: dict[str, list[str]] = {}
    for row in frame.itertuples():
        if row.parent:
            children.setdefault(row.parent.split("@")[0], []).append(f"{row.pool}/{row.image}")
    frame["children"] = [children.get(f"{r.pool}/{r.image}", []) for r in frame.itertuples()]
    return frame


def snapshot_notes(names: list[str], snapshots: dict, snapshots_read: bool) -> str:
    """What each RBD snapshot of an image is: a Glance base, a Cinder snapshot (with or without its API
    record, when the snapshots were read), a clone source, or other."""
    notes = []
    for name in names:
        kind = "glance base" if name == "snap" else ""
        match = re.match(rf"^snapshot-({_UUID})$", name)
        if match:
            known = match.group(1) in snapshots
            kind = (
                "cinder snapshot"
                if known
                else ("cinder snapshot (no API record)" if snapshots_read else "cinder snapshot?")
            )
        elif name.endswith(".clone_snap"):
            kind = "clone source"
        notes.append(f"{name} ({kind or 'other'})")
    return "; ".join(notes)
