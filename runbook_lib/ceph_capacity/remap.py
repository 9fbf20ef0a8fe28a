"""Which PGs a reweight moves, from the CRUSH mapping itself: the cluster's CRUSH map replayed offline with
the new override weights (``crushtool --test``), the upmap entries applied as the monitor applies them, and
each moved copy carrying its PG's bytes. The replay is checked first: with today's weights it must give
every PG the up set ``pg dump`` reports, or the plan says why it falls back to the first-order model.

The mapping steps follow OSDMap.cc: ``_pg_to_raw_osds`` (placement seed ``ceph_stable_mod(ps, pgp_num,
mask)``, hashed with the pool id for hashpspool pools), ``_apply_upmap`` (``pg_upmap``, then each
``pg_upmap_items`` pair unless its target is out), ``_raw_to_up_osds`` (a down OSD leaves a replicated set
and is a hole in an EC set).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable, Collection, Mapping

import pandas as pd

from runbook_lib.ceph_capacity.placement import EC_POOL, ITEM_NONE, Layout, settled_used_kb, upmap_items
from runbook_lib.errors import SourceError
from runbook_lib.records import Record
from runbook_lib.sources.crushtool import FULL_WEIGHT, crush_mappings

HASHPSPOOL = 1  # pg_pool_t::FLAG_HASHPSPOOL
# (new weights, the weights before) → the OSD table after the recovery they start (the exact model); its
# attrs["moved_copies"]: the PG copies that move between the two
CrushAfter = Callable[[Mapping[int, float], Mapping[int, float]], pd.DataFrame]


def stable_mod(x: int, b: int, bmask: int) -> int:
    """ceph_stable_mod: a PG's placement seed among ``b`` seeds, stable while ``b`` grows."""
    return x & bmask if (x & bmask) < b else x & (bmask >> 1)


def seed_mask(n: int) -> int:
    """The smallest 2**k - 1 that covers n - 1 (pg_pool_t::calc_pg_masks)."""
    return (1 << max(n - 1, 0).bit_length()) - 1


def fixed_weight(weight: float) -> int:
    """An override weight as the OSDMap holds it (16.16 fixed point)."""
    return round(float(weight) * FULL_WEIGHT)


@dataclasses.dataclass(frozen=True)
class PoolPlacement:
    pool: int
    rule: int
    size: int
    pg_num: int
    pgp_num: int
    erasure: bool


def pool_placements(osd_dump: Record) -> tuple[list[PoolPlacement], str]:
    """Each pool's placement facts, or why CRUSH cannot be replayed offline for this cluster."""
    pools = []
    for pool in osd_dump.get("pools", []) or []:
        if not int(pool.get("flags", 0)) & HASHPSPOOL:
            return [], f"pool {pool.get('pool_name')} is not hashpspool (its placement seeds are not CRUSH's x)"
        pgp = int(pool.get("pg_placement_num") or pool.get("pgp_num") or pool["pg_num"])
        erasure = int(pool.get("type", 1)) == EC_POOL
        pools.append(
            PoolPlacement(
                int(pool["pool"]), int(pool["crush_rule"]), int(pool["size"]), int(pool["pg_num"]), pgp, erasure
            )
        )
    return pools, ""


def osd_states(osd_dump: Record) -> tuple[dict[int, int], set[int]]:
    """Every OSD's override weight (16.16) and the OSDs that are up."""
    weights, up = {}, set()
    for osd in osd_dump.get("osds", []) or []:
        weights[int(osd["osd"])] = fixed_weight(osd.get("weight", 0))
        if osd.get("up"):
            up.add(int(osd["osd"]))
    return weights, up


def apply_upmap(
    raw: tuple[int, ...], full: tuple[int, ...] | None, items: tuple[tuple[int, int], ...], weights: Mapping[int, int]
) -> tuple[int, ...]:
    """OSDMap::_apply_upmap: an explicit ``pg_upmap`` unless one of its OSDs is out, then each item pair."""
    out = list(raw)
    if full and not any(o != ITEM_NONE and weights.get(o, 0) == 0 for o in full):
        out = list(full)
    for frm, to in items:
        if to in out:
            continue
        target_out = to != ITEM_NONE and weights.get(to, 0) == 0
        pos = next((i for i, o in enumerate(out) if o == frm and not target_out), None)
        if pos is not None:
            out[pos] = to
    return tuple(out)


def only(raw: tuple[int, ...], members: Collection[int], erasure: bool) -> tuple[int, ...]:
    """The set keeping ``members`` only: an OSD not among them leaves a replicated set and is a hole in an EC
    set. OSDMap::_remove_nonexistent_osds (members: the OSDs the map holds) and _raw_to_up_osds (the up ones)."""
    if erasure:
        return tuple(o if o in members else ITEM_NONE for o in raw)
    return tuple(o for o in raw if o in members)


