"""Guests Nova does not account for, from real domain XMLs (tests/fixtures/libvirt-domains, written by Nova 34's
own code) beside the demo's real server list: a domain whose instance no server is, and one on another host than
Nova records for its server; never a resize's two domains, a domain Nova did not define, or a sosreport alone."""

import pytest
from conftest import FIXTURES

from runbook_lib.cpu_topology.checks import analyse_cpu_topology
from runbook_lib.cpu_topology.strays import stray_guests
from runbook_lib.sources.guest_xml import PART, domain_record

XML = (FIXTURES / "libvirt-domains" / "virsh-dumpxml" / "instance-0000000f.xml").read_text()
OWN_UUID = "c09e115e-6a67-4774-9c7f-8e95c510dbda"  # the fixture's instance: no server of the demo


def _server(snapshot, name):
    return next(s for s in snapshot.get("openstack/servers") if s["name"] == name)


def _findings(snapshot, domains):
    analysis = analyse_cpu_topology(snapshot.with_parts({PART: domains}))
    return {f.kind: f for f in analysis.findings if f.kind.startswith("guest-")}, analysis


def test_a_domain_no_server_is_is_a_warning_with_the_checks_before_any_removal(demo_snapshot):
    found, _ = _findings(demo_snapshot, [domain_record("minicompute", "minicompute/instance-0000000f.xml", XML)])
    stray = found["guest-without-server"]
    assert stray.severity == "warn" and stray.subject == "domain instance-0000000f on minicompute"
    assert f"({OWN_UUID}, minicompute/instance-0000000f.xml) but the server list collected has no such server" in (
        stray.message
    )
    assert stray.remediation == (
        f"check 'openstack server show {OWN_UUID}' as admin (a deleted one: 'openstack server list --deleted "
        f"--all-projects --uuid {OWN_UUID}'); only if it is deleted, on minicompute: 'virsh destroy "
        "instance-0000000f' then 'virsh undefine instance-0000000f'"
    )


def test_a_domain_on_another_host_than_nova_records_is_critical(demo_snapshot):
    desk = _server(demo_snapshot, "desk-win7")
    assert desk["OS-EXT-SRV-ATTR:host"] == "minicompute"
    text = XML.replace(OWN_UUID, desk["id"])
    found, _ = _findings(demo_snapshot, [domain_record("compute-07", "compute-07/instance-0000000f.xml", text)])
    twice = found["guest-on-other-host"]
    assert twice.severity == "crit" and twice.evidence["nova_host"] == "minicompute"
    assert "server 'desk-win7' (" in twice.message  # Nova's name, not the one the XML was defined with (vdi-1)
    assert "is on minicompute for Nova, but compute-07 has its domain too" in twice.message
    assert twice.remediation.startswith("on compute-07: 'virsh domstate instance-0000000f'")
    # on its own host it is simply its guest
    found, _ = _findings(demo_snapshot, [domain_record("minicompute", "minicompute/i.xml", text)])
    assert "guest-on-other-host" not in found and "guest-without-server" not in found


def test_a_resize_keeps_two_domains_and_that_is_no_stray(demo_snapshot):
    desk = _server(demo_snapshot, "desk-win7")
    servers = [{**s, "status": "VERIFY_RESIZE"} if s is desk else s for s in demo_snapshot.get("openstack/servers")]
    snapshot = demo_snapshot.with_parts({"openstack/servers": servers})
    record = domain_record("compute-07", "compute-07/i.xml", XML.replace(OWN_UUID, desk["id"]))
    found, _ = _findings(snapshot, [record])
    assert "guest-on-other-host" not in found


@pytest.mark.parametrize("how", ["not a Nova domain", "no server list"])
def test_nothing_is_called_stray_without_the_facts_to_say_it(demo_snapshot, how):
    if how == "not a Nova domain":  # libvirt's own, or an operator's: no <nova:instance> metadata
        text = XML[: XML.index("<metadata>")] + XML[XML.index("</metadata>") + len("</metadata>") :]
        found, analysis = _findings(demo_snapshot, [domain_record("minicompute", "minicompute/x.xml", text)])
        assert len(analysis.guests) == 1
    else:  # a compute's sosreport alone: its servers are its domains
        snapshot = demo_snapshot.with_parts({})
        snapshot.parts.pop("openstack/servers")
        found, _ = _findings(snapshot, [domain_record("minicompute", "minicompute/x.xml", XML)])
    assert "guest-without-server" not in found and "guest-on-other-host" not in found


def test_the_table_names_each_stray_and_why(demo_snapshot):
    desk = _server(demo_snapshot, "desk-win7")
    records = [
        domain_record("minicompute", "minicompute/a.xml", XML),
        domain_record("compute-07", "compute-07/b.xml", XML.replace(OWN_UUID, desk["id"])),
    ]
    _, analysis = _findings(demo_snapshot, records)
    table = stray_guests(analysis.guests, analysis.servers)
    assert table[["host", "stray", "nova_host"]].values.tolist() == [
        ["minicompute", "no-server", ""],
        ["compute-07", "other-host", "minicompute"],
    ]
