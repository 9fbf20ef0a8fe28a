"""Helpers shared by the mini cloud's scripts (run with its venv; this folder is on sys.path)."""

import os
import tempfile


def ensure_image(conn, name, properties=None):
    """A public 1 MiB raw image (enough for the fake virt drivers), created once, with its properties."""
    image = conn.image.find_image(name)
    if image is None:
        with tempfile.NamedTemporaryFile(suffix=".raw") as blob:
            blob.write(os.urandom(1024 * 1024))
            blob.flush()
            image = conn.image.create_image(
                name=name,
                filename=blob.name,
                disk_format="raw",
                container_format="bare",
                visibility="public",
                wait=True,
                validate_checksum=False,
            )
    if properties:
        # update_image_properties on the fetched image adds keys; it never drops the others.
        conn.image.update_image_properties(conn.image.get_image(image.id), **properties)
    return image


def ensure_catalog_entry(idn, service_type, name, url):
    """A service of ``service_type`` with public, internal and admin endpoints at ``url`` (idempotent)."""
    svc = next((s for s in idn.services() if s.type == service_type), None) or idn.create_service(
        name=name, type=service_type
    )
    have = {e.interface for e in idn.endpoints(service_id=svc.id)}
    for interface in ("public", "internal", "admin"):
        if interface not in have:
            idn.create_endpoint(service_id=svc.id, interface=interface, url=url, region_id="RegionOne")
