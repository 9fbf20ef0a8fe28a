"""Changing OpenStack, only from a plan's ``apply`` (whose callers re-read to verify), and the canary boot."""

from __future__ import annotations

import time
from typing import Any

from runbook_lib.errors import ParameterError
from runbook_lib.sources.openstack import wire as _wire


def get_image_properties(conn: Any, image_id: str) -> dict[str, Any]:
    return _wire(conn.image.get_image(image_id))


def set_image_property(conn: Any, image_id: str, key: str, value: str) -> None:
    # update_image_properties on the *fetched* image adds one key; update_image with keyword
    # properties would replace (delete) every other custom property.
    image = conn.image.get_image(image_id)
    conn.image.update_image_properties(image, **{key: str(value)})


def remove_image_property(conn: Any, image_id: str, key: str) -> None:
    # One key per call: the SDK's JSON patch turns a remove plus an add of the same value into a
    # "move", which Glance 33 rejects with HTTP 400.
    image = conn.image.get_image(image_id)
    remaining = {k: v for k, v in image.properties.items() if k != key}
    conn.image.update_image(image, properties=remaining)


def get_flavor_extra_specs(conn: Any, flavor_id: str) -> dict[str, str]:
    return dict(conn.compute.fetch_flavor_extra_specs(flavor_id).extra_specs or {})


def set_flavor_extra_spec(conn: Any, flavor_id: str, key: str, value: str) -> None:
    conn.compute.update_flavor_extra_specs_property(flavor_id, key, str(value))


def set_volume_image_property(conn: Any, volume_id: str, key: str, value: str) -> None:
    conn.block_storage.set_volume_image_metadata(volume_id, **{key: str(value)})


def remove_flavor_extra_spec(conn: Any, flavor_id: str, key: str) -> None:
    conn.compute.delete_flavor_extra_specs_property(flavor_id, key)


def get_volume_image_metadata(conn: Any, volume_id: str) -> dict[str, Any]:
    return dict(conn.block_storage.get_volume(volume_id).volume_image_metadata or {})


def boot_canary(
    conn: Any, name: str, host: str, image: str, flavor: str, network: str, timeout: int = 600
) -> dict[str, Any]:
    """Boot one server on ``host`` (``availability_zone=nova:<host>``, admin), wait until it is ACTIVE or
    ERROR (or ``timeout``), read its fault and ports, then delete it whatever happened."""
    found = {
        "image": conn.image.find_image(image),
        "flavor": conn.compute.find_flavor(flavor),
        "network": conn.network.find_network(network),
    }
    missing = [
        f"{kind} {value!r}"
        for (kind, value) in (("image", image), ("flavor", flavor), ("network", network))
        if found[kind] is None
    ]
    if missing:
        raise ParameterError(f"canary: no {', no '.join(missing)} in this cloud")
    started = time.monotonic()
    server = conn.compute.create_server(
        name=name,
        image_id=found["image"].id,
        flavor_id=found["flavor"].id,
        networks=[{"uuid": found["network"].id}],
        availability_zone=f"nova:{host}",
    )
    record: dict[str, Any] = {"host": host, "server_id": server.id, "name": name, "status": "BUILD"}
    try:
        while time.monotonic() - started < timeout:
            server = conn.compute.get_server(server.id)
            if server.status in ("ACTIVE", "ERROR") and server.task_state is None:
                break
            time.sleep(1)
        record.update(
            status=server.status,
            elapsed_s=round(time.monotonic() - started, 1),
            fault=(server.fault or {}).get("message", ""),
            built_on=server.compute_host,
        )
        record["ports"] = [
            {"id": p.id, "status": p.status, "vif_type": p.binding_vif_type}
            for p in conn.network.ports(device_id=server.id)
        ]
    finally:
        conn.compute.delete_server(server.id, ignore_missing=True)
        conn.compute.wait_for_delete(server, wait=120)
        record["deleted"] = True
    return record
