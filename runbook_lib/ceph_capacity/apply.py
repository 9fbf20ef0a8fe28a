"""Applying step 1 of the reweight plan on the live cluster (only with apply=True), following recovery,
and comparing the prediction with what the cluster then reports."""

from __future__ import annotations

import pandas as pd

from runbook_lib.ceph_capacity.capacity import CephCapacityAnalysis
from runbook_lib.ceph_capacity.plan import CRUSH_MAPPING, ReweightPlan, ReweightStep
from runbook_lib.ceph_capacity.tables import tabulate_osds
from runbook_lib.errors import ParameterError, PlanError
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.ceph import (
    CephAccess,
    largest_pg_bytes,
    run_json,
    set_reweight,
    settled_osd_df,
    wait_for_recovery,
)

EXACT_TOLERANCE = 0.001  # per OSD, for a step whose PGs are known: 0.1 percentage point
DRY_RUN = "dry run: nothing changed (apply=True runs step 1, follows recovery and compares with the prediction)"


def apply_ceph_step(
    source: Snapshot,
    analysis: CephCapacityAnalysis,
    plan: ReweightPlan,
    apply: bool,
    recovery_timeout: int = 600,
    poll: float = 2.0,
) -> pd.DataFrame | None:
    """Dry run: print step 1's commands. apply=True: run them, follow recovery until every PG is
    active+clean (or ``recovery_timeout``), read the OSDs again and compare with the prediction."""
    if not plan.steps:
        print(f"nothing to apply: {plan.stopped}")
        return None
    step = plan.steps[0]
    if not apply:
        for command in step.commands:
            print(f"would run: {command}")
        print(DRY_RUN)
        return None
    access = checked_access(source, analysis)
    for command in step.commands:  # checked: live, and the osdmap as it was read
        print(f"applying: {command}")
    for osd, (_, new) in step.changes.items():
        set_reweight(access, osd, new)
    if not wait_for_recovery(access, recovery_timeout, poll):
        return None
    actual = tabulate_osds(settled_osd_df(access), run_json(access, "ceph", ["osd", "dump"]))
    return compare_prediction(step, actual, largest_pg_bytes(access))


def checked_access(source: Snapshot, analysis: CephCapacityAnalysis) -> CephAccess:
    """The way the data was just read, once it is certain the cluster is live and its osdmap unchanged."""
    if not source.live:
        raise ParameterError(
            "apply=True changes the cluster: read it live (ceph_live=True, or --cloud), not a snapshot"
        )
    access = CephAccess(**analysis.gather["access"])
    epoch = run_json(access, "ceph", ["osd", "dump"])["epoch"]
    if epoch != analysis.gather.get("epoch_after"):
        raise PlanError(
            f"the osdmap moved from epoch {analysis.gather.get('epoch_after')} to {epoch} since the data "
            "was read: run the runbook again before applying"
        )
    return access


def compare_prediction(step: ReweightStep, actual: pd.DataFrame, largest_pg: int) -> pd.DataFrame:
    """Predicted vs actual fill per OSD after a step was applied. A step predicted from the CRUSH mapping
    names its PGs: it is held to EXACT_TOLERANCE, as an upmap step is. Otherwise the tolerance is the bytes
    of the PGs that could have moved — the predicted count plus one, each as large as the largest PG —
    because CRUSH moves whole PGs, and which ones (empty or full) the model does not know."""
    predicted = step.after.set_index("osd")
    now = actual.set_index("osd")
    movable_pgs = int(-(-step.moved_pgs // 1)) + 1  # ceil + 1
    rows = []
    for osd in predicted.index:
        kb = now.at[osd, "kb"] if osd in now.index else predicted.at[osd, "kb"]
        tolerance = movable_pgs * largest_pg / 1024 / kb if kb else float("nan")
        if step.model == CRUSH_MAPPING:
            tolerance = EXACT_TOLERANCE
        before, expected = (
            step.before.set_index("osd").at[osd, "utilization"],
            predicted.at[osd, "utilization"],
        )
        seen = now.at[osd, "utilization"] if osd in now.index else float("nan")
        rows.append(
            {
                "osd": f"osd.{osd}",
                "before": before,
                "predicted": expected,
                "actual": seen,
                "difference": seen - expected,
                "tolerance": tolerance,
                "within": abs(seen - expected) <= tolerance + 1e-9,
            }
        )
    return with_verdicts(pd.DataFrame(rows))


def with_verdicts(compared: pd.DataFrame) -> pd.DataFrame:
    """Each OSD's verdict in words: as predicted, off (by how much), or cannot tell — a tolerance as large as
    the change predicted cannot tell a step that worked from one that did nothing."""

    def verdict(row: pd.Series) -> str:
        if pd.isna(row["actual"]):
            return "not read after the step: the OSD is missing from osd df"
        change, tolerance = abs(row["predicted"] - row["before"]), row["tolerance"]
        if change > 1e-9 and tolerance >= change:
            return (
                f"cannot tell: the tolerance ({100 * tolerance:.2f} pp) is not smaller than the change predicted "
                f"({100 * change:.2f} pp)"
            )
        if row["within"]:
            return "as predicted" if change > 1e-9 else "unchanged, as predicted"
        return f"off by {100 * (row['actual'] - row['predicted']):+.2f} pp"

    return compared.assign(verdict=compared.apply(verdict, axis=1)) if len(compared) else compared
