"""The CPU-topology runbook over a whole cloud: tables, suspects and findings (pure functions).

Inputs are snapshot records in the APIs' wire format (Nova servers/flavors, Glance images, Cinder
volumes); outputs are DataFrames and :class:`~runbook_lib.findings.Finding` lists.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

import pandas as pd

from runbook_lib.cpu_topology.nova_names import FLAVOR_HW_EXTRA_SPECS, IMAGE_HW_PROPERTIES
from runbook_lib.cpu_topology.topology import best_topology, detect_windows, visible_vcpus
from runbook_lib.errors import InvalidTopology
from runbook_lib.records import JSON, Record, Records

RUNBOOK = "cpu_topology"
_TOPOLOGY_TYPO = re.compile(r"^hw_(max_)?(sockets|cores|threads)$")
_NUMA_LIST_KEY = re.compile(r"^hw_numa_(cpus|mem)\.\d+$")


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
            props, source = (image or {}), ("glance" if image else "image deleted or not visible")
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
    return pd.DataFrame(rows, columns=_SERVER_COLUMNS)


def _later(image_updated: str | None, launched: str | None) -> bool:
    """Was the image edited after the server booted? Then Nova still holds the older copy."""
    if not image_updated or not launched:
        return False
    return pd.Timestamp(image_updated).tz_convert(None) > pd.Timestamp(launched).tz_localize(None)


_SERVER_COLUMNS = [
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


_RESULT_COLUMNS = [
    "topology",
    "sockets",
    "error",
    "windows",
    "recognised_by",
    "edition",
    "socket_limit",
    "visible_vcpus",
    "lost_vcpus",
]


# Nullable integers: a refused combination has no topology, a Linux image no socket limit.
_RESULT_TYPES = {"sockets": "Int64", "socket_limit": "Int64", "visible_vcpus": "Int64", "lost_vcpus": "Int64"}


def evaluate_pair(vcpus: int, extra_specs: dict, properties: dict, name: str, override: int | None) -> dict:
    """What a guest of this flavor and image gets: topology or Nova's refusal, Windows limit, vCPUs lost."""
    win = detect_windows(name, properties, override)
    result = {
        "windows": win.is_windows,
        "recognised_by": win.recognised_by,
        "edition": win.edition,
        "socket_limit": win.socket_limit,
        "topology": None,
        "sockets": None,
        "error": None,
        "visible_vcpus": None,
        "lost_vcpus": None,
    }
    try:
        topology = best_topology(vcpus, extra_specs, properties)
    except InvalidTopology as exc:
        return {**result, "error": f"{exc.kind}: {exc}"}
    seen = visible_vcpus(topology, win.socket_limit)
    return {
        **result,
        "topology": str(topology),
        "sockets": topology.sockets,
        "visible_vcpus": seen,
        "lost_vcpus": vcpus - seen,
    }


def analyse_servers(servers: pd.DataFrame, socket_limits: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Add the topology Nova chose, the guest-visible vCPUs and the vCPUs lost to each server.

    Nova copies image properties into the instance at boot and no API shows that copy. When the image
    changed after the server booted, ``lost_if_booted_uncapped`` is what the guest loses if the change
    was the one that added the hw_cpu_* cap (verify with ``nova-manage image_property show``).
    """
    overrides = dict(socket_limits or {})
    results = [
        evaluate_pair(
            row.vcpus,
            row.extra_specs,
            row.properties,
            row.image,
            overrides.get(row.image_id, overrides.get(row.image)),
        )
        for row in servers.itertuples()
    ]
    extra = pd.DataFrame(results, index=servers.index, columns=_RESULT_COLUMNS).astype(_RESULT_TYPES)
    uncapped = [
        evaluate_pair(
            row.vcpus,
            row.extra_specs,
            _without_topology(row.properties),
            row.image,
            overrides.get(row.image_id, overrides.get(row.image)),
        )["lost_vcpus"]
        if row.image_changed_after_boot
        else 0
        for row in servers.itertuples()
    ]
    extra["lost_if_booted_uncapped"] = pd.array(uncapped, dtype="Int64")
    return pd.concat([servers, extra], axis=1)


def _without_topology(properties: dict) -> dict:
    return {k: v for k, v in properties.items() if not k.startswith("hw_cpu_")}


def analyse_image_flavor_pairs(
    images: pd.DataFrame, flavors: pd.DataFrame, socket_limits: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """Every active image × public flavor: what a new server of that pair would get."""
    overrides = dict(socket_limits or {})
    rows = []
    for image in images.itertuples():
        override = overrides.get(image.image_id, overrides.get(image.image))
        for flavor in flavors[flavors["is_public"]].itertuples():
            result = evaluate_pair(flavor.vcpus, flavor.extra_specs, image.properties, image.image, override)
            rows.append(
                {
                    "image_id": image.image_id,
                    "image": image.image,
                    "flavor_id": flavor.flavor_id,
                    "flavor": flavor.flavor,
                    "vcpus": flavor.vcpus,
                    **result,
                }
            )
    columns = ["image_id", "image", "flavor_id", "flavor", "vcpus", *_RESULT_COLUMNS]
    return pd.DataFrame(rows, columns=columns).astype(_RESULT_TYPES)


def find_misspelled_properties(images: Records, flavors: Records) -> pd.DataFrame:
    """hw_* image properties and hw: extra specs that Nova does not know (and silently ignores)."""
    rows = []
    for image in images:
        for key, value in image.items():
            if key.startswith("hw_") and key not in IMAGE_HW_PROPERTIES and not _NUMA_LIST_KEY.match(key):
                rows.append(_typo_row("image", image, key, value, IMAGE_HW_PROPERTIES))
    for flavor in flavors:
        for key, value in (flavor.get("extra_specs") or {}).items():
            if key.startswith("hw:") and not _known_extra_spec(key):
                rows.append(_typo_row("flavor", flavor, key, value, FLAVOR_HW_EXTRA_SPECS))
    return pd.DataFrame(rows, columns=["kind", "id", "name", "key", "value", "did_you_mean"])


def _known_extra_spec(key: str) -> bool:
    return key in FLAVOR_HW_EXTRA_SPECS or re.sub(r"\.\d+$", ".{num}", key) in FLAVOR_HW_EXTRA_SPECS


def _typo_row(kind: str, record: dict, key: str, value: JSON, known: frozenset[str]) -> Record:
    if _TOPOLOGY_TYPO.match(key):
        guess = key.replace("hw_", "hw_cpu_", 1)
    elif kind == "flavor" and re.match(r"^hw:(max_)?(sockets|cores|threads)$", key):
        guess = key.replace("hw:", "hw:cpu_", 1)
    else:
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
        guess = close[0] if close else ""
    return {
        "kind": kind,
        "id": record.get("id"),
        "name": _text(record.get("name")),
        "key": key,
        "value": value,
        "did_you_mean": guess,
    }
