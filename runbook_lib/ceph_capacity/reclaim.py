"""The reclaim ledger: every RBD image of the OpenStack pools joined with the OpenStack inventory, and
what deleting the reclaimable ones would free (pure functions).

Names follow the services' drivers: Cinder ``volume-<uuid>`` (``volume-<uuid>.deleted`` when deleted
while it still had clones), its snapshots ``snapshot-<uuid>`` as RBD snapshots of the volume image,
Glance ``<uuid>`` with a protected snapshot ``snap`` that volumes and Nova disks are COW children of,
Nova ``<uuid>_disk`` (``_disk.local``, ``.swap``, ``.config``, ``.eph0``), Cinder backup
``volume-<uuid>.backup.…``. A volume migrated by a generic (host-copy) migration keeps its data in
``volume-<name_id>``.

Bytes are ``rbd du``'s actual use (head plus snapshots), times the pool's replication: what the OSDs
would get back. An image with clone children, a lock, or no inventory to compare with is never proposed."""

from __future__ import annotations

import dataclasses
import shlex

import pandas as pd

from runbook_lib.ceph_capacity.rbd import snapshot_notes
from runbook_lib.findings import Finding
from runbook_lib.records import Record, Records

# Volume states in which Cinder is working on the volume: never call those orphans or unused.
_BUSY = {
    *("creating", "deleting", "error_deleting", "migrating", "downloading", "uploading", "attaching"),
    *("detaching", "backing-up", "restoring-backup", "retyping", "extending", "maintenance", "reserved"),
}


# idle: nothing uses it, but it changed less than unused_days ago (listed, not counted as reclaimable)
CATEGORIES = ("in-use", "idle", "unused", "orphan", "in-trash", "blocked", "unknown")


@dataclasses.dataclass(frozen=True)
class Inventory:
    """The OpenStack objects the RBD images belong to (wire-format records from the collectors)."""

    volumes: Records
    snapshots: Records
    images: Records
    servers: Records
    known: frozenset[str]  # which of "volumes", "snapshots", "images", "servers" were collected


def _age_days(record: Record, now: pd.Timestamp) -> float:
    stamp = pd.to_datetime(
        record.get("updated_at") or record.get("created_at") or record.get("updated"),
        errors="coerce",
        utc=True,
    )
    return float("nan") if pd.isna(stamp) else (now - stamp).total_seconds() / 86400


