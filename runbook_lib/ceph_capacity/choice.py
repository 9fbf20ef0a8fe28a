"""Reweight, upmap or both: the choice from the cluster's facts, said with its reasons, and the plans side by
side with Ceph's own upmap optimizer (``osdmaptool --upmap`` on the exported map), every one's fill after it
predicted with the same byte model.

The mgr balancer refuses to optimize while PGs are unknown, degraded or inactive, or while misplaced objects
are at ``target_max_misplaced_ratio`` (5 %) or above (``optimize()`` in pybind/mgr/balancer/module.py): in
an emergency after a lost OSD it does nothing, while ``pg-upmap-items`` typed by hand still works.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
from collections.abc import Mapping

import pandas as pd

from runbook_lib.ceph_capacity.capacity import CephCapacityAnalysis
from runbook_lib.ceph_capacity.placement import ITEM_NONE, Layout, balancer_score, settled_used_kb
from runbook_lib.ceph_capacity.plan import ReweightPlan
from runbook_lib.ceph_capacity.upmap import UpmapLimits, UpmapPlan, plan_upmap
from runbook_lib.records import Record

BALANCER_MAX_MISPLACED = 0.05  # target_max_misplaced_ratio's default
_RELEASES = (
    *("argonaut", "bobtail", "cuttlefish", "dumpling", "emperor", "firefly", "giant", "hammer", "infernalis"),
    *("jewel", "kraken", "luminous", "mimic", "nautilus", "octopus", "pacific", "quincy", "reef", "squid", "tentacle"),
)
_ITEMS = re.compile(r"^ceph osd pg-upmap-items (\S+)((?: \d+ \d+)+)$")
_REMOVE = re.compile(r"^ceph osd rm-pg-upmap-items (\S+)$")


def upmap_allowed(osd_dump: Record) -> tuple[bool, str]:
    """Upmap entries need every client at Luminous or later (``require_min_compat_client``)."""
    required = str(osd_dump.get("require_min_compat_client") or "")
    if required in _RELEASES and _RELEASES.index(required) >= _RELEASES.index("luminous"):
        return True, f"require_min_compat_client is {required}: upmap entries are allowed"
    return False, (
        f"require_min_compat_client is {required or 'unset'}: upmap needs luminous "
        "('ceph osd set-require-min-compat-client luminous' once no older client is connected: 'ceph features')"
    )


def balancer_refusal(status: Record) -> str:
    """Why the mgr balancer would not act now (its own order of checks), or ''."""
    pgmap = status.get("pgmap", {}) or {}
    states = {s.get("state_name", ""): s.get("count", 0) for s in pgmap.get("pgs_by_state", []) or []}
    if any("unknown" in s for s in states):
        return "some PGs are unknown"
    degraded = float(pgmap.get("degraded_ratio") or 0)  # null when Ceph printed nan (ceph_json)
    if degraded or any("degraded" in s for s in states):
        return f"objects are degraded ({degraded:.2%})"
    if any("active" not in s for s in states):
        return "some PGs are inactive"
    misplaced = float(pgmap.get("misplaced_ratio") or 0)
    if misplaced >= BALANCER_MAX_MISPLACED:
        return f"misplaced objects ({misplaced:.2%}) are at target_max_misplaced_ratio (5%) or above"
    return ""


def choose(osd_dump: Record, status: Record, balancer: Record, pgs_per_osd: float) -> Record:
    """``{"plan": "upmap" | "reweight", "why": [...]}`` from the facts that decide it."""
    allowed, compat = upmap_allowed(osd_dump)
    why = [compat]
    refusal = balancer_refusal(status)
    if refusal:
        why.append(f"the mgr balancer would refuse now ({refusal}); typed pg-upmap-items still work")
    if balancer.get("active") and balancer.get("mode") == "upmap":
        why.append("the mgr balancer is on in upmap mode: 'ceph balancer off' first, or it undoes these moves")
    if not allowed:
        return {"plan": "reweight", "why": [*why, "override reweights work with every client"]}
    if pgs_per_osd:
        why.append(
            f"{pgs_per_osd:.0f} PG copies per OSD: a reweight moves a share CRUSH picks, an upmap the exact PGs "
            "(predictable from their bytes, undone one by one)"
        )
    return {"plan": "upmap", "why": why}


def parse_upmap_commands(commands: list[str]) -> tuple[dict[str, tuple[tuple[int, int], ...]], list[str]]:
    """osdmaptool's output → pgid → its new items (``rm-pg-upmap-items`` → no item) and lines not understood."""
    out: dict[str, tuple[tuple[int, int], ...]] = {}
    other = []
    for line in commands:
        if match := _ITEMS.match(line):
            numbers = [int(n) for n in match[2].split()]
            out[match[1]] = tuple(zip(numbers[::2], numbers[1::2], strict=True))
        elif match := _REMOVE.match(line):
            out[match[1]] = ()
        elif not line.startswith("#"):
            other.append(line)
    return out, other


