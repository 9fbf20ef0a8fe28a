"""Domain XMLs from a directory of hosts: one record per file, the host by its directory, a bad file named."""

import shutil

import pytest
from conftest import FIXTURES

from runbook_lib.errors import ParameterError
from runbook_lib.snapshot import Snapshot, new_manifest
from runbook_lib.sources.guest_xml import PART, read_domain_dir, with_guest_xml

DOMAINS = FIXTURES / "libvirt-domains"


def test_each_host_directory_s_xml_files_become_records_of_that_host(tmp_path):
    shutil.copytree(DOMAINS / "minicompute", tmp_path / "compute-07")
    (tmp_path / "compute-07" / "broken.xml").write_text("<domain><name>half")
    records = {r["path"].rsplit("/", 1)[1]: r for r in read_domain_dir(tmp_path)}
    assert set(records) == {"instance-00000004.xml", "instance-0000000f.xml", "broken.xml"}
    assert {r["host"] for r in records.values()} == {"compute-07"}
    assert records["instance-00000004.xml"]["server"] == "rdp-pro-2"
    assert (records["instance-00000004.xml"]["sockets"], records["instance-00000004.xml"]["cores"]) == (2, 4)
    assert records["broken.xml"]["error"].startswith("not a libvirt domain XML: it is not well-formed XML")


def test_a_missing_directory_is_one_line_saying_what_to_give(tmp_path):
    with pytest.raises(ParameterError, match=r"guest_xml_dir .*nowhere.* is not a directory.*virsh dumpxml"):
        read_domain_dir(tmp_path / "nowhere")


def test_the_part_is_added_with_where_it_came_from(tmp_path):
    shutil.copytree(DOMAINS / "minicompute", tmp_path / "minicompute")
    snapshot = with_guest_xml(Snapshot(new_manifest("t", {}), {}), str(tmp_path))
    assert len(snapshot.get(PART)) == 2
    assert str(tmp_path) in snapshot.manifest["parts"][PART]["note"]
    assert with_guest_xml(snapshot, "") is snapshot


def _said(stdout: str, code: int = 0, stderr: str = ""):
    from runbook_lib.sources.ssh import HostResult

    return HostResult("compute-07", code, stdout, stderr)


def test_the_ssh_output_frames_each_domain_and_names_what_went_wrong():
    import base64

    from runbook_lib.sources.guest_xml import parse_domains_output

    xml = (DOMAINS / "minicompute" / "instance-0000000f.xml").read_bytes()
    good = f"@domain /run/libvirt/qemu/instance-0000000f.xml\n{base64.b64encode(xml).decode()}\n"
    bad = "@domain /run/libvirt/qemu/instance-00000010.xml\nnot base64!\n"
    records = parse_domains_output("compute-07", _said(good + bad + "@done\n"))
    assert records[0]["path"] == "compute-07:/run/libvirt/qemu/instance-0000000f.xml"
    assert records[0]["server"] == "vdi-1" and not records[0]["error"]
    assert records[1]["error"] == "its content over SSH is not base64"
    [cut] = parse_domains_output("compute-07", _said(good))
    assert (
        cut["error"] == "the output over SSH was cut before its end" and cut["path"] == "compute-07:/run/libvirt/qemu"
    )
    [unreached] = parse_domains_output("compute-07", _said("", 255, "ssh: connect to host compute-07: refused\n"))
    assert unreached["error"] == "not read over SSH: ssh: connect to host compute-07: refused"
    assert parse_domains_output("compute-07", _said("@done\n")) == []  # no guest runs there
