"""Applying step 1 of the upmap plan on the live cluster (only with apply=True), following recovery and
comparing every OSD's predicted fill with what it then reports; and running the plan the runbook chose.

An upmap step names its PGs, so its prediction is held to UPMAP_TOLERANCE (0.1 percentage point) per OSD:
smaller than any move it predicts on the lab's OSDs. What the cluster wrote meanwhile is the only error left,
and on an idle OSD the last object it deleted: BlueStore gives that space back at the OSD's next write, so
such an OSD reports one object more than its PGs hold until then.
"""

from __future__ import annotations

import shlex

import pandas as pd

from runbook_lib.ceph_capacity.apply import DRY_RUN, EXACT_TOLERANCE, apply_ceph_step, checked_access, with_verdicts
from runbook_lib.ceph_capacity.capacity import CephCapacityAnalysis
from runbook_lib.ceph_capacity.plan import ReweightPlan
from runbook_lib.ceph_capacity.tables import tabulate_osds
from runbook_lib.ceph_capacity.upmap import UpmapPlan, UpmapStep
from runbook_lib.errors import ParameterError, PlanError
from runbook_lib.records import Record
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.ceph import run_ceph, run_json, settled_osd_df, wait_for_recovery

UPMAP_TOLERANCE = EXACT_TOLERANCE
PLANS = ("auto", "upmap", "reweight")


def apply_upmap_step(
    source: Snapshot, analysis: CephCapacityAnalysis, plan: UpmapPlan, apply: bool, recovery_timeout: int = 600
) -> pd.DataFrame | None:
    """Dry run: print step 1's commands and their undo. apply=True: run them, follow recovery, compare."""
    if not plan.steps:
        print(f"nothing to apply: {plan.refused or plan.stopped}")
        return None
    step = plan.steps[0]
    if not apply:
        for move in step.moves:
            print(f"would run: {shlex.join(move.argv)}    (undo: {shlex.join(move.undo_argv)})")
        print(DRY_RUN)
        return None
    access = checked_access(source, analysis)
    # fill only: checked_access has just read the osdmap, and osd df alone gives each OSD's utilization
    moved = drifted_since_read(analysis.osds, tabulate_osds(settled_osd_df(access), {}), UPMAP_TOLERANCE)
    if moved:
        raise PlanError(
            f"the OSDs' fill moved since the plan was read ({moved}): data is still being written, deleted or "
            "backfilled; run the runbook again once `ceph osd df` holds still"
        )
    for move in step.moves:
        print(f"applying: {shlex.join(move.argv)}")
        run_ceph(access, "ceph", move.argv[1:])
    if not wait_for_recovery(access, recovery_timeout):
        return None
    actual = tabulate_osds(settled_osd_df(access), run_json(access, "ceph", ["osd", "dump"]))
    return compare_upmap_prediction(step, actual)


def drifted_since_read(read: pd.DataFrame, now: pd.DataFrame, tolerance: float) -> str:
    """The OSDs whose reported fill differs from the one the plan was made from by more than ``tolerance``
    (``osd.1 38.34% now 37.82%``), or "": an exact prediction holds only from the figures it started at."""
    then = read.set_index("osd")["utilization"]
    moved = [
        f"osd.{osd} {then[osd]:.2%} now {fill:.2%}"
        for osd, fill in now.set_index("osd")["utilization"].items()
        if osd in then.index and abs(fill - then[osd]) > tolerance
    ]
    return ", ".join(moved)


def compare_upmap_prediction(step: UpmapStep, actual: pd.DataFrame) -> pd.DataFrame:
    """Predicted vs actual fill per OSD after an upmap step, to UPMAP_TOLERANCE."""
    now = actual.set_index("osd")["utilization"]
    rows = []
    for osd, expected in step.after.items():
        seen = float(now.get(osd, float("nan")))
        change = expected - step.before[osd]
        rows.append(
            {
                "osd": f"osd.{osd}",
                "before": step.before[osd],
                "predicted": expected,
                "actual": seen,
                "difference": seen - expected,
                "tolerance": UPMAP_TOLERANCE,
                "within": abs(seen - expected) <= UPMAP_TOLERANCE,
                "predicted_change_pp": 100 * change,
            }
        )
    return with_verdicts(pd.DataFrame(rows))


def apply_chosen_step(
    source: Snapshot,
    analysis: CephCapacityAnalysis,
    choice: Record,
    reweight: ReweightPlan,
    upmap: UpmapPlan,
    rebalance_with: str = "auto",
    apply: bool = False,
    recovery_timeout: int = 600,
) -> pd.DataFrame | None:
    """Step 1 of the plan ``rebalance_with`` names (``auto``: the runbook's choice), dry run unless apply."""
    if rebalance_with not in PLANS:
        raise ParameterError(f"rebalance_with must be one of {', '.join(PLANS)}, not {rebalance_with!r}")
    name = choice.get("plan", "reweight") if rebalance_with == "auto" else rebalance_with
    print(f"plan: {name}" + (" (the runbook's choice)" if rebalance_with == "auto" else " (asked for)"))
    if name == "upmap":
        return apply_upmap_step(source, analysis, upmap, apply, recovery_timeout)
    return apply_ceph_step(source, analysis, reweight, apply, recovery_timeout=recovery_timeout)
