"""OpenStack on the Ceph lab: the mini cloud's Cinder (RBD driver) and Glance (RBD store) write real RBD
images (``volume-<id>``, ``snapshot-<id>``, ``<image id>@snap`` with COW clones); the reclaim ledger judges
them from the real API objects, its bytes are `rbd du`'s, and a delete through the API frees them."""

import json
import os
import subprocess
import tempfile
import time
import uuid

import pytest
from conftest import MINICLOUD

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.collect import open_ceph

pytestmark = [pytest.mark.minicloud, pytest.mark.slow]
MIB = 1024**2
HOLD_OPEN = """
import sys, time, rados, rbd
cluster = rados.Rados(conffile=sys.argv[1]); cluster.connect()
image = rbd.Image(cluster.open_ioctx(sys.argv[2]), sys.argv[3])
print("open", flush=True)
time.sleep(300)
"""


def _minicloud(*args):
    proc = subprocess.run(["python3", str(MINICLOUD), *args], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.fixture(scope="module")
def storage(cephlab, minicloud):
    _minicloud("storage", "up")
    yield cephlab
    _minicloud("storage", "down")


def _rbd(conf, *args):
    return subprocess.run(["rbd", "--conf", str(conf), *args], check=True, capture_output=True, text=True, timeout=120)


def _used(conf, spec):
    """What deleting the image with its snapshots frees: every entry of `rbd du` (the head and each
    snapshot; data written before a snapshot is counted on the snapshot, not on the head)."""
    du = json.loads(_rbd(conf, "du", spec, "--format", "json").stdout)
    return sum(i["used_size"] for i in du["images"])


def _ledger(conf):
    snap = open_ceph(cloud="minicloud", ceph_conf=str(conf), pools="volumes,images,vms,backups")
    return analyse_ceph_capacity(snap, unused_days=0).ledger.set_index("image")


def _wait_gone(conn, volume_id, timeout=60):
    deadline = time.monotonic() + timeout
    while conn.block_storage.find_volume(volume_id, ignore_missing=True) is not None:
        assert time.monotonic() < deadline, f"volume {volume_id} not deleted"
        time.sleep(0.5)


def test_ledger_of_real_cinder_and_glance_objects_and_an_api_delete(storage):
    from runbook_lib.sources.openstack import connect

    conf, conn = storage, connect("minicloud")  # a new session: its catalog has Cinder now
    bs = conn.block_storage
    with tempfile.NamedTemporaryFile(suffix=".raw") as blob:
        blob.write(os.urandom(8 * MIB))
        blob.flush()
        image = conn.image.create_image(
            name="ledger-base",
            filename=blob.name,
            disk_format="raw",
            container_format="bare",
            wait=True,
            validate_checksum=False,
        )
    clone = bs.wait_for_status(
        bs.create_volume(size=1, image_id=image.id, name="ledger-clone"), "available", interval=0.5, wait=120
    )
    unused = bs.wait_for_status(bs.create_volume(size=1, name="ledger-unused"), "available", interval=0.5, wait=120)
    # what a guest would have written to it
    _rbd(
        conf,
        "bench",
        "--io-type",
        "write",
        "--io-size",
        "4M",
        "--io-total",
        "12M",
        f"volumes/volume-{unused.id}",
    )
    snapshot = bs.wait_for_status(
        bs.create_snapshot(volume_id=unused.id, name="ledger-snap"), "available", interval=0.5, wait=120
    )
    orphans = [f"volumes/volume-{uuid.uuid4()}", f"vms/{uuid.uuid4()}_disk"]  # no API object has these ids
    held = f"vms/{uuid.uuid4()}_disk"  # no server either, but a librbd client (a guest, say) has it open
    for spec in [*orphans, held]:
        _rbd(conf, "create", "--size", "64", spec)
        _rbd(conf, "bench", "--io-type", "write", "--io-size", "4M", "--io-total", "8M", spec)
    client = subprocess.Popen(
        ["/usr/bin/python3", "-c", HOLD_OPEN, str(conf), *held.split("/")], stdout=subprocess.PIPE, text=True
    )  # Debian's python3 has python3-rbd
    assert client.stdout.readline().strip() == "open"
    try:
        ledger = _ledger(conf)
        blocked = ledger.loc[held.split("/")[1]]
        assert blocked["category"] == "blocked" and "open by a client: watcher 127.0.0.1:" in blocked["why"]
        assert ledger.loc[f"volume-{clone.id}", "category"] == "unused"  # available, attached to nothing
        assert ledger.loc[f"volume-{clone.id}", "parent"].startswith(f"images/{image.id}@snap")  # a real COW clone
        base = ledger.loc[image.id]
        assert base["category"] == "in-use" and "snap (glance base)" in base["snapshot_notes"]  # a volume uses it
        row = ledger.loc[f"volume-{unused.id}"]
        assert row["category"] == "unused" and f"snapshot-{snapshot.id} (cinder snapshot)" in row["snapshot_notes"]
        assert row["used_bytes"] == _used(conf, f"volumes/volume-{unused.id}") == 12 * MIB
        assert row["raw_bytes"] == 2 * row["used_bytes"]  # pool size 2
        for spec in orphans:
            name = spec.split("/")[1]
            assert ledger.loc[name, "category"] == "orphan" and ledger.loc[name, "used_bytes"] == 8 * MIB
        # Glance refuses to delete a base image with a COW clone (HTTP 409): the space is not reclaimable.
        with pytest.raises(Exception, match=r"409|in use"):
            conn.image.delete_image(image, ignore_missing=False)
        # Deleting through the API frees what the ledger said: the snapshot, then the volume.
        bs.delete_snapshot(snapshot)
        bs.wait_for_delete(snapshot, interval=0.5, wait=120)
        bs.delete_volume(unused)
        _wait_gone(conn, unused.id)
        after = _ledger(conf)
        assert (
            f"volume-{unused.id}" not in after.index and f"volume-{unused.id}" not in _rbd(conf, "ls", "volumes").stdout
        )
    finally:
        client.kill()
        client.wait()
        for spec in [*orphans, held]:
            subprocess.run(["rbd", "--conf", str(conf), "rm", "--no-progress", spec], capture_output=True)
        for volume_id in (clone.id, unused.id):
            if bs.find_volume(volume_id, ignore_missing=True):
                for snap in bs.snapshots(volume_id=volume_id):
                    bs.delete_snapshot(snap)
                    bs.wait_for_delete(snap, interval=0.5, wait=120)
                bs.delete_volume(volume_id)
                _wait_gone(conn, volume_id)
        conn.image.delete_image(image, ignore_missing=True)
