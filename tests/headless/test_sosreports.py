"""`runbook run --sosreport`: real sosreports analysed by the runbooks, the snapshot kept in the run's
directory; what no sosreport holds is an error finding that says how to get it."""

import json

import pytest
from conftest import FIXTURES, run_cli

from runbook_lib.headless.sosreports import NO_API, SNAPSHOT_DIR, sosreport_snapshot
from runbook_lib.snapshot import load_snapshot

COMPUTE = FIXTURES / "sosreport-compute" / "sosreport-compute-01.tar.xz"
MON = FIXTURES / "sosreport-mon" / "sosreport-vm-mon.tar.xz"


def test_the_sosreports_snapshot_names_every_part_it_lacks():
    snapshot = sosreport_snapshot([str(COMPUTE)])
    assert snapshot.manifest["cloud"] == "sosreport compute-01"
    assert snapshot.problems["openstack/servers"] == NO_API
    assert "openstack/servers" not in snapshot.parts and "logs/nova-compute" in snapshot.parts


@pytest.mark.slow
def test_run_on_sosreports_finds_the_stray_nova_compute_and_the_nearfull_osd(tmp_path):
    proc = run_cli("run", "all", "--sosreport", str(COMPUTE), "--sosreport", str(MON), "--out", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "sosreport compute-01, vm" in (tmp_path / "summary.json").read_text()
    runs = {r["runbook"]: r for r in json.loads((tmp_path / "summary.json").read_text())["runbooks"]}
    found = {(f["kind"], f["subject"]) for r in runs.values() for f in r["findings"]}
    assert ("duplicate-nova-compute-process", "host compute-01") in found
    assert ("vif-plugging-not-fatal", "host compute-01") in found
    assert ("osd-nearfull", "osd.0 (vm)") in found
    errors = [f for f in runs["cpu_topology"]["findings"] if f["severity"] == "error"]
    assert errors and all(NO_API in f["message"] for f in errors)  # nothing a sosreport holds: said, per part
    assert load_snapshot(tmp_path / SNAPSHOT_DIR).manifest["cloud"] == "sosreport compute-01, vm"
    assert not any("s3cr3t-db-pass" in p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("name", "said"),
    [("gone.tar.xz", "not found"), ("README.md", "is not a sosreport archive")],
)
def test_a_bad_sosreport_is_one_line_and_exit_2_before_any_kernel(tmp_path, name, said):
    path = FIXTURES / "sosreport-compute" / name
    proc = run_cli("run", "all", "--sosreport", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and said in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()
