"""Host facts read over real SSH from a lab host (scripts/sshlab) while real processes named like
nova-compute run: a service with a worker child, and a stray second one."""

import json
import subprocess
import time
from pathlib import Path

import pytest
from conftest import run_cli

pytestmark = pytest.mark.slow
PASSWORD = "s3cr3t-db-pass-do-not-leak"


@pytest.fixture
def busy_host(sshlab):
    etc = Path(sshlab["hosts"][0]["root"]) / "etc" / "nova"
    (etc / "nova.conf.d").mkdir(parents=True)
    (etc / "nova.conf").write_text(
        f"[DEFAULT]\nvif_plugging_is_fatal = True\n[database]\nconnection = mysql://nova:{PASSWORD}@db/nova\n"
    )
    (etc / "nova.conf.d" / "50-workaround.conf").write_text("[DEFAULT]\nvif_plugging_is_fatal = False\n")
    service = subprocess.Popen(
        [
            "bash",
            "-c",
            'exec -a "$0" bash -c \'(exec -a "$0" sleep 300) & wait\' "$0"',
            "/usr/bin/nova-compute",
        ]
    )
    stray = subprocess.Popen(["bash", "-c", 'exec -a "$0" sleep 300', "/usr/bin/nova-compute"])
    _wait_for_child(service.pid)
    yield sshlab, service.pid, stray.pid
    for process in (service, stray):
        subprocess.run(["pkill", "-P", str(process.pid)], capture_output=True)
        process.kill()
        process.wait()


def _wait_for_child(pid, attempts=100):
    """The worker is forked after Popen returns: wait until it exists, so the host is read with it."""
    for _ in range(attempts):
        if subprocess.run(["pgrep", "-P", str(pid)], capture_output=True).returncode == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} started no worker")


def test_the_runbook_reads_the_duplicate_and_the_workaround_from_the_host(busy_host, tmp_path):
    """The PID namespace is the machine's: other nova-computes (the mini cloud's) may be listed too, so the
    test checks its own processes by pid."""
    lab, service, stray = busy_host
    workers = subprocess.run(["pgrep", "-P", str(service)], capture_output=True, text=True).stdout.split()
    assert len(workers) == 1
    proc = run_cli(
        "run",
        "vif_plugging",
        "--out",
        str(tmp_path),
        "-p",
        "host_facts",
        "compute-01",
        "-p",
        "ssh_config",
        lab["ssh_config"],
        "-p",
        "sudo",
        "",
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run = json.loads((tmp_path / "summary.json").read_text())["runbooks"][0]
    found = {(f["kind"], f["subject"]) for f in run["findings"]}
    assert ("duplicate-nova-compute-process", "host compute-01") in found
    assert ("vif-plugging-not-fatal", "host compute-01") in found
    duplicate = next(f for f in run["findings"] if f["kind"] == "duplicate-nova-compute-process")
    pids = duplicate["evidence"]["pids"]
    assert {service, stray} <= set(pids) and int(workers[0]) not in pids  # the worker child is no duplicate
    for report in tmp_path.iterdir():
        assert PASSWORD not in report.read_text(errors="replace")
