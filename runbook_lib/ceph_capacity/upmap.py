"""The upmap plan: move exact PGs off the fullest OSDs with ``ceph osd pg-upmap-items``, in steps, each move
legal under its pool's CRUSH rule, with every OSD's fill after each step predicted from the PGs' own bytes.

An upmap names the PG and the two OSDs (a reweight moves whichever PGs CRUSH re-places): the prediction is
exact up to the writes meanwhile. A move is undone with the PG's previous items (or ``rm-pg-upmap-items``).

The search is greedy and byte-aware: at each move, among the copies on the fullest OSDs and the emptiest
legal receivers, the move that lowers the spread of fill the most while no receiver passes ``backfillfull
− margin`` and no OSD ends fuller than the source was. It balances bytes, not PG counts (Ceph's own
optimizer's measure), because bytes are what fill an OSD.
"""

from __future__ import annotations

import dataclasses
import functools
import shlex
from collections.abc import Mapping

import pandas as pd

from runbook_lib.ceph_capacity.placement import Rule, crush_members, may_receive, undersized_pgs, with_item
from runbook_lib.records import Record

CANDIDATE_SOURCES = 4  # the fullest OSDs tried per move
CANDIDATE_RECEIVERS = 24  # the emptiest OSDs tried per copy: bounds the search on 2,000 OSDs
MIN_MOVE_FILL = 0.0005  # a copy changing its source by less than 0.05 point is noise beside the writes: not a move


@dataclasses.dataclass(frozen=True)
class UpmapLimits:
    max_moves: int = 10  # PG moves per step
    max_steps: int = 5
    max_backfills: int = 2  # moves an OSD takes part in (sending or receiving) within one step
    margin: float = 0.05  # receivers stay below backfillfull − margin
    deviation: float = 0.005  # done when every OSD is within this of its group's mean fill

    def as_dict(self) -> Record:
        return dataclasses.asdict(self)

    @property
    def total_moves(self) -> int:
        return self.max_moves * self.max_steps


@dataclasses.dataclass(frozen=True)
class Move:
    pgid: str
    source: int
    target: int
    kb: float
    items_before: tuple[tuple[int, int], ...]  # the PG's upmap items before this move
    items_after: tuple[tuple[int, int], ...]

    @property
    def argv(self) -> list[str]:
        return _items_argv(self.pgid, self.items_after)

    @property
    def undo_argv(self) -> list[str]:
        return _items_argv(self.pgid, self.items_before)


def upmap_limits(max_moves: int = 10, max_steps: int = 5, max_backfills: int = 2, margin: float = 0.05) -> UpmapLimits:
    """The limits from the runbook's parameters (the gather runs Ceph's optimizer with the same budget)."""
    return UpmapLimits(max_moves, max_steps, max_backfills, margin)


def _items_argv(pgid: str, items: tuple[tuple[int, int], ...]) -> list[str]:
    if not items:
        return ["ceph", "osd", "rm-pg-upmap-items", pgid]
    return ["ceph", "osd", "pg-upmap-items", pgid, *(str(o) for pair in items for o in pair)]


@dataclasses.dataclass(frozen=True)
class UpmapStep:
    number: int
    moves: list[Move]
    before: dict[int, float]  # osd → fill (0..1)
    after: dict[int, float]

    @property
    def moved_kb(self) -> float:
        return sum(m.kb for m in self.moves)


