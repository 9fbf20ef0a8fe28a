"""The running guests' domain XML read over real SSH from a lab compute (scripts/sshlab: each host has its
own /run/libvirt/qemu), on the demo snapshot: the XMLs are tests/fixtures/libvirt-domains with the ids of
demo servers."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli

from runbook_lib.cpu_topology.collect import open_snapshot

pytestmark = pytest.mark.slow
DOMAINS = FIXTURES / "libvirt-domains"
VDI = "c09e115e-6a67-4774-9c7f-8e95c510dbda"


def _as_guest_of(server: str, fixture: str, into: Path) -> None:
    sid = next(s["id"] for s in open_snapshot().get("openstack/servers") if s["name"] == server)
    (into / f"{server}.xml").write_text((DOMAINS / fixture).read_text().replace(VDI, sid))


def test_the_runbook_reads_the_guests_xml_over_ssh_and_judges_by_it(sshlab, tmp_path):
    running = Path(sshlab["hosts"][0]["libvirt_dir"])  # compute-01's /run/libvirt/qemu
    _as_guest_of("desk-win7", "virsh-dumpxml/instance-0000000f.xml", running)
    _as_guest_of("rdp-pro-1", "sos-etc/instance-0000000f.xml", running)  # fixed by hand: 2 sockets × 2 cores
    shutil.copy(DOMAINS / "minicompute" / "instance-00000004.xml", Path(sshlab["hosts"][1]["libvirt_dir"]))
    argv = ["-p", "ssh_config", sshlab["ssh_config"], "-p", "sudo", ""]
    hosts = "compute-01,compute-02,compute-99"  # compute-99: no such host
    proc = run_cli("run", "cpu_topology", "--out", str(tmp_path), "-p", "guest_hosts", hosts, *argv)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run = json.loads((tmp_path / "summary.json").read_text())["runbooks"][0]
    found = {(f["kind"], f["subject"].split(" (")[0]): f for f in run["findings"]}
    desk = found[("server-loses-vcpus", "server desk-win7")]
    assert desk["evidence"]["domain_xml"] == "compute-01:/run/libvirt/qemu/desk-win7.xml"
    assert ("server-loses-vcpus", "server rdp-pro-1") not in found  # its XML says it sees all 4
    assert "runs with 2s×2c×1t" in found[("guest-topology-differs", "server rdp-pro-1")]["message"]
    unreached = found[("domain-xml-unreadable", "file compute-99:/run/libvirt/qemu")]
    assert "not read over SSH" in unreached["message"]
    html = (tmp_path / "cpu_topology.html").read_text()
    assert "compute-01:/run/libvirt/qemu/desk-win7.xml" in html
