"""The capacity runbook against a real Ceph 16 cluster (scripts/cephlab) driven into OSD_NEARFULL."""

import json
import subprocess

import pytest
from conftest import run_cli

from runbook_lib.ceph_capacity import analyse_ceph_capacity
from runbook_lib.ceph_reweight import compare_with_ceph, plan_ceph_reweight
from runbook_lib.errors import SourceUnreachable
from runbook_lib.gather import open_ceph

pytestmark = pytest.mark.slow
LIMITS = {"oload": 120, "max_change": 0.05, "max_osds": 4, "no_increasing": True}


def test_live_gather_reads_every_part_once_and_checks_the_epoch(cephlab):
    snap = open_ceph(ceph_live=True, ceph_conf=str(cephlab), reweight_limits=LIMITS)
    assert snap.problems == {}
    gather = snap.get("ceph/gather")[0]
    assert gather["epoch_before"] == gather["epoch_after"]
    assert [r["pool"] for r in snap.get("ceph/rbd")] == ["volumes", "images", "vms", "backups"]
    assert all(r["error"] == "" for r in snap.get("ceph/rbd"))
    assert "16.2" in json.dumps(snap.get("ceph/versions"))


def test_live_analysis_finds_the_nearfull_osd_and_agrees_with_ceph(cephlab):
    analysis = analyse_ceph_capacity(
        open_ceph(ceph_live=True, ceph_conf=str(cephlab), reweight_limits=LIMITS)
    )
    kinds = {(f.kind, f.subject.split(" ")[0]) for f in analysis.findings}
    assert ("osd-nearfull", "osd.0") in kinds and ("health-POOL_NEARFULL", "health") in kinds
    assert analysis.ratios == {"nearfull": 0.5, "backfillfull": 0.6, "full": 0.7}
    plan = plan_ceph_reweight(analysis, **LIMITS)
    comparison = compare_with_ceph(analysis.test_reweight, plan)
    assert not comparison.empty and comparison["same"].all()  # the port, on a live map, weight for weight
    assert plan.steps[0].exact


def test_the_notebook_runs_live(cephlab, tmp_path):
    proc = run_cli("run", "ceph_capacity", "--out", str(tmp_path), "-p", "ceph_live", "true",
                   "-p", "ceph_conf", str(cephlab))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr  # nearfull is WARN; --fail-on crit
    run = json.loads((tmp_path / "summary.json").read_text())["runbooks"][0]
    assert run["verdict"] == "WARN" and {"osd-nearfull", "health-POOL_NEARFULL"} <= {
        f["kind"] for f in run["findings"]
    }
    html = (tmp_path / "ceph_capacity.html").read_text()
    assert "Plan: one row per step" in html and "ceph osd reweight 0 0.9" in html


def test_a_dead_monitor_is_reported_not_waited_for(cephlab, tmp_path):
    conf = tmp_path / "ceph.conf"
    conf.write_text(
        cephlab.read_text()
        .replace("127.0.0.1:3300", "127.0.0.1:3399")
        .replace("127.0.0.1:6789", "127.0.0.1:6799")
    )
    with pytest.raises(SourceUnreachable, match="monitor"):
        open_ceph(ceph_live=True, ceph_conf=str(conf), ceph_timeout=3)


def test_a_wrong_conf_is_one_readable_line_in_the_report(cephlab, tmp_path):
    proc = run_cli("run", "ceph_capacity", "--out", str(tmp_path), "-p", "ceph_live", "true",
                   "-p", "ceph_conf", str(tmp_path / "missing.conf"), "-p", "ceph_timeout", "3")  # fmt: skip
    assert proc.returncode == 3, proc.stdout
    html = (tmp_path / "ceph_capacity.html").read_text()
    assert "missing.conf" in html and "Traceback" not in html


def test_rbd_images_appear_in_the_gather(cephlab):
    name = "volume-0b5c7c43-2f41-4d9e-8d7a-1c2b3d4e5f60"
    subprocess.run(["rbd", "--conf", str(cephlab), "create", "--size", "64", f"volumes/{name}"], check=True)
    try:
        snap = open_ceph(ceph_live=True, ceph_conf=str(cephlab), pools="volumes")
        volumes = snap.get("ceph/rbd")[0]
        assert name in [i["image"] for i in volumes["images"]]
        assert name in [i["name"] for i in volumes["du"]["images"]]
    finally:
        subprocess.run(["rbd", "--conf", str(cephlab), "rm", "--no-progress", f"volumes/{name}"], check=True)