@dataclasses.dataclass(frozen=True)
class UpmapPlan:
    steps: list[UpmapStep]
    stopped: str
    limits: Record
    refused: str = ""  # why no plan could be made at all (a fact the reader needs)
    held: str = ""  # the PGs no move may touch, and why

    @property
    def moves(self) -> list[Move]:
        return [m for s in self.steps for m in s.moves]

    def table(self) -> pd.DataFrame:
        rows = [
            {
                "step": s.number,
                "pg": m.pgid,
                "from": f"osd.{m.source}",
                "to": f"osd.{m.target}",
                "moved_mib": m.kb / 1024,
                "source_fill": s.after[m.source],
                "target_fill": s.after[m.target],
                "command": shlex.join(m.argv),
                "undo": shlex.join(m.undo_argv),
            }
            for s in self.steps
            for m in s.moves
        ]
        columns = ["step", "pg", "from", "to", "moved_mib", "source_fill", "target_fill", "command", "undo"]
        return pd.DataFrame(rows, columns=columns)

    def predicted_utilization(self, initial: pd.DataFrame) -> pd.DataFrame:
        """osd × step (0 = now) fill, the same shape as the reweight plan's."""
        frame = pd.DataFrame({"osd": initial["osd"], "step 0": initial["utilization"]})
        for step in self.steps:
            frame[f"step {step.number}"] = frame["osd"].map(step.after)
        return frame.set_index("osd")

    def records(self) -> list[dict[str, object]]:
        """One record per PG move, in the shape of the reweight plan's (argv, cli, old, value, effect, risk)."""
        return [
            {
                "action": "pg-upmap-items",
                "key": "upmap",
                "step": s.number,
                "target": "pg",
                "target_id": m.pgid,
                "argv": m.argv,
                "cli": shlex.join(m.argv),
                "undo_argv": m.undo_argv,
                "old": [list(pair) for pair in m.items_before],
                "value": [list(pair) for pair in m.items_after],
                "from_osd": m.source,
                "to_osd": m.target,
                "moved_bytes": round(m.kb * 1024),
                "effect": f"osd.{m.source} {s.before[m.source]:.2%}→{s.after[m.source]:.2%}, "
                f"osd.{m.target} {s.before[m.target]:.2%}→{s.after[m.target]:.2%} after step {s.number}",
                "risk": "backfills one PG copy; undone with undo_argv",
            }
            for s in self.steps
            for m in s.moves
        ]


@dataclasses.dataclass
class _State:
    used: dict[int, float]
    size: dict[int, float]
    group: dict[int, tuple[str, str]]
    up: dict[str, tuple[int, ...]]
    items: dict[str, tuple[tuple[int, int], ...]]
    copy: dict[str, tuple[int, float]]  # pgid → (pool, KiB per copy)
    on_osd: dict[int, set[str]]

    def move(self, move: Move) -> None:
        self.used[move.source] -= move.kb
        self.used[move.target] += move.kb
        self.up[move.pgid] = tuple(move.target if o == move.source else o for o in self.up[move.pgid])
        self.items[move.pgid] = move.items_after
        self.on_osd[move.source].discard(move.pgid)
        self.on_osd.setdefault(move.target, set()).add(move.pgid)

    def fill(self, osd: int) -> float:
        return self.used[osd] / self.size[osd]

    @functools.cached_property  # once: a move never leaves its group, so no group's mean changes
    def means(self) -> dict[tuple[str, str], float]:
        sums: dict[tuple[str, str], list[float]] = {}
        for osd, g in self.group.items():
            pair = sums.setdefault(g, [0.0, 0.0])
            pair[0] += self.used[osd]
            pair[1] += self.size[osd]
        return {g: u / s for g, (u, s) in sums.items() if s}


def _best_move(
    state: _State,
    rules: Mapping[int, Rule],
    where: Mapping[int, Mapping[str, str]],
    limits: UpmapLimits,
    ceiling: float,
    busy: Mapping[int, int],
) -> Move | None:
    means = state.means
    ranked = sorted(state.used, key=state.fill, reverse=True)
    sources = [o for o in ranked if busy.get(o, 0) < limits.max_backfills][:CANDIDATE_SOURCES]
    best, best_gain = None, 1e-12
    for source in sources:
        mean = means[state.group[source]]
        if state.fill(source) - mean <= limits.deviation:
            continue
        receivers = [
            o
            for o in reversed(ranked)
            if state.group[o] == state.group[source] and o != source and busy.get(o, 0) < limits.max_backfills
        ][:CANDIDATE_RECEIVERS]
        for pgid in sorted(state.on_osd.get(source, ())):
            pool, kb = state.copy[pgid]
            rule = rules.get(pool)
            if rule is None or kb < MIN_MOVE_FILL * state.size[source]:
                continue
            after_source = (state.used[source] - kb) / state.size[source]
            for target in receivers:
                after_target = (state.used[target] + kb) / state.size[target]
                # a receiver ending above the mean would have to give data back later: a wasted move
                if after_target > min(ceiling, mean + limits.deviation) or after_target >= state.fill(source):
                    continue
                gain = (
                    (state.fill(source) - mean) ** 2
                    + (state.fill(target) - mean) ** 2
                    - (after_source - mean) ** 2
                    - (after_target - mean) ** 2
                )
                if gain > best_gain and may_receive(rule, state.up[pgid], source, target, where):
                    items = state.items.get(pgid, ())
                    best, best_gain = Move(pgid, source, target, kb, items, with_item(items, source, target)), gain
    return best


