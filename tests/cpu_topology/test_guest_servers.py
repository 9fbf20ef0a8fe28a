"""A compute's guests judged from their domain XML alone (a sosreport, no API): Nova's metadata in the XML
(flavor, extra specs, the image properties it booted with) is enough to predict, and the edition a guess."""

import pytest
from conftest import FIXTURES

from runbook_lib.cpu_topology.checks import analyse_cpu_topology
from runbook_lib.cpu_topology.guest_servers import FROM_XML, UNKNOWN_EDITION, servers_from_guests
from runbook_lib.snapshot import Snapshot, new_manifest
from runbook_lib.sources.guest_xml import PART, domain_record

DOMAINS = FIXTURES / "libvirt-domains" / "minicompute"
NO_API = "a sosreport holds no OpenStack API JSON: run 'runbook collect --cloud <entry>'"
VDI_IMAGE = "7b030e3e-b28e-4fbd-86bd-26f85025e7c7"  # vdi-1's image, from its XML's <nova:root>


def _sosreport_snapshot() -> Snapshot:
    domains = [
        domain_record("minicompute", f"sosreport-minicompute:run/libvirt/qemu/{p.name}", p.read_text())
        for p in sorted(DOMAINS.glob("*.xml"))
    ]
    problems = {p: NO_API for p in ("openstack/servers", "openstack/images", "openstack/flavors")}
    return Snapshot(new_manifest("sosreport minicompute", {}), {PART: domains}, problems)


def test_the_xml_s_flavor_extra_specs_and_booted_properties_make_the_servers_table():
    table = servers_from_guests(_sosreport_snapshot().get(PART)).set_index("server")
    assert table.loc["rdp-pro-2", "extra_specs"] == {"hw:cpu_max_sockets": "2"}
    assert table.loc["vdi-1", "properties"] == {"os_distro": "windows", "os_type": "windows"}
    assert table.loc["vdi-1", "image_id"] == VDI_IMAGE and table.loc["vdi-1", "status"] == "ACTIVE"
    assert set(table["properties_from"]) == {FROM_XML}


@pytest.fixture(scope="module")
def alone():
    return analyse_cpu_topology(_sosreport_snapshot())


def test_nova_s_choice_on_what_they_booted_with_is_what_they_run(alone):
    rows = alone.guest_check.set_index("server")
    assert rows.loc["rdp-pro-2", ["predicted", "actual", "lost_vcpus"]].tolist() == ["2s×4c×1t", "2s×4c×1t", 0]
    assert rows.loc["vdi-1", ["predicted", "actual"]].tolist() == ["4s×1c×1t", "4s×1c×1t"]
    assert not rows["differs"].any()


def test_a_windows_guest_of_unknown_edition_may_lose_never_does(alone):
    vdi = alone.servers.set_index("server").loc["vdi-1"]
    assert vdi["edition"] == UNKNOWN_EDITION
    kinds = {f.kind for f in alone.findings if "vdi-1" in f.subject}
    assert kinds == {"server-may-lose-vcpus"}
    finding = next(f for f in alone.findings if "vdi-1" in f.subject)
    assert "a client edition (Pro 2 sockets, Home 1) sees 2 of 4 vCPUs, a Server edition all" in finding.message
    assert VDI_IMAGE in finding.remediation and "socket_limits" in finding.remediation


def test_the_missing_api_is_said_without_hiding_what_the_xml_gave(alone):
    problems = [f for f in alone.findings if f.kind == "collection-problem"]
    assert {f.subject for f in problems} == {"openstack/servers", "openstack/images", "openstack/flavors"}
    assert {f.severity for f in problems} == {"warn"}
    assert all("judged from their domain XML alone" in f.message for f in problems)


def test_the_operator_s_socket_limit_for_the_image_makes_it_certain():
    analysis = analyse_cpu_topology(_sosreport_snapshot(), socket_limits={VDI_IMAGE: 2})
    finding = next(f for f in analysis.findings if "vdi-1" in f.subject)
    assert (finding.kind, finding.severity) == ("server-loses-vcpus", "crit")
    assert "guest sees 2 of 4 vCPUs" in finding.message
