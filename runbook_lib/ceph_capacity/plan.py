"""The stepwise guarded reweight plan over the analysis (steps, predictions from the CRUSH replay or the
first-order model, the comparison with Ceph's own proposal); its limits live with Ceph's algorithm."""

from __future__ import annotations

import dataclasses
import shlex

import pandas as pd

from runbook_lib.ceph_capacity.capacity import CephCapacityAnalysis
from runbook_lib.ceph_capacity.remap import CrushAfter, crush_after, crush_replay, fixed_weight
from runbook_lib.ceph_capacity.reweight import ReweightLimits as ReweightLimits  # the plan's limits
from runbook_lib.ceph_capacity.reweight import ceph_refusal, ceph_reweight_by_utilization, predict
from runbook_lib.ceph_capacity.reweight import reweight_limits as reweight_limits
from runbook_lib.sources.crushtool import FULL_WEIGHT

FIRST_ORDER = "first-order"
CEPH_COUNT = "Ceph's PG count"  # movement scaled to Ceph's own count of moving PG mappings
CRUSH_MAPPING = "CRUSH mapping"  # the PGs that move, from CRUSH replayed with the new weights


def weight_argument(weight: float) -> str:
    """The override weight as ``ceph osd reweight`` must be given it: the monitor truncates weight × 65536,
    so a rounded decimal (0.90002441 → 58983) lands one step below the planned 58984; this is exact."""
    return repr(fixed_weight(weight) / FULL_WEIGHT)


@dataclasses.dataclass(frozen=True)
class ReweightStep:
    number: int
    changes: dict[int, tuple[float, float]]  # osd → (old, new)
    moved_kb: float
    moved_pgs: float
    before: pd.DataFrame
    after: pd.DataFrame
    halved: int  # how often the guard halved this step's changes
    model: str = FIRST_ORDER  # how the movement was predicted

    def argv(self, osd: int) -> list[str]:
        """The command that sets ``osd``'s override weight as this step plans it."""
        return ["ceph", "osd", "reweight", str(osd), weight_argument(self.changes[osd][1])]

    @property
    def commands(self) -> list[str]:
        return [shlex.join(self.argv(osd)) for osd in self.changes]

    @property
    def max_before(self) -> float:
        return float(self.before["utilization"].max())

    @property
    def max_after(self) -> float:
        return float(self.after["utilization"].max())


def _movement(step: ReweightStep) -> str:
    moved = f"{step.moved_kb / 1024**2:,.2f} GiB" if step.moved_kb >= 1024**2 else f"{step.moved_kb / 1024:,.0f} MiB"
    if step.model == CRUSH_MAPPING:
        return f"moves {moved} ({step.moved_pgs:.0f} PG cop{'y' if step.moved_pgs == 1 else 'ies'}, {CRUSH_MAPPING})"
    return f"moves about {moved} ({step.moved_pgs:.1f} PGs, {step.model} model)"


def _guard_note(step: ReweightStep) -> str:
    if step.model != FIRST_ORDER and step.moved_pgs == 0:
        return f"moves no PG ({step.model}): below CRUSH's granularity here; a larger max_change would"
    return f"halved ×{step.halved} to stay below backfillfull − margin" if step.halved else ""


@dataclasses.dataclass(frozen=True)
class ReweightPlan:
    steps: list[ReweightStep]
    stopped: str  # why the plan ends
    limits: dict
    model_note: str = ""  # how the steps' movement is predicted, and why not exactly when it is not

    def table(self) -> pd.DataFrame:
        rows = [
            {
                "step": s.number,
                "commands": "; ".join(s.commands),
                "osds": ", ".join(f"osd.{o} {a:.4f}→{b:.4f}" for o, (a, b) in s.changes.items()),
                "moved_gib": s.moved_kb / 1024**2,
                "moved_pgs": round(s.moved_pgs, 1),
                "fullest_before": s.max_before,
                "fullest_after": s.max_after,
                "model": s.model,
                "guard": _guard_note(s),
            }
            for s in self.steps
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "step",
                "commands",
                "osds",
                "moved_gib",
                "moved_pgs",
                "fullest_before",
                "fullest_after",
                "model",
                "guard",
            ],
        )

    def records(self) -> list[dict[str, object]]:
        """The machine-readable plan (summary.json): one record per OSD change, step by step."""
        return [
            {
                "step": s.number,
                "target": "osd",
                "target_id": f"osd.{osd}",
                "action": "reweight",
                "key": "reweight",
                "old": round(old, 8),
                "value": weight_argument(new),
                "argv": s.argv(osd),
                "cli": shlex.join(s.argv(osd)),
                "effect": f"step {s.number}: fullest OSD {s.max_before:.1%} → {s.max_after:.1%}, {_movement(s)}",
                "risk": "moves data (backfill): one step at a time, HEALTH_OK and the fill checked between steps",
            }
            for s in self.steps
            for osd, (old, new) in s.changes.items()
        ]

    def predicted_utilization(self, initial: pd.DataFrame) -> pd.DataFrame:
        """OSD × step: the predicted fill of every OSD after each step (step 0 = now)."""
        columns = {"now": initial.set_index("name")["utilization"]}
        for step in self.steps:
            columns[f"after step {step.number}"] = step.after.set_index("name")["utilization"]
        return pd.DataFrame(columns)


