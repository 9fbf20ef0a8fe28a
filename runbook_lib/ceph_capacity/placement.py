"""Where each PG is and where it may go: the PGs with their bytes (``pg dump pgs``), each pool's CRUSH rule
read as the constraint a move must keep (root, device class, failure domain), and Ceph's own yardstick of
balance (the mgr balancer's ``eval`` score) recomputed offline for any placement.

What a moved PG carries, per copy: a replicated pool's copy holds the PG's ``num_bytes`` and its omap;
an erasure-coded pool's shard holds ``num_bytes / k`` (omap is not allowed on EC pools). BlueFS and
other per-OSD metadata stay where they are.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping

import pandas as pd

from runbook_lib.records import Record

ITEM_NONE = 0x7FFFFFFF  # CRUSH's "no OSD" in an up set (a degraded EC PG's hole)
EC_POOL = 3  # pg_pool_t::TYPE_ERASURE; 1 is replicated
PG_COLUMNS = ["pgid", "pool", "state", "up", "acting", "copy_kb", "objects", "bytes"]


@dataclasses.dataclass(frozen=True)
class Rule:
    """One pool's CRUSH rule as a move sees it: the root and device class it takes from, the bucket type
    no two copies may share (``osd`` when copies only need distinct OSDs), and the types chosen above it,
    which a move keeps unchanged (a replica stays in its rack when the rule picks racks first)."""

    root: str
    device_class: str
    domain: str
    above: tuple[str, ...] = ()


def _rule_of(rule: Record) -> Rule | None:
    steps = rule.get("steps") or []
    take = next((s for s in steps if s.get("op") == "take"), None)
    chooses = [s.get("type", "osd") for s in steps if str(s.get("op", "")).startswith("choose")]
    if take is None or not chooses:
        return None
    root, _, device_class = str(take.get("item_name", "")).partition("~")
    if "class" in take:  # Luminous+ dump it as item_name root~class; some tools write class apart
        device_class = str(take["class"])
    return Rule(root=root, device_class=device_class, domain=str(chooses[-1]), above=tuple(chooses[:-1]))


def pool_rules(crush_rules: Record | list[Record], osd_dump: Record) -> dict[int, Rule]:
    """Pool id → its rule; pools whose rule is missing or has no choose step are left out (never guessed)."""
    listed = crush_rules.get("rules", []) if isinstance(crush_rules, dict) else crush_rules or []
    by_id = {r.get("rule_id", r.get("ruleset")): r for r in listed if isinstance(r, dict)}
    out = {}
    for pool in osd_dump.get("pools", []):
        rule = _rule_of(by_id.get(pool.get("crush_rule"), {}))
        if rule is not None:
            out[int(pool["pool"])] = rule
    return out


def ancestors(osd_df_tree: Record) -> dict[int, dict[str, str]]:
    """OSD id → {bucket type: bucket name} up to its root (``osd`` → its own name, ``class`` → its device
    class), from ``osd df tree``."""
    nodes = {n["id"]: n for n in osd_df_tree.get("nodes", []) if isinstance(n, dict) and "id" in n}
    parent = {child: n["id"] for n in nodes.values() for child in n.get("children", []) or []}
    out: dict[int, dict[str, str]] = {}
    for node in nodes.values():
        if node.get("type") != "osd":
            continue
        chain = {"osd": str(node.get("name", f"osd.{node['id']}")), "class": str(node.get("device_class", ""))}
        current = parent.get(node["id"])
        while current is not None and current in nodes and len(chain) < 32:
            chain.setdefault(str(nodes[current].get("type")), str(nodes[current].get("name")))
            current = parent.get(current)
        out[int(node["id"])] = chain
    return out


def copy_divisors(osd_dump: Record) -> dict[int, float]:
    """Pool id → what a PG's bytes are divided by per copy: 1 for replicated, the profile's k for EC."""
    profiles = osd_dump.get("erasure_code_profiles", {}) or {}
    out = {}
    for pool in osd_dump.get("pools", []):
        k = 1.0
        if pool.get("type") == EC_POOL:
            k = float((profiles.get(pool.get("erasure_code_profile", ""), {}) or {}).get("k") or 1)
        out[int(pool["pool"])] = max(k, 1.0)
    return out


def _members(value: object) -> tuple[int, ...]:
    return tuple(int(o) for o in value) if isinstance(value, list) else ()


def tabulate_pgs(pg_dump: Record, osd_dump: Record) -> tuple[pd.DataFrame, list[str]]:
    """One row per PG (its up and acting sets, KiB per copy, objects) and the PGs that could not be read."""
    stats = pg_dump.get("pg_stats", []) if isinstance(pg_dump, dict) else pg_dump or []
    divisor = copy_divisors(osd_dump)
    rows, unread = [], []
    for stat in stats:
        try:
            pool = int(str(stat["pgid"]).split(".")[0])
            total = stat.get("stat_sum", {})
            size = float(total.get("num_bytes", 0)) / divisor.get(pool, 1.0)
            omap = float(total.get("num_omap_bytes", 0) or 0)
            rows.append(
                {
                    "pgid": str(stat["pgid"]),
                    "pool": pool,
                    "state": str(stat.get("state", "")),
                    "up": _members(stat.get("up")),
                    "acting": _members(stat.get("acting")),
                    "copy_kb": (size + omap) / 1024,
                    "objects": int(total.get("num_objects", 0) or 0),
                    "bytes": float(total.get("num_bytes", 0) or 0),
                }
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            unread.append(str(stat.get("pgid", "?")) if isinstance(stat, dict) else repr(stat)[:40])
    return pd.DataFrame(rows, columns=PG_COLUMNS), unread


def settled_used_kb(osds: pd.DataFrame, pgs: pd.DataFrame) -> dict[int, float]:
    """Each OSD's KiB used once the backfill in flight ends: a PG whose up set differs from its acting set
    still has its data on the acting OSDs; it will be on the up ones."""
    used = {int(o): float(u) for o, u in zip(osds["osd"], osds["kb_used"], strict=True)}
    for row in pgs.itertuples():
        if row.up == row.acting:
            continue
        for osd in set(row.acting) - set(row.up) - {ITEM_NONE}:
            used[osd] = used.get(osd, 0.0) - row.copy_kb
        for osd in set(row.up) - set(row.acting) - {ITEM_NONE}:
            used[osd] = used.get(osd, 0.0) + row.copy_kb
    return used


def crush_members(pgs: pd.DataFrame, osds: pd.DataFrame) -> dict[str, tuple[int, ...]]:
    """PG → the OSDs a move must count as holding its copies: its up set, and for an undersized PG every OSD
    that is down but still in. CRUSH still maps the missing copy to one of those (``pg dump`` leaves it out of
    the up set and does not say which), and Ceph drops an upmap entry whose mapped set breaks the rule's
    failure domain: a copy moved into the lost OSD's host would meet it there when it comes back."""
    lost = _lost(osds)
    short = undersized_pgs(pgs, osds)
    out = {}
    for row in pgs.itertuples():
        members = tuple(o for o in row.up if o != ITEM_NONE)
        if row.pgid in short:
            members += tuple(o for o in lost if o not in members)
        out[row.pgid] = members
    return out


