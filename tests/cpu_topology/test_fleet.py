"""The images, flavors and servers tables, on the demo snapshot (real API output of the seeded mini cloud)."""

import pandas as pd

from runbook_lib.cpu_topology.fleet import tabulate_flavors, tabulate_images, tabulate_servers


def _by_name(records, name):
    return next(r for r in records if r["name"] == name)


def test_each_image_says_how_it_was_recognised_as_windows(demo_snapshot):
    images = tabulate_images(demo_snapshot.get("openstack/images")).set_index("image")
    columns = ["windows", "recognised_by", "edition", "socket_limit", "limit_source"]
    assert images.loc["Windows 10 Home 22H2", columns].tolist() == [
        True,
        "os_distro",
        "Home/Starter",
        1,
        "edition table",
    ]
    assert images.loc["win10-enterprise-ltsc-gold", columns].tolist() == [
        True,
        "name heuristic",
        "Pro/Enterprise/Education",
        2,
        "edition table",
    ]
    assert images.loc["Windows Server 2019 Datacenter", "socket_limit"] == 64
    ubuntu = images.loc["Ubuntu 24.04"]
    assert not ubuntu["windows"] and ubuntu["recognised_by"] == "" and ubuntu.isna()["socket_limit"]
    assert images.loc["Rocky 9 (pinned 4 sockets)", "hw_cpu_max_sockets"] == "4"
    assert len(images) == 10 and str(images["socket_limit"].dtype) == "Int64"


def test_the_properties_column_keeps_only_what_nova_reads(demo_snapshot):
    """hw_* and os_* keys, as Glance sent them (the typo included); Glance's own fields are left out."""
    images = tabulate_images(demo_snapshot.get("openstack/images")).set_index("image")
    pro = images.loc["Windows 10 Pro 22H2", "properties"]
    assert {k: pro[k] for k in ("hw_max_sockets", "os_type", "os_distro", "os_version")} == {
        "hw_max_sockets": "2",
        "os_type": "windows",
        "os_distro": "windows",
        "os_version": "10",
    }
    assert all(k.startswith(("hw_", "os_")) for k in pro) and "checksum" not in pro and "name" not in pro


def test_an_operator_override_applies_by_id_or_by_name(demo_snapshot):
    records = demo_snapshot.get("openstack/images")
    win7 = _by_name(records, "Windows 7 Professional SP1")["id"]
    images = tabulate_images(records, {win7: 64, "Windows 10 Home 22H2": 4}).set_index("image")
    assert images.loc["Windows 7 Professional SP1", ["socket_limit", "limit_source"]].tolist() == [
        64,
        "operator override",
    ]
    assert images.loc["Windows 10 Home 22H2", ["socket_limit", "limit_source"]].tolist() == [4, "operator override"]
    assert images.loc["Windows 10 Pro 22H2", "limit_source"] == "edition table"


def test_flavors_table_carries_vcpus_visibility_and_extra_specs(demo_copy):
    flavors = demo_copy.parts["openstack/flavors"]
    _by_name(flavors, "m1.xlarge")["os-flavor-access:is_public"] = False
    del _by_name(flavors, "m1.tiny")["os-flavor-access:is_public"]  # an older API leaves it out: public
    table = tabulate_flavors(flavors).set_index("flavor")
    assert list(table.columns) == ["flavor_id", "vcpus", "is_public", "extra_specs"]
    assert table.loc["m1.legacy", ["vcpus", "extra_specs"]].tolist() == [4, {"hw:max_sockets": "2"}]
    assert table.loc["w1.large", "extra_specs"] == {"hw:cpu_max_sockets": "2"}
    assert table["is_public"].to_dict() == {name: name != "m1.xlarge" for name in table.index}
    assert table.loc["m1.legacy", "flavor_id"] == _by_name(flavors, "m1.legacy")["id"]


def test_servers_read_glance_or_the_boot_volume(demo_snapshot):
    servers = tabulate_servers(
        demo_snapshot.get("openstack/servers"),
        demo_snapshot.get("openstack/images"),
        demo_snapshot.get("openstack/volumes"),
    ).set_index("server")
    home_image = _by_name(demo_snapshot.get("openstack/images"), "Windows 10 Home 22H2")["id"]
    root = _by_name(demo_snapshot.get("openstack/volumes"), "vdi-home-root")["id"]
    sql = servers.loc["sql-win7"]
    assert (sql["image"], sql["properties_from"], sql["boot_from_volume"]) == (
        "Windows 7 Professional SP1",
        "glance",
        False,
    )
    assert pd.isna(sql["boot_volume_id"])
    assert (sql["flavor"], sql["vcpus"], sql["host"]) == ("m1.large", 8, "minicompute")
    bfv = servers.loc["vdi-home-bfv"]
    assert (bfv["image"], bfv["image_id"], bfv["properties_from"], bfv["boot_volume_id"]) == (
        "Windows 10 Home 22H2",
        home_image,
        "volume_image_metadata",
        root,
    )
    assert bfv["boot_from_volume"] and bfv["properties"]["os_distro"] == "win10"
    assert not servers["image_changed_after_boot"].any()