def plan_reweight(
    osds: pd.DataFrame,
    ratios: dict[str, float],
    oload: int = 120,
    max_change: float = 0.05,
    max_osds: int = 4,
    steps: int = 5,
    margin: float = 0.02,
    no_increasing: bool = True,
    ceph_proposal: dict | None = None,
    crush: CrushAfter | None = None,
) -> ReweightPlan:
    """Up to ``steps`` steps of Ceph's algorithm on the predicted state, each guarded against backfillfull.

    ``ceph_proposal`` (the ``result`` of ``test-reweight-by-utilization`` for the same limits) counts the
    PG mappings Ceph's own CRUSH run moves: when step 1 is that proposal, its movement is scaled to it.
    ``crush`` (weights → the OSDs after) predicts every step from the PGs CRUSH itself moves instead.
    """
    limits = {
        "oload": oload,
        "max_change": max_change,
        "max_osds": max_osds,
        "margin": margin,
        "no_increasing": no_increasing,
    }
    if not ratios or osds.empty:
        return ReweightPlan([], "no Ceph data to plan with", limits)
    refusal = ceph_refusal(osds, oload)
    if refusal:
        return ReweightPlan([], refusal, limits)
    ceiling = ratios["backfillfull"] - margin
    state = osds.copy()
    planned: list[ReweightStep] = []
    stopped = f"{steps} step(s) planned; run again after they are applied"
    for number in range(1, steps + 1):
        proposal = ceph_reweight_by_utilization(state, oload, max_change, max_osds, no_increasing)
        if not proposal:
            stopped = f"no OSD is above {oload}% of the average utilization: nothing more to move"
            break
        halved = 0
        weights = state.set_index("osd")["reweight"]
        scale = _exact_scale(state, proposal, ceph_proposal) if number == 1 and not crush else 1.0
        while True:
            after = (
                crush({**weights.to_dict(), **proposal}, weights.to_dict())
                if crush
                else predict(state, proposal, scale)
            )
            gains = (after["kb_used"] > state["kb_used"] + 1e-9) & ~after["osd"].isin(list(proposal))
            worst = after.loc[gains, "utilization"].max()  # only OSDs this step sends data to
            if pd.isna(worst) or worst < ceiling:
                break
            halved += 1
            if halved > 3:
                break
            proposal = {o: weights[o] - (weights[o] - w) / 2 for o, w in proposal.items()}
            scale = 1.0  # Ceph's count was for its own weights, not the halved ones
        if halved > 3:
            stopped = (
                f"step {number} would push an OSD past backfillfull − margin ({ceiling:.0%}) even at an "
                "eighth of the change: reclaim space or add capacity first"
            )
            break
        moved = (state.set_index("osd")["kb_used"] - after.set_index("osd")["kb_used"]).clip(lower=0).sum()
        moved_pgs = after.attrs.get("moved_copies") if crush else None
        if moved_pgs is None:
            moved_pgs = (state.set_index("osd")["pgs"] - after.set_index("osd")["pgs"]).clip(lower=0).sum()
        planned.append(
            ReweightStep(
                number,
                {o: (float(weights[o]), float(w)) for o, w in proposal.items()},
                float(moved),
                float(moved_pgs),
                state,
                after,
                halved,
                CRUSH_MAPPING if crush else CEPH_COUNT if scale != 1.0 else FIRST_ORDER,
            )
        )
        state = after
    return ReweightPlan(planned, stopped, limits)


