"""The vif-plugging runbook against the real mini cloud, where Nova's real 10 s wait times out."""

import json
import subprocess
import sys

import pytest
from conftest import MINICLOUD, run_cli

pytestmark = [pytest.mark.minicloud, pytest.mark.slow]


def test_live_run_diagnoses_the_real_failures(minicloud, tmp_path):
    seed = subprocess.run(
        [sys.executable, str(MINICLOUD), "seed", "failures"], capture_output=True, text=True
    )
    assert seed.returncode == 0, seed.stdout + seed.stderr
    log_dir = minicloud.parent / "state" / "log"
    proc = run_cli(
        "run", "vif_plugging", "--cloud", "minicloud", "--out", str(tmp_path), "-p", "log_dir", str(log_dir)
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run = json.loads((tmp_path / "summary.json").read_text())["runbooks"][0]
    found = {(f["kind"], f["severity"], f["subject"].split(" (")[0]) for f in run["findings"]}
    assert {("vif-l2-agent-dead", "crit", "server vif-timeout"),  # its agent reported once, then fell silent
            ("vif-l2-agent-missing", "warn", "server vif-nonfatal"),
            ("vif-dhcp-agent-dead", "crit", "server vif-dhcp"),  # L2 done; the dead DHCP agent's block stayed
            ("vif-port-binding-failed", "crit", "server bind-fail")} <= found  # fmt: skip
    assert not any(f["subject"].startswith("server vif-late") for f in run["findings"])  # the healthy control
    report = (tmp_path / "vif_plugging.html").read_text()
    assert (
        "network-vif-plugged" in report and "delivered" in report
    )  # the notifier table from neutron-server.log
