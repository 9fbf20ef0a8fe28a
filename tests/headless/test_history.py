"""Runs over time: the comparison with the previous run, retention, and two real runs under one reports root
(what changed, the history index, the Prometheus file; parsed by prometheus_client's own parser)."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from prometheus_client.parser import text_string_to_metric_families

from runbook_lib.findings import finding_id
from runbook_lib.headless.history import (
    RUN_MARKER,
    compare_runs,
    live_ceph_source,
    previous_per_runbook,
    prune_runs,
    source_slug,
    write_history_index,
)
from runbook_lib.snapshot import DEMO_SNAPSHOT

from .summaries import A, B, C, _summary

REPO = Path(__file__).resolve().parents[2]


def test_new_resolved_persisting_and_changed_severity():
    then = _summary([("ceph_capacity", "WARN", [A, B])])
    now = _summary([("ceph_capacity", "CRIT", [{**A, "severity": "crit", "message": "osd.0 is 91% full"}, C])])
    changes = compare_runs(now, then, "reports/prod/1")
    assert [i["subject"] for i in changes["new"]] == ["y"]
    assert [i["subject"] for i in changes["resolved"]] == ["osd.1 (h1)"]
    assert [i["subject"] for i in changes["persisting"]] == ["osd.0 (h1)"]  # the message changed, not the identity
    assert [(i["severity"], i["was"]) for i in changes["changed"]] == [("crit", "warn")]
    assert changes["previous"]["dir"] == "reports/prod/1" and changes["not_compared"] == []


def test_a_runbook_that_did_not_finish_or_did_not_run_is_not_compared():
    then = _summary([("ceph_capacity", "WARN", [A]), ("vif_plugging", "WARN", [C])])
    now = _summary([("ceph_capacity", "ERROR", []), ("vif_plugging", "WARN", [C]), ("resize_ssh", "WARN", [B])])
    changes = compare_runs(now, then)
    assert changes["resolved"] == [] and changes["new"] == []  # A did not vanish: ceph was not looked at
    assert changes["not_compared"] == ["ceph_capacity", "resize_ssh"]
    assert [i["subject"] for i in changes["persisting"]] == ["y"]


def test_each_runbook_is_compared_with_its_own_last_finished_run(tmp_path):
    """A run of one runbook, or a run in which ceph_capacity failed, does not erase the others' comparison:
    each runbook is compared with the newest earlier run in which it finished."""
    full = _summary([("ceph_capacity", "WARN", [A]), ("vif_plugging", "WARN", [C])])
    only_vif = _summary([("vif_plugging", "WARN", [])])
    failed_ceph = _summary([("ceph_capacity", "ERROR", []), ("vif_plugging", "WARN", [])])
    for name, summary, at in (("1", full, "01"), ("2", only_vif, "02"), ("3", failed_ceph, "03")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text(json.dumps({**summary, "started_at": f"2026-11-24T{at}:00:00Z"}))
    now = {
        **_summary([("ceph_capacity", "WARN", [A, B]), ("vif_plugging", "WARN", [])]),
        "started_at": "2026-11-24T04:00:00Z",
    }
    (tmp_path / "4").mkdir()
    earlier = previous_per_runbook(tmp_path / "4", now["source"], now["started_at"])
    assert {n: Path(d).name for n, (d, _) in earlier.items()} == {"ceph_capacity": "1", "vif_plugging": "3"}
    changes = compare_runs(now, None, earlier=earlier)
    assert [i["subject"] for i in changes["new"]] == ["osd.1 (h1)"]  # against run 1, where ceph last finished
    assert [i["subject"] for i in changes["persisting"]] == ["osd.0 (h1)"] and changes["not_compared"] == []
    assert changes["previous_by_runbook"]["ceph_capacity"]["dir"].endswith("/1")


def test_identity_is_runbook_kind_and_subject():
    assert finding_id("r", "k", "s") == finding_id("r", "k", "s") != finding_id("r", "k", "s2")
    assert len(finding_id("r", "k", "s")) == 12


@pytest.mark.parametrize(
    ("source", "slug"),
    [
        ("cloud prod", "prod"),
        ("snapshot demo", "demo"),
        ("snapshot /data/snaps/prod-2026.tar.gz", "prod-2026"),
        ("cloud ../../etc", "etc"),
        ("cloud a b", "a_b"),
    ],
)
def test_source_slug_is_one_safe_path_component(source, slug):
    assert source_slug(source) == slug


@pytest.mark.parametrize(
    ("command", "conf", "cluster", "source"),
    [
        ("ceph", "", "", "ceph-live ceph"),  # ceph reads /etc/ceph/ceph.conf: the cluster's name
        ("ceph", "", "backup", "ceph-live backup"),
        ("sudo ceph", "/srv/labs/east/ceph.conf", "", "ceph-live east"),
        ("timeout 60 ssh -p 2222 -o BatchMode=yes admin@mon1 sudo ceph", "", "", "ceph-live mon1-ceph"),
        ("ssh mon1 ceph", "/etc/ceph/west.conf", "west", "ceph-live mon1-ceph"),  # the directory on mon1
    ],
)
def test_a_live_ceph_run_is_filed_under_the_cluster_it_reads(command, conf, cluster, source):
    assert live_ceph_source(command, conf, cluster) == source
    assert source_slug(source) == source.replace(" ", "-") and not source_slug(source).endswith("-")


def _run(root, name, started, source="cloud prod", marker=True):
    path = root / name
    path.mkdir(parents=True)
    (path / "summary.json").write_text(json.dumps(_summary([], started, source)))
    if marker:
        (path / RUN_MARKER).touch()
    return path


def test_previous_run_and_retention(tmp_path):
    first = _run(tmp_path, "20261124T010000Z", "2026-11-24T01:00:00Z")
    second = _run(tmp_path, "20261124T020000Z", "2026-11-24T02:00:00Z")
    other_cloud = _run(tmp_path, "20261124T023000Z", "2026-11-24T02:30:00Z", source="cloud staging")
    foreign = _run(tmp_path, "20261124T000000Z", "2026-11-24T00:00:00Z", marker=False)  # not written by us
    current = _run(tmp_path, "20261124T030000Z", "2026-11-24T03:00:00Z")
    assert prune_runs(current, "cloud prod", 2) == [first]
    assert second.exists() and current.exists() and other_cloud.exists() and foreign.exists()
    assert prune_runs(current, "cloud prod", 0) == []  # 0 keeps everything


@pytest.mark.slow
def test_second_run_shows_what_changed_and_writes_prometheus(tmp_path):
    """Two real runs of a runbook under one reports root; between them a Windows server is deleted from
    the (copied) demo snapshot, so its finding is resolved in the second run."""
    snap = tmp_path / "snap"
    shutil.copytree(DEMO_SNAPSHOT, snap)
    root, prom = tmp_path / "reports", tmp_path / "textfile"
    prom.mkdir()
    args = [
        "run",
        "cpu_topology",
        "--snapshot",
        str(snap),
        "--reports-dir",
        str(root),
        "--keep",
        "2",
        "--prometheus",
        str(prom),
    ]
    first = run_cli(*args)
    assert first.returncode == 1, first.stdout + first.stderr
    servers = json.loads((snap / "openstack" / "servers.json").read_text())
    (snap / "openstack" / "servers.json").write_text(json.dumps([s for s in servers if s["name"] != "rdp-pro-1"]))
    second = run_cli(*args)
    assert second.returncode == 1 and "since " in second.stdout, second.stdout + second.stderr
    runs = sorted(p for p in (root / "snap").iterdir() if p.is_dir())
    latest = json.loads((runs[-1] / "summary.json").read_text())
    changes = latest["changes"]
    assert [i["subject"].split(" (")[0] for i in changes["resolved"]] == ["server rdp-pro-1"]
    assert changes["new"] == [] and len(changes["persisting"]) == len(latest["runbooks"][0]["findings"])
    assert "Since last run" in (runs[-1] / "index.html").read_text()
    assert runs[0].name in (root / "snap" / "index.html").read_text()
    families = {f.name: f for f in text_string_to_metric_families((prom / "stack_runbooks_snap.prom").read_text())}
    crit = [s.value for s in families["stack_runbooks_findings"].samples if s.labels["severity"] == "crit"]
    assert crit == [latest["runbooks"][0]["counts"]["crit"]]
    third = run_cli(*args)  # --keep 2: the first run goes
    assert third.returncode == 1 and "pruned" in third.stdout
    assert not runs[0].exists() and runs[1].exists()


@pytest.mark.slow
def test_report_builds_the_summary_from_notebooks_executed_elsewhere(tmp_path):
    """What the Airflow DAG does: papermill writes the notebook into ROOT/<target>/<run>/, then
    'runbook report --history' turns it into the runner's summary, index and exit code."""
    import subprocess
    import sys

    run_dir = tmp_path / "reports" / "demo-a" / "20261124T010000Z"
    run_dir.mkdir(parents=True)
    notebook = REPO / "notebooks" / "resize_ssh.ipynb"
    papermill = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            "-k",
            "stack-runbooks",
            "--report-mode",
            str(notebook),
            str(run_dir / "resize_ssh.ipynb"),
            "-p",
            "snapshot",
            "demo",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert papermill.returncode == 0, papermill.stderr[-2000:]
    proc = run_cli("report", str(run_dir), "--source", "snapshot demo", "--history", "--prometheus", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the demo's resize failures are crit
    summary = json.loads((run_dir / "summary.json").read_text())
    assert [(r["runbook"], r["verdict"]) for r in summary["runbooks"]] == [("resize_ssh", "CRIT")]
    assert summary["changes"]["previous"] is None and (run_dir / "resize_ssh.html").exists()
    assert (tmp_path / "reports" / "demo-a" / "index.html").exists()
    assert (tmp_path / "stack_runbooks_demo-a.prom").exists()  # named after the target, not the source
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run_cli("report", str(empty))
    assert nothing.returncode == 2 and "neither summary.json nor executed notebooks" in nothing.stderr


def test_the_index_says_which_run_each_runbook_was_compared_with():
    from runbook_lib.headless.history import render_changes

    changes = {
        "previous": {"dir": "r/3", "started_at": "t3", "exit_code": 1},
        "previous_by_runbook": {"ceph_capacity": {"dir": "r/1"}, "vif_plugging": {"dir": "r/3"}},
        "new": [],
        "resolved": [],
        "persisting": [],
        "changed": [],
        "not_compared": [],
    }
    assert "Each runbook against its own last finished run: ceph_capacity ← 1, vif_plugging ← 3." in render_changes(
        changes
    )


def test_concurrent_runs_in_one_second_each_claim_their_own_directory(tmp_path):
    """Created atomically: eight processes started in the same second get eight directories."""
    import datetime as dt
    from concurrent.futures import ProcessPoolExecutor

    from runbook_lib.headless.history import claim_run_dir

    started = dt.datetime(2026, 12, 2, 1, 0, 0, tzinfo=dt.UTC)
    base = tmp_path / "demo" / "20261202T010000Z"
    with ProcessPoolExecutor(4) as pool:
        claimed = list(pool.map(claim_run_dir, [base] * 8, [started] * 8))
    assert len(set(claimed)) == 8 and all(p.is_dir() for p in claimed)
    assert sorted(p.name for p in claimed) == sorted(
        ["20261202T010000Z"] + [f"20261202T010000Z-{n}" for n in range(1, 8)]
    )


def test_a_live_ceph_source_is_filed_under_its_own_name():
    assert source_slug("ceph-live stack-runbooks-cephlab") == "ceph-live-stack-runbooks-cephlab"
    assert source_slug("ceph-live default") != source_slug("snapshot demo")


def test_the_source_index_is_never_seen_half_written_by_runs_beside_each_other(tmp_path):
    """Runs of one source rewrite its index.html as they finish: a reader (a browser, the next run) sees the
    old page or the new one, whole."""
    import threading

    source = tmp_path / "reports" / "snapshot-demo"
    runs = []
    for n in range(6):
        run = source / f"2026120{n}T000000Z"
        run.mkdir(parents=True)
        (run / "summary.json").write_text(
            json.dumps({"source": "snapshot demo", "started_at": f"2026-12-0{n}", "runbooks": []})
        )
        runs.append(run)
    seen, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            if (source / "index.html").exists():
                seen.append((source / "index.html").read_text())

    reader = threading.Thread(target=read)
    reader.start()
    writers = [
        threading.Thread(target=lambda r=r: [write_history_index(r, "snapshot demo") for _ in range(30)]) for r in runs
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    reader.join()
    assert seen and all(page.rstrip().endswith("</html>") and page.startswith("<!doctype html>") for page in seen)