def ledger(
    images: pd.DataFrame,
    inventory: Inventory,
    now: pd.Timestamp,
    unused_days: float = 30.0,
    replication: dict[str, float] | None = None,
    watchers: dict[str, list] | None = None,
) -> pd.DataFrame:
    """Each RBD image with its OpenStack owner, its category and, when reclaimable, how to delete it.
    ``watchers`` (``pool/image`` → ``rbd status`` watchers, read for the candidates): an image some client
    has open is never proposed for deletion."""
    volumes = {v["id"]: v for v in inventory.volumes}
    by_name_id = {
        v.get("os-vol-mig-status-attr:name_id"): v for v in inventory.volumes if v.get("os-vol-mig-status-attr:name_id")
    }
    snapshots = {s["id"]: s for s in inventory.snapshots}
    glance = {i["id"]: i for i in inventory.images}
    servers = {s["id"]: s for s in inventory.servers}
    used_images = {(s.get("image") or {}).get("id") for s in inventory.servers if isinstance(s.get("image"), dict)}
    used_images |= {(v.get("volume_image_metadata") or {}).get("image_id") for v in inventory.volumes}
    rows = []
    for row in images.to_dict("records"):
        owner, category, why = "", "unknown", ""
        kind, uuid = row["kind"], row["uuid"]
        owner_id = uuid
        if row["trash"]:
            category, why = "in-trash", "in the RBD trash: its space returns only when it is purged"
        elif kind == "cinder-volume":
            volume = volumes.get(uuid) or by_name_id.get(uuid)
            owner, category, why = _volume_category(volume, uuid, inventory, now, unused_days)
            owner_id = volume["id"] if volume else uuid  # after a generic migration the image carries name_id
        elif kind == "cinder-volume-deleted":
            owner, category = f"volume {uuid} (deleted)", "blocked"
            why = (
                "deleted in Cinder but kept because clones hang off its snapshots: "
                "it goes when they are deleted or flattened"
            )
        elif kind == "glance-image":
            image = glance.get(uuid)
            if image is None:
                category, why = _orphan_or_unknown(inventory, "images", "no Glance image has this id")
            else:
                owner = f"image {uuid}" + (f" ({image['name']})" if image.get("name") else "")
                unused = uuid not in used_images and not row["children"]
                old = _age_days(image, now) >= unused_days
                category = ("unused" if old else "idle") if unused else "in-use"
                why = {
                    "unused": "no server and no volume uses it",
                    "idle": f"no server and no volume uses it, but it changed {_age_days(image, now):.0f} days ago "
                    f"(unused only after {unused_days:g} days)",
                    "in-use": "a server or a volume uses it",
                }[category]
        elif kind == "nova-disk":
            server = servers.get(uuid)
            if server is None:
                category, why = _orphan_or_unknown(
                    inventory, "servers", "no server has this id: Nova left the disk behind"
                )
            else:
                owner, category, why = (
                    f"server {server.get('name') or uuid}",
                    "in-use",
                    f"server status {server.get('status')}",
                )
        elif kind == "cinder-backup":
            category, why = "unknown", "a Cinder backup image: manage it with openstack volume backup"
        else:
            why = "a name no OpenStack service writes: left alone"
        opened = (watchers or {}).get(f"{row['pool']}/{row['image']}") or []
        if category in ("orphan", "unused") and (row["children"] or row["lock"] or opened):
            category = "blocked"
            if row["children"]:
                reason = f"has clone children ({', '.join(row['children'])})"
            elif row["lock"]:
                reason = f"locked ({row['lock']})"
            else:
                reason = "open by a client: watcher " + ", ".join(str(w.get("address", "?")) for w in opened)
            why = reason + "; " + why
        snaps = snapshot_notes(row["snapshots"], snapshots, "snapshots" in inventory.known)
        size = (replication or {}).get(row["pool"], 1.0)
        rows.append(
            {
                **row,
                "owner": owner,
                "category": category,
                "why": why,
                "snapshot_notes": snaps,
                "raw_bytes": row["used_bytes"] * size,
                "command": _command(row, category, owner_id),
            }
        )
    return pd.DataFrame(rows)


def _orphan_or_unknown(inventory: Inventory, needed: str, why: str) -> tuple[str, str]:
    if needed not in inventory.known:
        return "unknown", f"the OpenStack {needed} were not read (pass cloud): cannot tell an orphan"
    return "orphan", why


def _volume_category(
    volume: dict | None, uuid: str, inventory: Inventory, now: pd.Timestamp, unused_days: float
) -> tuple[str, str, str]:
    if volume is None:
        category, why = _orphan_or_unknown(inventory, "volumes", "no Cinder volume has this id (nor as name_id)")
        return "", category, why
    owner = f"volume {volume['id']}" + (f" ({volume['name']})" if volume.get("name") else "")
    if volume["id"] != uuid:
        owner += f" (data under its name_id {uuid} after a migration)"
    status = volume.get("status", "")
    if status in _BUSY:
        return owner, "in-use", f"Cinder is working on it ({status})"
    idle = status == "available" and not volume.get("attachments")
    if idle and _age_days(volume, now) >= unused_days:
        return owner, "unused", f"available and attached to nothing for {_age_days(volume, now):.0f} days"
    if idle:
        return (
            owner,
            "idle",
            (
                f"available and attached to nothing, but changed {_age_days(volume, now):.0f} days "
                f"ago (unused only after {unused_days:g} days)"
            ),
        )
    return owner, "in-use", f"status {status}" + (", attached" if volume.get("attachments") else "")


def _command(row: dict, category: str, uuid: str) -> str:
    spec = f"{row['pool']}/{row['image']}"
    if category == "in-trash":
        return shlex.join(["rbd", "trash", "rm", "--pool", row["pool"], row["uuid"]])
    if category == "orphan":
        purge = [shlex.join(["rbd", "snap", "purge", spec])] if row["snapshots"] else []
        return "; ".join([*purge, shlex.join(["rbd", "rm", spec])])
    if category == "unused":
        what = {
            "cinder-volume": ["openstack", "volume", "delete"],
            "glance-image": ["openstack", "image", "delete"],
        }
        return shlex.join([*what.get(row["kind"], ["rbd", "rm"]), uuid or spec])
    return ""


