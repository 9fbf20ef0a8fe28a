"""Snapshots: round trip, tarballs, and a readable error for every malformed one."""

import json
import tarfile

import pytest

from runbook_lib.errors import SnapshotError
from runbook_lib.snapshot import SCHEMA_VERSION, Snapshot, load_snapshot, new_manifest, write_snapshot


def test_demo_manifest_says_what_is_not_real_api_output(demo_snapshot):
    parts = demo_snapshot.manifest["parts"]
    assert (
        parts["openstack/servers"]["origin"] == "collected"
        and len(parts["openstack/servers"]["api_shape_records"]) == 1
    )
    volumes = parts["openstack/volumes"]  # real Cinder volumes, plus vdi-home-bfv's in the API's shape
    assert volumes["origin"] == "collected" and len(volumes["api_shape_records"]) == 1
    assert {v["name"] for v in demo_snapshot.get("openstack/volumes")} == {
        "app-data",
        "scratch",
        "vdi-home-root",
    }
    assert demo_snapshot.manifest["collector"]["openstacksdk"] == "4.22.0"


def test_round_trip_and_tarball(tmp_path, demo_snapshot):
    out = write_snapshot(demo_snapshot, tmp_path / "snap")
    again = load_snapshot(out)
    assert again.parts == demo_snapshot.parts
    assert again.manifest["parts"]["openstack/servers"]["count"] == len(demo_snapshot.get("openstack/servers"))
    tarball = tmp_path / "snap.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(out, arcname="snap")
    assert load_snapshot(tarball).parts == demo_snapshot.parts


def test_problems_are_kept(tmp_path):
    snap = Snapshot(new_manifest("c", {}), {"openstack/images": []}, {"openstack/servers": "HTTP 403 ..."})
    loaded = load_snapshot(write_snapshot(snap, tmp_path / "s"))
    assert loaded.problems == {"openstack/servers": "HTTP 403 ..."} and loaded.origin("openstack/servers") == "missing"


def test_no_credentials_in_a_manifest(tmp_path):
    manifest = new_manifest("prod", {"runbook_lib": "x"})
    assert set(manifest) == {"schema_version", "collected_at", "cloud", "collector", "parts", "problems"}


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "has no manifest.json"),
        (lambda d: (d / "manifest.json").write_text("{not json"), "manifest.json is not valid JSON"),
        (lambda d: (d / "manifest.json").write_text("[]"), "is not a snapshot manifest"),
        (
            lambda d: (d / "manifest.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1})),
            "newer than this runbook_lib understands",
        ),
        (
            lambda d: (d / "manifest.json").write_text(
                json.dumps({"schema_version": 1, "parts": {"openstack/servers": {}}})
            ),
            "cannot read snapshot file",
        ),
    ],
)
def test_malformed_snapshots_raise_a_readable_error(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(SnapshotError, match=message):
        load_snapshot(tmp_path)


def test_a_part_that_is_not_a_list(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"schema_version": 1, "parts": {"x": {}}}))
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(SnapshotError, match="must hold a JSON list"):
        load_snapshot(tmp_path)


def test_not_a_tarball(tmp_path):
    bogus = tmp_path / "snap.tar.gz"
    bogus.write_text("hello")
    with pytest.raises(SnapshotError, match="neither a snapshot directory nor a readable tarball"):
        load_snapshot(bogus)


def test_a_missing_part_says_what_gets_it():
    """'runbook collect' saves the API parts only: a missing Ceph or host part is not sent back to it."""
    snapshot = Snapshot(new_manifest("x", {}), {})
    said = snapshot.problems_for(["openstack/servers", "ceph/osd_df_tree", "hosts/nova_compute"])
    assert said["openstack/servers"] == "not in this snapshot: collect it again with 'runbook collect --cloud <entry>'"
    assert said["ceph/osd_df_tree"] == "not in this snapshot: read the cluster live (-p ceph_live true, or --cloud)"
    assert "runbook collect" not in said["hosts/nova_compute"]


def test_a_list_that_may_be_cut_short_is_kept_said_and_still_said_after_a_round_trip(tmp_path):
    """What collect_openstack records of a list that ended on a full page without a next link."""
    cut = "openstack/servers: may be cut short: its last page (page 2) is full (10 items) and links to no next page"
    manifest = new_manifest("prod", {})
    manifest["parts"]["openstack/servers"] = {"origin": "collected", "pages": 2, "cut_short": cut}
    servers = [{"id": f"s{i}", "name": f"vm-{i}", "status": "ACTIVE"} for i in range(20)]
    snap = Snapshot(manifest, {"openstack/servers": servers})
    assert snap.unread == {"openstack/servers": cut} and len(snap.get("openstack/servers")) == 20
    assert snap.problems_for(["openstack/servers"]) == {"openstack/servers": cut}  # the runbooks' finding
    write_snapshot(snap, tmp_path / "snap")
    again = load_snapshot(tmp_path / "snap")
    assert again.unread == {"openstack/servers": cut} and len(again.get("openstack/servers")) == 20


def test_a_ceph_part_reads_the_bare_nan_its_release_printed_as_unknown_and_an_openstack_part_may_not(tmp_path):
    out = write_snapshot(Snapshot(new_manifest("c", {}), {"ceph/osd_df_tree": [{}], "openstack/servers": []}), tmp_path)
    (out / "ceph" / "osd_df_tree.json").write_text('[{"nodes": [{"id": 0, "kb_used": -nan, "name": "osd.-nan"}]}]')
    node = load_snapshot(out).get("ceph/osd_df_tree")[0]["nodes"][0]
    assert node["kb_used"] is None and node["name"] == "osd.-nan"  # unknown (null); the string as it was
    (out / "openstack" / "servers.json").write_text('[{"id": "a", "ram": -nan}]')
    with pytest.raises(SnapshotError, match=r"servers.json is not valid JSON \(Expecting value at line 1\)"):
        load_snapshot(out)
