"""The shape of each record the analyses read, checked once where every snapshot is made: a record whose field
has a type no release writes is skipped and named (never fatal to its part, never silently kept), and an
optional field that is null counts as absent. Only fields the analyses read are listed; anything else passes.

Per part: field → (accepted types, required). A required field must be present and of its type.
"""

from __future__ import annotations

from typing import Any

TEXT, NUMBER, OBJECT, LIST = (str,), (int, float), (dict,), (list,)
Fields = dict[str, tuple[tuple[type, ...], bool]]

FIELDS: dict[str, Fields] = {
    "openstack/servers": {
        "id": (TEXT, True),
        "status": (TEXT, False),
        "flavor": (OBJECT, False),
        "fault": (OBJECT, False),
        "image": ((dict, str), False),
        "metadata": (OBJECT, False),
        "OS-EXT-SRV-ATTR:host": (TEXT, False),
        "OS-SRV-USG:launched_at": (TEXT, False),
    },
    "openstack/flavors": {"id": (TEXT, True), "vcpus": ((int,), False), "extra_specs": (OBJECT, False)},
    "openstack/images": {"id": (TEXT, True), "properties": (OBJECT, False), "updated_at": (TEXT, False)},
    "openstack/volumes": {
        "id": (TEXT, True),
        "status": (TEXT, False),
        "attachments": (LIST, False),
        "volume_image_metadata": (OBJECT, False),
    },
    "openstack/volume_snapshots": {"id": (TEXT, True), "volume_id": (TEXT, False)},
    "openstack/ports": {"id": (TEXT, True), "network_id": (TEXT, False), "device_id": (TEXT, False)},
    "openstack/network_agents": {"host": (TEXT, True), "agent_type": (TEXT, False)},
    "openstack/migrations": {
        "instance_uuid": (TEXT, False),
        "source_compute": (TEXT, False),
        "dest_compute": (TEXT, False),
        "dest_host": (TEXT, False),
        "status": (TEXT, False),
    },
    "openstack/instance_actions": {
        "events": (LIST, False),
        "instance_uuid": (TEXT, False),
        "start_time": (TEXT, False),
    },
    "openstack/dhcp_hosting": {"network_id": (TEXT, True), "agents": (LIST, False)},
    "libvirt/domains": {
        "instance_uuid": (TEXT, False),
        "host": (TEXT, False),
        "path": (TEXT, False),
        "vcpus": ((int,), False),
        "sockets": ((int,), False),
        "cores": ((int,), False),
        "threads": ((int,), False),
        "booted_properties": (OBJECT, False),
    },
    "logs/nova-compute": {"lines": (LIST, False)},
    "logs/neutron-server": {"lines": (LIST, False)},
    "ceph/osd_dump": {
        "osds": (LIST, True),
        "pools": (LIST, True),
        "nearfull_ratio": (NUMBER, False),
        "backfillfull_ratio": (NUMBER, False),
        "full_ratio": (NUMBER, False),
        "pg_upmap_items": (LIST, False),
    },
    "ceph/osd_df_tree": {"nodes": (LIST, True)},
    "ceph/df_detail": {"pools": (LIST, True)},
    "ceph/health_detail": {"checks": (OBJECT, False)},
    "ceph/rbd": {"pool": (TEXT, True), "images": (LIST, False), "trash": (LIST, False), "du": (OBJECT, False)},
}


def _fault(record: Any, fields: Fields) -> str:
    """Why ``record`` cannot be read ('' when it can); null optional fields are dropped from it."""
    if not isinstance(record, dict):
        return f"a record is {type(record).__name__}, not an object"
    for name, (types, required) in fields.items():
        if record.get(name) is None and name in record and not required:
            del record[name]
        value = record.get(name)
        if value is None:
            if required:
                return f"field {name!r} is missing or null"
            continue
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            expected = " or ".join(t.__name__ for t in types)
            return f"field {name!r} is {type(value).__name__} ({str(value)[:40]!r}), not {expected}"
    return ""


def screen_parts(parts: dict[str, list[Any]]) -> tuple[dict[str, list[Any]], dict[str, str]]:
    """Each part without its unreadable records, and per part what was skipped (the first reason, and how many)."""
    skipped: dict[str, str] = {}
    for part, records in parts.items():
        fields = FIELDS.get(part)
        if not fields or not isinstance(records, list):
            continue
        faults = [(i, _fault(r, fields)) for i, r in enumerate(records)]
        bad = [(i, f) for i, f in faults if f]
        if bad:
            first, reason = bad[0]
            name = _name(records[first])
            parts[part] = [r for (i, f), r in zip(faults, records, strict=True) if not f]
            skipped[part] = (
                f"{part}: {len(bad)} of {len(records)} record(s) skipped as unreadable; the first ({name}): {reason}"
            )
    return parts, skipped


def _name(record: Any) -> str:
    if not isinstance(record, dict):
        return "record"
    for key in ("name", "id", "host", "pool", "network_id", "instance_uuid"):
        if isinstance(record.get(key), str):
            return f"{key} {record[key]}"
    return "record without a name"
