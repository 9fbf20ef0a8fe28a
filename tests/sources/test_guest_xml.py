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
