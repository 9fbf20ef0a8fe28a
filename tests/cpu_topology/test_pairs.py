"""What Nova gives each server and each image × flavor pair, and the hw_* names Nova does not know."""

import pandas as pd

from runbook_lib.cpu_topology.fleet import tabulate_flavors, tabulate_images, tabulate_servers
from runbook_lib.cpu_topology.pairs import (
    analyse_image_flavor_pairs,
    analyse_servers,
    evaluate_pair,
    find_misspelled_properties,
    misspelled_findings,
)


def _by_name(records, name):
    return next(r for r in records if r["name"] == name)


def test_a_windows_home_guest_on_four_sockets_sees_one_vcpu():
    result = evaluate_pair(4, {}, {"os_distro": "win10"}, "Windows 10 Home 22H2", None)
    assert result == {
        "windows": True,
        "recognised_by": "os_distro",
        "edition": "Home/Starter",
        "socket_limit": 1,
        "topology": "4s×1c×1t",
        "sockets": 4,
        "error": None,
        "visible_vcpus": 1,
        "lost_vcpus": 3,
    }


def test_novas_refusal_is_reported_not_raised():
    result = evaluate_pair(8, {"hw:cpu_max_sockets": "2"}, {"hw_cpu_max_sockets": "4"}, "Rocky 9", None)
    assert result["error"] == (
        "ImageVCPULimitsRangeExceeded: Image vCPU topology limits (sockets=4, cores=0, threads=0) exceeds the "
        "limits of the flavor (sockets=2, cores=0, threads=0)"
    )
    assert (result["topology"], result["sockets"], result["visible_vcpus"], result["lost_vcpus"]) == (
        None,
        None,
        None,
        None,
    )


def test_a_non_integer_image_property_is_an_error_of_the_pair():
    result = evaluate_pair(4, {}, {"hw_cpu_max_sockets": "two"}, "odd image", None)
    assert result["error"] == "ValueError: Invalid image property hw_cpu_max_sockets='two': an integer is required"


def test_the_operator_override_sets_the_socket_limit():
    result = evaluate_pair(8, {}, {"os_type": "windows"}, "Windows 10 Pro", 1)
    assert (result["socket_limit"], result["topology"], result["visible_vcpus"], result["lost_vcpus"]) == (
        1,
        "8s×1c×1t",
        1,
        7,
    )


def test_every_active_image_meets_every_public_flavor(demo_analysis):
    pairs = demo_analysis.pairs.set_index(["image", "flavor"])
    assert len(pairs) == 80  # 10 active images × 8 public flavors
    home = pairs.loc[("Windows 10 Home 22H2", "m1.medium")]
    assert (home["topology"], home["visible_vcpus"], home["lost_vcpus"]) == ("4s×1c×1t", 1, 3)
    capped = pairs.loc[("Windows 10 Pro 22H2", "w1.large")]  # the flavor caps sockets at 2
    assert (capped["topology"], capped["visible_vcpus"], capped["lost_vcpus"]) == ("2s×4c×1t", 8, 0)
    assert pairs.loc[("Rocky 9 (pinned 4 sockets)", "w1.large"), "error"].startswith("ImageVCPULimitsRangeExceeded")
    assert pairs.loc[("Ubuntu 24.04", "m1.xlarge"), "lost_vcpus"] == 0


def test_a_private_flavor_is_not_paired(demo_analysis):
    flavors = demo_analysis.flavors.copy()
    flavors.loc[flavors["flavor"] == "m1.xlarge", "is_public"] = False
    pairs = analyse_image_flavor_pairs(demo_analysis.images, flavors)
    assert "m1.xlarge" not in set(pairs["flavor"]) and len(pairs) == 70


def test_an_override_reaches_every_pair_of_its_image(demo_analysis):
    pairs = analyse_image_flavor_pairs(demo_analysis.images, demo_analysis.flavors, {"Windows 10 Pro 22H2": 64})
    pro = pairs[pairs["image"] == "Windows 10 Pro 22H2"]
    assert set(pro["socket_limit"]) == {64} and pro["lost_vcpus"].sum() == 0


