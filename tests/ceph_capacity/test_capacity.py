"""Ceph capacity on real outputs of a Ceph 16.2.15 cluster (tests/fixtures/ceph-pacific-minicluster): the whole
analysis of one snapshot (findings per state, pools) and the same findings from other releases' shapes."""

import json

import pytest

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.ceph import parse_ceph_json

from .pacific import STATES, snapshot_of


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
    elif release == "octopus":  # the fields read are Pacific's; stored_raw / avail_raw are newer (inferred)
        for pool in df["pools"]:
            for key in ("stored_raw", "avail_raw"):
                pool["stats"].pop(key, None)
    elif release == "quincy":  # the release notes list no change to the fields read (inferred): Pacific's shape
        pass
    elif release == "reef-18.2.4":  # 18.2.0–18.2.4 print the read balancer's scores as bare inf (pools[].read_balance)
        text = json.dumps(snap.parts["ceph/osd_dump"][0]).replace(
            '"pool_name":', '"read_balance": {"score_acting": inf, "score_stable": inf}, "pool_name":'
        )
        snap.parts["ceph/osd_dump"][0] = parse_ceph_json(text, "osd dump")
    return snap


@pytest.mark.parametrize("release", ["nautilus", "octopus", "quincy", "reef-18.2.4", "squid"])
@pytest.mark.parametrize("state", ["02-nearfull", "07-backfillfull", "08-full"])
def test_other_releases_shapes_give_the_same_findings(state, release):
    def summary(analysis):
        return sorted((f.kind, f.severity, f.subject) for f in analysis.findings)

    same = analyse_ceph_capacity(_other_release(state, release))
    assert summary(same) == summary(analyse_ceph_capacity(snapshot_of(state)))
    assert same.pools["max_avail"].tolist() == analyse_ceph_capacity(snapshot_of(state)).pools["max_avail"].tolist()
