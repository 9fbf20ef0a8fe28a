"""The cloud's images, flavors and servers as tables (pure), with how each image was recognised as Windows."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

import pandas as pd

from runbook_lib.cpu_topology.topology import detect_windows
from runbook_lib.records import Record, Records

RUNBOOK = "cpu_topology"
IMAGE_NOT_LISTED = "image deleted or not visible"  # a server's image that openstack/images does not hold


def _text(value: object) -> str:
    return "" if value is None else str(value)


def tabulate_images(images: Records, socket_limits: Mapping[str, int] | None = None) -> pd.DataFrame:
    """One row per Glance image, with how (and whether) it was recognised as Windows."""
    overrides = dict(socket_limits or {})
    rows = []
    for image in images:
        override = overrides.get(str(image.get("id")), overrides.get(str(image.get("name"))))
        win = detect_windows(_text(image.get("name")), image, override)
        rows.append(
            {
                "image_id": image.get("id"),
                "image": _text(image.get("name")),
                "visibility": image.get("visibility"),
                "status": image.get("status"),
                "windows": win.is_windows,
                "recognised_by": win.recognised_by,
                "edition": win.edition,
                "socket_limit": win.socket_limit,
                "limit_source": win.limit_source,
                "hw_cpu_max_sockets": image.get("hw_cpu_max_sockets"),
                "properties": {k: v for k, v in image.items() if k.startswith(("hw_", "os_"))},
            }
        )
    return pd.DataFrame(rows, columns=_IMAGE_COLUMNS).astype({"socket_limit": "Int64"})


_IMAGE_COLUMNS = [
    "image_id",
    "image",
    "visibility",
    "status",
    "windows",
    "recognised_by",
    "edition",
    "socket_limit",
    "limit_source",
    "hw_cpu_max_sockets",
    "properties",
]


def tabulate_flavors(flavors: Records) -> pd.DataFrame:
    rows = [
        {
            "flavor_id": f.get("id"),
            "flavor": _text(f.get("name")),
            "vcpus": int(f.get("vcpus") or 0),
            "is_public": bool(f.get("os-flavor-access:is_public", True)),
            "extra_specs": dict(f.get("extra_specs") or {}),
        }
        for f in flavors
    ]
    return pd.DataFrame(rows, columns=["flavor_id", "flavor", "vcpus", "is_public", "extra_specs"])


def _boot_volumes(volumes: Records) -> dict[str, Record]:
    """server id → the attached volume whose image metadata Nova boots from."""
    by_server: dict[str, Record] = {}
    for volume in volumes:
        if not volume.get("volume_image_metadata"):
            continue
        for attachment in volume.get("attachments") or []:
            server_id = attachment.get("server_id")
            root_device = attachment.get("device") in ("/dev/vda", "/dev/sda", None)
            if server_id and (server_id not in by_server or root_device):
                by_server[server_id] = volume
    return by_server


def tabulate_servers(servers: Records, images: Records, volumes: Records) -> pd.DataFrame:
    """One row per server with the flavor it runs and the image properties Nova used for it.

    A volume-backed server's ``image`` is ``""``: Nova reads its properties from the boot volume's
    ``volume_image_metadata``, not from Glance.
    """
    images_by_id = {i.get("id"): i for i in images}
    boot_volumes = _boot_volumes(volumes)
    rows = []
    for server in servers:
        flavor = server.get("flavor") or {}
        image_ref = server.get("image") or {}
        image_id = image_ref.get("id") if isinstance(image_ref, dict) else ""
        volume = boot_volumes.get(str(server.get("id")))
        changed_after_boot = False
        if image_id:
            image = images_by_id.get(image_id)
            props, source = (image or {}), ("glance" if image else IMAGE_NOT_LISTED)
            name, volume_id = _text((image or {}).get("name")), None
            changed_after_boot = _later((image or {}).get("updated_at"), server.get("OS-SRV-USG:launched_at"))
        elif volume:
            meta = volume.get("volume_image_metadata") or {}
            props, source = meta, "volume_image_metadata"
            name, volume_id, image_id = _text(meta.get("image_name")), volume.get("id"), meta.get("image_id")
        else:
            props, source, name, volume_id = {}, "boot volume not found", "", None
        rows.append(
            {
                "server_id": server.get("id"),
                "server": _text(server.get("name")),
                "project_id": server.get("tenant_id") or server.get("project_id"),
                "status": server.get("status"),
                "host": server.get("OS-EXT-SRV-ATTR:host"),
                "flavor": _text(flavor.get("original_name") or flavor.get("name") or flavor.get("id")),
                "vcpus": int(flavor.get("vcpus") or 0),
                "extra_specs": dict(flavor.get("extra_specs") or {}),
                "image_id": image_id or None,
                "image": name,
                "boot_from_volume": not bool(image_ref.get("id") if isinstance(image_ref, dict) else ""),
                "boot_volume_id": volume_id,
                "properties_from": source,
                "properties": dict(props),
                "image_changed_after_boot": changed_after_boot,
            }
        )
    return pd.DataFrame(rows, columns=SERVER_COLUMNS)


def _later(image_updated: str | None, launched: str | None) -> bool:
    """Could the image have been edited after the server booted? Then Nova still holds the older copy.
    Glance writes whole seconds (an edit at 12:00:05.9 reads 12:00:05Z) and Nova microseconds, so an edit
    stamped in the second the server booted may have come after it: it counts (the finding says "may")."""
    updated, booted = _instant(image_updated), _instant(launched)  # Nova's launched_at: naive UTC
    if updated is None or booted is None:
        return False
    if updated.microsecond == 0:  # a whole-second stamp: the edit was within the second after it
        return updated >= booted.replace(microsecond=0)
    return updated > booted


@functools.lru_cache(maxsize=4096)  # an image's updated_at is read once per server booted from it
def _instant(text: str | None) -> dt.datetime | None:
    """An API timestamp as an aware UTC datetime (naive ones are UTC), or None when it is not one. ISO 8601
    as the APIs write it directly; anything else through pandas (slow: 0.3 ms each)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = pd.to_datetime(text, errors="coerce", utc=True)
        return None if pd.isna(parsed) else parsed.to_pydatetime()
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


SERVER_COLUMNS = [
    "server_id",
    "server",
    "project_id",
    "status",
    "host",
    "flavor",
    "vcpus",
    "extra_specs",
    "image_id",
    "image",
    "boot_from_volume",
    "boot_volume_id",
    "properties_from",
    "properties",
    "image_changed_after_boot",
]
