"""The fleet analysis and findings, on the demo snapshot (real API output of the seeded mini cloud)."""

import pytest

from runbook_lib.cpu_topology.checks import analyse_cpu_topology
from runbook_lib.errors import ParameterError
from runbook_lib.findings import verdict
from runbook_lib.snapshot import Snapshot, new_manifest


def test_servers_losing_vcpus_are_exactly_the_windows_ones_without_a_cap(demo_analysis):
    lost = demo_analysis.affected_servers.set_index("server")
    assert set(lost.index) == {"sql-win7", "desk-win7", "rdp-pro-1", "desk-home-1", "build-ltsc", "vdi-home-bfv"}
    assert lost.loc["sql-win7", ["vcpus", "visible_vcpus", "topology"]].tolist() == [8, 2, "8s×1c×1t"]
    assert lost.loc["desk-win7", ["vcpus", "visible_vcpus", "topology"]].tolist() == [4, 2, "4s×1c×1t"]  # the post's
    assert lost.loc["desk-home-1", "visible_vcpus"] == 1  # Home uses one socket
    assert lost.loc["rdp-pro-1", "visible_vcpus"] == 2  # the hw_max_sockets typo fixed nothing


def test_capped_servers_keep_their_cpus(demo_analysis):
    servers = demo_analysis.servers.set_index("server")
    assert servers.loc["rdp-pro-2", "topology"] == "2s×4c×1t"  # flavor w1.large has hw:cpu_max_sockets=2
    assert servers.loc["win11-ok", "topology"] == "2s×4c×1t"  # image has hw_cpu_max_sockets=2
    assert servers.loc["dc-2019", "lost_vcpus"] == 0  # Server editions use 64 sockets
    assert servers.loc["web-1", "windows"] == False  # noqa: E712 (numpy bool)


def test_volume_backed_server_reads_the_volume_metadata(demo_analysis):
    bfv = demo_analysis.servers.set_index("server").loc["vdi-home-bfv"]
    assert bool(bfv["boot_from_volume"]) and bfv["properties_from"] == "volume_image_metadata"
    assert bfv["image"] == "Windows 10 Home 22H2" and bfv["socket_limit"] == 1


def test_misspelled_keys_are_found_with_the_right_name(demo_analysis):
    rows = {(r.kind, r.key): r.did_you_mean for r in demo_analysis.misspelled.itertuples()}
    assert rows == {
        ("image", "hw_max_sockets"): "hw_cpu_max_sockets",
        ("flavor", "hw:max_sockets"): "hw:cpu_max_sockets",
    }


def test_refused_pair_carries_novas_exception(demo_analysis):
    refused = demo_analysis.refused_pairs
    assert refused[["image", "flavor"]].values.tolist() == [["Rocky 9 (pinned 4 sockets)", "w1.large"]]
    assert refused["error"].iloc[0].startswith("ImageVCPULimitsRangeExceeded: Image vCPU topology limits (sockets=4")


def test_findings_and_verdict(demo_analysis):
    kinds = {}
    for f in demo_analysis.findings:
        kinds.setdefault(f.kind, []).append(f)
    assert len(kinds["server-loses-vcpus"]) == 6 and all(f.severity == "crit" for f in kinds["server-loses-vcpus"])
    assert len(kinds["image-flavor-risk"]) == 4  # Win7 Pro, Win10 Home, Win10 Pro (typo), LTSC by name
    assert {f.subject.split(" (")[0] for f in kinds["boot-from-volume"]} == {"server vdi-home-bfv"}
    assert verdict(demo_analysis.findings) == "CRIT"
    desk = next(f for f in kinds["server-loses-vcpus"] if "desk-home-1" in f.subject)
    assert "hw_cpu_max_sockets=1" in desk.remediation and "nova-manage image_property set" in desk.remediation


def test_socket_limit_override_changes_the_verdict(demo_snapshot):
    analysis = analyse_cpu_topology(demo_snapshot, socket_limits={"Windows 7 Professional SP1": 64})
    assert "sql-win7" not in set(analysis.affected_servers["server"])


def test_a_part_that_could_not_be_collected_is_an_error_finding(demo_copy):
    demo_copy.problems["openstack/servers"] = "openstack/servers: cloud 'x' answered HTTP 403 — ..."
    del demo_copy.parts["openstack/servers"]
    analysis = analyse_cpu_topology(demo_copy)
    problem = [f for f in analysis.findings if f.kind == "collection-problem"]
    assert [(f.severity, f.subject) for f in problem] == [("error", "openstack/servers")]
    assert verdict(analysis.findings) == "ERROR"


def test_an_empty_cloud_says_so():
    empty = Snapshot(
        new_manifest("empty", {}), {"openstack/servers": [], "openstack/images": [], "openstack/flavors": []}
    )
    analysis = analyse_cpu_topology(empty)
    assert [f.kind for f in analysis.findings] == ["nothing-to-check"]
    assert analysis.affected_servers.empty and analysis.risky_pairs.empty


@pytest.mark.parametrize("bad", [0, -3, 65, "two", 1.5, True, None])
def test_a_socket_limit_that_is_not_1_to_64_sockets_is_one_clear_line(demo_snapshot, bad):
    with pytest.raises(ParameterError, match=r"socket_limits\['win10-home'\] = .*: a Windows edition uses 1 to 64"):
        analyse_cpu_topology(demo_snapshot, socket_limits={"win10-home": bad})


def test_a_snapshot_with_no_openstack_part_gives_its_error_findings_not_a_crash():
    """A sosreport holds none of the API parts: every table is empty (with its columns), and each part is an
    error finding that says why."""
    parts = ("openstack/flavors", "openstack/images", "openstack/servers", "openstack/volumes")
    snapshot = Snapshot(new_manifest("sosreport cmp1", {}), {}, dict.fromkeys(parts, "no API JSON in a sosreport"))
    analysis = analyse_cpu_topology(snapshot)
    assert analysis.windows_images.empty and "edition" in analysis.windows_images.columns
    assert analysis.affected_servers.empty and analysis.risky_pairs.empty
    assert {f.severity for f in analysis.findings} == {"error"} and len(analysis.findings) == 4