@dataclasses.dataclass(frozen=True)
class CrushReplay:
    crushmap: bytes
    pools: list[PoolPlacement]
    osd_dump: Record

    def up_sets(self, weights: Mapping[int, float]) -> dict[str, tuple[int, ...]]:
        """pgid → its up set with these override weights (every other OSD keeps its weight)."""
        fixed, up = osd_states(self.osd_dump)
        fixed |= {int(o): fixed_weight(w) for o, w in weights.items()}
        items = upmap_items(self.osd_dump)
        full = {str(e["pgid"]): tuple(int(o) for o in e["osds"]) for e in self.osd_dump.get("pg_upmap", []) or []}
        out = {}
        for pool in self.pools:
            if pool.pg_num == 0:
                continue
            seeds = crush_mappings(self.crushmap, pool.rule, pool.size, pool.pool, pool.pgp_num - 1, fixed)
            mask = seed_mask(pool.pgp_num)
            for ps in range(pool.pg_num):
                pgid = f"{pool.pool}.{ps:x}"
                raw = only(seeds[stable_mod(ps, pool.pgp_num, mask)], fixed.keys(), pool.erasure)
                mapped = apply_upmap(raw, full.get(pgid), items.get(pgid, ()), fixed)
                out[pgid] = only(mapped, up, pool.erasure)
        return out


def crush_replay(crushmap_part: Record, osd_dump: Record, layout: Layout | None) -> tuple[CrushReplay | None, str]:
    """The replay of this cluster's CRUSH, checked against ``pg dump``; or None and why not."""
    if layout is None:
        return None, "the PGs were not read (ceph pg dump pgs)"
    if not crushmap_part or "base64" not in crushmap_part:
        why = (crushmap_part or {}).get("error") or "the CRUSH map is not in this snapshot"
        return None, f"{why}; by hand: ceph osd getcrushmap -o crushmap"
    if crushmap_part.get("epoch") != osd_dump.get("epoch"):
        return None, f"the CRUSH map is of epoch {crushmap_part.get('epoch')}, the PGs of {osd_dump.get('epoch')}"
    pools, why = pool_placements(osd_dump)
    if why:
        return None, why
    try:
        replay = CrushReplay(base64.b64decode(crushmap_part["base64"], validate=True), pools, osd_dump)
        now = replay.up_sets({})
    except (binascii.Error, ValueError) as exc:
        return None, f"the recorded CRUSH map is not base64 ({exc})"
    except SourceError as exc:
        return None, f"CRUSH could not be replayed here: {exc}"
    differ = [pgid for pgid, up in zip(layout.pgs["pgid"], layout.pgs["up"], strict=True) if now.get(pgid) != up]
    if differ:
        return None, (
            f"CRUSH replayed offline disagrees with pg dump for {len(differ)} of {len(layout.pgs)} PGs "
            f"(first: {differ[0]}; weight-sets or a map from another release?)"
        )
    return replay, ""


def moved_copies(before: Mapping[str, tuple[int, ...]], after: Mapping[str, tuple[int, ...]]) -> int:
    """PG copies that change OSD between two mappings."""
    return sum(len(set(after[p]) - set(up) - {ITEM_NONE}) for p, up in before.items() if p in after)


def crush_after(replay: CrushReplay, layout: Layout, osds: pd.DataFrame) -> CrushAfter:
    """The exact model: new weights → the OSD table once their recovery ends (a moved copy takes its PG's
    bytes along; per-OSD metadata stays), from the settled state of today's mapping."""
    now = dict(zip(layout.pgs["pgid"], layout.pgs["up"], strict=True))
    copy_kb = dict(zip(layout.pgs["pgid"], layout.pgs["copy_kb"], strict=True))
    settled = settled_used_kb(osds, layout.pgs)
    today = {int(o): float(w) for o, w in zip(osds["osd"], osds["reweight"], strict=True)}

    known: dict[frozenset[tuple[int, float]], dict[str, tuple[int, ...]]] = {}

    def mapped(weights: Mapping[int, float]) -> dict[str, tuple[int, ...]]:
        key = frozenset(
            (int(o), float(w)) for o, w in weights.items() if fixed_weight(w) != fixed_weight(today.get(int(o), 1.0))
        )
        if key not in known:
            known[key] = replay.up_sets(weights)
        return known[key]

    def after(weights: Mapping[int, float], since: Mapping[int, float]) -> pd.DataFrame:
        new = mapped(weights)
        used = dict(settled)
        counts = {int(o): 0 for o in osds["osd"]}
        for pgid, up in new.items():
            old = now.get(pgid, up)
            for osd in set(old) - set(up) - {ITEM_NONE}:
                used[osd] = used.get(osd, 0.0) - copy_kb.get(pgid, 0.0)
            for osd in set(up) - set(old) - {ITEM_NONE}:
                used[osd] = used.get(osd, 0.0) + copy_kb.get(pgid, 0.0)
            for osd in set(up) - {ITEM_NONE}:
                counts[osd] = counts.get(osd, 0) + 1
        table = osds.astype({"reweight": float, "kb_used": float, "kb_movable": float, "kb_avail": float})
        delta = table["osd"].map(lambda o: used.get(int(o), 0.0)) - table["kb_used"]
        table["kb_used"] += delta
        table["kb_movable"] += delta
        table["kb_avail"] -= delta
        table["utilization"] = table["kb_used"] / table["kb"].where(table["kb"] > 0)
        table["pgs"] = table["osd"].map(lambda o: counts.get(int(o), 0)).astype(float)
        table["reweight"] = table["osd"].map(lambda o: float(weights.get(int(o), today.get(int(o), 1.0))))
        table.attrs["moved_copies"] = moved_copies(mapped(since), new)
        return table

    return after