def _exact_scale(state: pd.DataFrame, proposal: dict[int, float], ceph: dict | None) -> float:
    """Ceph's moved PG mappings ÷ the model's, when Ceph proposed exactly these weights."""
    if not ceph or not ceph.get("reweights"):
        return 1.0
    theirs = {r["osd"]: r["new_weight"] for r in ceph["reweights"]}
    if set(theirs) != set(proposal) or any(abs(theirs[o] - w) > 1e-6 for o, w in proposal.items()):
        return 1.0
    moved = (ceph.get("utilization") or {}).get("moved_pgs")
    current = state.set_index("osd")
    estimate = sum(current.at[o, "pgs"] * (1 - w / current.at[o, "reweight"]) for o, w in proposal.items())
    return moved / estimate if moved is not None and estimate > 0 else 1.0


def plan_ceph_reweight(
    analysis: CephCapacityAnalysis, limits: ReweightLimits | None = None, steps: int = 5, margin: float = 0.02
) -> ReweightPlan:
    """The plan for a :class:`runbook_lib.ceph_capacity.capacity.CephCapacityAnalysis`; Ceph's own proposal,
    collected with the data, calibrates step 1 when it was asked with the same limits."""
    limits = limits or ReweightLimits()
    if analysis.not_planned:
        note = "none: no step was planned"
        return ReweightPlan([], f"not computed: {analysis.not_planned}", limits.as_dict(), note)
    recorded = analysis.test_reweight or {}
    same = all(recorded.get(k) == v for k, v in limits.as_dict().items())
    proposal = recorded.get("result") if same else None
    replay, why = crush_replay(analysis.crushmap, analysis.facts.get("osd_dump", {}), analysis.layout)
    why = analysis.layout_missing if analysis.layout is None and analysis.layout_missing else why
    crush = crush_after(replay, analysis.layout, analysis.osds) if replay and analysis.layout else None
    plan = plan_reweight(
        analysis.osds,
        analysis.ratios,
        limits.oload,
        limits.max_change,
        limits.max_osds,
        steps,
        margin,
        limits.no_increasing,
        proposal,
        crush,
    )
    note = (
        f"{CRUSH_MAPPING}: each step's PGs are the ones CRUSH moves, replayed offline on the cluster's map "
        f"(checked: today's weights give every one of the {len(analysis.layout.pgs)} PGs its reported up set)"
        if crush and analysis.layout is not None
        else f"first-order share of each OSD's data (not the CRUSH mapping: {why})"
    )
    return dataclasses.replace(plan, model_note=note + (f"; {analysis.left_out}" if analysis.left_out else ""))


def why_no_proposal(test_reweight: dict) -> str:
    """What an empty comparison with Ceph's proposal says: not asked, refused (EDOM), or the error it gave."""
    if not test_reweight:
        return "no proposal recorded: this snapshot has no ceph/test_reweight (run live: -p ceph_live true)"
    error = str(test_reweight.get("error") or "")
    if error:
        return f"no proposal: {error}"
    if test_reweight.get("result") is not None:  # Ceph answered: nothing to change at these limits
        return "Ceph's test-reweight-by-utilization changes no weight at these limits, and neither does step 1"
    return "no proposal recorded"


def compare_with_ceph(test_reweight: dict, plan: ReweightPlan) -> pd.DataFrame:
    """The plan's first step next to what ``ceph osd test-reweight-by-utilization`` proposed for the
    same limits (collected with the data), OSD by OSD."""
    columns = ["osd", "ceph_proposes", "plan_step_1", "same", "ceph_moved_pgs", "plan_moved_pgs"]
    if not test_reweight or test_reweight.get("result") is None:
        return pd.DataFrame(columns=columns)
    result = test_reweight["result"]
    ceph = {r["osd"]: r["new_weight"] for r in result.get("reweights", [])}
    ours = {o: new for o, (_, new) in plan.steps[0].changes.items()} if plan.steps else {}
    moved = (result.get("utilization") or {}).get("moved_pgs")
    rows = [
        {
            "osd": f"osd.{o}",
            "ceph_proposes": ceph.get(o),
            "plan_step_1": ours.get(o),
            "same": ceph.get(o) is not None and ours.get(o) is not None and abs(ceph[o] - ours[o]) < 1e-6,
            "ceph_moved_pgs": moved,
            "plan_moved_pgs": round(plan.steps[0].moved_pgs, 1) if plan.steps else 0,
        }
        for o in sorted(set(ceph) | set(ours))
    ]
    return pd.DataFrame(rows, columns=columns)
