"""Opening the CPU-topology runbook's source without a cloud: the demo, a snapshot directory, nothing."""

import pytest

from runbook_lib.cpu_topology import READS
from runbook_lib.cpu_topology.collect import open_snapshot
from runbook_lib.errors import ParameterError, SnapshotError
from runbook_lib.snapshot import write_snapshot


def test_the_demo_holds_every_part_the_runbook_reads():
    snapshot = open_snapshot(snapshot="demo")
    assert READS == ("openstack/flavors", "openstack/images", "openstack/servers", "openstack/volumes")
    assert {part: len(snapshot.get(part)) for part in READS} == {
        "openstack/flavors": 8,
        "openstack/images": 10,
        "openstack/servers": 27,
        "openstack/volumes": 3,
    }
    assert {snapshot.origin(part) for part in READS} == {"collected"} and not snapshot.live


def test_a_snapshot_directory_opens_as_it_was_written(demo_snapshot, tmp_path):
    write_snapshot(demo_snapshot, tmp_path / "snap")
    snapshot = open_snapshot(snapshot=str(tmp_path / "snap"))
    assert {part: snapshot.get(part) for part in READS} == {part: demo_snapshot.get(part) for part in READS}
    assert snapshot.manifest["cloud"] == "minicloud (seeded: cpu-topology, failures)"


def test_neither_a_cloud_nor_a_snapshot_is_a_parameter_error():
    with pytest.raises(ParameterError) as err:
        open_snapshot(cloud="", snapshot="")
    assert str(err.value) == "give either cloud (a clouds.yaml entry) or snapshot (a directory, or 'demo')"


def test_a_missing_snapshot_says_what_to_pass(tmp_path):
    with pytest.raises(SnapshotError) as err:
        open_snapshot(snapshot=str(tmp_path / "nowhere"))
    assert str(err.value) == (
        f"snapshot {str(tmp_path / 'nowhere')!r} not found; pass a directory written by 'runbook collect', "
        "a .tar.gz of one, or 'demo'"
    )


def test_guest_hosts_all_are_the_hosts_the_servers_run_on(demo_snapshot):
    from runbook_lib.cpu_topology.collect import collect_guest_xml, guest_hosts_of
    from runbook_lib.sources.ssh import HostAccess

    hosts = guest_hosts_of(demo_snapshot, "all")
    assert hosts and hosts == sorted(
        {h for s in demo_snapshot.get("openstack/servers") if (h := s.get("OS-EXT-SRV-ATTR:host"))}
    )
    assert guest_hosts_of(demo_snapshot, " cmp1, cmp2 ") == ["cmp1", "cmp2"]
    assert collect_guest_xml(demo_snapshot, HostAccess(), "") is demo_snapshot  # nothing asked: no SSH
