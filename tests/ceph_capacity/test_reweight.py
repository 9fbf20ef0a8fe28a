"""The port of Ceph's reweight-by-utilization against Ceph's own answers on the pacific captures, and the
first-order prediction of where the moved bytes go."""

import json

import pytest

from runbook_lib.ceph_capacity.reweight import WEIGHT_ONE, ceph_reweight_by_utilization, predict

from .pacific import CEPH, STATES, osds_of


@pytest.mark.parametrize("state", STATES[1:])
@pytest.mark.parametrize(
    ("suffix", "oload"),
    [("test_reweight_by_utilization", 120), ("test_reweight_by_utilization_oload110", 110)],
)
def test_the_port_proposes_exactly_what_ceph_proposed(state, suffix, oload):
    path = CEPH / f"{state}.{suffix}.json"
    if not path.exists():
        pytest.skip(f"no recorded {suffix} for {state} (nothing to compare)")
    ceph = json.loads(path.read_text())
    ours = ceph_reweight_by_utilization(osds_of(state), oload, ceph["max_change"], ceph["max_change_osds"])
    assert ours == {r["osd"]: r["new_weight"] for r in ceph["reweights"]}


def test_predictions_keep_the_bytes_and_move_them_off_the_lowered_osd():
    osds = osds_of("02-nearfull")
    after = predict(osds, {0: 0.85})
    assert after["kb_used"].sum() == pytest.approx(osds["kb_used"].sum())
    moved = osds.at[0, "kb_used"] - after.at[0, "kb_used"]
    assert moved == pytest.approx(osds.at[0, "kb_movable"] * 0.15)  # data + omap; BlueFS metadata stays
    assert (after.loc[1:, "kb_used"] > osds.loc[1:, "kb_used"]).all()


def test_max_osds_keeps_the_osds_farthest_from_the_average():
    ceph = json.loads((CEPH / "02-nearfull.test_reweight_by_utilization_oload110.json").read_text())
    assert [r["osd"] for r in ceph["reweights"]] == [0, 3]  # Ceph changes two OSDs at oload 110
    assert ceph_reweight_by_utilization(osds_of("02-nearfull"), 110, 0.05, 1) == {0: 0.95001220703125}


def test_an_osd_already_out_is_never_reweighted():
    osds = osds_of("02-nearfull")
    osds.loc[osds["osd"] == 0, "reweight"] = 0.0
    assert ceph_reweight_by_utilization(osds, 110, 0.05, 4) == {3: 0.95001220703125}


def test_an_emptier_osd_below_full_weight_is_raised_only_when_increasing_is_allowed():
    osds = osds_of("02-nearfull")
    osds.loc[osds["osd"] == 1, "reweight"] = 0.5  # osd.1 is at the average, under its full weight
    allowed = ceph_reweight_by_utilization(osds, 120, 0.05, 4, no_increasing=False)
    assert 0.5 < allowed.pop(1) <= 0.5 + 0.05
    assert allowed == ceph_reweight_by_utilization(osds, 120, 0.05, 4, no_increasing=True) == {0: 0.95001220703125}


def test_new_weights_are_whole_steps_of_one_65536th_as_ceph_stores_them():
    for state in STATES[1:]:
        for weight in ceph_reweight_by_utilization(osds_of(state), 110, 0.05, 4).values():
            assert (weight * WEIGHT_ONE).is_integer()


def test_no_osd_with_space_means_nothing_to_reweight():
    osds = osds_of("02-nearfull").assign(kb=0.0)
    assert ceph_reweight_by_utilization(osds) == {}


def test_scale_corrects_the_share_of_data_that_moves():
    osds = osds_of("02-nearfull")
    half = predict(osds, {0: 0.85}, scale=0.5)
    moved = osds.at[0, "kb_used"] - half.at[0, "kb_used"]
    assert moved == pytest.approx(osds.at[0, "kb_movable"] * 0.15 * 0.5)
    assert half.at[0, "pgs"] == pytest.approx(osds.at[0, "pgs"] * (1 - 0.15 * 0.5))
    assert half.at[0, "reweight"] == 0.85 and half.at[0, "utilization"] == pytest.approx(
        half.at[0, "kb_used"] / osds.at[0, "kb"]
    )


def test_the_moved_bytes_go_to_the_peers_in_proportion_to_crush_weight_times_reweight():
    osds = osds_of("02-nearfull")
    after = predict(osds, {0: 0.85})
    gained = after["kb_used"] - osds["kb_used"]
    pull = osds["crush_weight"] * osds["reweight"]
    peers = [1, 2, 3]
    for i in peers:
        assert gained[i] == pytest.approx(-gained[0] * pull[i] / pull[peers].sum())
    assert (after["kb_avail"] - osds["kb_avail"]).sum() == pytest.approx(0, abs=1e-6)  # space moves, none appears


def test_raising_a_weight_attracts_data_and_another_device_class_gets_none():
    osds = osds_of("02-nearfull")
    osds.loc[osds["osd"] == 1, "reweight"] = 0.5
    osds.loc[osds["osd"] == 3, "device_class"] = "ssd"
    after = predict(osds, {1: 0.55})
    assert after.at[1, "kb_used"] > osds.at[1, "kb_used"]  # a higher weight pulls data in
    assert after.at[0, "kb_used"] < osds.at[0, "kb_used"] and after.at[2, "kb_used"] < osds.at[2, "kb_used"]
    assert after.at[3, "kb_used"] == osds.at[3, "kb_used"]  # CRUSH keeps the classes apart
    assert predict(osds, {}).equals(osds.astype(after.dtypes.to_dict()))


def test_the_port_refuses_where_ceph_refuses():
    """On the near-empty lab Ceph answered 'Refusing to reweight: we only have 107504 kb used' (EDOM, the
    recorded stderr of 01-healthy-empty); an oload of 100 or less is EINVAL. The port and the plan say so."""
    from ceph_capacity.pacific import snapshot_of
    from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
    from runbook_lib.ceph_capacity.plan import plan_ceph_reweight, reweight_limits
    from runbook_lib.ceph_capacity.reweight import ceph_refusal, ceph_reweight_by_utilization

    empty = analyse_ceph_capacity(snapshot_of("01-healthy-empty"))
    assert ceph_reweight_by_utilization(empty.osds, 120) == {}
    assert "EDOM" in ceph_refusal(empty.osds, 120)
    plan = plan_ceph_reweight(empty)
    assert not plan.steps and plan.stopped.startswith("Ceph refuses to reweight (EDOM)")
    nearfull = analyse_ceph_capacity(snapshot_of("02-nearfull"))
    assert ceph_reweight_by_utilization(nearfull.osds, 100) == {}
    assert "EINVAL" in plan_ceph_reweight(nearfull, reweight_limits(oload=100)).stopped
