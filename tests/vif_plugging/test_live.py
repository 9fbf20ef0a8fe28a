"""The vif-plugging runbook against the real mini cloud, where Nova's real 10 s wait times out."""

import json
import subprocess
import sys

import pytest
from conftest import MINICLOUD, banner_and_summary, run_cli

pytestmark = [pytest.mark.minicloud, pytest.mark.slow]


def test_live_run_diagnoses_the_real_failures(minicloud, tmp_path):
    seed = subprocess.run([sys.executable, str(MINICLOUD), "seed", "failures"], capture_output=True, text=True)
    assert seed.returncode == 0, seed.stdout + seed.stderr
    log_dir = minicloud.parent / "state" / "log"
    proc = run_cli("run", "vif_plugging", "--cloud", "minicloud", "--out", str(tmp_path), "-p", "log_dir", str(log_dir))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run = json.loads((tmp_path / "summary.json").read_text())["runbooks"][0]
    found = {(f["kind"], f["severity"], f["subject"].split(" (")[0]) for f in run["findings"]}
    assert {
        ("vif-l2-agent-dead", "crit", "server vif-timeout"),  # its agent reported once, then fell silent
        ("vif-l2-agent-missing", "warn", "server vif-nonfatal"),
        ("vif-dhcp-agent-dead", "crit", "server vif-dhcp"),  # L2 done; the dead DHCP agent's block stayed
        ("vif-port-error", "crit", "server vif-error"),  # Neutron set the port ERROR: aborted at once
        ("vif-port-binding-failed", "crit", "server bind-fail"),
    } <= found
    assert not any(f["subject"].startswith("server vif-late") for f in run["findings"])  # the healthy control
    report = (tmp_path / "vif_plugging.html").read_text()
    assert "network-vif-plugged" in report and "delivered" in report  # the notifier table from neutron-server.log


def test_canary_boots_tell_a_working_host_from_a_broken_one_and_leave_nothing(minicloud, tmp_path):
    """One real boot on vif-late-1 (its agent wires the port) and one on vif-down-1 (nothing does): the first
    goes ACTIVE, the second aborts exactly like the seeded failure; both servers are deleted."""
    import openstack

    proc = run_cli(
        "run",
        "vif_plugging",
        "--cloud",
        "minicloud",
        "--out",
        str(tmp_path),
        "-p",
        "canary_hosts",
        "vif-late-1,vif-down-1",
        "-p",
        "canary_boot",
        "true",
        "-p",
        "canary_image",
        "cirros-fake",
        "-p",
        "canary_flavor",
        "m1.tiny",
        "-p",
        "canary_network",
        "net1",
        "-p",
        "canary_timeout",
        "120",
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run = json.loads((tmp_path / "summary.json").read_text())["runbooks"][0]
    canaries = {(f["kind"], f["subject"]): f for f in run["findings"] if f["kind"].startswith("canary")}
    assert set(canaries) == {("canary-booted", "host vif-late-1"), ("canary-failed", "host vif-down-1")}
    assert "Failed to allocate the network(s)" in canaries[("canary-failed", "host vif-down-1")]["message"]
    # the canaries booted before the banner was drawn: the failed one is counted there as in the exit code
    shown, published = banner_and_summary(tmp_path, "vif_plugging")
    assert shown == published, (shown, published)
    conn = openstack.connect(cloud="minicloud")
    assert not [s.name for s in conn.compute.servers(all_projects=True) if s.name.startswith("stack-runbooks-canary-")]


def test_a_canary_needs_a_live_cloud_and_says_so(tmp_path):
    proc = run_cli(
        "run",
        "vif_plugging",
        "--out",
        str(tmp_path),
        "-p",
        "canary_hosts",
        "failing",
        "-p",
        "canary_boot",
        "true",
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "runbook: parameter canary_boot=true changes a live system, but this run reads a snapshot; pass --cloud\n"
    )
