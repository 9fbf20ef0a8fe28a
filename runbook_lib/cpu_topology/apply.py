"""Applying the CPU-topology plan (only with apply=True on a live cloud): each step changed, re-read and
verified (the key holds the new value and nothing else changed)."""

from __future__ import annotations

import pandas as pd

from runbook_lib.cpu_topology.plan import CpuTopologyPlan, PlanStep
from runbook_lib.errors import PlanError
from runbook_lib.records import Connection, Record
from runbook_lib.sources import openstack_writes as os_src
from runbook_lib.sources.origin import connect_for_apply


def _read(conn: Connection, step: PlanStep) -> Record:
    if step.target == "image":
        return os_src.get_image_properties(conn, step.target_id)
    if step.target == "flavor":
        return os_src.get_flavor_extra_specs(conn, step.target_id)
    return os_src.get_volume_image_metadata(conn, step.target_id)


def _write(conn: Connection, step: PlanStep) -> None:
    if step.target == "image" and step.action == "set":
        os_src.set_image_property(conn, step.target_id, step.key, str(step.value))
    elif step.target == "image":
        os_src.remove_image_property(conn, step.target_id, step.key)
    elif step.target == "flavor" and step.action == "set":
        os_src.set_flavor_extra_spec(conn, step.target_id, step.key, str(step.value))
    elif step.target == "flavor":
        os_src.remove_flavor_extra_spec(conn, step.target_id, step.key)
    else:
        os_src.set_volume_image_property(conn, step.target_id, step.key, str(step.value))


_VOLATILE = {"updated_at", "properties"}


def apply_steps(conn: Connection, steps: list[PlanStep]) -> pd.DataFrame:
    """Apply each step, then re-read it: the key must hold the new value and nothing else may change."""
    results = []
    for step in steps:
        before = _read(conn, step)
        wanted = None if step.action == "unset" else str(step.value)
        current = before.get(step.key)
        if (None if current is None else str(current)) == wanted:
            results.append({"step": step.cli, "outcome": "already done"})
            continue
        print(f"applying: {step.cli}")
        _write(conn, step)
        after = _read(conn, step)
        got = after.get(step.key)
        untouched = {k: v for k, v in before.items() if k != step.key and k not in _VOLATILE}
        changed = sorted(k for k, v in untouched.items() if after.get(k) != v)
        if (None if got is None else str(got)) != wanted or changed:
            raise PlanError(
                f"verification failed after '{step.cli}': {step.key} is {got!r} (wanted {wanted!r})"
                + (f"; other keys changed: {', '.join(changed)}" if changed else "")
            )
        results.append({"step": step.cli, "outcome": "applied and verified"})
    return pd.DataFrame(results, columns=["step", "outcome"])


def apply_cpu_topology_plan(plan: CpuTopologyPlan, cloud: str, apply: bool) -> pd.DataFrame:
    """Dry run unless ``apply``: say what would change; with ``apply``, change, re-read and verify."""
    steps = plan.steps
    if not apply:
        print(
            f"DRY RUN: {len(steps)} change(s) planned, none made. To make them: "
            f"runbook run cpu_topology --cloud <name> -p fix_via {plan.fix_via} -p apply true"
        )
        return pd.DataFrame({"step": [s.cli for s in steps], "outcome": "planned (dry run)"})
    conn = connect_for_apply(cloud, apply)  # refuses a snapshot before anything is said to be applied
    print(f"APPLYING {len(steps)} change(s) to cloud {cloud!r}")
    return apply_steps(conn, steps)
