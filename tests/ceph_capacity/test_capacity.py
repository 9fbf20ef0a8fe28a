"""Ceph capacity on real outputs of a Ceph 16.2.15 cluster (tests/fixtures/ceph-pacific-minicluster):
thresholds, states, findings, the port of Ceph's reweight algorithm against Ceph's own answers, the
planner's guard, the ratio bump, and the Ceph edge's parsing and argv."""

import json

import pytest
from conftest import FIXTURES

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.plan import compare_with_ceph, plan_ceph_reweight, plan_ratio_bump
from runbook_lib.ceph_capacity.reweight import ceph_reweight_by_utilization, predict
from runbook_lib.ceph_capacity.tables import osd_state, tabulate_osds, thresholds, with_states
from runbook_lib.errors import ParameterError, PermissionDenied, SourceError, SourceUnreachable
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.ceph import CephAccess, check_pool_name, command_error, parse_ceph_json

CEPH = FIXTURES / "ceph-pacific-minicluster"
STATES = [
    "01-healthy-empty",
    "02-nearfull",
    "03-nearfull-with-rbd",
    "06-reweight-osd0-0.85-rebalanced",
    "07-backfillfull",
    "08-full",
]


def recorded(state: str, command: str) -> dict:
    return json.loads((CEPH / f"{state}.{command}.json").read_text())


def snapshot_of(state: str) -> Snapshot:
    """A snapshot holding one recorded state, as open_ceph would store a live gather."""
    parts = {
        f"ceph/{name}": [recorded(state, name)]
        for name in ("osd_dump", "osd_df_tree", "df_detail", "health_detail", "status")
    }
    epoch = parts["ceph/osd_dump"][0]["epoch"]
    parts["ceph/gather"] = [{"epoch_before": epoch, "epoch_after": epoch}]
    if (CEPH / f"{state}.test_reweight_by_utilization.json").exists():
        parts["ceph/test_reweight"] = [
            {
                "oload": 120,
                "max_change": 0.05,
                "max_osds": 4,
                "no_increasing": True,
                "result": recorded(state, "test_reweight_by_utilization"),
                "error": "",
            }
        ]
    manifest = {
        "cloud": "ceph fixture",
        "collected_at": "2026-11-23T00:00:00Z",
        "parts": {p: {} for p in parts},
    }
    return Snapshot(manifest, parts)


def osds_of(state: str):
    dump = recorded(state, "osd_dump")
    return with_states(tabulate_osds(recorded(state, "osd_df_tree"), dump), thresholds(dump))


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


def test_findings_per_state():
    kinds = {
        s: [(f.kind, f.severity, f.subject) for f in analyse_ceph_capacity(snapshot_of(s)).findings] for s in STATES
    }
    assert kinds["01-healthy-empty"] == [("capacity-ok", "ok", "cluster")]
    assert ("osd-nearfull", "warn", "osd.0 (vm)") in kinds["02-nearfull"]
    assert ("health-POOL_NEARFULL", "warn", "health check POOL_NEARFULL") in kinds["02-nearfull"]
    assert ("osd-backfillfull", "crit", "osd.0 (vm)") in kinds["07-backfillfull"]
    full = kinds["08-full"]
    assert full[0] == ("osd-full", "crit", "osd.0 (vm)") and ("osd-nearfull", "warn", "osd.3 (vm)") in full
    assert ("health-POOL_FULL", "crit", "health check POOL_FULL") in full


def test_ratios_out_of_order_and_a_changed_cluster_are_findings():
    snap = snapshot_of("02-nearfull")
    snap.parts["ceph/osd_dump"][0]["nearfull_ratio"] = 0.75  # accepted by the mon: OSD_OUT_OF_ORDER_FULL
    snap.parts["ceph/gather"][0]["epoch_after"] += 2
    kinds = {f.kind for f in analyse_ceph_capacity(snap).findings}
    assert {"ratios-out-of-order", "cluster-changed-during-gather"} <= kinds


def test_pools_say_what_users_can_still_write():
    pools = analyse_ceph_capacity(snapshot_of("08-full")).pools.set_index("pool")
    assert pools.loc["volumes", "max_avail"] == 0  # a full OSD leaves nothing writable
    assert analyse_ceph_capacity(snapshot_of("02-nearfull")).pools.set_index("pool").loc["volumes", "max_avail"] > 0


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


def test_ceph_refuses_an_empty_cluster_and_the_record_says_so():
    assert "Refusing to reweight" in (CEPH / "01-healthy-empty.test_reweight_by_utilization.stderr.txt").read_text()
    assert compare_with_ceph(
        {"result": None, "error": "EDOM"},
        plan_ceph_reweight(analyse_ceph_capacity(snapshot_of("01-healthy-empty"))),
    ).empty


