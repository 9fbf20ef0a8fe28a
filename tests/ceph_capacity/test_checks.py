"""The capacity findings on the pacific captures: each OSD past a ratio with how much room is left and what it
means, the health checks the OSD findings do not already say, the cluster as a whole, and the balancer."""

import pytest

from runbook_lib.ceph_capacity.checks import check_balancer, check_capacity
from runbook_lib.ceph_capacity.tables import tabulate_health, thresholds

from .pacific import osds_of, recorded

STEADY = {"epoch_before": 23, "epoch_after": 23}


def findings_of(state: str, gather: dict = STEADY, problems: dict | None = None):
    dump = recorded(state, "osd_dump")
    health = tabulate_health(recorded(state, "health_detail"))
    return check_capacity(osds_of(state), health, thresholds(dump), gather, problems)


def room_mib(state: str, osd: int, ratio: float) -> str:
    """What osd df says is left before ``ratio``, as the finding words it."""
    node = next(n for n in recorded(state, "osd_df_tree")["nodes"] if n.get("id") == osd and n["type"] == "osd")
    return f"{(ratio - node['kb_used'] / node['kb']) * node['kb'] / 1024:.0f} MiB"


def test_an_active_upmap_balancer_is_said_to_fight_override_weights():
    dump = recorded("06-reweight-osd0-0.85-rebalanced", "osd_dump")  # osd.0 at override weight 0.85
    active = check_balancer(
        {"active": True, "mode": "upmap"}, {**dump, "pg_upmap_items": [{"pgid": "1.7", "mappings": []}]}
    )
    assert [f.kind for f in active] == ["balancer-active"]
    assert "1 pg_upmap_items" in active[0].message and "osd 0" in active[0].message
    assert check_balancer({"active": False, "mode": "upmap"}, dump) == []  # the lab's real state: balancer off


def test_a_nearfull_osd_says_its_fill_the_room_left_and_the_next_action():
    found = {f.kind: f for f in findings_of("02-nearfull")}
    assert list(found) == ["osd-nearfull", "health-POOL_NEARFULL"]  # OSD_NEARFULL is said by the OSD finding
    osd = found["osd-nearfull"]
    assert (osd.severity, osd.subject) == ("warn", "osd.0 (vm)")
    assert osd.message == (
        f"osd.0 is 55.1% full, past nearfull 50%, {room_mib('02-nearfull', 0, 0.6)} before backfillfull: "
        "a warning for now; backfill onto it stops at backfillfull"
    )
    assert osd.remediation.startswith("reclaim space first (deletions move no data), then reweight it down")
    assert osd.evidence == {"utilization": 0.5513, "pgs": 30}
    pool = found["health-POOL_NEARFULL"]
    assert pool.severity == "warn"
    assert pool.message == "2 pool(s) nearfull: pool 'volumes' is nearfull; pool 'device_health_metrics' is nearfull"


def test_a_backfillfull_osd_is_crit_and_says_backfill_stops():
    osd = findings_of("07-backfillfull")[0]
    assert (osd.kind, osd.severity, osd.subject) == ("osd-backfillfull", "crit", "osd.0 (vm)")
    assert osd.message == (
        f"osd.0 is 63.0% full, past backfillfull 60%, {room_mib('07-backfillfull', 0, 0.7)} before full: "
        "PGs cannot backfill onto it (backfill_toofull)"
    )


def test_a_full_cluster_is_crit_fullest_first_and_says_reweighting_cannot_help():
    found = findings_of("08-full")
    assert [(f.kind, f.severity, f.subject) for f in found] == [
        ("osd-full", "crit", "osd.0 (vm)"),
        ("osd-nearfull", "warn", "osd.3 (vm)"),
        ("health-POOL_FULL", "crit", "health check POOL_FULL"),  # pacific says HEALTH_WARN; writes are blocked
        ("cluster-too-full", "crit", "cluster"),
    ]
    assert found[0].message == (
        "osd.0 is 71.6% full, past full 70%: every pool mapped to it stops accepting writes; guests hang on I/O"
    )
    osds = osds_of("08-full")
    average = osds["kb_used"].sum() / osds["kb"].sum()
    assert found[-1].message == (
        f"the average OSD is {average:.1%} full, at or past nearfull 50%: moving data cannot bring every OSD below it"
    )
    assert found[-1].remediation == "reclaim space or add OSDs; reweighting only shifts the problem"


def test_a_healthy_cluster_gets_one_ok_finding_naming_the_fullest_osd():
    [ok] = findings_of("01-healthy-empty")
    assert (ok.kind, ok.severity, ok.subject) == ("capacity-ok", "ok", "cluster")
    assert ok.message == "every OSD is below nearfull 50% (fullest: osd.0 at 5.1%)"


def test_parts_that_could_not_be_read_come_first_and_ok_is_never_said_without_them():
    found = findings_of("01-healthy-empty", problems={"ceph/df_detail": "'df detail' failed with exit code 1: EIO"})
    assert [(f.kind, f.severity, f.subject, f.message) for f in found] == [
        ("collection-problem", "error", "ceph/df_detail", "'df detail' failed with exit code 1: EIO")
    ]


def test_an_osdmap_that_moved_while_it_was_read_is_said_with_both_epochs():
    found = findings_of("01-healthy-empty", gather={"epoch_before": 23, "epoch_after": 25})
    [moved] = [f for f in found if f.kind == "cluster-changed-during-gather"]
    assert moved.severity == "warn"
    assert moved.message == "the osdmap went from epoch 23 to 25 while the data was read: outputs may disagree"


@pytest.mark.parametrize(
    ("ratios", "wording"),
    [
        ({"nearfull": 0.75, "backfillfull": 0.6, "full": 0.7}, "nearfull 0.75 < backfillfull 0.6 < full 0.7"),
        ({"nearfull": 0.85, "backfillfull": 0.9, "full": 0.98}, "nearfull 0.85 < backfillfull 0.9 < full 0.98"),
    ],
)
def test_ratios_out_of_order_are_crit_and_say_how_to_set_them(ratios, wording):
    health = tabulate_health(recorded("01-healthy-empty", "health_detail"))
    [first, *_] = check_capacity(osds_of("01-healthy-empty"), health, ratios, STEADY)
    assert (first.kind, first.severity) == ("ratios-out-of-order", "crit")
    assert first.message == f"{wording} < failsafe 0.97 does not hold (OSD_OUT_OF_ORDER_FULL)"
    assert "ceph osd set-nearfull-ratio / set-backfillfull-ratio / set-full-ratio" in first.remediation


def test_upmap_entries_with_the_balancer_off_are_counted():
    dump = recorded("02-nearfull", "osd_dump")
    pinned = {**dump, "pg_upmap_items": [{"pgid": "1.7", "mappings": []}, {"pgid": "1.8", "mappings": []}]}
    [finding] = check_balancer({"active": False, "mode": "upmap"}, pinned)
    assert (finding.kind, finding.severity) == ("upmap-entries", "info")
    assert (
        finding.message == "2 pg_upmap_items entries pin PGs while the balancer is off: a reweight moves only the rest"
    )
    assert "ceph osd rm-pg-upmap-items <pgid>" in finding.remediation
    assert check_balancer({}, dump) == []  # no balancer status collected: nothing to say