def test_a_volume_backed_server_whose_volume_is_not_listed_is_said_so(demo_snapshot):
    servers = tabulate_servers(
        demo_snapshot.get("openstack/servers"), demo_snapshot.get("openstack/images"), []
    ).set_index("server")
    bfv = servers.loc["vdi-home-bfv"]
    assert (bfv["properties_from"], bfv["image"], bfv["properties"]) == ("boot volume not found", "", {})
    assert pd.isna(bfv["boot_volume_id"])


def test_a_server_whose_image_is_gone_keeps_the_image_id(demo_snapshot):
    images = [i for i in demo_snapshot.get("openstack/images") if i["name"] != "Windows 7 Professional SP1"]
    servers = tabulate_servers(demo_snapshot.get("openstack/servers"), images, []).set_index("server")
    sql = servers.loc["sql-win7"]
    gone = _by_name(demo_snapshot.get("openstack/images"), "Windows 7 Professional SP1")["id"]
    assert (sql["properties_from"], sql["image"], sql["image_id"], sql["properties"]) == (
        "image deleted or not visible",
        "",
        gone,
        {},
    )


def test_an_image_edited_after_the_server_booted_is_marked(demo_copy):
    """Nova's launched_at is naive UTC; Glance's updated_at is tz-aware: compared as instants."""
    image = _by_name(demo_copy.parts["openstack/images"], "Windows 11 Pro (fixed)")
    launched = pd.Timestamp(_by_name(demo_copy.parts["openstack/servers"], "win11-ok")["OS-SRV-USG:launched_at"])
    image["updated_at"] = (launched + pd.Timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    args = (demo_copy.get("openstack/servers"), demo_copy.get("openstack/images"), demo_copy.get("openstack/volumes"))
    changed = tabulate_servers(*args).set_index("server")["image_changed_after_boot"]
    assert changed[changed].index.tolist() == ["win11-ok"]
    image["updated_at"] = (launched - pd.Timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")  # Nova's copy is current
    assert not tabulate_servers(*args)["image_changed_after_boot"].any()


def test_the_root_volume_wins_over_a_data_volume_with_image_metadata(demo_copy):
    """app-data (made from demo-rbd-base) attached as vdb must not be taken for vdi-home-bfv's boot disk,
    whichever order Cinder lists the volumes in."""
    volumes = demo_copy.parts["openstack/volumes"]
    server_id = _by_name(demo_copy.get("openstack/servers"), "vdi-home-bfv")["id"]
    _by_name(volumes, "app-data")["attachments"] = [{"server_id": server_id, "device": "/dev/vdb"}]
    root = _by_name(volumes, "vdi-home-root")["id"]
    for order in (volumes, list(reversed(volumes))):
        servers = tabulate_servers(demo_copy.get("openstack/servers"), demo_copy.get("openstack/images"), order)
        bfv = servers.set_index("server").loc["vdi-home-bfv"]
        assert (bfv["boot_volume_id"], bfv["image"]) == (root, "Windows 10 Home 22H2")


def test_api_timestamps_of_every_shape_compare_in_utc():
    import datetime as dt

    from runbook_lib.cpu_topology.fleet import _instant, _later

    utc = dt.UTC
    noon = dt.datetime(2026, 12, 1, 12, 0, tzinfo=utc)
    assert _instant("2026-12-01T12:00:00Z") == noon  # Glance
    assert _instant("2026-12-01T12:00:00.000000") == noon  # Nova's launched_at: naive UTC
    assert _instant("2026-12-01T14:00:00+02:00") == noon
    assert _instant("Tue, 01 Dec 2026 12:00:00 GMT") == noon  # not ISO 8601: read by pandas
    assert _instant("not a date") is None and _instant(None) is None and _instant("") is None
    assert _later("2026-12-01T12:00:01Z", "2026-12-01T12:00:00.000000")
    assert not _later("2026-12-01T11:59:59Z", "2026-12-01T14:00:00+02:00")  # a second before, in another zone
    # Glance's whole seconds: an edit stamped 12:00:00Z was made in [12:00:00, 12:00:01), so possibly after a
    # boot at 12:00:00.4 (the seed's vdi-1 case: its image edited the moment it went ACTIVE)
    assert _later("2026-12-01T12:00:00Z", "2026-12-01T12:00:00.400000")
    assert _later("2026-12-01T12:00:00Z", "2026-12-01T14:00:00+02:00")
    assert not _later("2026-12-01T12:00:00.300000Z", "2026-12-01T12:00:00.400000")  # finer stamps: exact
    assert not _later("garbage", "2026-12-01T12:00:00")
