"""The resize/SSH runbook against the real mini cloud, where Nova's own ssh to ssh-dst-bad fails."""

import json
import subprocess
import sys

import pytest
from conftest import MINICLOUD, run_cli

pytestmark = [pytest.mark.minicloud, pytest.mark.slow]


@pytest.fixture(scope="module")
def seeded_failures(minicloud):
    seed = subprocess.run([sys.executable, str(MINICLOUD), "seed", "failures"], capture_output=True, text=True)
    assert seed.returncode == 0, seed.stdout + seed.stderr


def test_live_run_finds_the_broken_pair_from_the_api(seeded_failures, tmp_path):
    proc = run_cli("run", "resize_ssh", "--cloud", "minicloud", "--out", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run = json.loads((tmp_path / "summary.json").read_text())["runbooks"][0]
    crit = [f for f in run["findings"] if f["severity"] == "crit"]
    # The mini cloud's instance path is long enough that Nova's 255-character cut removes ssh's message
    # entirely: without logs the runbook says so and where to find it.
    kinds = [(f["kind"], f["subject"]) for f in crit]
    assert kinds == [("ssh-stderr-cut", "nova ssh ssh-src → ssh-dst-bad (127.0.0.3)")]
    assert "exit code 255 means ssh itself failed" in crit[0]["message"] and "log_dir" in crit[0]["remediation"]


def test_live_run_with_the_log_directory_has_the_whole_stderr(seeded_failures, tmp_path, minicloud):
    log_dir = minicloud.parent / "state" / "log"
    proc = run_cli("run", "resize_ssh", "--cloud", "minicloud", "--out", str(tmp_path), "-p", "log_dir", str(log_dir))
    run = json.loads((tmp_path / "summary.json").read_text())["runbooks"][0]
    crit = [f for f in run["findings"] if f["severity"] == "crit"]
    assert proc.returncode == 1 and crit[0]["kind"] == "ssh-host-key-unknown"
    assert "stderr: 'Host key verification failed.'" in crit[0]["message"]


def test_member_cannot_list_migrations_and_is_told_why(seeded_failures, tmp_path):
    run_cli("run", "resize_ssh", "--cloud", "minicloud-member", "--out", str(tmp_path))
    run = json.loads((tmp_path / "summary.json").read_text())["runbooks"][0]
    problems = {f["subject"]: f["message"] for f in run["findings"] if f["kind"] == "collection-problem"}
    assert "HTTP 403" in problems["openstack/migrations"] and run["verdict"] == "ERROR"


def test_live_trust_matrix_explains_the_failed_resize(seeded_failures, tmp_path):
    """Probed on ssh-src as the nova user nova-compute really runs as (this machine: local_host)."""
    proc = run_cli(
        "run",
        "resize_ssh",
        "--cloud",
        "minicloud",
        "--out",
        str(tmp_path),
        "-p",
        "trust_hosts",
        "ssh-src,ssh-dst-ok,ssh-dst-bad",
        "-p",
        "trust_sources",
        "ssh-src",
        "-p",
        "local_host",
        "ssh-src",
        "-p",
        "nova_user",
        "stackrb-nova",
        "-p",
        "sudo",
        "",
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run = json.loads((tmp_path / "summary.json").read_text())["runbooks"][0]
    trust = [(f["kind"], f["subject"]) for f in run["findings"] if f["kind"].startswith("trust-")]
    assert trust == [("trust-host-key-unknown", "nova ssh to ssh-dst-bad")]
    notebook = (tmp_path / "resize_ssh.ipynb").read_text()
    assert "still broken" in notebook  # the failed resize's pair, joined with the matrix
