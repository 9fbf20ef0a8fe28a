"""``runbook collect`` against the real mini cloud: as admin every part the vif runbook reads is collected
(exit 0); as a member the parts the policy refuses are named and the exit code is 3."""

import json

import pytest
from conftest import FIXTURES, run_cli

from runbook_lib.snapshot import load_snapshot

pytestmark = pytest.mark.minicloud


def test_an_admin_collects_every_part_and_exits_0(minicloud, tmp_path):
    proc = run_cli("collect", "--cloud", "minicloud", "--out", str(tmp_path / "snap"), "--runbooks", "vif_plugging")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    assert manifest["problems"] == {} and {"openstack/servers", "openstack/ports", "openstack/network_agents"} <= set(
        manifest["parts"]
    )
    assert "not collected" not in proc.stderr


def test_a_member_s_partial_snapshot_names_what_is_missing_and_exits_3(minicloud, tmp_path):
    proc = run_cli("collect", "--cloud", "minicloud-member", "--out", str(tmp_path / "snap"))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    missing = sorted(manifest["problems"])
    assert missing and f"part(s) not collected: {', '.join(missing)}" in proc.stderr.splitlines()[-1]
    assert "Traceback" not in proc.stderr


def test_collect_reads_sosreports_into_a_snapshot_that_analyses_later(tmp_path):
    compute = FIXTURES / "sosreport-compute" / "sosreport-compute-01.tar.xz"
    proc = run_cli("collect", "--sosreport", str(compute), "--out", str(tmp_path / "snap"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "logs/nova-compute: 2" in proc.stdout and "hosts/nova_compute: 1" in proc.stdout
    snapshot = load_snapshot(tmp_path / "snap")
    assert snapshot.manifest["cloud"] == "sosreport compute-01" and "openstack/servers" in snapshot.problems
