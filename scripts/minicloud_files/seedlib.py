"""Helpers shared by the seed_*.py scenarios (run with the mini cloud's venv; this folder is on sys.path)."""

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
