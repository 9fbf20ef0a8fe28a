"""Which PGs a reweight moves, from CRUSH replayed offline (crushtool) on the 4-host lab's recorded map:
checked against Ceph's own OSDMap code (osdmaptool) and against the PGs pg dump reported."""

import base64
import dataclasses
import re
import subprocess

from ceph_capacity.hosts_lab import hosts_snapshot, osdmap_file
from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.placement import ITEM_NONE
from runbook_lib.ceph_capacity.plan import CRUSH_MAPPING, ReweightLimits, plan_ceph_reweight
from runbook_lib.ceph_capacity.remap import (
    apply_upmap,
    crush_after,
    crush_replay,
    fixed_weight,
    moved_copies,
    only,
    seed_mask,
    stable_mod,
)

_DUMP = re.compile(r"^(\d+\.[0-9a-f]+) raw \(\[[\d,]*\], p-?\d+\) up \(\[([\d,]*)\]")


def osdmaptool_up(state: str, *flags: str) -> dict[str, tuple[int, ...]]:
    """pgid → up set, as Ceph's OSDMap code computes it (osdmaptool --test-map-pgs-dump-all)."""
    argv = ["osdmaptool", str(osdmap_file(state)), *flags, "--test-map-pgs-dump-all"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return {m[1]: tuple(int(o) for o in m[2].split(",") if o) for m in map(_DUMP.match, out.splitlines()) if m}


def replayed(state: str):
    analysis = analyse_ceph_capacity(hosts_snapshot(state))
    replay, why = crush_replay(analysis.crushmap, analysis.facts["osd_dump"], analysis.layout)
    assert replay is not None, why
    return analysis, replay


def test_placement_seeds_follow_ceph_stable_mod():
    assert [seed_mask(n) for n in (1, 2, 32, 100, 256, 257)] == [0, 1, 31, 127, 255, 511]
    assert stable_mod(99, 100, 127) == 99 and stable_mod(120, 100, 127) == 120 & 63
    assert [stable_mod(ps, 256, 255) for ps in (0, 17, 255)] == [0, 17, 255]
    assert fixed_weight(0.95001220703125) == 62260 and fixed_weight(1) == 0x10000


def test_upmap_entries_apply_as_the_monitor_applies_them():
    weights = {0: 0x10000, 1: 0x10000, 2: 0x10000, 3: 0, 4: 0x10000}
    assert apply_upmap((0, 1, 2), None, ((1, 4),), weights) == (0, 4, 2)
    assert apply_upmap((0, 1, 2), None, ((1, 3),), weights) == (0, 1, 2)  # target out: ignored
    assert apply_upmap((0, 1, 2), None, ((1, 2),), weights) == (0, 1, 2)  # target already there
    assert apply_upmap((0, 1, 2), (4, 1, 0), ((1, 2),), weights) == (4, 2, 0)  # pg_upmap, then the items
    assert apply_upmap((0, 1, 2), (3, 1, 0), (), weights) == (0, 1, 2)  # pg_upmap naming an out OSD: ignored
    assert only((0, 1, 2), {0, 2}, erasure=False) == (0, 2)
    assert only((0, 1, 2), {0, 2}, erasure=True) == (0, ITEM_NONE, 2)
    assert only((0, 7, 2), weights.keys(), erasure=False) == (0, 2) and only((0, 7), weights.keys(), True) == (
        0,
        ITEM_NONE,
    )


def test_the_replay_gives_every_pg_its_reported_up_set_healthy_and_with_an_osd_down():
    for state in ("nearfull", "degraded"):
        analysis, replay = replayed(state)
        now = replay.up_sets({})
        assert now == dict(zip(analysis.layout.pgs["pgid"], analysis.layout.pgs["up"], strict=True))
        holes = [pgid for pgid, up in now.items() if ITEM_NONE in up]  # EC shards of the down OSD
        assert len(now) == 385 and (holes == [] if state == "nearfull" else holes and all(p[0] == "4" for p in holes))


def test_a_weight_change_maps_as_cephs_own_osdmap_code_maps_it():
    """Marking an OSD out is the one weight change osdmaptool applies offline (--mark-out): weight 0."""
    for state, osd in (("nearfull", 2), ("degraded", 7)):
        _, replay = replayed(state)
        assert replay.up_sets({osd: 0.0}) == osdmaptool_up(state, "--mark-out", str(osd))


def test_the_replay_refuses_what_it_cannot_trust_and_says_why():
    analysis = analyse_ceph_capacity(hosts_snapshot("nearfull"))
    dump, layout, crush = analysis.facts["osd_dump"], analysis.layout, analysis.crushmap
    assert crush_replay({}, dump, layout)[1].endswith("by hand: ceph osd getcrushmap -o crushmap")
    assert "epoch 31, the PGs of 32" in crush_replay(crush | {"epoch": 31}, dump, layout)[1]
    assert "not base64" in crush_replay(crush | {"base64": "%%%"}, dump, layout)[1]
    broken = crush | {"base64": base64.b64encode(b"not a crush map").decode()}
    assert crush_replay(broken, dump, layout)[1].startswith("CRUSH could not be replayed here: crushtool exited")
    moved = layout.pgs.copy()
    moved.at[0, "up"] = tuple(reversed(moved.at[0, "up"]))
    replay, why = crush_replay(crush, dump, dataclasses.replace(layout, pgs=moved))
    first = moved.at[0, "pgid"]
    assert replay is None and why.startswith(
        f"CRUSH replayed offline disagrees with pg dump for 1 of 385 PGs (first: {first};"
    )
    legacy = dump | {"pools": [dict(dump["pools"][0], flags=0)]}
    assert "is not hashpspool" in crush_replay(crush, legacy, layout)[1]
    assert crush_replay(crush, dump, None)[1] == "the PGs were not read (ceph pg dump pgs)"


def test_each_moved_copy_carries_its_pgs_bytes_and_the_plan_says_it_used_crush():
    analysis, replay = replayed("nearfull")
    after = crush_after(replay, analysis.layout, analysis.osds)
    table = after({2: 0.5}, {})
    new, now = replay.up_sets({2: 0.5}), replay.up_sets({})
    leaving = [p for p in now if 2 in now[p] and 2 not in new[p]]
    pgs = analysis.layout.pgs.set_index("pgid")
    row = table.set_index("osd")
    assert leaving and row.at[2, "kb_used"] == analysis.osds.set_index("osd").at[2, "kb_used"] - sum(
        pgs.at[p, "copy_kb"] for p in leaving
    )
    assert table.attrs["moved_copies"] == moved_copies(now, new) == len(leaving)
    assert row.at[2, "reweight"] == 0.5 and row.at[2, "pgs"] == sum(2 in up for up in new.values())
    plan = plan_ceph_reweight(analysis, ReweightLimits())
    assert plan.model_note.startswith(CRUSH_MAPPING) and all(s.model == CRUSH_MAPPING for s in plan.steps)
    first = plan.steps[0]
    assert first.moved_pgs == moved_copies(now, replay.up_sets({o: w for o, (_, w) in first.changes.items()}))
    assert plan.table().at[0, "model"] == CRUSH_MAPPING