def _lost(osds: pd.DataFrame) -> tuple[int, ...]:
    return tuple(int(o) for o, up, in_ in zip(osds["osd"], osds["up"], osds["in"], strict=True) if in_ and not up)


def undersized_pgs(pgs: pd.DataFrame, osds: pd.DataFrame) -> set[str]:
    """The PGs short of a copy because an OSD that is down but still in held it. Moving one of their copies
    frees nothing: while the up set is short, the primary keeps the old OSD in the acting set (pg_temp;
    the PG shows active+clean+remapped) until the lost copy is back, so the target only gains."""
    if not _lost(osds):
        return set()
    return {row.pgid for row in pgs.itertuples() if "undersized" in row.state or ITEM_NONE in row.up}


def in_rule(rule: Rule, place: Mapping[str, str]) -> bool:
    """Whether an OSD (its ancestors) is one the rule takes from: under its root, of its device class."""
    return place.get("root", rule.root) == rule.root and (
        not rule.device_class or place.get("class") == rule.device_class
    )


def may_receive(
    rule: Rule, up: Iterable[int], source: int, target: int, where: Mapping[int, Mapping[str, str]]
) -> bool:
    """Whether ``target`` may hold the copy ``source`` holds now without breaking the pool's rule."""
    place = where.get(target)
    if place is None or target in up or not in_rule(rule, place):
        return False
    mine = where.get(source, {})
    if any(place.get(level) != mine.get(level) for level in rule.above):
        return False
    taken = {where.get(o, {}).get(rule.domain) for o in up if o not in (source, ITEM_NONE)}
    return place.get(rule.domain) not in taken


