"""Real sos on the labs: `sos report` run on an SSH-lab compute (its own hostname, processes, nova.conf and
logs) and a sosreport of the Ceph lab's mon; the runbooks on those sosreports find what they find live."""

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CEPHLAB_HOME, FIXTURES, run_cli

from runbook_lib.sources.sosreport import read_sosreports

pytestmark = pytest.mark.slow
LOG = FIXTURES / "nova-minicloud-failures" / "vif-vif-down-1-nova-compute.log"
TITLE = "/usr/bin/python3 /usr/bin/nova-compute --config-file /etc/nova/nova.conf"
CEPHLAB = Path(__file__).resolve().parents[2] / "scripts" / "cephlab"


def on_host(lab, host, script, timeout=120):
    argv = ["ssh", "-F", lab["ssh_config"], host, script]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=True).stdout


@pytest.fixture
def compute(sshlab):
    """compute-01 as a packaged compute: nova.conf with the workaround, a rotated log, a service and a stray."""
    host = sshlab["hosts"][0]
    root = Path(host["root"])
    (root / "etc/nova/nova.conf.d").mkdir(parents=True)
    (root / "etc/nova/nova.conf").write_text("[DEFAULT]\nvif_plugging_is_fatal = True\n")
    (root / "etc/nova/nova.conf.d/50-workaround.conf").write_text("[DEFAULT]\nvif_plugging_is_fatal = False\n")
    (Path(host["log_dir"]) / "nova-compute.log").write_text(LOG.read_text())
    nova = shlex.join(["perl", "-e", "$0 = shift; sleep 600", TITLE])
    quiet = ">/dev/null 2>&1 </dev/null &"
    pids = on_host(sshlab, "compute-01", f"setsid {nova} {quiet} echo $!; sleep 1; setsid {nova} {quiet} echo $!")
    yield sshlab
    on_host(sshlab, "compute-01", f"kill {' '.join(pids.split())} || true")


def test_the_runbooks_on_real_sosreports_find_what_they_find_live(compute, cephlab, tmp_path):
    sos = ["sos", "report", "--batch", "--tmp-dir", str(tmp_path), "-o", "openstack_nova,process,host"]
    on_host(compute, "compute-01", shlex.join([*sos, "-e", "openstack_nova", "-k", "process.lsof=off"]), 300)
    [compute_sos] = tmp_path.glob("sosreport-compute-01-*.tar.xz")
    made = subprocess.run(
        [sys.executable, str(CEPHLAB), "sosreport", str(tmp_path / "mon")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    mon_sos = made.stdout.strip().splitlines()[-1]
    rules = subprocess.run(
        ["ceph", "--conf", str(CEPHLAB_HOME / "ceph.conf"), "osd", "crush", "rule", "dump", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert read_sosreports([mon_sos]).get("ceph/crush_rules") == [{"rules": json.loads(rules)}]  # from crush dump

    offline = run_cli(
        "run", "all", "--sosreport", str(compute_sos), "--sosreport", mon_sos, "--out", str(tmp_path / "sos")
    )
    assert offline.returncode == 1, offline.stdout + offline.stderr
    live_ceph = run_cli(
        "run",
        "ceph_capacity",
        "-p",
        "ceph_live",
        "true",
        "-p",
        "ceph_conf",
        str(CEPHLAB_HOME / "ceph.conf"),
        "--out",
        str(tmp_path / "ceph"),
    )
    live_host = run_cli(
        "run",
        "vif_plugging",
        "-p",
        "host_facts",
        "compute-01",
        "-p",
        "ssh_config",
        compute["ssh_config"],
        "-p",
        "sudo",
        "",
        "--out",
        str(tmp_path / "host"),
    )

    def found(out, prefixes):
        runs = json.loads((tmp_path / out / "summary.json").read_text())["runbooks"]
        return {(f["kind"], f["subject"]) for r in runs for f in r["findings"] if f["kind"].startswith(prefixes)}

    ceph = ("osd-", "health-")  # what a sosreport holds of Ceph (no RBD listing: no ledger)
    assert found("sos", ceph) == found("ceph", ceph) and ("osd-nearfull", "osd.0 (vm)") in found("sos", ceph)
    host = ("duplicate-nova-compute", "vif-plugging-not-fatal")
    assert (
        found("sos", host)
        == found("host", host)
        == {
            ("duplicate-nova-compute-process", "host compute-01"),
            ("vif-plugging-not-fatal", "host compute-01"),
        }
    )
    assert live_ceph.returncode == 0 and live_host.returncode == 1  # nearfull is a warning; the stray is crit