def test_predictions_keep_the_bytes_and_move_them_off_the_lowered_osd():
    osds = osds_of("02-nearfull")
    after = predict(osds, {0: 0.85})
    assert after["kb_used"].sum() == pytest.approx(osds["kb_used"].sum())
    moved = osds.at[0, "kb_used"] - after.at[0, "kb_used"]
    assert moved == pytest.approx(osds.at[0, "kb_movable"] * 0.15)  # data + omap; BlueFS metadata stays
    assert (after.loc[1:, "kb_used"] > osds.loc[1:, "kb_used"]).all()


def test_plan_steps_follow_ceph_and_step_1_uses_cephs_own_pg_count():
    analysis = analyse_ceph_capacity(snapshot_of("02-nearfull"))
    plan = plan_ceph_reweight(analysis)
    first = plan.steps[0]
    assert first.changes == {0: (1.0, 0.95001220703125)} and first.exact
    assert first.moved_pgs == pytest.approx(analysis.test_reweight["result"]["utilization"]["moved_pgs"])
    assert first.commands == ["ceph osd reweight 0 0.95001221"]  # 8 digits: Ceph keeps the same 1/65536 step
    assert all(b.max_after < b.max_before for b in plan.steps)
    table = plan.predicted_utilization(analysis.osds)
    assert table.columns[0] == "now" and table.shape == (4, len(plan.steps) + 1)
    comparison = compare_with_ceph(analysis.test_reweight, plan)
    assert comparison["same"].all()


def test_the_guard_stops_a_step_that_would_push_a_receiver_past_backfillfull():
    analysis = analyse_ceph_capacity(snapshot_of("08-full"))
    plan = plan_ceph_reweight(analysis, steps=8)
    # Ceph itself says lowering osd.0 from 0.85 to 0.80 moves no PG mapping on this small map
    assert plan.steps[0].exact and plan.steps[0].moved_pgs == 0
    assert "moves no PG" in plan.table().at[0, "guard"]
    assert any(step.halved for step in plan.steps) and "past backfillfull" in plan.stopped
    ceiling = analysis.ratios["backfillfull"] - 0.02
    for step in plan.steps:
        gained = step.after["kb_used"] > step.before["kb_used"] + 1e-9
        assert (step.after.loc[gained, "utilization"] < ceiling).all()


def test_ratio_bump_raises_top_down_restores_bottom_up_and_respects_the_failsafe():
    bump = plan_ratio_bump({"nearfull": 0.85, "backfillfull": 0.9, "full": 0.95}, step=0.01)
    assert bump["raise"] == [
        "ceph osd set-full-ratio 0.96",
        "ceph osd set-backfillfull-ratio 0.91",
        "ceph osd set-nearfull-ratio 0.86",
    ]
    assert bump["restore"] == [
        "ceph osd set-nearfull-ratio 0.85",
        "ceph osd set-backfillfull-ratio 0.9",
        "ceph osd set-full-ratio 0.95",
    ]
    refused = plan_ratio_bump({"nearfull": 0.85, "backfillfull": 0.9, "full": 0.95}, step=0.02)
    assert not refused["possible"] and "failsafe" in refused["why"]


# --- the Ceph edge ------------------------------------------------------------------------------------


def test_bare_inf_and_nan_are_read_as_null_and_garbage_is_one_clear_error():
    # Reef < 18.2.5 wrote `inf` into osd dump; Jewel wrote -nan into osd df
    assert parse_ceph_json('{"a": inf, "b": [-nan, 1], "c": "inf"}', "osd dump") == {
        "a": None,
        "b": [None, 1],
        "c": "inf",
    }
    with pytest.raises(SourceError, match=r"'osd dump' did not return JSON .*'Error initializing cluster client"):
        parse_ceph_json("Error initializing cluster client: ObjectNotFound", "osd dump")


def test_argv_keeps_values_as_arguments_and_quotes_them_through_ssh():
    local = CephAccess("sudo ceph", conf="/etc/ceph/my cluster.conf", client_id="openstack")
    argv = local.argv("rbd", ["du", "--pool", "volumes"])
    assert argv[:2] == ["sudo", "rbd"] and "/etc/ceph/my cluster.conf" in argv and argv[-2:] == ["--format", "json"]
    remote = CephAccess("ssh admin@mon1 sudo ceph", conf="/etc/ceph/my cluster.conf").argv("ceph", ["osd", "dump"])
    assert remote[:3] == ["ssh", "admin@mon1", "sudo"] and "'/etc/ceph/my cluster.conf'" in remote
    with pytest.raises(ParameterError, match="must end with the ceph executable"):
        CephAccess("ceph; rm -rf /")
    for bad in ("vol umes", "-volumes", "a;b", ""):
        with pytest.raises(ParameterError):
            check_pool_name(bad)


