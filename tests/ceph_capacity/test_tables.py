"""Ceph's JSON as tables, on the real pacific captures: the ratios in force, each OSD's state, host and class
sums, pools with what users can still write, and the health checks."""

import copy

import pytest

from runbook_lib.ceph_capacity.tables import (
    CEPH_PARTS,
    INVENTORY_PARTS,
    PARTS,
    one,
    osd_state,
    ratios_in_order,
    summarise_by,
    tabulate_health,
    tabulate_osds,
    tabulate_pools,
    thresholds,
    with_states,
)
from runbook_lib.snapshot import Snapshot

from .pacific import osds_of, recorded, snapshot_of


def test_ratios_come_from_the_osdmap_and_float32_is_tolerated():
    dump = recorded("02-nearfull", "osd_dump")
    assert dump["full_ratio"] != 0.7  # stored as float32: 0.699999988…
    assert thresholds(dump) == {"nearfull": 0.5, "backfillfull": 0.6, "full": 0.7}
    ratios = thresholds(dump)
    assert osd_state(0.69999999, ratios) == "full" and osd_state(0.6999, ratios) == "backfillfull"
    assert osd_state(float("nan"), ratios) == "out"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("01-healthy-empty", {"osd.0": "ok", "osd.1": "ok", "osd.2": "ok", "osd.3": "ok"}),
        ("02-nearfull", {"osd.0": "nearfull", "osd.1": "ok", "osd.2": "ok", "osd.3": "ok"}),
        ("07-backfillfull", {"osd.0": "backfillfull", "osd.1": "ok", "osd.2": "ok", "osd.3": "ok"}),
        ("08-full", {"osd.0": "full", "osd.1": "ok", "osd.2": "ok", "osd.3": "nearfull"}),
    ],
)
def test_osd_states_match_what_ceph_raised(state, expected):
    osds = osds_of(state)
    assert dict(zip(osds["name"], osds["state"], strict=True)) == expected
    assert set(osds["host"]) == {"vm"}  # the parent bucket from the tree


def test_every_osd_row_carries_cephs_own_numbers():
    tree = recorded("02-nearfull", "osd_df_tree")
    osds = tabulate_osds(tree, recorded("02-nearfull", "osd_dump")).set_index("name")
    for node in (n for n in tree["nodes"] if n["type"] == "osd"):
        row = osds.loc[node["name"]]
        assert (row["osd"], row["kb"], row["kb_used"], row["pgs"]) == (
            node["id"],
            node["kb"],
            node["kb_used"],
            node["pgs"],
        )
        assert row["kb_movable"] == node["kb_used_data"] + node["kb_used_omap"]  # BlueFS metadata cannot move
        assert row["kb_movable"] < row["kb_used"]
        assert row["utilization"] == pytest.approx(node["utilization"] / 100)  # osd df prints a percentage
        assert (row["crush_weight"], row["reweight"]) == (node["crush_weight"], node["reweight"])
        assert row["device_class"] == "hdd" and row["up"] and row["in"]
    assert list(osds.index) == ["osd.0", "osd.1", "osd.2", "osd.3"]


def test_an_osd_without_space_is_out_and_takes_its_up_and_in_from_the_osdmap():
    tree, dump = (
        copy.deepcopy(recorded("02-nearfull", "osd_df_tree")),
        copy.deepcopy(recorded("02-nearfull", "osd_dump")),
    )
    node = next(n for n in tree["nodes"] if n.get("name") == "osd.2")
    node.update(kb=0, kb_used=0, kb_avail=0, reweight=0)  # what osd df prints for an OSD marked out
    entry = next(o for o in dump["osds"] if o["osd"] == 2)
    entry.update(up=0, **{"in": 0})
    osds = with_states(tabulate_osds(tree, dump), thresholds(dump)).set_index("name")
    assert osds.loc["osd.2", "state"] == "out" and not osds.loc["osd.2", "up"] and not osds.loc["osd.2", "in"]
    assert osds.loc["osd.0", "state"] == "nearfull"
    assert summarise_by(osds.reset_index(), "host").at[0, "osds"] == 3  # an OSD without space is not summed


def test_empty_outputs_give_empty_tables_with_their_columns():
    osds = tabulate_osds({}, {})
    assert osds.empty and list(osds.columns)[:3] == ["osd", "name", "host"]
    assert with_states(osds, {})["state"].tolist() == []
    assert tabulate_pools({}, {}).empty
    health = tabulate_health({})
    assert health.empty and list(health.columns) == ["code", "severity", "summary", "detail", "muted"]


def test_fill_per_host_is_the_sum_of_its_osds():
    osds = osds_of("08-full")
    [host] = summarise_by(osds, "host").to_dict("records")
    assert host["host"] == "vm" and host["osds"] == 4 and host["pgs"] == osds["pgs"].sum()
    assert host["kb"] == osds["kb"].sum() and host["kb_used"] == osds["kb_used"].sum()
    assert host["fullest"] == osds["utilization"].max()
    assert host["utilization"] == pytest.approx(osds["kb_used"].sum() / osds["kb"].sum())
    [hdd] = summarise_by(osds, "device_class").to_dict("records")
    assert hdd["device_class"] == "hdd" and hdd["kb_used"] == host["kb_used"]