def plan_upmap(
    osds: pd.DataFrame,
    used_kb: Mapping[int, float],
    pgs: pd.DataFrame,
    rules: Mapping[int, Rule],
    where: Mapping[int, Mapping[str, str]],
    upmap_items: Mapping[str, tuple[tuple[int, int], ...]],
    ratios: Mapping[str, float],
    limits: UpmapLimits = UpmapLimits(),
) -> UpmapPlan:
    """Steps of at most ``max_moves`` PG moves from the settled usage ``used_kb`` (see settled_used_kb)."""
    live = osds[(osds["kb"] > 0) & osds["up"] & osds["in"] & (osds["reweight"] > 0)]
    up, held = crush_members(pgs, osds), undersized_pgs(pgs, osds)
    on_osd: dict[int, set[str]] = {}
    for pgid, members in up.items():
        for osd in members if pgid not in held else ():
            on_osd.setdefault(osd, set()).add(pgid)
    state = _State(
        used={int(o): float(used_kb[int(o)]) for o in live["osd"]},
        size={int(o): float(k) for o, k in zip(live["osd"], live["kb"], strict=True)},
        group={
            int(o): (where.get(int(o), {}).get("root", ""), str(c))
            for o, c in zip(live["osd"], live["device_class"], strict=True)
        },
        up=up,
        items=dict(upmap_items),
        copy={r.pgid: (int(r.pool), float(r.copy_kb)) for r in pgs.itertuples()},
        on_osd=on_osd,
    )
    ceiling = ratios.get("backfillfull", 0.9) - limits.margin
    steps: list[UpmapStep] = []
    stopped = f"the step limit ({limits.max_steps}) is reached"
    for number in range(1, limits.max_steps + 1):
        before = {o: state.fill(o) for o in state.used}
        moves: list[Move] = []
        busy: dict[int, int] = {}
        while len(moves) < limits.max_moves:
            move = _best_move(state, rules, where, limits, ceiling, busy)
            if move is None:
                break
            moves.append(move)
            state.move(move)
            busy[move.source] = busy.get(move.source, 0) + 1
            busy[move.target] = busy.get(move.target, 0) + 1
        if not moves:
            stopped = _why_done(state, limits)
            break
        steps.append(UpmapStep(number, moves, before, {o: state.fill(o) for o in state.used}))
    why = f"{len(held)} undersized PG(s) not moved: Ceph keeps a moved copy's source until the lost copy is back"
    return UpmapPlan(steps, stopped, limits.as_dict(), held=why if held else "")


def _why_done(state: _State, limits: UpmapLimits) -> str:
    if not state.used:
        return "no OSD is up, in, weighted and of a known size: there is nothing to move data between"
    means = state.means
    worst = max(state.used, key=lambda o: state.fill(o) - means[state.group[o]])
    excess = state.fill(worst) - means[state.group[worst]]
    if excess <= limits.deviation:
        return f"balanced: every OSD within {limits.deviation:.1%} of its device class's mean fill"
    return (
        f"no further legal move lowers the spread: osd.{worst} stays {excess:.2%} above the mean "
        "(its PGs' other copies and the rule's failure domain leave no emptier receiver)"
    )
