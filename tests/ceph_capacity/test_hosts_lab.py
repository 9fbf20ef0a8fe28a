"""The upmap planner on the Ceph lab's 4-host shape (recorded in tests/fixtures/ceph-hosts-lab): unequal
hosts, the host failure domain, size 3 and an EC 2+1 pool. Every move is checked against CRUSH's own
mapping of the same OSDMap (osdmaptool, Debian's ceph-base), not against the planner's idea of it."""

import re
import subprocess

import pytest

from runbook_lib.ceph_capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.choice import compare_rebalancing, plan_ceph_upmap
from runbook_lib.ceph_capacity.plan import plan_ceph_reweight

from .hosts_lab import HOST_OF, hosts_snapshot, osdmap_file

CEPHS = "Ceph's optimizer (osdmaptool --upmap)"


def crush_mapping(state: str) -> dict[str, list[int]]:
    """PG → the OSDs CRUSH maps it to (``raw``: a lost OSD that is still in included), as osdmaptool says."""
    said = subprocess.run(
        ["osdmaptool", str(osdmap_file(state)), "--test-map-pgs-dump-all"], capture_output=True, text=True, check=True
    ).stdout
    return {m[1]: [int(o) for o in m[2].split(",")] for m in re.finditer(r"^(\S+) raw \(\[([\d,]+)\]", said, re.M)}


def broken_moves(state: str, plan) -> list[str]:
    """The moves whose PG, with every item of the plan applied as Ceph applies them, has two copies in a host."""
    raw, broken = crush_mapping(state), []
    final = {m.pgid: dict(m.items_after) for m in plan.moves}  # a later move of a PG carries the earlier ones
    for pgid, items in final.items():
        mapped = [items.get(o, o) for o in raw[pgid]]
        if len({HOST_OF[o] for o in mapped}) != len(mapped):
            broken.append(f"{pgid}: {raw[pgid]} → {mapped}")
    return broken


def test_on_unequal_hosts_the_byte_aware_plan_beats_cephs_optimizer_and_keeps_the_host_rule():
    analysis = analyse_ceph_capacity(hosts_snapshot("nearfull"))
    plan = plan_ceph_upmap(analysis)
    rebalancing = compare_rebalancing(analysis, plan_ceph_reweight(analysis), plan)
    table = rebalancing.table.set_index("plan")
    assert table.at["now", "fullest_after"] == pytest.approx(0.5297, abs=1e-4)  # osd.2, ceph osd df's 52.97
    upmap, ceph = table.loc["upmap plan"], table.loc[CEPHS]
    # osdmaptool evens PG counts over 49 moves and leaves osd.2 nearfull; bytes per PG decide the fill
    assert ceph["fullest_after"] > 0.5 and upmap["fullest_after"] < 0.36
    assert upmap["moves"] < ceph["moves"] and upmap["fill_stddev_pp"] < ceph["fill_stddev_pp"] / 3
    assert upmap["balancer_score"] < ceph["balancer_score"]
    assert broken_moves("nearfull", plan) == []
    assert {m.pgid.split(".")[0] for m in plan.moves} >= {"1", "2"}  # volumes and the big-PG images pool
    assert rebalancing.choice["plan"] == "upmap"


def test_an_ec_shard_moves_a_kth_of_its_pg():
    analysis = analyse_ceph_capacity(hosts_snapshot("nearfull"))
    pgs = analysis.layout.pgs.set_index("pgid")
    shard = pgs[pgs["pool"] == 4].iloc[0]
    assert shard["copy_kb"] == pytest.approx(shard["bytes"] / 2 / 1024)  # backups is k=2 m=1


def test_after_an_osd_is_lost_the_balancer_refuses_and_the_plan_never_meets_the_lost_copy():
    """osd.8 (lab-d) killed and marked down, still in: 52 PGs undersized+degraded. Ceph's balancer said
    'Error EAGAIN: Some objects (0.150617) are degraded; try again later'; the runbook plans anyway, and no
    move lands a copy in lab-d for a PG whose missing copy CRUSH still maps to osd.8 there. No undersized PG
    is moved at all: on the live lab such a move left the PG active+clean+remapped with its source kept in
    the acting set (pg_temp) until the lost copy is back: the target filled, the source freed nothing."""
    assert (
        "are degraded; try again later"
        in (osdmap_file("degraded").parent / "balancer_optimize.degraded.txt").read_text()
    )
    analysis = analyse_ceph_capacity(hosts_snapshot("degraded"))
    plan = plan_ceph_upmap(analysis)
    rebalancing = compare_rebalancing(analysis, plan_ceph_reweight(analysis), plan)
    assert rebalancing.choice["plan"] == "upmap"
    assert any(
        "the mgr balancer would refuse now (objects are degraded (15.06%))" in w for w in rebalancing.choice["why"]
    )
    assert len(plan.moves) >= 8 and 8 not in {m.target for m in plan.moves}
    undersized = set(analysis.layout.pgs.loc[analysis.layout.pgs["state"].str.contains("undersized"), "pgid"])
    assert undersized and not undersized & {m.pgid for m in plan.moves}
    assert plan.held == (
        f"{len(undersized)} undersized PG(s) not moved: Ceph keeps a moved copy's source until the lost copy is back"
    )
    assert broken_moves("degraded", plan) == []
