"""The trust matrix against real OpenSSH: six 'computes' of scripts/sshlab, each a real sshd with its own
/etc and nova home, probed exactly as an operator would (ssh as root, then nova's own ssh)."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import banner_and_summary, run_cli

from resize_ssh.test_trust import STATES, assert_matrix_matches_lab
from runbook_lib.resize_ssh.trust import tabulate_trust
from runbook_lib.sources.hosts import probe_ssh_trust
from runbook_lib.sources.ssh import HostAccess

pytestmark = pytest.mark.slow


def lab_access(lab: dict, **overrides) -> HostAccess:
    return HostAccess(**{"ssh_config": lab["ssh_config"], "sudo": "", "connect_timeout": 5, **overrides})


def destinations(lab: dict) -> dict[str, str]:
    return {h["name"]: h["migration_address"] for h in lab["hosts"]}


def probe(lab: dict, **overrides) -> list[dict]:
    return probe_ssh_trust(lab_access(lab, **overrides), list(STATES), destinations(lab), lab["nova_user"])


def notebook_args(lab: dict, out: Path, *extra: str) -> list[str]:
    return [
        "run",
        "resize_ssh",
        "--out",
        str(out),
        "-p",
        "trust_hosts",
        ",".join(STATES),
        "-p",
        "migration_addresses",
        json.dumps(destinations(lab)),
        "-p",
        "ssh_config",
        lab["ssh_config"],
        "-p",
        "sudo",
        "",
        "-p",
        "nova_user",
        lab["nova_user"],
        "-p",
        "ssh_timeout",
        "5",
        *extra,
    ]


def trust_findings(out: Path) -> set[tuple[str, str]]:
    run = json.loads((out / "summary.json").read_text())["runbooks"][0]
    return {(f["kind"], f["subject"]) for f in run["findings"] if f["kind"].startswith("trust-")}


def test_every_pair_of_six_real_hosts_is_classified(sshlab):
    records = probe(sshlab)
    assert all(r["reached"] for r in records), [r["error"] for r in records]
    assert_matrix_matches_lab(tabulate_trust(records))
    nologin = next(r for r in records if r["host"] == "compute-04")
    assert nologin["account"]["shell"] == "/usr/sbin/nologin"
    healthy = next(r for r in records if r["host"] == "compute-01")  # its known_hosts is hashed
    assert {p["dest"]: p["known_host"] for p in healthy["probes"]}["compute-02"] == "user"


def test_the_operators_host_key_check_stays_on_unless_turned_off(sshlab, tmp_path):
    config = tmp_path / "ssh_config"
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    config.write_text(
        Path(sshlab["ssh_config"])
        .read_text()
        .replace(str(Path(sshlab["ssh_config"]).parent / "known_hosts"), str(empty))
    )
    refused = probe(sshlab, ssh_config=str(config))
    assert not any(r["reached"] for r in refused)
    assert "Host key verification failed" in refused[0]["error"]
    assert all(r["reached"] for r in probe(sshlab, ssh_config=str(config), check_host_keys=False))


def test_a_host_the_operator_cannot_reach_is_reported_not_hidden(sshlab):
    access = lab_access(sshlab)
    records = probe_ssh_trust(access, ["compute-01", "no-such-compute"], destinations(sshlab), sshlab["nova_user"])
    lost = records[1]
    assert not lost["reached"] and "no-such-compute" in lost["error"]
    assert records[0]["reached"]


def test_dry_run_changes_nothing_then_apply_fixes_and_verifies(sshlab, tmp_path):
    before = tabulate_trust(probe(sshlab))
    dry = run_cli(*notebook_args(sshlab, tmp_path / "dry"))
    assert dry.returncode == 1, dry.stdout + dry.stderr
    assert len(trust_findings(tmp_path / "dry")) == 5
    assert tabulate_trust(probe(sshlab))["outcome"].tolist() == before["outcome"].tolist()

    applied = run_cli(*notebook_args(sshlab, tmp_path / "apply", "-p", "apply", "True"))
    assert applied.returncode == 1, applied.stdout + applied.stderr
    # only what no command can fix is left: nothing listens on compute-06's migration address
    assert trust_findings(tmp_path / "apply") == {("trust-connection-refused", "nova ssh to compute-06")}
    after = tabulate_trust(probe(sshlab))
    assert after[after["dest"] != "compute-06"]["outcome"].eq("ok").all()
    # the banner is taken after the fixes and the new probe: it says what the exit code says
    shown, published = banner_and_summary(tmp_path / "apply", "resize_ssh")
    assert shown == published, (shown, published)
    assert (
        banner_and_summary(tmp_path / "dry", "resize_ssh")[0] == banner_and_summary(tmp_path / "dry", "resize_ssh")[1]
    )
    report = (tmp_path / "apply" / "resize_ssh.html").read_text() + (
        tmp_path / "apply" / "resize_ssh.ipynb"
    ).read_text()
    assert "applying on compute-04 as root: login-shell" in report
    assert "PRIVATE KEY-----" not in report  # public keys travel, private keys never leave a host

    again = run_cli(*notebook_args(sshlab, tmp_path / "again", "-p", "apply", "True"))
    assert "nothing to apply automatically" in (tmp_path / "again" / "resize_ssh.ipynb").read_text(), again.stderr


def test_a_missing_ssh_config_is_one_clear_error(sshlab, tmp_path):
    args = notebook_args(sshlab, tmp_path)
    args[args.index(sshlab["ssh_config"])] = str(tmp_path / "nope")
    proc = run_cli(*args)
    assert proc.returncode == 2  # bad input, before a kernel started or anything ran on a host
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(f"runbook: parameter ssh_config='{tmp_path / 'nope'}': {tmp_path / 'nope'} is not a file")


@pytest.mark.skipif(shutil.which("ssh") is None, reason="SKIPPED LOUDLY: no OpenSSH client")
def test_the_notebook_shows_the_matrix(sshlab, tmp_path):
    proc = run_cli(*notebook_args(sshlab, tmp_path))
    html = (tmp_path / "resize_ssh.html").read_text()
    assert proc.returncode == 1
    assert "Can nova on the source SSH" not in html or "<img" in html  # the heatmap is an image
    assert html.count("data:image/png") >= 1 and "Broken pairs: what ssh said" in html


def test_failing_sources_logs_are_read_over_ssh(sshlab, demo_snapshot, tmp_path):
    """The demo's failed resize came from ssh-src; here ssh-src is a lab host whose /var/log/nova holds
    the real nova-compute lines, and the snapshot carries no logs: the whole stderr must come over SSH."""
    from runbook_lib.snapshot import Snapshot, write_snapshot

    ssh_src = next(r for r in demo_snapshot.get("logs/nova-compute") if r["source"] == "ssh-src")
    host = sshlab["hosts"][0]
    (Path(host["log_dir"]) / "nova-compute.log").write_text("\n".join(ssh_src["lines"]) + "\n")
    parts = {k: v for k, v in demo_snapshot.parts.items() if not k.startswith("logs/")}
    write_snapshot(Snapshot(dict(demo_snapshot.manifest), parts), tmp_path / "snap")
    config = tmp_path / "ssh_config"
    config.write_text(Path(sshlab["ssh_config"]).read_text().replace("Host compute-01\n", "Host compute-01 ssh-src\n"))

    proc = run_cli(
        "run",
        "resize_ssh",
        "--snapshot",
        str(tmp_path / "snap"),
        "--out",
        str(tmp_path / "out"),
        "-p",
        "logs_over_ssh",
        "True",
        "-p",
        "ssh_config",
        str(config),
        "-p",
        "sudo",
        "",
    )
    run = json.loads((tmp_path / "out" / "summary.json").read_text())["runbooks"][0]
    # the failed resize and the recorded matrix's unknown host key are one problem: one CRIT, the matrix's
    host_key = [f for f in run["findings"] if f["kind"].endswith("host-key-unknown")]
    assert [(f["kind"], f["severity"]) for f in host_key] == [("trust-host-key-unknown", "crit")], proc.stdout
    assert "stderr: 'Host key verification failed.'" in host_key[0]["message"]
    assert "read /var/log/nova/nova-compute.log on ssh-src" in (tmp_path / "out" / "resize_ssh.ipynb").read_text()