def test_a_cap_added_after_boot_is_what_the_guest_may_still_lack(demo_copy):
    """win11-ok has hw_cpu_max_sockets=2 in Glance now; edited after the boot, Nova may still hold the
    uncapped copy, with which the Pro guest would see 2 of its 8 vCPUs."""
    launched = pd.Timestamp(_by_name(demo_copy.parts["openstack/servers"], "win11-ok")["OS-SRV-USG:launched_at"])
    edited = (launched + pd.Timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _by_name(demo_copy.parts["openstack/images"], "Windows 11 Pro (fixed)")["updated_at"] = edited
    servers = analyse_servers(
        tabulate_servers(
            demo_copy.get("openstack/servers"), demo_copy.get("openstack/images"), demo_copy.get("openstack/volumes")
        )
    ).set_index("server")
    assert servers.loc["win11-ok", ["topology", "lost_vcpus", "lost_if_booted_uncapped"]].tolist() == [
        "2s×4c×1t",
        0,
        6,
    ]
    assert servers.drop("win11-ok")["lost_if_booted_uncapped"].sum() == 0


def test_servers_get_the_topology_nova_chose(demo_analysis):
    servers = demo_analysis.servers.set_index("server")
    assert servers.loc["desk-home-1", ["topology", "sockets", "visible_vcpus", "lost_vcpus"]].tolist() == [
        "4s×1c×1t",
        4,
        1,
        3,
    ]
    assert servers.loc["db-1", ["topology", "lost_vcpus"]].tolist() == ["4s×2c×1t", 0]  # Rocky's own cap of 4
    # sql-win7, desk-win7, rdp-pro-1, desk-home-1, build-ltsc, bfv
    assert int(servers["lost_vcpus"].sum()) == 6 + 2 + 2 + 3 + 6 + 3


def test_unknown_hw_names_are_found_with_a_suggestion(demo_copy):
    """The demo's two real typos, plus the kinds seen in the field: a near miss, a topology key without
    'cpu_', a key too far from any name; NUMA list keys and non-hw keys are names Nova knows."""
    image = _by_name(demo_copy.parts["openstack/images"], "Windows 10 Pro 22H2")
    image.update({"hw_disk_buss": "sata", "hw_cores": "2", "hw_zzz": "1", "hw_numa_cpus.0": "0-1"})
    flavor = _by_name(demo_copy.parts["openstack/flavors"], "m1.legacy")
    flavor["extra_specs"].update(
        {"hw:cpu_polcy": "dedicated", "hw:threads": "2", "hw:numa_cpus.1": "2-3", "trait:CUSTOM_X": "required"}
    )
    found = find_misspelled_properties(demo_copy.get("openstack/images"), demo_copy.get("openstack/flavors"))
    rows = {(r.kind, r.name, r.key, r.value): r.did_you_mean for r in found.itertuples()}
    assert rows == {
        ("image", "Windows 10 Pro 22H2", "hw_max_sockets", "2"): "hw_cpu_max_sockets",
        ("image", "Windows 10 Pro 22H2", "hw_disk_buss", "sata"): "hw_disk_bus",
        ("image", "Windows 10 Pro 22H2", "hw_cores", "2"): "hw_cpu_cores",
        ("image", "Windows 10 Pro 22H2", "hw_zzz", "1"): "",
        ("flavor", "m1.legacy", "hw:max_sockets", "2"): "hw:cpu_max_sockets",
        ("flavor", "m1.legacy", "hw:cpu_polcy", "dedicated"): "hw:cpu_policy",
        ("flavor", "m1.legacy", "hw:threads", "2"): "hw:cpu_threads",
    }
    assert set(found.loc[found["kind"] == "flavor", "id"]) == {flavor["id"]}


def test_images_table_feeds_the_pairs_with_its_properties(demo_snapshot):
    """The pairs read the hw_/os_ properties of the images table: the typo'd Pro image stays uncapped."""
    images = tabulate_images(demo_snapshot.get("openstack/images"))
    pro = images[images["image"] == "Windows 10 Pro 22H2"]
    pairs = analyse_image_flavor_pairs(pro, tabulate_flavors(demo_snapshot.get("openstack/flavors")))
    assert pairs.set_index("flavor").loc["m1.medium", ["topology", "visible_vcpus"]].tolist() == ["4s×1c×1t", 2]


def test_a_fleet_is_worked_out_once_per_distinct_image_and_flavor_not_once_per_server(monkeypatch):
    import runbook_lib.cpu_topology.pairs as pairs

    calls = []
    real = pairs.evaluate_pair
    monkeypatch.setattr(pairs, "evaluate_pair", lambda *args: calls.append(args) or real(*args))
    win = {"os_type": "windows", "os_distro": "windows", "os_version": "10 Pro", "hw_cpu_max_sockets": "2"}
    linux_specs = {"hw:cpu_max_sockets": "2"}
    servers = pd.DataFrame(
        {
            "vcpus": [8, 8, 4] * 100,
            "extra_specs": [{}, {}, linux_specs] * 100,
            "properties": [win, dict(win), {}] * 100,  # equal values, not the same object: still one
            "image": ["win10", "win10", "linux"] * 100,
            "image_id": ["i1", "i1", "i2"] * 100,
            "image_changed_after_boot": [False, True, False] * 100,
        }
    )
    analysed = pairs.analyse_servers(servers)
    # two distinct (vcpus, specs, properties, name) in 300 servers, and the uncapped form of the changed one
    assert len(calls) == 3
    expected = [
        real(8, {}, win, "win10", None),
        real(8, {}, win, "win10", None),
        real(4, linux_specs, {}, "linux", None),
    ]
    assert analysed["lost_vcpus"].tolist() == [e["lost_vcpus"] for e in expected] * 100
    uncapped = real(8, {}, {k: v for k, v in win.items() if k != "hw_cpu_max_sockets"}, "win10", None)
    assert analysed["lost_if_booted_uncapped"].tolist() == [0, uncapped["lost_vcpus"], 0] * 100
    assert uncapped["lost_vcpus"] > 0


def test_a_misspelled_property_s_fix_quotes_what_glance_and_nova_hold_for_the_shell():
    images = [{"id": "img-1", "name": "win", "hw_max_sockets": "2; touch /tmp/x"}]
    flavors = [{"id": "f 1", "name": "odd", "extra_specs": {"hw:max_sockets": "$(id)"}}]
    image, flavor = misspelled_findings(find_misspelled_properties(images, flavors))
    assert image.remediation == (
        "openstack image set --property 'hw_cpu_max_sockets=2; touch /tmp/x' img-1 && "
        "openstack image unset --property hw_max_sockets img-1"
    )
    assert flavor.remediation == (
        "openstack flavor set --property 'hw:cpu_max_sockets=$(id)' 'f 1' && "
        "openstack flavor unset --property hw:max_sockets 'f 1'"
    )
