"""What the capacity runbook reads: the embedded demo (recorded from scripts/cephlab) or a saved snapshot by
default, the cluster only when asked, with names checked first and ``rbd status`` for deletion candidates only.
The live gather itself is exercised against the real lab in test_live.py."""

import shutil

import pytest

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.collect import open_ceph, with_watchers
from runbook_lib.ceph_capacity.tables import CEPH_PARTS
from runbook_lib.errors import ConfigError, ParameterError, SourceUnreachable
from runbook_lib.snapshot import SCHEMA_VERSION, load_snapshot, write_snapshot
from runbook_lib.sources.ceph import CephAccess

from .pacific import snapshot_of


def test_without_a_live_flag_the_demo_is_read_and_marked_not_live(demo_snapshot):
    for snapshot in (open_ceph(), open_ceph(snapshot="")):
        assert not snapshot.live
        assert set(CEPH_PARTS) <= set(snapshot.parts)
        assert snapshot.parts == demo_snapshot.parts and snapshot.label == demo_snapshot.label
        assert snapshot.get("ceph/osd_dump")[0]["epoch"] == demo_snapshot.get("ceph/gather")[0]["epoch_after"]


def test_a_saved_snapshot_is_read_as_written(tmp_path):
    recorded = snapshot_of("08-full")
    recorded.manifest["schema_version"] = SCHEMA_VERSION
    saved = write_snapshot(recorded, tmp_path / "full")
    snapshot = open_ceph(snapshot=str(saved))
    assert not snapshot.live and snapshot.parts == load_snapshot(saved).parts
    assert analyse_ceph_capacity(snapshot).findings[0].kind == "osd-full"


@pytest.mark.parametrize(("pools", "bad"), [("volumes,vol umes", "vol umes"), ("volumes, -images", "-images")])
def test_pool_names_are_checked_before_anything_is_read(pools, bad):
    with pytest.raises(ParameterError) as err:
        open_ceph(pools=pools)
    assert str(err.value) == f"{bad!r} is not a Ceph pool name"


def test_a_ceph_command_that_does_not_end_with_ceph_is_refused():
    with pytest.raises(ParameterError, match=r"ceph_command 'rados' must end with the ceph executable, e\.g\. 'ceph'"):
        open_ceph(ceph_live=True, ceph_command="rados")


def test_asked_for_ceph_live_a_cluster_that_cannot_be_read_is_said_at_once(tmp_path):
    assert shutil.which("ceph"), "ceph-common is installed by 'make test' (scripts/cephlab install)"
    with pytest.raises(SourceUnreachable) as err:
        open_ceph(ceph_live=True, ceph_conf=str(tmp_path / "missing.conf"), ceph_timeout=3)
    assert str(err.value) == (
        f"'ceph osd dump': ceph cannot read its configuration {tmp_path / 'missing.conf'}; "
        "set ceph_conf to the cluster's ceph.conf"
    )
    with pytest.raises(ConfigError, match=r"cannot run '/nonexistent/bin/ceph': install ceph-common here"):
        open_ceph(ceph_live=True, ceph_command="/nonexistent/bin/ceph")


def test_without_rbd_images_no_rbd_status_is_asked():
    snapshot = snapshot_of("02-nearfull")  # no ceph/rbd part
    assert with_watchers(snapshot, CephAccess(conf="/nonexistent/ceph.conf")) is snapshot


def test_rbd_status_is_asked_for_the_deletion_candidates_only(demo_snapshot, tmp_path):
    """Through the real rbd CLI (which cannot reach a cluster here, so each record carries its error): the
    orphans and unused images not in the trash are asked about, and nothing else."""
    assert shutil.which("rbd"), "ceph-common is installed by 'make test' (scripts/cephlab install)"
    watched = with_watchers(demo_snapshot, CephAccess(conf=str(tmp_path / "missing.conf"), timeout=3))
    ledger = analyse_ceph_capacity(demo_snapshot, unused_days=0).ledger
    candidates = ledger[ledger["category"].isin(["orphan", "unused"]) & ~ledger["trash"]]
    assert [r["image"] for r in watched.get("ceph/rbd_watchers")] == [
        f"{r.pool}/{r.image}" for r in candidates.itertuples()
    ]
    assert len(candidates) < len(ledger) and "in-use" in set(ledger["category"])
    first = watched.get("ceph/rbd_watchers")[0]
    pool, image = first["image"].split("/")
    assert first["watchers"] == [] and first["error"].startswith(
        f"'rbd status --pool {pool} --image {image}': ceph cannot read its configuration"
    )
    assert watched.manifest["parts"]["ceph/rbd_watchers"] == {"origin": "collected", "note": "deletion candidates only"}
    assert "ceph/rbd_watchers" not in demo_snapshot.parts  # the input is left as it was
