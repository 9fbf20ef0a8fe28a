"""Reweight or upmap, and why; the plans side by side with Ceph's own optimizer, one byte model for all."""

import pytest

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.choice import (
    balancer_refusal,
    choose,
    compare_rebalancing,
    parse_upmap_commands,
    plan_ceph_upmap,
    remapped,
    upmap_allowed,
)
from runbook_lib.ceph_capacity.plan import plan_ceph_reweight

from .upmap_lab import lab_snapshot, recorded

CLEAN = {"pgmap": {"pgs_by_state": [{"state_name": "active+clean", "count": 105}]}}


def test_upmap_needs_luminous_clients_and_says_how_to_require_them():
    assert upmap_allowed({"require_min_compat_client": "luminous"})[0] is True
    allowed, why = upmap_allowed({"require_min_compat_client": "jewel"})
    assert not allowed and "ceph osd set-require-min-compat-client luminous" in why


@pytest.mark.parametrize(
    ("pgmap", "refusal"),
    [
        ({"pgs_by_state": [{"state_name": "unknown", "count": 1}]}, "some PGs are unknown"),
        (
            {"degraded_ratio": 0.12, "pgs_by_state": [{"state_name": "active+undersized+degraded", "count": 3}]},
            "objects are degraded (12.00%)",
        ),
        ({"pgs_by_state": [{"state_name": "peering", "count": 3}]}, "some PGs are inactive"),
        (
            {"misplaced_ratio": 0.06, "pgs_by_state": [{"state_name": "active+remapped+backfilling", "count": 3}]},
            "misplaced objects (6.00%) are at target_max_misplaced_ratio (5%) or above",
        ),
        ({"misplaced_ratio": 0.01, "pgs_by_state": [{"state_name": "active+remapped+backfilling", "count": 3}]}, ""),
        (CLEAN["pgmap"], ""),
        # ratios Ceph printed as nan reach here as null (ceph_json): no refusal made of them
        ({"degraded_ratio": None, "misplaced_ratio": None, **CLEAN["pgmap"]}, ""),
    ],
)
def test_the_balancer_refuses_in_its_own_order(pgmap, refusal):
    assert balancer_refusal({"pgmap": pgmap}) == refusal


def test_the_choice_names_every_fact_that_decided_it():
    degraded = {"pgmap": {"degraded_ratio": 0.2, "pgs_by_state": [{"state_name": "active+degraded", "count": 9}]}}
    choice = choose({"require_min_compat_client": "luminous"}, degraded, {"active": True, "mode": "upmap"}, 120)
    assert choice["plan"] == "upmap"
    assert any("the mgr balancer would refuse now (objects are degraded (20.00%))" in w for w in choice["why"])
    assert any("'ceph balancer off' first" in w for w in choice["why"])
    assert choose({"require_min_compat_client": "jewel"}, CLEAN, {}, 120)["plan"] == "reweight"


def test_osdmaptools_commands_are_read_back_as_items():
    items, other = parse_upmap_commands(
        [
            "ceph osd pg-upmap-items 1.0 0 2",
            "ceph osd pg-upmap-items 2.a 1 2 3 0",
            "ceph osd rm-pg-upmap-items 4.1",
            "what",
        ]
    )
    assert items == {"1.0": ((0, 2),), "2.a": ((1, 2), (3, 0)), "4.1": ()}
    assert other == ["what"]


def test_new_items_replace_the_old_ones_on_the_up_set():
    assert remapped((2, 1), ((0, 2),), ((0, 3),)) == (3, 1)  # CRUSH's choice was 0; now 3 instead of 2
    assert remapped((2, 1), ((0, 2),), ()) == (0, 1)
    assert remapped((0, 1), (), ((0, 1),)) == (0, 1)  # a target already in the set is ignored, as Ceph does


def test_side_by_side_the_byte_aware_plan_beats_cephs_optimizer_on_the_lab():
    analysis = analyse_ceph_capacity(lab_snapshot())
    rebalancing = compare_rebalancing(analysis, plan_ceph_reweight(analysis), plan_ceph_upmap(analysis))
    table = rebalancing.table.set_index("plan")
    assert list(table.index) == ["now", "reweight plan", "upmap plan", "Ceph's optimizer (osdmaptool --upmap)"]
    assert table.at["now", "fullest_after"] == pytest.approx(0.5514, abs=1e-4)
    upmap, ceph = table.loc["upmap plan"], table.loc["Ceph's optimizer (osdmaptool --upmap)"]
    assert upmap["fullest_after"] < ceph["fullest_after"] and upmap["moves"] < ceph["moves"]
    assert upmap["balancer_score"] < ceph["balancer_score"] < table.at["now", "balancer_score"]
    # osdmaptool balances PG counts: osd.3 (the fullest by bytes after osd.0) keeps all it has
    fill = rebalancing.fill.set_index("osd")
    assert fill.at["osd.3", "fill Ceph's optimizer (osdmaptool --upmap)"] == pytest.approx(
        fill.at["osd.3", "fill now"], abs=0.03
    )
    assert rebalancing.choice["plan"] == "upmap"


def test_without_the_pg_parts_the_plan_says_which_commands_give_them():
    analysis = analyse_ceph_capacity(lab_snapshot(pg_dump_pgs=None))
    plan = plan_ceph_upmap(analysis)
    assert plan.moves == [] and "ceph pg dump pgs --format json" in plan.refused
    rebalancing = compare_rebalancing(analysis, plan_ceph_reweight(analysis), plan)
    assert rebalancing.choice["plan"] == "reweight" and rebalancing.fill.empty


def test_old_clients_get_no_upmap_plan():
    dump = recorded("osd_dump.json") | {"require_min_compat_client": "jewel"}
    plan = plan_ceph_upmap(analyse_ceph_capacity(lab_snapshot(osd_dump=[dump])))
    assert plan.moves == [] and plan.refused.startswith("require_min_compat_client is jewel")