def remapped(
    up: tuple[int, ...], old: tuple[tuple[int, int], ...], new: tuple[tuple[int, int], ...]
) -> tuple[int, ...]:
    """An up set with its old items undone and the new ones applied (as OSDMap::_apply_upmap does)."""
    raw = list(up)
    for frm, to in old:
        raw = [frm if o == to else o for o in raw]
    for frm, to in new:
        if frm in raw and to not in raw:
            raw = [to if o == frm else o for o in raw]
    return tuple(raw)


@dataclasses.dataclass(frozen=True)
class Outcome:
    name: str
    moves: int
    moved_kb: float
    fill: dict[int, float]
    score: float | None  # the balancer's eval score after; None when CRUSH alone decides (reweight)


def outcome_of_items(
    name: str,
    layout: Layout,
    used: Mapping[int, float],
    size: Mapping[int, float],
    items: Mapping[str, tuple[tuple[int, int], ...]],
) -> Outcome:
    """The fill per OSD and Ceph's score after a set of new upmap items (pgid → items)."""
    after = dict(used)
    ups = {}
    moved = 0.0
    for row in layout.pgs.itertuples():
        up = row.up
        if row.pgid in items:
            up = remapped(row.up, layout.items.get(row.pgid, ()), items[row.pgid])
            for osd in set(row.up) - set(up) - {ITEM_NONE}:
                after[osd] = after.get(osd, 0.0) - row.copy_kb
            for osd in set(up) - set(row.up) - {ITEM_NONE}:
                after[osd] = after.get(osd, 0.0) + row.copy_kb
                moved += row.copy_kb
        ups[row.pgid] = up
    pgs = layout.pgs.assign(up=layout.pgs["pgid"].map(ups))
    fill = {o: after[o] / size[o] for o in size if size[o]}
    return Outcome(name, len(items), moved, fill, balancer_score(pgs, layout.osds, layout.rules, layout.where))


def side_by_side(now: Outcome, outcomes: list[Outcome]) -> pd.DataFrame:
    """One row per plan: moves, data moved, the fullest OSD and the spread after, Ceph's score."""
    rows = []
    for o in [now, *outcomes]:
        values = list(o.fill.values())
        rows.append(
            {
                "plan": o.name,
                "moves": o.moves,
                "moved_mib": o.moved_kb / 1024,
                "fullest_after": max(values) if values else float("nan"),
                "fill_stddev_pp": 100 * statistics.pstdev(values) if len(values) > 1 else 0.0,
                "balancer_score": o.score,
            }
        )
    return pd.DataFrame(
        rows, columns=["plan", "moves", "moved_mib", "fullest_after", "fill_stddev_pp", "balancer_score"]
    )


@dataclasses.dataclass(frozen=True)
class Rebalancing:
    choice: Record  # {"plan": ..., "why": [...]}
    table: pd.DataFrame  # the plans side by side
    fill: pd.DataFrame  # osd × plan: predicted fill after each
    ceph_optimizer: Record  # what osdmaptool was asked and said
    no_fill: str = ""  # why there is no PG-level prediction (``fill`` empty)


