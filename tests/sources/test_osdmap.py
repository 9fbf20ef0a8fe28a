"""Ceph's own upmap optimizer run for real (osdmaptool 16.2 from ceph-base) on the lab's exported OSDMap."""

import pytest
from conftest import FIXTURES

from runbook_lib.ceph_capacity.choice import parse_upmap_commands
from runbook_lib.sources import osdmap
from runbook_lib.sources.osdmap import run_osdmaptool

MAP = FIXTURES / "ceph-upmap-lab" / "osdmap.epoch22.bin"


def test_osdmaptool_proposes_upmap_items_for_the_labs_map():
    record = run_osdmaptool(MAP.read_bytes(), ["volumes"], deviation=1, max_moves=10)
    assert "error" not in record, record
    assert record["argv"] == [
        "osdmaptool",
        "osdmap",
        "--upmap",
        "upmap.txt",
        "--upmap-pool",
        "volumes",
        "--upmap-deviation",
        "1",
        "--upmap-max",
        "10",
    ]
    items, other = parse_upmap_commands(record["commands"])
    assert len(items) == 10 and other == []
    assert all(
        pgid.startswith("1.") and pairs[0][0] == 0 for pgid, pairs in items.items()
    )  # off osd.0, the fullest in PGs


def test_a_map_osdmaptool_cannot_decode_is_one_line():
    record = run_osdmaptool(b"not a map", [], deviation=1, max_moves=10)
    assert record["error"].startswith("osdmaptool exited 255: ")


def test_no_osdmaptool_here_names_the_package(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(osdmap, "OSDMAPTOOL", "osdmaptool-not-installed")
    record = run_osdmaptool(MAP.read_bytes(), [], deviation=1, max_moves=10)
    assert record["error"] == "osdmaptool is not installed here (Debian/Ubuntu package ceph-base)"
