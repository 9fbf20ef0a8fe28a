"""Applying step 1 of the upmap plan: a dry run prints each command with its undo; a change needs a live read;
the verification holds each OSD to 0.1 point; the chosen plan is the one run unless rebalance_with says."""

import pandas as pd
import pytest

from runbook_lib.ceph_capacity.apply_upmap import (
    apply_chosen_step,
    apply_upmap_step,
    compare_upmap_prediction,
    drifted_since_read,
)
from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.choice import plan_ceph_upmap
from runbook_lib.ceph_capacity.plan import plan_ceph_reweight
from runbook_lib.errors import ParameterError

from .upmap_lab import lab_snapshot

DRY_RUN = "dry run: nothing changed (apply=True runs step 1, follows recovery and compares with the prediction)"


def test_a_dry_run_prints_step_1_with_its_undo_and_apply_needs_a_live_cluster(capsys):
    snapshot = lab_snapshot()
    analysis = analyse_ceph_capacity(snapshot)
    plan = plan_ceph_upmap(analysis)
    assert apply_upmap_step(snapshot, analysis, plan, False) is None
    assert capsys.readouterr().out.splitlines() == [
        "would run: ceph osd pg-upmap-items 1.21 0 2    (undo: ceph osd rm-pg-upmap-items 1.21)",
        "would run: ceph osd pg-upmap-items 1.1b 0 2    (undo: ceph osd rm-pg-upmap-items 1.1b)",
        "would run: ceph osd pg-upmap-items 1.30 3 1    (undo: ceph osd rm-pg-upmap-items 1.30)",
        DRY_RUN,
    ]
    with pytest.raises(ParameterError, match="read it live"):
        apply_upmap_step(snapshot, analysis, plan, True)


def test_the_chosen_plan_runs_unless_rebalance_with_names_another(capsys):
    snapshot = lab_snapshot()
    analysis = analyse_ceph_capacity(snapshot)
    reweight, upmap = plan_ceph_reweight(analysis), plan_ceph_upmap(analysis)
    apply_chosen_step(snapshot, analysis, {"plan": "upmap"}, reweight, upmap)
    out = capsys.readouterr().out
    assert out.startswith("plan: upmap (the runbook's choice)\nwould run: ceph osd pg-upmap-items 1.21 0 2")
    apply_chosen_step(snapshot, analysis, {"plan": "upmap"}, reweight, upmap, "reweight")
    assert capsys.readouterr().out.startswith("plan: reweight (asked for)\nwould run: ceph osd reweight 0 ")
    with pytest.raises(ParameterError, match="rebalance_with must be one of auto, upmap, reweight, not 'crush'"):
        apply_chosen_step(snapshot, analysis, {"plan": "upmap"}, reweight, upmap, "crush")


def test_the_verification_holds_each_osd_to_a_tenth_of_a_point():
    step = plan_ceph_upmap(analyse_ceph_capacity(lab_snapshot())).steps[0]
    actual = pd.DataFrame({"osd": [0, 1, 2, 3], "utilization": [0.481232, 0.383321, 0.291397, 0.4200]})
    verification = compare_upmap_prediction(step, actual).set_index("osd")
    # the first three as the lab reported them after the step (fixture README); osd.3 off by 0.36 point
    assert verification["within"].to_dict() == {"osd.0": True, "osd.1": True, "osd.2": True, "osd.3": False}
    assert verification.at["osd.0", "predicted_change_pp"] == pytest.approx(-7.03, abs=0.01)
    assert (verification["tolerance"] < verification["predicted_change_pp"].abs() / 100).sum() == 4
    # a 0.1-point tolerance tells every moved OSD's fate; the untouched ones are checked for drift
    assert verification["verdict"].to_dict() == {
        "osd.0": "as predicted",
        "osd.1": "as predicted",
        "osd.2": "as predicted",
        "osd.3": f"off by {100 * (0.42 - verification.at['osd.3', 'predicted']):+.2f} pp",
    }


def test_a_plan_is_not_applied_once_the_fill_it_started_from_has_moved():
    # CI saw it: images deleted by an earlier test still shrinking osd.1 and osd.3 when the plan was read
    read = pd.DataFrame({"osd": [0, 1, 2, 3], "utilization": [0.551598, 0.383377, 0.256268, 0.424252]})
    now = read.assign(utilization=[0.551598, 0.378225, 0.256300, 0.420387])
    assert drifted_since_read(read, now, 0.001) == "osd.1 38.34% now 37.82%, osd.3 42.43% now 42.04%"
    assert drifted_since_read(read, read.assign(utilization=read["utilization"] + 0.0009), 0.001) == ""
    assert drifted_since_read(read, now[now["osd"] != 1], 0.001) == "osd.3 42.43% now 42.04%"
