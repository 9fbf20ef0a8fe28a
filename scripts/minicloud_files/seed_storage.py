"""Real Cinder and Glance objects on the Ceph lab (run after 'scripts/minicloud storage up').

demo-rbd-base       a Glance image on the RBD store: images/<id> with its protected @snap
app-data            a volume created from it: a COW clone (parent images/<id>@snap), bootable
scratch             a blank volume holding 12 MiB (written with rbd bench, as a guest would have),
  scratch-before    with a Cinder snapshot: volumes/volume-<id>@snapshot-<id>
"""

import os
import subprocess
import tempfile
from pathlib import Path

import openstack

CEPH_CONF = Path(os.environ.get("CEPHLAB_HOME", "/var/tmp/stack-runbooks-cephlab")) / "ceph.conf"
conn = openstack.connect(cloud="minicloud")
bs = conn.block_storage

image = conn.image.find_image("demo-rbd-base")
if image is None:
    with tempfile.NamedTemporaryFile(suffix=".raw") as blob:
        blob.write(os.urandom(8 * 1024 * 1024))
        blob.flush()
        image = conn.image.create_image(
            name="demo-rbd-base",
            filename=blob.name,
            disk_format="raw",
            container_format="bare",
            visibility="public",
            wait=True,
            validate_checksum=False,
        )


def volume(name, **attrs):
    found = bs.find_volume(name, ignore_missing=True)
    if found is None:
        found = bs.wait_for_status(bs.create_volume(size=1, name=name, **attrs), "available", interval=0.5, wait=120)
        return found, True
    return found, False


app, _ = volume("app-data", image_id=image.id)
scratch, new = volume("scratch")
if new:
    subprocess.run(
        [
            "rbd",
            "--conf",
            str(CEPH_CONF),
            "bench",
            "--io-type",
            "write",
            "--io-size",
            "4M",
            "--io-total",
            "12M",
            f"volumes/volume-{scratch.id}",
        ],
        check=True,
        capture_output=True,
    )
if not list(bs.snapshots(volume_id=scratch.id)):
    bs.wait_for_status(
        bs.create_snapshot(volume_id=scratch.id, name="scratch-before"), "available", interval=0.5, wait=120
    )
print(f"storage seeded: image {image.id} on rbd, volumes app-data {app.id} (COW clone) and scratch {scratch.id}")