# --- Ceph's mgr balancer ``eval`` score, offline (pybind/mgr/balancer/module.py calc_eval / calc_stats) -------


def _metric_score(count: Mapping[int, float], target: Mapping[int, float]) -> float:
    num = max(len(target), 1)
    total = sum(count.values())
    if total == 0:
        return 0.0
    avg = total / num
    score = weight = 0.0
    for osd, value in count.items():
        adjusted = value / target[osd] / num if target.get(osd) else 0.0
        if adjusted > avg:
            score += target[osd] * math.erf(((adjusted - avg) / avg) / math.sqrt(2.0))
            weight += target[osd]
    return score / max(weight, 1)


def balancer_score(
    pgs: pd.DataFrame, osds: pd.DataFrame, rules: Mapping[int, Rule], where: Mapping[int, Mapping[str, str]]
) -> float:
    """The mgr balancer's score (0 = perfect): per CRUSH root taken by the pools' rules, PGs, objects and
    bytes per OSD against the OSDs' share of CRUSH weight × reweight; the mean of the three, over roots.
    As Ceph does, EC bytes are not divided by k."""
    weights = dict(zip(osds["osd"].astype(int), osds["crush_weight"] * osds["reweight"], strict=True))
    roots = sorted({(r.root, r.device_class) for r in rules.values()})
    total = 0.0
    for root, device_class in roots:
        rule = Rule(root, device_class, "osd")
        members = [o for o, place in where.items() if in_rule(rule, place) and weights.get(o, 0) > 0]
        weight_sum = sum(weights[o] for o in members) or 1.0
        target = {o: weights[o] / weight_sum for o in members}
        counts: dict[str, dict[int, float]] = {m: dict.fromkeys(members, 0.0) for m in ("pgs", "objects", "bytes")}
        pools = {p for p, r in rules.items() if (r.root, r.device_class) == (root, device_class)}
        for row in pgs[pgs["pool"].isin(pools)].itertuples():
            for osd in row.up:
                if osd in target:
                    counts["pgs"][osd] += 1
                    counts["objects"][osd] += row.objects
                    counts["bytes"][osd] += row.bytes
        total += sum(_metric_score(counts[m], target) for m in counts) / 3
    return total / len(roots) if roots else 0.0


@dataclasses.dataclass(frozen=True)
class Layout:
    """Everything a PG-level plan reads: the OSDs, the PGs with their bytes, each pool's rule, where each OSD
    sits in the CRUSH tree and the upmap items the cluster already has."""

    osds: pd.DataFrame
    pgs: pd.DataFrame
    rules: dict[int, Rule]
    where: dict[int, dict[str, str]]
    items: dict[str, tuple[tuple[int, int], ...]]
    unread: list[str]  # PGs that could not be read (named in the plan's findings)

    @property
    def pgs_per_osd(self) -> float:
        copies = sum(len(up) for up in self.pgs["up"])
        return copies / max(len(self.osds), 1)


def upmap_items(osd_dump: Record) -> dict[str, tuple[tuple[int, int], ...]]:
    """The cluster's ``pg_upmap_items`` (``osd dump``): pgid → ((from, to), …)."""
    out = {}
    for entry in osd_dump.get("pg_upmap_items", []) or []:
        pairs = entry.get("mappings", [])
        out[str(entry["pgid"])] = tuple((int(m["from"]), int(m["to"])) for m in pairs)
    return out


def with_item(items: tuple[tuple[int, int], ...], source: int, target: int) -> tuple[tuple[int, int], ...]:
    """A PG's items after its copy on ``source`` goes to ``target``: an item that put it on ``source`` is
    redirected (or dropped when that brings it back where CRUSH had it)."""
    out, redirected = [], False
    for frm, to in items:
        if to == source:
            redirected = True
            if frm != target:
                out.append((frm, target))
        else:
            out.append((frm, to))
    return tuple(out) if redirected else (*out, (source, target))


def read_layout(
    osds: pd.DataFrame, osd_dump: Record, osd_df_tree: Record, pg_dump: Record, crush_rules: Record
) -> Layout:
    pgs, unread = tabulate_pgs(pg_dump, osd_dump)
    rules = pool_rules(crush_rules, osd_dump)
    return Layout(osds, pgs, rules, ancestors(osd_df_tree), upmap_items(osd_dump), unread)