def test_command_errors_name_the_cause():
    missing = (
        "Error initializing cluster client: ObjectNotFound('RADOS object not found (error calling conf_read_file)')"
    )
    assert "/etc/ceph/x.conf" in str(command_error("status", 1, missing, "/etc/ceph/x.conf"))
    assert isinstance(
        command_error("status", 1, "[errno 110] RADOS timed out (error connecting to the cluster)"),
        SourceUnreachable,
    )
    assert isinstance(
        command_error("status", 13, "[errno 13] RADOS permission denied (error connecting to the cluster)"),
        SourceUnreachable,
    )
    assert isinstance(command_error("osd dump", 13, "Error EACCES: access denied"), PermissionDenied)


def test_an_active_upmap_balancer_is_said_to_fight_override_weights():
    from runbook_lib.ceph_capacity.checks import check_balancer

    dump = recorded("06-reweight-osd0-0.85-rebalanced", "osd_dump")  # osd.0 at override weight 0.85
    active = check_balancer(
        {"active": True, "mode": "upmap"}, {**dump, "pg_upmap_items": [{"pgid": "1.7", "mappings": []}]}
    )
    assert [f.kind for f in active] == ["balancer-active"]
    assert "1 pg_upmap_items" in active[0].message and "osd 0" in active[0].message
    assert check_balancer({"active": False, "mode": "upmap"}, dump) == []  # the lab's real state: balancer off


def test_apply_needs_a_live_cluster_and_a_dry_run_changes_nothing(capsys):
    from runbook_lib.ceph_capacity.apply import apply_ceph_step

    snapshot = snapshot_of("02-nearfull")
    analysis = analyse_ceph_capacity(snapshot)
    plan = plan_ceph_reweight(analysis)
    assert apply_ceph_step(snapshot, analysis, plan, False) is None
    assert "would run: ceph osd reweight 0 0.95001221" in capsys.readouterr().out
    with pytest.raises(ParameterError, match="read it live"):
        apply_ceph_step(snapshot, analysis, plan, True)


def test_predicted_vs_actual_tolerance_is_in_pg_sizes():
    from runbook_lib.ceph_capacity.plan import compare_prediction

    analysis = analyse_ceph_capacity(snapshot_of("03-nearfull-with-rbd"))
    step = plan_ceph_reweight(analysis).steps[0]  # osd.0 → 0.95, Ceph: 1 PG moves
    actual = osds_of("06-reweight-osd0-0.85-rebalanced")  # a later real state, osd.0 2 PGs lighter
    table = compare_prediction(step, actual, largest_pg=20 * 1024**2).set_index("osd")
    assert table.at["osd.0", "tolerance"] == pytest.approx(2 * 20 * 1024**2 / 1024 / actual.at[0, "kb"])
    assert table.at["osd.0", "within"]
    assert not compare_prediction(step, actual, largest_pg=0).set_index("osd").at["osd.0", "within"]


def _other_release(state: str, release: str) -> Snapshot:
    """A recorded pacific state in the shape another release writes, as documented (reference/ceph.md):
    pre-Octopus health checks have no summary.count / muted and pools no stored_data / stored_omap; newer
    releases add max_raw_used_osd / max_raw_used_rate to pools and "at NN%" to health details; Reef before
    18.2.5 writes a bare `inf` into osd dump (read through the same parser as a live gather)."""
    snap = snapshot_of(state)
    health, df = snap.parts["ceph/health_detail"][0], snap.parts["ceph/df_detail"][0]
    if release == "nautilus":
        for check in health.get("checks", {}).values():
            check.pop("muted", None)
            check.get("summary", {}).pop("count", None)
        for pool in df["pools"]:
            for key in ("stored_data", "stored_omap", "data_bytes_used", "omap_bytes_used"):
                pool["stats"].pop(key, None)
    elif release == "squid":
        for pool in df["pools"]:
            pool["stats"].update(max_raw_used_osd=0, max_raw_used_rate=2.0)
        for check in health.get("checks", {}).values():
            for detail in check.get("detail", []):
                detail["message"] += " at 55%"
    elif release == "reef-18.2.4":
        text = json.dumps(snap.parts["ceph/osd_dump"][0]).replace(
            '"pools": [', '"read_balance_score": inf, "pools": [', 1
        )
        snap.parts["ceph/osd_dump"][0] = parse_ceph_json(text, "osd dump")
    return snap


@pytest.mark.parametrize("release", ["nautilus", "squid", "reef-18.2.4"])
@pytest.mark.parametrize("state", ["02-nearfull", "07-backfillfull", "08-full"])
def test_other_releases_shapes_give_the_same_findings(state, release):
    def summary(analysis):
        return sorted((f.kind, f.severity, f.subject) for f in analysis.findings)

    same = analyse_ceph_capacity(_other_release(state, release))
    assert summary(same) == summary(analyse_ceph_capacity(snapshot_of(state)))
    assert same.pools["max_avail"].tolist() == analyse_ceph_capacity(snapshot_of(state)).pools["max_avail"].tolist()
