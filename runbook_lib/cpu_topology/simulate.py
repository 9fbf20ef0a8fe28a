"""A plan tried on paper: every active image × public flavor evaluated with the planned properties and extra
specs in place, next to what it gets today, so a plan is only proposed when it creates no new refusal.

Nova refuses a pair (HTTP 400 at boot) when an image's ``hw_cpu_max_*`` is above the flavor's
``hw:cpu_max_*`` (an image may only lower a flavor's limit), so a flavor cap can break an image that
carries a larger limit of its own, and an image property can break a flavor that carries a smaller one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import pandas as pd

from runbook_lib.cpu_topology.pairs import Evaluate, remembered_pairs
from runbook_lib.records import Record

EFFECT_COLUMNS = [
    "image_id",
    "image",
    "windows",
    "flavor_id",
    "flavor",
    "vcpus",
    "topology_before",
    "topology_after",
    "lost_before",
    "lost_after",
    "refused_before",
    "refused_after",
]


class Change(Protocol):
    """What the simulation needs of a plan step."""

    @property
    def target(self) -> str: ...
    @property
    def target_id(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str | None: ...


def _changed(current: Record, changes: Iterable[Change]) -> Record:
    result = dict(current)
    for change in changes:
        if change.action == "set":
            result[change.key] = change.value
        else:
            result.pop(change.key, None)
    return result


def simulate(
    images: pd.DataFrame,
    flavors: pd.DataFrame,
    steps: Sequence[Change],
    evaluate: Evaluate | None = None,
) -> pd.DataFrame:
    """One row per active image × public flavor: topology, vCPUs lost and Nova's refusal, today and with
    ``steps`` applied (steps on volumes do not change a Glance image and are left out). A planner trying
    steps again and again passes one ``remembered_pairs()``: each pair is then worked out once."""
    evaluate = evaluate or remembered_pairs()
    rows = []
    public = flavors[flavors["is_public"]] if not flavors.empty else flavors
    active = images[images["status"].isin(["active", None])] if not images.empty else images
    public_rows = list(public.itertuples())
    for image in active.itertuples():
        image_steps = [s for s in steps if s.target == "image" and s.target_id == image.image_id]
        after_props = _changed(image.properties, image_steps)
        limit = int(image.socket_limit) if image.windows else None
        for flavor in public_rows:
            flavor_steps = [s for s in steps if s.target == "flavor" and s.target_id == flavor.flavor_id]
            after_specs = _changed(flavor.extra_specs, flavor_steps)
            before = evaluate(flavor.vcpus, flavor.extra_specs, image.properties, image.image, limit)
            after = evaluate(flavor.vcpus, after_specs, after_props, image.image, limit)
            rows.append(
                {
                    "image_id": image.image_id,
                    "image": image.image,
                    "windows": bool(image.windows),
                    "flavor_id": flavor.flavor_id,
                    "flavor": flavor.flavor,
                    "vcpus": flavor.vcpus,
                    "topology_before": before["topology"],
                    "topology_after": after["topology"],
                    "lost_before": before["lost_vcpus"] or 0,
                    "lost_after": after["lost_vcpus"] or 0,
                    "refused_before": before["error"],
                    "refused_after": after["error"],
                }
            )
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def new_refusals(effects: pd.DataFrame) -> pd.DataFrame:
    """The pairs Nova accepts today and would refuse with the plan: a plan must have none."""
    if effects.empty:
        return effects
    return effects[effects["refused_after"].notna() & effects["refused_before"].isna()]


def still_losing(effects: pd.DataFrame) -> pd.DataFrame:
    """The pairs whose new servers would still lose vCPUs with the plan."""
    if effects.empty:
        return effects
    return effects[effects["lost_after"] > 0]


def describe_image(effects: pd.DataFrame, image_id: str) -> str:
    """What a planned image change does across the public flavors."""
    mine = effects[effects["image_id"] == image_id]
    before, after = int((mine["lost_before"] > 0).sum()), int((mine["lost_after"] > 0).sum())
    refused = len(new_refusals(mine))
    return f"flavors losing vCPUs: {before} → {after}; newly refused: {refused}"


def describe_flavor(effects: pd.DataFrame, flavor_id: str, cap: int, protected: list[str]) -> str:
    """What a planned flavor cap does to every image booted with it: the Windows images it was chosen for,
    and what every other image gets."""
    mine = effects[effects["flavor_id"] == flavor_id]
    fixed = mine[(mine["lost_before"] > 0) & (mine["lost_after"] == 0)]
    left = mine[mine["lost_after"] > 0]
    others = mine[~mine["image"].isin(protected)]
    changed = others[others["topology_before"] != others["topology_after"]]
    parts = [
        f"cap {cap} from {', '.join(protected) or 'the images that lose vCPUs on it'}",
        f"images losing vCPUs: {len(mine[mine['lost_before'] > 0])} → {len(left)}"
        + (f" (still: {', '.join(sorted(left['image']))})" if not left.empty else ""),
        f"fixed: {', '.join(sorted(fixed['image'])) or 'none'}",
        f"{len(changed)} other image(s) get at most {cap} socket(s) and every vCPU as cores"
        if not changed.empty
        else "no other image changes topology",
        f"newly refused: {len(new_refusals(mine))}",
    ]
    return "; ".join(parts)