def test_pools_join_df_detail_with_the_osdmap():
    df, dump = recorded("02-nearfull", "df_detail"), recorded("02-nearfull", "osd_dump")
    pools = tabulate_pools(df, dump).set_index("pool")
    volumes = pools.loc["volumes"]
    stats = next(p["stats"] for p in df["pools"] if p["name"] == "volumes")
    assert (volumes["type"], volumes["size"], volumes["pg_num"]) == ("replicated", 2, 64)
    assert (volumes["stored"], volumes["bytes_used"], volumes["max_avail"], volumes["objects"]) == (
        stats["stored"],
        stats["bytes_used"],
        stats["max_avail"],
        stats["objects"],
    )
    assert volumes["flags"] == "hashpspool,nearfull" and volumes["application"] == "rbd"
    assert pools.loc["device_health_metrics", "application"] == "mgr_devicehealth"
    assert set(pools.index) == {p["name"] for p in df["pools"]}


def test_full_pools_have_nothing_left_to_write():
    pools = tabulate_pools(recorded("08-full", "df_detail"), recorded("08-full", "osd_dump"))
    assert pools["max_avail"].tolist() == [0, 0]
    assert all("full" in flags for flags in pools["flags"])


def test_health_checks_keep_code_severity_summary_and_every_detail():
    health = tabulate_health(recorded("08-full", "health_detail")).set_index("code")
    assert list(health.index) == ["OSD_FULL", "OSD_NEARFULL", "POOL_FULL"]
    assert health.loc["OSD_FULL", "severity"] == "HEALTH_ERR" and health.loc["OSD_FULL", "summary"] == "1 full osd(s)"
    assert health.loc["POOL_FULL", "severity"] == "HEALTH_WARN"  # pacific rates a full pool a warning
    assert health.loc["POOL_FULL", "detail"] == (
        "pool 'volumes' is full (no space); pool 'device_health_metrics' is full (no space)"
    )
    assert not health["muted"].any()


def test_ratios_in_order_includes_the_osd_failsafe():
    assert ratios_in_order(thresholds(recorded("02-nearfull", "osd_dump")))
    assert not ratios_in_order({"nearfull": 0.85, "backfillfull": 0.9, "full": 0.97})  # = failsafe
    assert not ratios_in_order({"nearfull": 0.75, "backfillfull": 0.6, "full": 0.7})


def test_one_is_the_single_record_of_a_part_or_nothing():
    snapshot = snapshot_of("02-nearfull")
    assert one(snapshot, "ceph/osd_dump") is snapshot.parts["ceph/osd_dump"][0]
    assert one(snapshot, "ceph/balancer_status") == {}
    assert one(Snapshot({}, {"ceph/osd_dump": []}), "ceph/osd_dump") == {}


def test_the_runbook_reads_the_ceph_parts_and_the_openstack_inventory():
    inventory = ("openstack/volumes", "openstack/volume_snapshots", "openstack/images", "openstack/servers")
    assert list(PARTS) == [*CEPH_PARTS, *inventory]
    assert set(INVENTORY_PARTS) == {"volumes", "snapshots", "images", "servers"}
    assert set(CEPH_PARTS) <= set(snapshot_of("02-nearfull").parts)


def test_an_osd_row_names_each_number_it_cannot_read_with_the_value_it_holds():
    nodes = [
        {"id": 0, "type": "osd", "name": "osd.0", "kb": "524288", "kb_used": float("nan"), "pgs": 3},
        {"id": 1, "type": "osd", "name": "osd.1", "kb": 100, "kb_used": None, "reweight": True},
        {"id": 2, "type": "osd", "name": "osd.2", "kb": 100, "kb_used": 40, "crush_weight": float("inf")},
        {"id": 3, "type": "osd", "name": "osd.3", "kb": 100, "kb_used": 40, "pgs": 7},
        {"id": 4, "type": "osd", "name": "osd.4", "kb": 100, "kb_used": 40, "reweight": None, "crush_weight": None},
        {"id": 5, "type": "osd", "name": "osd.5", "kb": 100, "kb_used": 40, "pgs": 12.5, "kb_avail": None},
        {"id": 6, "type": "osd", "name": "osd.6", "kb": 100, "kb_used": 40, "pgs": 12.0},
    ]
    table = tabulate_osds({"nodes": nodes}, {})
    assert table["problem"].tolist() == [
        "kb is the string '524288', kb_used is NaN",
        "kb_used is null or nan, reweight is true",
        "crush_weight is inf",
        "",
        "crush_weight is null or nan, reweight is null or nan",  # a plan computes with them: never NaN in it
        "pgs is 12.5",
        "",
    ]
    assert table["pgs"].tolist() == [0, 0, 0, 7, 0, 0, 12]
    assert table["utilization"].isna().tolist() == [True, True, False, False, False, False, False]
