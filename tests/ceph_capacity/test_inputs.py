"""What cannot be read in Ceph's outputs is an error finding naming it: an OSD whose numbers do not read is left
out of every computation (and the report says so), an empty or disagreeing input stops the plans, which say
why; on the demo, damaged the ways a real cluster or a hand-edited snapshot damages it."""

import math

import pytest

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.choice import compare_rebalancing, plan_ceph_upmap
from runbook_lib.ceph_capacity.inputs import check_inputs, check_pg_dump, osd_names, rbd_problems
from runbook_lib.ceph_capacity.plan import plan_ceph_reweight
from runbook_lib.ceph_capacity.tables import tabulate_osds, with_states


def _osd(snapshot, osd):
    return next(n for n in snapshot.parts["ceph/osd_df_tree"][0]["nodes"] if n.get("id") == osd)


def _errors(analysis):
    return [(f.kind, f.subject, f.message) for f in analysis.findings if f.severity == "error"]


def _plans(analysis):
    reweight, upmap = plan_ceph_reweight(analysis), plan_ceph_upmap(analysis)
    return reweight, upmap, compare_rebalancing(analysis, reweight, upmap)


@pytest.mark.parametrize(
    ("value", "said"),
    [(math.nan, "kb_used is NaN"), (None, "kb_used is null or nan"), ("301560", "kb_used is the string '301560'")],
)
def test_an_osd_whose_use_cannot_be_read_is_named_and_left_out_of_the_mean_the_spread_and_the_plans(
    demo_copy, value, said
):
    _osd(demo_copy, 0)["kb_used"] = value
    analysis = analyse_ceph_capacity(demo_copy)
    assert _errors(analysis) == [
        (
            "osd-unreadable",
            "osd.0",
            f"osd.0 has numbers in osd df that cannot be read ({said}): its fill is unknown, and it is left out "
            "of the fill tables, the mean and the plans",
        )
    ]
    assert list(analysis.osds["name"]) == ["osd.1", "osd.2", "osd.3"]
    assert analysis.summary.startswith("3 OSD(s), average 37.6% full, fullest 46.0%")
    assert analysis.summary.endswith(f"; left out, its numbers in osd df cannot be read: osd.0 ({said})")
    reweight, upmap, rebalancing = _plans(analysis)
    assert reweight.model_note.endswith(f"left out, its numbers in osd df cannot be read: osd.0 ({said})")
    assert upmap.held == f"left out, its numbers in osd df cannot be read: osd.0 ({said})"
    assert all(0 not in s.after for s in upmap.steps) and all(m.target != 0 for m in upmap.moves)
    assert rebalancing.table[["fullest_after", "fill_stddev_pp"]].notna().all().all()


def test_a_size_written_as_a_string_leaves_that_osd_out_and_every_plan_is_still_computed(demo_copy):
    _osd(demo_copy, 0)["kb"] = "524288"
    analysis = analyse_ceph_capacity(demo_copy)
    assert [(k, s) for k, s, _ in _errors(analysis)] == [("osd-unreadable", "osd.0")]
    assert "(kb is the string '524288')" in _errors(analysis)[0][2]
    assert not analysis.not_planned and plan_ceph_upmap(analysis).refused == ""


def test_osd_df_without_osd_rows_is_one_error_and_no_plan_nor_nan_is_made_up(demo_copy):
    demo_copy.parts["ceph/osd_df_tree"][0]["nodes"] = []
    analysis = analyse_ceph_capacity(demo_copy)
    assert _errors(analysis) == [
        (
            "osd-df-empty",
            "ceph/osd_df_tree",
            "osd df has no OSD rows; the OSDMap has 4 OSD(s) (osd.0–osd.3): no OSD's fill can be computed, nor "
            "any plan",
        )
    ]
    assert analysis.findings[0].remediation.startswith("run 'ceph osd df tree -f json' (its nodes must list")
    assert analysis.summary == "no OSD's fill computed: osd df has no OSD rows (see the findings)"
    assert analysis.why_no_osd == "no OSD: osd df has no OSD rows (see the findings)"
    reweight, upmap, rebalancing = _plans(analysis)
    assert reweight.stopped == "not computed: osd df has no OSD rows" and not reweight.steps
    assert upmap.refused == "not computed: osd df has no OSD rows"
    assert rebalancing.choice == {"plan": "none", "why": ["no plan computed: osd df has no OSD rows"]}
    assert rebalancing.table.empty and rebalancing.no_fill == "no plan computed: osd df has no OSD rows"
    reclaim = next(f for f in analysis.findings if f.kind == "reclaimable")
    assert "nan" not in reclaim.message and "unknown (no OSD's fill was read)" in reclaim.message


