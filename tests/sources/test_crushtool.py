"""crushtool run for real (Debian's ceph-base) on the CRUSH map inside the 4-host lab's recorded OSDMap."""

import subprocess

import pytest
from conftest import FIXTURES

from runbook_lib.errors import SourceError
from runbook_lib.sources import crushtool
from runbook_lib.sources.crushtool import crush_mappings, exported_crushmap

MAP = FIXTURES / "ceph-hosts-lab" / "osdmap.nearfull.epoch32.bin"


def test_the_crush_map_comes_out_of_the_osdmap_and_maps_as_osdmaptool_does():
    crush = exported_crushmap(MAP.read_bytes())
    seeds = crush_mappings(crush, rule=0, num_rep=3, pool_id=2, max_x=31, weights={})
    dump = subprocess.run(
        ["osdmaptool", str(MAP), "--test-map-pgs-dump-all", "--pool", "2"], capture_output=True, text=True
    ).stdout
    # images: 32 PGs, a power of two, so PG 2.x is placement seed x
    assert len(seeds) == 32 and f"2.1f raw ([{','.join(map(str, seeds[31]))}]" in dump
    assert f"2.0 raw ([{','.join(map(str, seeds[0]))}]" in dump


def test_an_override_weight_reaches_crush_exactly():
    crush = exported_crushmap(MAP.read_bytes())
    full = crush_mappings(crush, 0, 3, 1, 255, {})
    none_on_2 = crush_mappings(crush, 0, 3, 1, 255, {2: 0})
    half = crush_mappings(crush, 0, 3, 1, 255, {2: 0x8000})
    assert sum(2 in up for up in full.values()) > sum(2 in up for up in half.values()) > 0
    assert not any(2 in up for up in none_on_2.values())
    assert crush_mappings(crush, 0, 3, 1, 255, {2: 0x10000}) == full  # 1.0 is what no --weight means


def test_what_crushtool_cannot_read_is_one_line(monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(SourceError, match=r"^crushtool exited \d+: "):
        crush_mappings(b"not a crush map", 0, 3, 1, 7, {})
    with pytest.raises(SourceError, match=r"^osdmaptool exited"):
        exported_crushmap(b"not an osdmap")
    monkeypatch.setattr(crushtool, "CRUSHTOOL", "crushtool-not-here")
    with pytest.raises(
        SourceError, match=r"^crushtool-not-here is not installed here \(Debian/Ubuntu package ceph-base\)$"
    ):
        crush_mappings(b"", 0, 3, 1, 7, {})
