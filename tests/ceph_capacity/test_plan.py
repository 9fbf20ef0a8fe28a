"""The stepwise guarded reweight plan on the pacific captures: Ceph's own proposal for step 1, the guard, the
tables the notebook shows, the comparisons with Ceph and with the cluster after a step."""

import pandas as pd
import pytest

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.plan import (
    CEPH_COUNT,
    FIRST_ORDER,
    ReweightLimits,
    compare_with_ceph,
    plan_ceph_reweight,
    plan_reweight,
    reweight_limits,
)

from .pacific import CEPH, osds_of, snapshot_of


def test_ceph_refuses_an_empty_cluster_and_the_record_says_so():
    assert "Refusing to reweight" in (CEPH / "01-healthy-empty.test_reweight_by_utilization.stderr.txt").read_text()
    assert compare_with_ceph(
        {"result": None, "error": "EDOM"},
        plan_ceph_reweight(analyse_ceph_capacity(snapshot_of("01-healthy-empty"))),
    ).empty


def test_plan_steps_follow_ceph_and_step_1_uses_cephs_own_pg_count():
    analysis = analyse_ceph_capacity(snapshot_of("02-nearfull"))
    plan = plan_ceph_reweight(analysis)
    first = plan.steps[0]
    assert first.changes == {0: (1.0, 0.95001220703125)} and first.model == CEPH_COUNT
    assert first.moved_pgs == pytest.approx(analysis.test_reweight["result"]["utilization"]["moved_pgs"])
    assert first.commands == ["ceph osd reweight 0 0.95001220703125"]  # in full: the mon truncates w × 65536
    assert all(b.max_after < b.max_before for b in plan.steps)
    table = plan.predicted_utilization(analysis.osds)
    assert table.columns[0] == "now" and table.shape == (4, len(plan.steps) + 1)
    comparison = compare_with_ceph(analysis.test_reweight, plan)
    assert comparison["same"].all()


def test_the_guard_stops_a_step_that_would_push_a_receiver_past_backfillfull():
    analysis = analyse_ceph_capacity(snapshot_of("08-full"))
    plan = plan_ceph_reweight(analysis, steps=8)
    # Ceph itself says lowering osd.0 from 0.85 to 0.80 moves no PG mapping on this small map
    assert plan.steps[0].model == CEPH_COUNT and plan.steps[0].moved_pgs == 0
    assert "moves no PG" in plan.table().at[0, "guard"]
    assert any(step.halved for step in plan.steps) and "past backfillfull" in plan.stopped
    ceiling = analysis.ratios["backfillfull"] - 0.02
    for step in plan.steps:
        gained = step.after["kb_used"] > step.before["kb_used"] + 1e-9
        assert (step.after.loc[gained, "utilization"] < ceiling).all()


def test_the_plan_table_says_each_steps_commands_weights_and_model():
    plan = plan_ceph_reweight(analyse_ceph_capacity(snapshot_of("02-nearfull")))
    table = plan.table()
    assert list(table.columns) == [
        "step",
        "commands",
        "osds",
        "moved_gib",
        "moved_pgs",
        "fullest_before",
        "fullest_after",
        "model",
        "guard",
    ]
    assert table["step"].tolist() == [1, 2, 3, 4, 5]
    assert table["commands"].tolist()[:3] == [
        "ceph osd reweight 0 0.95001220703125",
        "ceph osd reweight 0 0.9000244140625",
        "ceph osd reweight 0 0.85003662109375",
    ]
    assert table.at[0, "osds"] == "osd.0 1.0000→0.9500" and table.at[1, "osds"] == "osd.0 0.9500→0.9000"
    assert table["model"].tolist() == ["Ceph's PG count"] + ["first-order"] * 4
    assert table["guard"].tolist() == [""] * 5  # nothing halved: every receiver stays far below backfillfull
    assert (table["fullest_after"] < table["fullest_before"]).all()
    assert table.at[0, "moved_pgs"] == 1.0  # Ceph's own count for step 1
    assert plan.stopped == "5 step(s) planned; run again after they are applied"
    assert plan.limits == {"oload": 120, "max_change": 0.05, "max_osds": 4, "margin": 0.02, "no_increasing": True}


