"""collect over real SSH (scripts/sshlab): the snapshot it saves, analysed later, gives the findings the live
run gives (the trust matrix of six real sshd hosts; a compute's processes and vif options); a host it cannot
reach is named and makes the exit code 3."""

import json

import pytest
from conftest import run_cli
from resize_ssh.test_trust_live import notebook_args, trust_findings
from vif_plugging.test_host_facts_live import busy_host  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow


def _findings(out):
    [run] = json.loads((out / "summary.json").read_text())["runbooks"]
    return {(f["kind"], f["subject"], f["message"]) for f in run["findings"]}


def test_the_trust_matrix_collected_gives_the_live_runs_findings(sshlab, tmp_path):
    live = run_cli(*notebook_args(sshlab, tmp_path / "live"))
    assert live.returncode == 1, live.stdout + live.stderr
    collect = run_cli(
        "collect", "--snapshot", "demo", "--out", str(tmp_path / "snap"), *notebook_args(sshlab, tmp_path)[4:]
    )
    assert collect.returncode == 0, collect.stdout + collect.stderr
    assert "hosts/ssh_trust: 6" in collect.stdout  # its summary on stdout, the probe's progress on stderr
    later = run_cli("run", "resize_ssh", "--snapshot", str(tmp_path / "snap"), "--out", str(tmp_path / "later"))
    assert later.returncode == 1, later.stdout + later.stderr
    assert trust_findings(tmp_path / "later") == trust_findings(tmp_path / "live") != set()
    assert _findings(tmp_path / "later") == _findings(tmp_path / "live")


def test_host_facts_collected_give_the_live_runs_findings_and_no_password(busy_host, tmp_path):  # noqa: F811
    lab, _, _ = busy_host
    access = ["-p", "host_facts", "compute-01", "-p", "ssh_config", lab["ssh_config"], "-p", "sudo", ""]
    live = run_cli("run", "vif_plugging", "--out", str(tmp_path / "live"), *access)
    collect = run_cli("collect", "--snapshot", "demo", "--out", str(tmp_path / "snap"), *access)
    assert collect.returncode == 0, collect.stdout + collect.stderr
    later = run_cli("run", "vif_plugging", "--snapshot", str(tmp_path / "snap"), "--out", str(tmp_path / "later"))
    assert live.returncode == later.returncode == 1, later.stdout + later.stderr
    found = _findings(tmp_path / "later")
    assert found == _findings(tmp_path / "live")
    assert {"duplicate-nova-compute-process", "vif-plugging-not-fatal"} <= {kind for kind, _, _ in found}
    saved = "".join(p.read_text() for p in (tmp_path / "snap").rglob("*.json"))
    assert "vif_plugging_is_fatal" in saved and "s3cr3t-db-pass-do-not-leak" not in saved


def test_a_host_collect_cannot_reach_is_named_and_exits_3(sshlab, tmp_path):
    access = ["-p", "ssh_config", sshlab["ssh_config"], "-p", "sudo", "", "-p", "ssh_timeout", "3"]
    proc = run_cli(
        "collect",
        "--snapshot",
        "demo",
        "--out",
        str(tmp_path / "snap"),
        "-p",
        "host_facts",
        "compute-01,no-such-compute",
        *access,
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "NOT READ no-such-compute (host facts:" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("runbook: 1 host(s) not read: no-such-compute")
    facts = json.loads((tmp_path / "snap" / "hosts" / "nova_compute.json").read_text())
    assert [f["host"] for f in facts if f["reached"]] == ["compute-01"]  # the reachable host is kept