def test_pg_dump_without_pgs_is_an_error_and_the_upmap_plan_says_why_it_was_not_computed(demo_copy):
    demo_copy.parts["ceph/pg_dump_pgs"][0]["pg_stats"] = []
    analysis = analyse_ceph_capacity(demo_copy)
    why = (
        "pg dump holds no PGs while osd df counts 210 PG copies on 4 OSD(s): the upmap plan and the CRUSH replay "
        "of the reweight plan are not computed"
    )
    assert _errors(analysis) == [("pg-dump-empty", "ceph/pg_dump_pgs", why)]
    assert plan_ceph_upmap(analysis).refused == f"not computed: {why}"
    assert plan_ceph_reweight(analysis).model_note.endswith(f"(not the CRUSH mapping: {why})")


def test_an_osdmap_without_osds_beside_osd_df_s_four_is_an_error_and_stops_the_plans(demo_copy):
    demo_copy.parts["ceph/osd_dump"][0]["osds"] = []
    analysis = analyse_ceph_capacity(demo_copy)
    why = "osd dump lists no OSD: which OSDs are up and in is unknown"
    assert _errors(analysis) == [
        (
            "osdmap-empty",
            "ceph/osd_dump",
            "osd dump lists no OSD while osd df has 4 (osd.0–osd.3): which OSDs are up and in is unknown, so no "
            "plan is computed",
        )
    ]
    assert analysis.summary.endswith(f"; no plan computed: {why}")
    assert plan_ceph_upmap(analysis).refused == f"not computed: {why}"


def test_an_osd_in_osd_df_that_the_osdmap_lacks_and_one_up_and_in_without_a_row_are_named(demo_snapshot):
    dump = demo_snapshot.parts["ceph/osd_dump"][0]
    tree = demo_snapshot.parts["ceph/osd_df_tree"][0]
    table = with_states(tabulate_osds(tree, dump), {"nearfull": 0.5, "backfillfull": 0.6, "full": 0.7})
    read = check_inputs(table, {**dump, "osds": [o for o in dump["osds"] if o["osd"] != 3]}, {})
    assert [(f.kind, f.subject) for f in read.findings] == [("osd-not-in-osdmap", "osd.3")]
    read = check_inputs(table[table["osd"] != 2], dump, {})
    assert [(f.kind, f.subject, f.message.split(":")[0]) for f in read.findings] == [
        ("osd-unreadable", "osd.2", "osd.2 is up and in the OSDMap but has no row in osd df")
    ]
    assert not read.not_planned


def test_an_osd_df_not_collected_stops_the_plans_with_its_collection_problem():
    table = with_states(tabulate_osds({}, {}), {})
    read = check_inputs(
        table, {"osds": [{"osd": 0, "up": 1, "in": 1}]}, {"ceph/osd_df_tree": "'ceph osd df tree' failed"}
    )
    assert read.findings == [] and read.not_planned == "osd df was not read ('ceph osd df tree' failed)"


def test_pg_dump_and_rbd_pools_read_or_not():
    nodes = [{"id": 0, "type": "osd", "kb": 8, "kb_used": 1, "pgs": 3}]
    table = with_states(tabulate_osds({"nodes": nodes}, {}), {"nearfull": 0.85, "backfillfull": 0.9, "full": 0.95})
    assert check_pg_dump({"pg_stats": [{"pgid": "1.0"}]}, table) is None
    assert check_pg_dump({"pg_stats": []}, table).message.startswith("pg dump holds no PGs while osd df counts 3")
    problems, absent = rbd_problems(
        [{"pool": "vms", "error": "'rbd ls' failed"}, {"pool": "backups", "error": "gone"}, {"pool": "volumes"}],
        {"pools": [{"pool_name": "vms"}, {"pool_name": "volumes"}]},
    )
    assert problems == {
        "ceph/rbd pool vms": "rbd could not read pool vms, so its images are not in the ledger: 'rbd ls' failed"
    }
    assert [(f.severity, f.subject) for f in absent] == [("info", "pool backups")]
    assert osd_names(list(range(12))) == "osd.0–osd.11" and osd_names([1, 5]) == "osd.1, osd.5"


def test_rbd_pools_not_read_are_one_finding_each_and_the_ledger_says_why_it_is_empty(demo_copy):
    for record in demo_copy.parts["ceph/rbd"]:
        record.update(images=[], du={}, trash=[], error=f"'rbd ls -l --pool {record['pool']}' failed")
    analysis = analyse_ceph_capacity(demo_copy)
    assert [s for k, s, _ in _errors(analysis)] == [
        f"ceph/rbd pool {p}" for p in ("volumes", "images", "vms", "backups")
    ]
    assert (
        analysis.why_no_image
        == "no RBD image read: rbd could not read pool(s) volumes, images, vms, backups (see the findings)"
    )
