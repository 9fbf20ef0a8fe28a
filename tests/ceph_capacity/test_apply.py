"""Applying step 1 of the reweight plan: a dry run prints the exact commands and changes nothing; a change needs
a live read of the cluster, and re-reads the osdmap through the same access before touching a weight."""

import dataclasses
import shutil

import pytest

from runbook_lib.ceph_capacity.apply import apply_ceph_step, compare_prediction
from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.plan import plan_ceph_reweight, reweight_limits
from runbook_lib.errors import ParameterError, SourceUnreachable

from .pacific import osds_of, snapshot_of

DRY_RUN = "dry run: nothing changed (apply=True runs step 1, follows recovery and compares with the prediction)"


def test_apply_needs_a_live_cluster_and_a_dry_run_changes_nothing(capsys):
    snapshot = snapshot_of("02-nearfull")
    analysis = analyse_ceph_capacity(snapshot)
    plan = plan_ceph_reweight(analysis)
    assert apply_ceph_step(snapshot, analysis, plan, False) is None
    assert "would run: ceph osd reweight 0 0.95001220703125" in capsys.readouterr().out
    with pytest.raises(ParameterError, match="read it live"):
        apply_ceph_step(snapshot, analysis, plan, True)


def test_a_dry_run_prints_every_command_of_step_1_in_order_and_only_step_1(capsys):
    snapshot = snapshot_of("02-nearfull")
    analysis = analyse_ceph_capacity(snapshot)
    plan = plan_ceph_reweight(analysis, reweight_limits(oload=110))
    assert len(plan.steps) > 1
    assert apply_ceph_step(snapshot, analysis, plan, False) is None
    assert capsys.readouterr().out.splitlines() == [
        "would run: ceph osd reweight 0 0.95001220703125",
        "would run: ceph osd reweight 3 0.95001220703125",
        DRY_RUN,
    ]


def test_a_plan_without_steps_says_why_there_is_nothing_to_apply(capsys):
    snapshot = snapshot_of("02-nearfull")
    analysis = analyse_ceph_capacity(snapshot)
    plan = plan_ceph_reweight(analysis, reweight_limits(oload=200))
    assert apply_ceph_step(snapshot, analysis, plan, True) is None  # even with apply=True: nothing is run
    assert capsys.readouterr().out == (
        "nothing to apply: no OSD is above 200% of the average utilization: nothing more to move\n"
    )


def test_a_live_apply_rereads_the_osdmap_through_the_recorded_access_before_any_change(tmp_path):
    """The real ceph CLI with the recorded access: the epoch check is the first command run, so a cluster
    that cannot answer stops the apply before ``ceph osd reweight`` is ever called."""
    assert shutil.which("ceph"), "ceph-common is installed by 'make test' (scripts/cephlab install)"
    snapshot = dataclasses.replace(snapshot_of("02-nearfull"), live=True)
    analysis = analyse_ceph_capacity(snapshot)
    missing = tmp_path / "gone.conf"
    access = {"command": "ceph", "conf": str(missing), "cluster": "", "client_id": "", "timeout": 3}
    analysis = dataclasses.replace(analysis, gather={**analysis.gather, "access": access})
    with pytest.raises(SourceUnreachable) as err:
        apply_ceph_step(snapshot, analysis, plan_ceph_reweight(analysis), True)
    assert str(err.value) == (
        f"'ceph osd dump': ceph cannot read its configuration {missing}; set ceph_conf to the cluster's ceph.conf"
    )


def test_apply_refuses_a_snapshot_with_the_way_to_read_it_live():
    snapshot = snapshot_of("02-nearfull")
    analysis = analyse_ceph_capacity(snapshot)
    with pytest.raises(ParameterError) as err:
        apply_ceph_step(snapshot, analysis, plan_ceph_reweight(analysis), True)
    assert str(err.value) == (
        "apply=True changes the cluster: read it live (ceph_live=True, or --cloud), not a snapshot"
    )


def test_predicted_vs_actual_tolerance_is_in_pg_sizes():
    analysis = analyse_ceph_capacity(snapshot_of("03-nearfull-with-rbd"))
    step = plan_ceph_reweight(analysis).steps[0]  # osd.0 → 0.95, Ceph: 1 PG moves
    actual = osds_of("06-reweight-osd0-0.85-rebalanced")  # a later real state, osd.0 2 PGs lighter
    table = compare_prediction(step, actual, largest_pg=20 * 1024**2).set_index("osd")
    assert table.at["osd.0", "tolerance"] == pytest.approx(2 * 20 * 1024**2 / 1024 / actual.at[0, "kb"])
    assert table.at["osd.0", "within"]
    assert not compare_prediction(step, actual, largest_pg=0).set_index("osd").at["osd.0", "within"]
