"""Where PGs are and where they may go: the PG table with bytes per copy, CRUSH rules as a move's constraint,
the CRUSH tree, and Ceph's balancer score recomputed offline (checked against `ceph balancer eval`)."""

import pandas as pd

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.placement import (
    ITEM_NONE,
    Rule,
    ancestors,
    balancer_score,
    crush_members,
    may_receive,
    pool_rules,
    settled_used_kb,
    tabulate_pgs,
    undersized_pgs,
    upmap_items,
)

from .upmap_lab import lab_snapshot, recorded

HOST_RULE = {
    "rule_id": 1,
    "steps": [
        {"op": "take", "item": -2, "item_name": "default~ssd"},
        {"op": "chooseleaf_firstn", "num": 0, "type": "host"},
        {"op": "emit"},
    ],
}
RACK_RULE = {
    "rule_id": 2,
    "steps": [
        {"op": "take", "item": -1, "item_name": "default"},
        {"op": "choose_firstn", "num": 2, "type": "rack"},
        {"op": "chooseleaf_firstn", "num": 2, "type": "host"},
        {"op": "emit"},
    ],
}
EC_PROFILE = {"ec42": {"k": "4", "m": "2", "plugin": "jerasure"}}


def tree(layout: dict[str, dict[str, list[int]]], device_class: str = "ssd") -> dict:
    """An ``osd df tree`` of racks → hosts → OSDs (ids as given)."""
    nodes, next_id = [], -10
    root = {"id": -1, "name": "default", "type": "root", "children": []}
    for rack, hosts in layout.items():
        rack_node = {"id": next_id, "name": rack, "type": "rack", "children": []}
        root["children"].append(next_id)
        next_id -= 1
        for host, osds in hosts.items():
            rack_node["children"].append(next_id)
            nodes.append({"id": next_id, "name": host, "type": "host", "children": osds})
            next_id -= 1
            nodes += [{"id": o, "name": f"osd.{o}", "type": "osd", "device_class": device_class} for o in osds]
        nodes.append(rack_node)
    return {"nodes": [root, *nodes]}


WHERE = ancestors(tree({"r1": {"h1": [0, 1], "h2": [2, 3]}, "r2": {"h3": [4, 5], "h4": [6]}}))


def test_the_labs_rule_separates_osds_and_a_class_rule_hosts():
    rules = pool_rules(
        [*recorded("osd_crush_rule_dump.json"), HOST_RULE, RACK_RULE],
        {
            "pools": [
                {"pool": 1, "crush_rule": 0},
                {"pool": 2, "crush_rule": 1},
                {"pool": 3, "crush_rule": 2},
                {"pool": 4, "crush_rule": 9},
            ]
        },
    )
    assert rules == {
        1: Rule("default", "", "osd"),
        2: Rule("default", "ssd", "host"),
        3: Rule("default", "", "host", above=("rack",)),
    }  # pool 4's rule is not in the dump: left out, never guessed


def test_every_osd_knows_its_buckets_up_to_the_root():
    assert WHERE[5] == {"osd": "osd.5", "class": "ssd", "host": "h3", "rack": "r2", "root": "default"}


def test_a_copy_never_joins_another_copy_of_its_pg_in_the_failure_domain():
    host = Rule("default", "ssd", "host")
    assert may_receive(host, (0, 2), 0, 1, WHERE) is True  # osd.1 shares a host only with the copy leaving
    assert may_receive(host, (0, 2), 0, 3, WHERE) is False  # osd.3's host h2 holds the other copy
    assert may_receive(host, (0, 2), 0, 2, WHERE) is False  # already holds a copy
    assert may_receive(Rule("default", "hdd", "host"), (0, 2), 0, 4, WHERE) is False  # wrong class
    assert may_receive(Rule("other", "", "osd"), (0, 2), 0, 4, WHERE) is False  # another root
    assert may_receive(host, (0, ITEM_NONE), 0, 4, WHERE) is True  # a degraded EC PG's hole is no copy


def test_a_rule_that_picks_racks_first_keeps_each_copy_in_its_rack():
    rack = Rule("default", "", "host", above=("rack",))
    assert may_receive(rack, (0, 2, 4), 0, 1, WHERE) is True  # same host, same rack
    assert may_receive(rack, (0, 4), 0, 6, WHERE) is False  # another rack: the rule's rack choice would change


def test_an_erasure_coded_shard_carries_its_share_and_a_replica_its_omap_too():
    dump = {
        "pools": [{"pool": 1, "type": 1}, {"pool": 2, "type": 3, "erasure_code_profile": "ec42"}],
        "erasure_code_profiles": EC_PROFILE,
    }
    pgs, unread = tabulate_pgs(
        {
            "pg_stats": [
                {
                    "pgid": "1.0",
                    "up": [0, 1],
                    "acting": [0, 1],
                    "stat_sum": {"num_bytes": 4096, "num_omap_bytes": 1024},
                },
                {
                    "pgid": "2.0",
                    "up": [0, 1, 2, 3, 4, 5],
                    "acting": [0, 1, 2, 3, 4, 5],
                    "stat_sum": {"num_bytes": 16384},
                },
                {"pgid": None, "up": "?"},
            ]
        },
        dump,
    )
    assert pgs.set_index("pgid")["copy_kb"].to_dict() == {"1.0": 5.0, "2.0": 4.0}
    assert unread == ["None"]


def test_a_pg_in_backfill_is_counted_where_it_will_be():
    osds = pd.DataFrame({"osd": [0, 1, 2], "kb_used": [100.0, 100.0, 100.0]})
    pgs = pd.DataFrame({"pgid": ["1.0"], "up": [(0, 2)], "acting": [(0, 1)], "copy_kb": [10.0]})
    assert settled_used_kb(osds, pgs) == {0: 100.0, 1: 90.0, 2: 110.0}


def test_existing_upmap_items_are_read_per_pg():
    dump = {"pg_upmap_items": [{"pgid": "1.7", "mappings": [{"from": 0, "to": 2}, {"from": 3, "to": 1}]}]}
    assert upmap_items(dump) == {"1.7": ((0, 2), (3, 1))}


def test_the_offline_score_is_what_ceph_balancer_eval_printed_for_the_same_cluster():
    layout = analyse_ceph_capacity(lab_snapshot()).layout
    score = balancer_score(layout.pgs, layout.osds, layout.rules, layout.where)
    assert round(score, 6) == 0.075257  # `ceph balancer eval` at epoch 22 (fixture README)


def test_an_undersized_pg_counts_the_lost_osds_that_are_still_in():
    """CRUSH still maps the missing copy to the down-but-in OSD: its host is taken; an out OSD is no member."""
    osds = pd.DataFrame({"osd": [0, 1, 2, 3], "up": [True, True, False, False], "in": [True, True, True, False]})
    pgs = pd.DataFrame(
        {
            "pgid": ["1.0", "1.1", "4.0"],
            "state": ["active+undersized+degraded", "active+clean", "active+undersized"],
            "up": [(0, 1), (0, 1), (0, ITEM_NONE, 1)],
        }
    )
    assert crush_members(pgs, osds) == {"1.0": (0, 1, 2), "1.1": (0, 1), "4.0": (0, 1, 2)}
    everyone_up = osds.assign(up=True)
    assert crush_members(pgs, everyone_up)["1.0"] == (0, 1)
    assert undersized_pgs(pgs, osds) == {"1.0", "4.0"} and undersized_pgs(pgs, everyone_up) == set()