def reclaim_summary(ledger_frame: pd.DataFrame) -> pd.DataFrame:
    """Per pool and category: images and bytes (actual and raw)."""
    if ledger_frame.empty:
        return pd.DataFrame(columns=["pool", "category", "images", "used_gib", "raw_gib"])
    grouped = (
        ledger_frame.groupby(["pool", "category"])
        .agg(images=("image", "count"), used=("used_bytes", "sum"), raw=("raw_bytes", "sum"))
        .reset_index()
    )
    return grouped.assign(used_gib=grouped["used"] / 1024**3, raw_gib=grouped["raw"] / 1024**3)[
        ["pool", "category", "images", "used_gib", "raw_gib"]
    ]


def reclaim_effect(osds: pd.DataFrame, freed_raw_bytes: float) -> pd.DataFrame:
    """The OSDs after the reclaimable data is gone, spread in proportion to each OSD's data (a deletion
    frees every replica, wherever its PGs live)."""
    after = osds.copy()
    share = after["kb_movable"] / after["kb_movable"].sum() if after["kb_movable"].sum() > 0 else 0
    freed_kb = freed_raw_bytes / 1024 * share
    after["kb_used"] = after["kb_used"] - freed_kb
    after["kb_movable"] = after["kb_movable"] - freed_kb
    after["utilization"] = after["kb_used"] / after["kb"].where(after["kb"] > 0)
    return after


def _before_deleting(reclaimable: pd.DataFrame, shown: int = 5) -> str:
    """The check to run right before each deletion: no client has the image open (a watcher)."""
    specs = [f"{r.pool}/{r.image}" for r in reclaimable.itertuples() if r.category != "in-trash"]
    checks = "; ".join(shlex.join(["rbd", "status", spec]) for spec in specs[:shown])
    more = f" (and {len(specs) - shown} more: the ledger's rows)" if len(specs) > shown else ""
    return (
        f"run the ledger's commands, each right after its image shows no watchers: {checks}{more}"
        if specs
        else "purge the trash: the ledger's rbd trash rm commands"
    )


FULL_CLUSTER_DELETES = (
    " The cluster is full: delete with `rbd rm` (it may write to a full pool); the OpenStack APIs' deletes "
    "would hang, then reconcile the API records."
)


def check_reclaim(ledger_frame: pd.DataFrame, osds: pd.DataFrame, full: bool) -> list[Finding]:
    """The headline (what deleting frees, and the fullest OSD before → after) and one finding per orphan."""
    findings: list[Finding] = []
    if ledger_frame.empty:
        return findings
    reclaimable = ledger_frame[ledger_frame["category"].isin(["orphan", "unused", "in-trash"])]
    for row in ledger_frame[ledger_frame["category"] == "orphan"].itertuples():
        findings.append(
            Finding(
                "ceph_capacity",
                "rbd-orphan",
                "warn",
                f"{row.pool}/{row.image}",
                f"{row.why}; it holds {row.used_bytes / 1024**2:.0f} MiB ({row.raw_bytes / 1024**2:.0f} MiB raw)",
                row.command,
                {"raw_bytes": int(row.raw_bytes)},
            )
        )
    if reclaimable.empty:
        return findings
    freed = reclaimable["raw_bytes"].sum()
    after = reclaim_effect(osds, freed)
    before_max, after_max = osds["utilization"].max(), after["utilization"].max()
    # total and parts in the total's unit, so the parts read as adding up to it
    unit, scale, digits = ("GiB", 1024**3, 2) if freed >= 1024**3 else ("MiB", 1024**2, 0)
    per_pool = ", ".join(
        f"{pool} {raw / scale:,.{digits}f} {unit}"
        for pool, raw in reclaimable.groupby("pool")["raw_bytes"].sum().items()
    )
    how = FULL_CLUSTER_DELETES if full else ""
    effect = (
        f"the fullest OSD goes from {before_max:.1%} to about {after_max:.1%}"
        if not osds.empty
        else "what that frees on each OSD is unknown (no OSD's fill was read)"
    )
    findings.append(
        Finding(
            "ceph_capacity",
            "reclaimable",
            "info",
            "reclaim ledger",
            f"deleting {len(reclaimable)} orphan/unused/trashed image(s) frees {freed / scale:,.{digits}f} {unit} raw "
            f"({per_pool}): {effect}.{how}",
            _before_deleting(reclaimable),
            {"raw_bytes": int(freed)},
        )
    )
    return findings
