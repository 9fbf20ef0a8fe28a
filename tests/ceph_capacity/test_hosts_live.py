"""The capacity runbook on the Ceph lab's 4-host shape (scripts/cephlab up hosts: 10 OSDs under hosts of
unequal size, size 3 over hosts, an EC 2+1 pool), nearfull, then with an OSD lost: the upmap step the runbook
chooses is applied for real through the CLI, every OSD's prediction checked and each move checked against
the rule on the cluster's own mapping. (A healthy upmap step and a CRUSH-predicted reweight step are applied
for real on the single-host lab, test_live.py; the replay on this shape is checked against osdmaptool in
test_remap.py.) Runs after every other Ceph test (marker ceph_hosts): it replaces the single-host lab."""

import html
import json
import subprocess

import pytest
from conftest import CEPH_LAB, CEPHLAB_HOME, needs_root, run_cli

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.choice import compare_rebalancing, plan_ceph_upmap
from runbook_lib.ceph_capacity.collect import open_ceph
from runbook_lib.ceph_capacity.placement import ITEM_NONE, ancestors
from runbook_lib.ceph_capacity.plan import plan_ceph_reweight
from runbook_lib.sources.ceph import CephAccess, run_ceph, wait_for_recovery

pytestmark = [pytest.mark.slow, pytest.mark.ceph_hosts]
LOST = 7  # an OSD of lab-c: not the nearfull osd.2 (lab-a), so there is still something to move


@pytest.fixture(scope="module")
def hosts_lab():
    """The hosts shape, nearfull; brought down at the end (the session's single lab is not needed after)."""
    needs_root("Ceph lab")
    CEPH_LAB.run("up", "hosts")
    CEPH_LAB.run("fill", "72")
    CEPH_LAB.run("wait-health", "OSD_NEARFULL", "60")
    yield CEPHLAB_HOME / "ceph.conf"
    CEPH_LAB.down_and_check()


def ceph_json(conf, *args: str):
    done = subprocess.run(["ceph", "--conf", str(conf), *args, "--format", "json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def host_of(conf) -> dict[int, str]:
    return {osd: place["host"] for osd, place in ancestors(ceph_json(conf, "osd", "df", "tree")).items()}


def hosts_distinct(conf, pgids) -> None:
    """Every PG's up set on the cluster's own mapping: no two copies on one host (the rule's failure domain)."""
    hosts = host_of(conf)
    for pgid in pgids:
        up = [o for o in ceph_json(conf, "pg", "map", pgid)["up"] if o != ITEM_NONE]
        assert len({hosts[o] for o in up}) == len(up), (pgid, up)


def undo(conf, moves) -> None:
    access = CephAccess(conf=str(conf))
    for pgid in {m.pgid for m in moves}:
        run_ceph(access, "ceph", ["osd", "rm-pg-upmap-items", pgid])
    assert wait_for_recovery(access, 180)


def test_the_shape_is_four_unequal_hosts_size_3_over_hosts_and_an_ec_pool(hosts_lab):
    tree = ceph_json(hosts_lab, "osd", "df", "tree")
    osds = [n for n in tree["nodes"] if n["type"] == "osd"]
    members = {n["name"]: sorted(n["children"]) for n in tree["nodes"] if n["type"] == "host"}
    assert members == {"lab-a": [0, 1, 2], "lab-b": [3, 4, 5], "lab-c": [6, 7], "lab-d": [8, 9]}
    sizes = {0: 384, 1: 384, 2: 384, 3: 512, 4: 512, 5: 512, 6: 768, 7: 768, 8: 1024, 9: 1024}
    assert {n["id"]: n["crush_weight"] for n in osds} == {o: mib / 1024 for o, mib in sizes.items()}
    assert {n["id"]: n["kb"] for n in osds} == {o: mib * 1024 for o, mib in sizes.items()}
    assert sum(n["pgs"] for n in osds) / len(osds) > 100  # PG copies per OSD
    pools = {p["pool_name"]: p for p in ceph_json(hosts_lab, "osd", "pool", "ls", "detail")}
    assert all((p["size"], p["min_size"]) == (3, 2) for p in pools.values())
    profile = ceph_json(hosts_lab, "osd", "erasure-code-profile", "get", pools["backups"]["erasure_code_profile"])
    assert pools["backups"]["type"] == 3 and (profile["k"], profile["m"]) == ("2", "1")
    assert profile["crush-failure-domain"] == "host"
    rules = {r["rule_id"]: r for r in ceph_json(hosts_lab, "osd", "crush", "rule", "dump")}
    for pool in pools.values():
        chooses = [s for s in rules[pool["crush_rule"]]["steps"] if s["op"].startswith("choose")]
        assert chooses[-1]["type"] == "host", rules[pool["crush_rule"]]
    assert "OSD_NEARFULL" in ceph_json(hosts_lab, "health", "detail")["checks"]


def test_with_an_osd_lost_the_balancer_refuses_and_the_runbook_applies_an_upmap_step_through_the_cli(
    hosts_lab, tmp_path
):
    """Ceph's mgr balancer does nothing while objects are degraded; the runbook's plan still moves PGs, none
    of the undersized ones (their source would stay in the acting set), and its CLI apply ends."""
    CEPH_LAB.run("stop-osd", str(LOST))
    refusal = subprocess.run(
        ["ceph", "--conf", str(hosts_lab), "balancer", "optimize", "runbook-test"], capture_output=True, text=True
    )
    assert refusal.returncode != 0 and "degraded" in refusal.stderr, refusal  # the real balancer's word
    analysis = analyse_ceph_capacity(open_ceph(ceph_live=True, ceph_conf=str(hosts_lab)))
    upmap = plan_ceph_upmap(analysis)
    rebalancing = compare_rebalancing(analysis, plan_ceph_reweight(analysis), upmap)
    assert rebalancing.choice["plan"] == "upmap"
    assert any("the mgr balancer would refuse now (objects are degraded" in why for why in rebalancing.choice["why"])
    short = {r.pgid for r in analysis.layout.pgs.itertuples() if "undersized" in r.state}
    assert short and upmap.held.startswith(f"{len(short)} undersized PG(s) not moved")
    assert upmap.steps and not {m.pgid for m in upmap.moves} & short
    out = tmp_path / "out"
    argv = ["run", "ceph_capacity", "-p", "ceph_live", "true", "-p", "ceph_conf", str(hosts_lab)]
    done = run_cli(*argv, "-p", "apply", "true", "-p", "recovery_timeout", "180", "--out", str(out))
    try:
        assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stdout + done.stderr
        text = html.unescape((out / "ceph_capacity.html").read_text())
        assert "plan: upmap (the runbook's choice)" in text
        assert "applying: ceph osd pg-upmap-items " + upmap.steps[0].moves[0].pgid in text
        assert "no PG is moving" in text and "until the OSD that is down is back" in text
        assert "off by" not in text and "cannot tell" not in text
        hosts_distinct(hosts_lab, {m.pgid for m in upmap.steps[0].moves})
    finally:
        undo(hosts_lab, upmap.steps[0].moves)