def test_each_step_starts_from_the_state_the_previous_one_predicts():
    analysis = analyse_ceph_capacity(snapshot_of("02-nearfull"))
    plan = plan_ceph_reweight(analysis, steps=3)
    assert plan.steps[0].before.equals(analysis.osds)
    for previous, step in zip(plan.steps, plan.steps[1:], strict=False):
        assert step.before is previous.after
        assert step.changes[0][0] == previous.changes[0][1]  # the old weight is the one the last step set
    predicted = plan.predicted_utilization(analysis.osds)
    assert list(predicted.columns) == ["now", "after step 1", "after step 2", "after step 3"]
    assert list(predicted.index) == ["osd.0", "osd.1", "osd.2", "osd.3"]
    assert predicted["after step 3"].tolist() == plan.steps[2].after["utilization"].tolist()
    assert plan.steps[2].max_after == pytest.approx(predicted["after step 3"].max())


def test_other_limits_than_cephs_recorded_proposal_plan_from_the_model_alone():
    analysis = analyse_ceph_capacity(snapshot_of("02-nearfull"))  # Ceph was asked at oload 120
    plan = plan_ceph_reweight(analysis, reweight_limits(oload=110), steps=1)
    step = plan.steps[0]
    assert step.commands == ["ceph osd reweight 0 0.95001220703125", "ceph osd reweight 3 0.95001220703125"]
    assert step.model == FIRST_ORDER and plan.table().at[0, "model"] == "first-order"
    comparison = compare_with_ceph(analysis.test_reweight, plan).set_index("osd")
    assert comparison.at["osd.0", "same"] and not comparison.at["osd.3", "same"]  # Ceph (at 120) left osd.3
    assert (
        pd.isna(comparison.at["osd.3", "ceph_proposes"]) and comparison.at["osd.3", "plan_step_1"] == 0.95001220703125
    )


def test_a_plan_stops_when_no_osd_is_above_the_overload():
    plan = plan_ceph_reweight(analyse_ceph_capacity(snapshot_of("02-nearfull")), reweight_limits(oload=200))
    assert plan.steps == []
    assert plan.stopped == "no OSD is above 200% of the average utilization: nothing more to move"
    assert plan.table().empty and list(plan.predicted_utilization(osds_of("02-nearfull")).columns) == ["now"]


def test_without_ceph_data_there_is_no_plan_and_nothing_to_compare():
    plan = plan_reweight(pd.DataFrame(), {})
    assert plan.steps == [] and plan.stopped == "no Ceph data to plan with"
    assert compare_with_ceph({}, plan).empty
    assert list(compare_with_ceph({}, plan).columns) == [
        "osd",
        "ceph_proposes",
        "plan_step_1",
        "same",
        "ceph_moved_pgs",
        "plan_moved_pgs",
    ]


def test_the_limits_are_one_value_for_the_gather_and_the_plan():
    limits = reweight_limits(oload=110, max_change=0.1, max_osds=2, no_increasing=False)
    assert limits == ReweightLimits(110, 0.1, 2, False)
    assert limits.as_dict() == {"oload": 110, "max_change": 0.1, "max_osds": 2, "no_increasing": False}
    assert ReweightLimits().as_dict() == {"oload": 120, "max_change": 0.05, "max_osds": 4, "no_increasing": True}


def test_the_plan_is_machine_readable_one_record_per_osd_change_with_its_argv():
    analysis = analyse_ceph_capacity(snapshot_of("03-nearfull-with-rbd"))
    plan = plan_ceph_reweight(analysis)
    records = plan.records()
    assert len(records) == sum(len(s.changes) for s in plan.steps) > 0
    first = records[0]
    assert first["argv"] == ["ceph", "osd", "reweight", "0", "0.95001220703125"] and first["cli"] == " ".join(
        first["argv"]
    )
    assert (first["step"], first["target_id"], first["action"], first["value"]) == (
        1,
        "osd.0",
        "reweight",
        "0.95001220703125",
    )
    assert first["effect"].startswith(f"step 1: fullest OSD {plan.steps[0].max_before:.1%} → ")
    assert [r["cli"] for r in records if r["step"] == 1] == plan.steps[0].commands


def test_an_empty_comparison_with_ceph_says_whether_it_was_not_asked_refused_or_failed():
    from runbook_lib.ceph_capacity.plan import why_no_proposal

    assert why_no_proposal({}).startswith("no proposal recorded: this snapshot has no ceph/test_reweight")
    refused = "'ceph osd test-reweight-by-utilization 120' failed with exit code 33: Error EDOM: Refusing to reweight"
    assert why_no_proposal({"result": None, "error": refused}) == f"no proposal: {refused}"
    assert why_no_proposal({"result": None, "error": ""}) == "no proposal recorded"
    assert why_no_proposal({"result": {"reweights": []}, "error": ""}) == (
        "Ceph's test-reweight-by-utilization changes no weight at these limits, and neither does step 1"
    )