def plan_ceph_upmap(analysis: CephCapacityAnalysis, limits: UpmapLimits | None = None) -> UpmapPlan:
    """The upmap plan over the analysis; a plan with ``refused`` when the cluster's facts forbid one."""
    limits = limits or UpmapLimits()
    layout = analysis.layout
    if analysis.not_planned or layout is None:
        why = analysis.not_planned or analysis.layout_missing
        return UpmapPlan([], "", limits.as_dict(), refused=f"not computed: {why}")
    allowed, compat = upmap_allowed(analysis.facts.get("osd_dump", {}))
    if not allowed:
        return UpmapPlan([], "", limits.as_dict(), refused=compat)
    used = settled_used_kb(layout.osds, layout.pgs)
    plan = plan_upmap(layout.osds, used, layout.pgs, layout.rules, layout.where, layout.items, analysis.ratios, limits)
    held = "; ".join(n for n in (plan.held, analysis.left_out) if n)
    return dataclasses.replace(plan, held=held)


def compare_rebalancing(analysis: CephCapacityAnalysis, reweight: ReweightPlan, upmap: UpmapPlan) -> Rebalancing:
    """The choice with its reasons, and every plan's predicted outcome with the same model, beside Ceph's."""
    layout = analysis.layout
    facts = analysis.facts
    optimizer = analysis.ceph_optimizer
    pgs_per_osd = layout.pgs_per_osd if layout is not None else 0.0
    if analysis.not_planned:
        why = f"no plan computed: {analysis.not_planned}"
        empty = side_by_side(Outcome("now", 0, 0.0, {}, None), []).iloc[0:0]
        return Rebalancing({"plan": "none", "why": [why]}, empty, pd.DataFrame(), optimizer, why)
    choice = choose(facts.get("osd_dump", {}), facts.get("status", {}), facts.get("balancer", {}), pgs_per_osd)
    if upmap.refused:
        choice = {"plan": "reweight", "why": [*choice["why"], f"no upmap plan: {upmap.refused}"]}
    if layout is None:
        why = f"no PG layout read: {analysis.layout_missing}"
        return Rebalancing(choice, side_by_side(_now_from_osds(analysis), []), pd.DataFrame(), optimizer, why)
    used = settled_used_kb(layout.osds, layout.pgs)
    size = {int(o): float(k) for o, k in zip(layout.osds["osd"], layout.osds["kb"], strict=True) if k}
    now = Outcome(
        "now",
        0,
        0.0,
        {o: used[o] / size[o] for o in size},
        balancer_score(layout.pgs, layout.osds, layout.rules, layout.where),
    )
    outcomes = []
    if reweight.steps:
        last = reweight.steps[-1].after
        fill = dict(zip(last["osd"].astype(int), last["utilization"], strict=True))
        moves = sum(len(s.changes) for s in reweight.steps)
        outcomes.append(Outcome("reweight plan", moves, sum(s.moved_kb for s in reweight.steps), fill, None))
    if upmap.moves:
        final = {m.pgid: m.items_after for m in upmap.moves}
        outcomes.append(outcome_of_items("upmap plan", layout, used, size, final))
    if optimizer.get("commands") is not None:
        items, _ = parse_upmap_commands(optimizer["commands"])
        outcomes.append(outcome_of_items("Ceph's optimizer (osdmaptool --upmap)", layout, used, size, items))
    fills = pd.DataFrame({f"fill {o.name}": o.fill for o in [now, *outcomes]}).rename_axis("osd").reset_index()
    fills["osd"] = "osd." + fills["osd"].astype(str)
    return Rebalancing(choice, side_by_side(now, outcomes), fills, optimizer)


def _now_from_osds(analysis: CephCapacityAnalysis) -> Outcome:
    live = analysis.osds[analysis.osds["kb"] > 0]
    return Outcome("now", 0, 0.0, dict(zip(live["osd"].astype(int), live["utilization"], strict=True)), None)
