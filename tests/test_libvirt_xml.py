"""Reading a guest's CPUs from libvirt domain XML: Nova's own output, libvirt's dumpxml of it, the saved
definition and the live state sos copies (tests/fixtures/libvirt-domains)."""

import pytest
from conftest import FIXTURES

from runbook_lib.libvirt_xml import NotADomain, parse_domain

DOMAINS = FIXTURES / "libvirt-domains"


def test_nova_s_own_xml_gives_the_guest_its_topology_and_what_nova_kept_of_the_image():
    guest = parse_domain((DOMAINS / "minicompute/instance-0000000f.xml").read_text())
    assert guest["instance_uuid"] == "c09e115e-6a67-4774-9c7f-8e95c510dbda"
    assert (guest["domain"], guest["server"], guest["flavor"], guest["flavor_vcpus"]) == (
        "instance-0000000f",
        "vdi-1",
        "m1.medium",
        4,
    )
    assert (guest["vcpus"], guest["sockets"], guest["cores"], guest["threads"]) == (4, 4, 1, 1)
    assert guest["clock_offset"] == "localtime"  # Nova's clock for os_type=windows
    assert guest["booted_properties"] == {"os_distro": "windows", "os_type": "windows"}  # no cap at boot


def test_libvirt_s_dumpxml_of_it_reads_the_same():
    nova = parse_domain((DOMAINS / "minicompute/instance-0000000f.xml").read_text())
    libvirt = parse_domain((DOMAINS / "virsh-dumpxml/instance-0000000f.xml").read_text())
    assert libvirt == nova


def test_the_saved_definition_behind_libvirt_s_warning_and_the_live_state_inside_domstatus():
    saved = parse_domain((DOMAINS / "sos-etc/instance-0000000f.xml").read_text())
    live = parse_domain((DOMAINS / "sos-run/instance-0000000f.xml").read_text())
    assert (saved["sockets"], saved["cores"]) == (2, 2)  # edited with virsh edit, not restarted
    assert (live["sockets"], live["cores"]) == (4, 1)  # what the guest runs with
    assert live["server"] == saved["server"] == "vdi-1"


def test_an_older_nova_namespace_and_no_topology_are_read():
    xml = (
        '<domain type="kvm"><uuid>u-1</uuid><name>instance-00000001</name><vcpu current="2">4</vcpu>'
        '<metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.0">'
        '<nova:name>old</nova:name><nova:flavor name="m1.medium"><nova:vcpus>4</nova:vcpus></nova:flavor>'
        "</nova:instance></metadata></domain>"
    )
    guest = parse_domain(xml)
    assert (guest["server"], guest["flavor"], guest["vcpus"], guest["vcpus_current"]) == ("old", "m1.medium", 4, 2)
    assert guest["sockets"] is None and guest["booted_properties"] is None  # QEMU chose; no image metadata


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("<network><name>default</name></network>", "root element is <network>"),
        ("<domain><name>x</name>", "not well-formed XML"),
        ('<!DOCTYPE d [<!ENTITY a "aaaa">]><domain/>', "DOCTYPE or entities"),
        ("", "not well-formed XML"),
    ],
)
def test_what_is_not_a_domain_says_what_it_is(text, said):
    with pytest.raises(NotADomain, match=said):
        parse_domain(text)
