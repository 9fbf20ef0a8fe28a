"""The upmap plan on the lab's real state: exact PG moves in steps, each legal under the rule, receivers kept
below their mean and backfillfull − margin, every OSD's fill after each step predicted from the PGs' bytes."""

import pandas as pd

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.choice import plan_ceph_upmap
from runbook_lib.ceph_capacity.placement import Rule, ancestors, may_receive, settled_used_kb, with_item
from runbook_lib.ceph_capacity.upmap import Move, UpmapLimits, plan_upmap

from .test_placement import tree
from .upmap_lab import lab_snapshot


def test_the_lab_is_balanced_to_within_half_a_point_of_the_mean_in_nine_moves():
    analysis = analyse_ceph_capacity(lab_snapshot())
    plan = plan_ceph_upmap(analysis, UpmapLimits(max_moves=10, max_steps=5))
    final = plan.steps[-1].after
    mean = analysis.osds["kb_used"].sum() / analysis.osds["kb"].sum()
    assert len(plan.moves) == 9 and max(final.values()) - mean < 0.005
    assert plan.stopped.startswith("balanced: every OSD within 0.5%")
    # the first step as applied for real on the lab (fixture README): the exact PGs and their undo
    assert plan.table()["command"].tolist()[:3] == [
        "ceph osd pg-upmap-items 1.21 0 2",
        "ceph osd pg-upmap-items 1.1b 0 2",
        "ceph osd pg-upmap-items 1.30 3 1",
    ]
    assert plan.table()["undo"].tolist()[0] == "ceph osd rm-pg-upmap-items 1.21"


def test_each_step_moves_exactly_the_bytes_of_its_pgs_and_respects_its_limits():
    analysis = analyse_ceph_capacity(lab_snapshot())
    layout = analysis.layout
    limits = UpmapLimits(max_moves=10, max_steps=5, max_backfills=2)
    plan = plan_ceph_upmap(analysis, limits)
    used = settled_used_kb(layout.osds, layout.pgs)
    size = dict(zip(layout.osds["osd"], layout.osds["kb"], strict=True))
    copy = dict(zip(layout.pgs["pgid"], layout.pgs["copy_kb"], strict=True))
    for step in plan.steps:
        assert len(step.moves) <= limits.max_moves
        busy = pd.Series([m.source for m in step.moves] + [m.target for m in step.moves]).value_counts()
        assert busy.max() <= limits.max_backfills
        for move in step.moves:
            assert move.kb == copy[move.pgid] > 0
            used[move.source] -= move.kb
            used[move.target] += move.kb
        assert {o: used[o] / size[o] for o in used} == step.after
        assert max(step.after.values()) < analysis.ratios["backfillfull"] - limits.margin


def cluster(hosts: dict[str, list[int]], pgs: list[tuple[str, tuple[int, ...], float]], kb: float = 1000.0):
    """Equal OSDs under hosts; PGs as (pgid, up, KiB per copy); usage = the copies each OSD holds."""
    where = ancestors(tree({"r": hosts}))
    osds = sorted(where)
    used = {o: sum(c for _, up, c in pgs if o in up) for o in osds}
    frame = pd.DataFrame(
        {
            "osd": osds,
            "kb": kb,
            "kb_used": [used[o] for o in osds],
            "device_class": "ssd",
            "up": True,
            "in": True,
            "reweight": 1.0,
        }
    )
    table = pd.DataFrame(
        {
            "pgid": [p for p, _, _ in pgs],
            "pool": 1,
            "up": [u for _, u, _ in pgs],
            "acting": [u for _, u, _ in pgs],
            "copy_kb": [c for *_, c in pgs],
        }
    )
    return frame, used, table, where


