"""What the guests run with (domain XML) against the prediction, on the demo snapshot (real API output) with
real domain XMLs (tests/fixtures/libvirt-domains) given the ids of demo servers."""

import pandas as pd
import pytest
from conftest import FIXTURES

from runbook_lib.cpu_topology.checks import analyse_cpu_topology
from runbook_lib.cpu_topology.running import plan_running_servers
from runbook_lib.sources.guest_xml import PART, domain_record

DOMAINS = FIXTURES / "libvirt-domains"
VDI = "c09e115e-6a67-4774-9c7f-8e95c510dbda"  # the fixture's own instance uuid


def _guest(snapshot, server: str, fixture: str) -> dict:
    """The fixture's domain as the guest of the demo server ``server`` (its uuid put in the XML)."""
    sid = next(s["id"] for s in snapshot.get("openstack/servers") if s["name"] == server)
    text = (DOMAINS / fixture).read_text().replace(VDI, sid)
    return domain_record("compute-07", f"compute-07/{fixture}", text)


@pytest.fixture(scope="module")
def judged(demo_snapshot):
    """desk-win7 runs as predicted (4 sockets); rdp-pro-1 was fixed by hand (2 sockets × 2 cores, the edited
    definition); one more file is not a domain."""
    domains = [
        _guest(demo_snapshot, "desk-win7", "virsh-dumpxml/instance-0000000f.xml"),
        _guest(demo_snapshot, "rdp-pro-1", "sos-etc/instance-0000000f.xml"),
        domain_record("compute-07", "compute-07/default.xml", "<network><name>default</name></network>"),
    ]
    return analyse_cpu_topology(demo_snapshot.with_parts({PART: domains}))


def test_a_guest_running_as_predicted_confirms_its_loss_and_cites_the_xml(judged):
    finding = next(f for f in judged.findings if f.kind == "server-loses-vcpus" and "desk-win7" in f.subject)
    assert "guest sees 2 of 4 vCPUs: its domain XML (compute-07/virsh-dumpxml/instance-0000000f.xml)" in finding.message
    assert "predicted" not in finding.message  # it ran as predicted
    assert finding.evidence["domain_xml"] == "compute-07/virsh-dumpxml/instance-0000000f.xml"
    row = judged.guest_check.set_index("server").loc["desk-win7"]
    assert (row["predicted"], row["actual"], row["lost_vcpus"], bool(row["differs"])) == (
        "4s×1c×1t",
        "4s×1c×1t",
        2,
        False,
    )


def test_a_guest_fixed_outside_the_prediction_is_not_called_losing(judged):
    subjects = {f.subject.split(" (")[0]: f for f in judged.findings if "rdp-pro-1" in f.subject}
    kinds = {f.kind for f in subjects.values()}
    assert kinds == {"guest-topology-differs"}, kinds  # the XML says 2s×2c×1t: all 4 vCPUs seen
    finding = next(iter(subjects.values()))
    assert "runs with 2s×2c×1t" in finding.message and "not the 4s×1c×1t the runbook predicts" in finding.message
    assert "rdp-pro-1" not in set(judged.affected_servers["server"])  # tables follow the XML
    assert "rdp-pro-1" not in set(plan_running_servers(judged)["server"])
    servers = judged.servers.set_index("server")
    assert servers.loc["rdp-pro-1", "topology_from"] == "domain XML"
    assert servers.loc["sql-win7", "topology_from"] == "predicted"  # no XML read for it


def test_what_is_not_a_domain_is_a_finding_naming_the_file(judged):
    bad = [f for f in judged.findings if f.kind == "domain-xml-unreadable"]
    assert [f.subject for f in bad] == ["file compute-07/default.xml"]
    assert "root element is <network>" in bad[0].message


def test_an_image_fixed_after_boot_is_said_with_what_it_was_at_boot(demo_snapshot):
    """vdi-1's XML: booted without a cap; the image has hw_cpu_max_sockets=2 now (put on desk-win7's image)."""
    images = [
        {**i, "hw_cpu_max_sockets": "2"} if i["name"] == "Windows 7 Professional SP1" else i
        for i in demo_snapshot.get("openstack/images")
    ]
    snapshot = demo_snapshot.with_parts(
        {"openstack/images": images, PART: [_guest(demo_snapshot, "desk-win7", "minicompute/instance-0000000f.xml")]}
    )
    analysis = analyse_cpu_topology(snapshot)
    finding = next(f for f in analysis.findings if "desk-win7" in f.subject and f.kind == "server-loses-vcpus")
    assert "the runbook predicted 2s×2c×1t" in finding.message
    assert "hw_cpu_max_sockets=unset at boot, 2 now" in finding.message
    assert "nova-manage image_property set" in finding.remediation
    assert not [f for f in analysis.findings if f.kind == "server-may-lose-vcpus" and "desk-win7" in f.subject]


def test_without_any_xml_nothing_changes(demo_analysis):
    assert demo_analysis.guest_check.empty and set(demo_analysis.servers["topology_from"]) == {"predicted"}


def test_a_guest_without_topology_is_said_and_the_others_still_count(demo_snapshot):
    """A column with a gap holds floats: the guest with a topology is still judged by it."""
    sid = next(s["id"] for s in demo_snapshot.get("openstack/servers") if s["name"] == "sql-win7")
    bare = f'<domain type="kvm"><uuid>{sid}</uuid><name>instance-00000007</name><vcpu>8</vcpu></domain>'
    domains = [
        domain_record("compute-07", "compute-07/instance-00000007.xml", bare),
        _guest(demo_snapshot, "desk-win7", "virsh-dumpxml/instance-0000000f.xml"),
    ]
    analysis = analyse_cpu_topology(demo_snapshot.with_parts({PART: domains}))
    rows = analysis.guest_check.set_index("server")
    assert rows.loc["sql-win7", "actual"] == "not set (QEMU chooses)" and bool(rows.loc["sql-win7", "differs"])
    assert rows.loc["desk-win7", "lost_vcpus"] == 2
    # with no topology in its XML, what its guest sees is unknown: the prediction stays, and that is said
    assert any(f.kind == "server-loses-vcpus" and "sql-win7" in f.subject for f in analysis.findings)
    unknown = next(f for f in analysis.findings if f.kind == "guest-topology-unknown")
    assert "sql-win7" in unknown.subject and "sets no CPU topology" in unknown.message


def test_a_guest_whose_image_is_gone_keeps_its_xml_topology_but_no_claim_of_what_it_sees(demo_snapshot):
    """desk-win7's image deleted: its XML says 4 sockets, and nothing says the guest is Windows."""
    image = next(s["image"]["id"] for s in demo_snapshot.get("openstack/servers") if s["name"] == "desk-win7")
    images = [i for i in demo_snapshot.get("openstack/images") if i["id"] != image]
    domain = _guest(demo_snapshot, "desk-win7", "virsh-dumpxml/instance-0000000f.xml")
    analysis = analyse_cpu_topology(demo_snapshot.with_parts({"openstack/images": images, PART: [domain]}))
    row = analysis.servers.set_index("server").loc["desk-win7"]
    assert row["edition"] == "image unknown" and row["topology_from"] == "predicted"
    assert row[["visible_vcpus", "lost_vcpus"]].isna().all()  # never "sees all 4": the guest OS is unknown
    [compared] = analysis.guest_check.itertuples()
    assert (compared.predicted, compared.actual) == ("4s×1c×1t", "4s×1c×1t") and pd.isna(compared.visible_vcpus)
    assert not [f for f in analysis.findings if "desk-win7" in f.subject and f.kind == "server-loses-vcpus"]
