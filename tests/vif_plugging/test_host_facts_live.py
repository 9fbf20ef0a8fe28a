"""Host facts read over real SSH from a lab host (scripts/sshlab) while processes named like nova-compute run
on it: a service with a worker child, and a stray second one."""

import json
import shlex
import subprocess
import time
from pathlib import Path

import pytest
from conftest import run_cli

pytestmark = pytest.mark.slow
PASSWORD = "s3cr3t-db-pass-do-not-leak"


# Started on the lab host over the operator's SSH, as a stray start by hand happens: processes named like
# nova-compute (a service with a worker child, and a second one), in that host's own PID namespace.
SERVICE = shlex.join(
    ["bash", "-c", 'exec -a "$0" bash -c \'(exec -a "$0" sleep 300) & wait\' "$0"', "/usr/bin/nova-compute"]
)
STRAY = shlex.join(["bash", "-c", 'exec -a "$0" sleep 300', "/usr/bin/nova-compute"])


def on_host(lab, host, script):
    argv = ["ssh", "-F", lab["ssh_config"], host, script]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout


@pytest.fixture
def busy_host(sshlab):
    etc = Path(sshlab["hosts"][0]["root"]) / "etc" / "nova"
    (etc / "nova.conf.d").mkdir(parents=True)
    (etc / "nova.conf").write_text(
        f"[DEFAULT]\nvif_plugging_is_fatal = True\n[database]\nconnection = mysql://nova:{PASSWORD}@db/nova\n"
    )
    (etc / "nova.conf.d" / "50-workaround.conf").write_text("[DEFAULT]\nvif_plugging_is_fatal = False\n")
    quiet = ">/dev/null 2>&1 </dev/null &"
    started = on_host(sshlab, "compute-01", f"setsid {SERVICE} {quiet} echo $!; setsid {STRAY} {quiet} echo $!")
    service, stray = (int(pid) for pid in started.split())
    _wait_for_child(sshlab, service)
    yield sshlab, service, stray
    on_host(sshlab, "compute-01", f"pkill -P {service}; kill {service} {stray}; true")


def _wait_for_child(lab, pid, attempts=100):
    """The worker is forked after the service starts: wait until it exists, so the host is read with it."""
    for _ in range(attempts):
        if on_host(lab, "compute-01", f"pgrep -P {pid} || true").strip():
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} started no worker")


def test_the_runbook_reads_the_duplicate_and_the_workaround_from_the_host(busy_host, tmp_path):
    """The lab host has its own PID namespace: what it lists is what was started on it, by its own pids."""
    lab, service, stray = busy_host
    workers = on_host(lab, "compute-01", f"pgrep -P {service}").split()
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
    assert sorted(pids) == sorted([service, stray]) and int(workers[0]) not in pids  # the worker is no duplicate
    for report in tmp_path.iterdir():
        assert PASSWORD not in report.read_text(errors="replace")