def test_moves_never_put_two_copies_of_a_pg_on_one_host():
    # h1 is full of PGs whose other copy sits on h2; h3 is empty: every move must go to h3, never within h1/h2
    pgs = [(f"1.{i}", (i % 2, 2 + i % 2), 100.0) for i in range(6)]
    osds, used, table, where = cluster({"h1": [0, 1], "h2": [2, 3], "h3": [4, 5]}, pgs)
    rule = Rule("default", "ssd", "host")
    plan = plan_upmap(osds, used, table, {1: rule}, where, {}, {"backfillfull": 0.9}, UpmapLimits(max_backfills=10))
    assert plan.moves and {m.target for m in plan.moves} <= {4, 5}
    up = dict(zip(table["pgid"], table["up"], strict=True))
    for move in plan.moves:
        assert may_receive(rule, up[move.pgid], move.source, move.target, where)
        up[move.pgid] = tuple(move.target if o == move.source else o for o in up[move.pgid])
    assert all(len({where[o]["host"] for o in members}) == len(members) for members in up.values())


def test_a_receiver_is_never_pushed_past_backfillfull_minus_margin():
    pgs = [("1.0", (0,), 700.0), ("1.1", (0,), 200.0), ("1.2", (1,), 500.0)]
    osds, used, table, where = cluster({"h1": [0], "h2": [1]}, pgs)
    plan = plan_upmap(
        osds, used, table, {1: Rule("default", "", "osd")}, where, {}, {"backfillfull": 0.75}, UpmapLimits(margin=0.05)
    )
    assert [(m.pgid, m.target) for m in plan.moves] == [("1.1", 1)]  # 1.0 would take osd.1 to 120 %
    assert plan.steps[-1].after == {0: 0.7, 1: 0.7}


def test_a_cluster_with_no_legal_move_says_which_osd_stays_above_the_mean():
    pgs = [("1.0", (0, 1), 600.0), ("1.1", (0, 1), 100.0)]
    osds, used, table, where = cluster({"h1": [0], "h2": [1], "h3": [2]}, pgs, kb=1000.0)
    osds.loc[osds["osd"] == 2, "kb"] = 100.0  # the only emptier OSD is too small for either PG
    plan = plan_upmap(osds, used, table, {1: Rule("default", "", "host")}, where, {}, {"backfillfull": 0.9})
    assert plan.moves == [] and plan.stopped.startswith("no further legal move lowers the spread: osd.")


def test_an_existing_item_is_redirected_or_dropped_never_stacked():
    assert with_item((), 0, 2) == ((0, 2),)
    assert with_item(((0, 2),), 2, 3) == ((0, 3),)  # the copy CRUSH put on 0 was on 2: now on 3
    assert with_item(((0, 2),), 2, 0) == ()  # back where CRUSH had it: no item left
    assert with_item(((0, 2),), 1, 3) == ((0, 2), (1, 3))
    move = Move("1.7", 2, 0, 4.0, ((0, 2),), ())
    assert move.argv == ["ceph", "osd", "rm-pg-upmap-items", "1.7"]
    assert move.undo_argv == ["ceph", "osd", "pg-upmap-items", "1.7", "0", "2"]


def test_the_summary_records_carry_the_argv_and_its_undo():
    plan = plan_ceph_upmap(analyse_ceph_capacity(lab_snapshot()))
    record = plan.records()[0]
    assert record["argv"] == ["ceph", "osd", "pg-upmap-items", "1.21", "0", "2"]
    assert record["cli"] == "ceph osd pg-upmap-items 1.21 0 2" and record["old"] == [] and record["value"] == [[0, 2]]
    assert record["undo_argv"] == ["ceph", "osd", "rm-pg-upmap-items", "1.21"]
    assert record["moved_bytes"] == 20 * 1024**2
    assert record["effect"] == "osd.0 55.14%→48.11%, osd.2 25.62%→29.13% after step 1"


def test_a_cluster_with_no_osd_up_and_in_says_there_is_nothing_to_move_between():
    osds, used, table, where = cluster({"h1": [0], "h2": [1]}, [("1.0", (0, 1), 100.0)], kb=1000.0)
    plan = plan_upmap(osds.assign(**{"in": False}), used, table, {1: Rule("default", "", "host")}, where, {}, {})
    assert plan.moves == [] and plan.stopped == (
        "no OSD is up, in, weighted and of a known size: there is nothing to move data between"
    )
