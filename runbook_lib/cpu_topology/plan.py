"""Remediation for the CPU-topology runbook: a dry-run plan first, then an explicit, verified apply.

Image and flavor changes only affect *new* boots: Nova copies image properties into the instance at
boot and embeds the flavor. Servers already running are listed with their options and costs, never
changed automatically.
"""

from __future__ import annotations

import dataclasses
import shlex

import pandas as pd

from runbook_lib.cpu_topology.checks import CpuTopologyAnalysis
from runbook_lib.cpu_topology.pairs import Evaluate, remembered_pairs
from runbook_lib.cpu_topology.simulate import describe_flavor, describe_image, new_refusals, simulate
from runbook_lib.errors import ParameterError
from runbook_lib.findings import Finding
from runbook_lib.records import Record

FIX_VIA = ("image", "flavor")
CAP_KEY = "hw:cpu_max_sockets"


@dataclasses.dataclass(frozen=True)
class PlanStep:
    target: str  # "image", "flavor" or "volume"
    target_id: str
    target_name: str
    action: str  # "set" or "unset"
    key: str
    value: str | None
    reason: str
    effect: str

    @property
    def argv(self) -> list[str]:
        """The exact openstack CLI call, as an argv list (no shell involved)."""
        pair = f"{self.key}={self.value}"
        if self.target == "volume":
            return ["openstack", "volume", "set", "--image-property", pair, self.target_id]
        if self.action == "set":
            return ["openstack", self.target, "set", "--property", pair, self.target_id]
        return ["openstack", self.target, "unset", "--property", self.key, self.target_id]

    @property
    def cli(self) -> str:
        """The same call for a POSIX shell, every value quoted."""
        return shlex.join(self.argv)

    def as_record(self) -> Record:
        """The step for summary.json: what changes, the exact argv, the predicted effect and the risk."""
        risk = "new boots only: running servers keep what they booted with"
        if self.action == "unset":
            risk = "none: Nova ignores this key today"
        return {**dataclasses.asdict(self), "argv": self.argv, "cli": self.cli, "risk": risk}


@dataclasses.dataclass(frozen=True)
class CpuTopologyPlan:
    """The changes to make (``steps``, in order), the ones deliberately not made and why (``not_planned``),
    and every image × public flavor before and after (``effects``): proposed only when it creates no new
    refusal."""

    fix_via: str
    steps: list[PlanStep]
    not_planned: list[dict[str, str]]
    effects: pd.DataFrame

    def steps_for(self, target: str, target_id: str) -> list[PlanStep]:
        return [s for s in self.steps if s.target == target and s.target_id == target_id]

    def records(self) -> list[Record]:
        """The machine-readable plan (summary.json): every step, then every change not proposed and why."""
        skipped = [{**n, "action": "not-planned", "argv": []} for n in self.not_planned]
        return [s.as_record() for s in self.steps] + skipped


def _flavor_socket_cap(flavors: pd.DataFrame) -> int | None:
    """The lowest hw:cpu_max_sockets among public flavors: an image may only lower a flavor's limit."""
    caps = [int(s["hw:cpu_max_sockets"]) for s in flavors["extra_specs"] if s.get("hw:cpu_max_sockets")]
    return min(caps) if caps else None


def _risky_windows_images(a: CpuTopologyAnalysis) -> pd.DataFrame:
    risky = set(a.pairs.loc[a.risky_pairs.index, "image_id"]) if not a.pairs.empty else set()
    glance_servers = a.servers[(a.servers["lost_vcpus"].fillna(0) > 0) & ~a.servers["boot_from_volume"]]
    risky |= set(glance_servers["image_id"])
    return a.images[a.images["windows"] & a.images["image_id"].isin(risky)]


def _image_steps(a: CpuTopologyAnalysis) -> list[PlanStep]:
    cap = _flavor_socket_cap(a.flavors[a.flavors["is_public"]]) if not a.flavors.empty else None
    steps = []
    for image in _risky_windows_images(a).itertuples():
        value = min(int(image.socket_limit), cap) if cap else int(image.socket_limit)
        reason = f"{image.edition}: Windows uses at most {image.socket_limit} socket(s)"
        if cap and cap < int(image.socket_limit):
            reason += f"; {value}, not more: a public flavor caps sockets at {cap} and Nova refuses an image above it"
        steps.append(
            PlanStep("image", image.image_id, image.image, "set", "hw_cpu_max_sockets", str(value), reason, "")
        )
    return steps


def _flavor_caps(a: CpuTopologyAnalysis) -> dict[str, tuple[int, list[str]]]:
    """flavor id → (the cap, the Windows images it protects): the lowest socket limit among the Windows images
    booted with that flavor; for a flavor no Windows server uses yet, among the Windows images that would lose
    vCPUs on it. Only flavors whose cap changes something (below their vCPUs) are kept."""
    caps = {}
    lossy = a.risky_pairs if not a.pairs.empty else pd.DataFrame(columns=["flavor"])
    for flavor in a.flavors[a.flavors["is_public"]].itertuples():
        booted = a.servers[(a.servers["flavor"] == flavor.flavor) & a.servers["windows"].fillna(False)]
        protected = booted[["image", "socket_limit"]].dropna()
        if protected.empty:
            risky = a.pairs[(a.pairs["flavor_id"] == flavor.flavor_id) & (a.pairs["lost_vcpus"].fillna(0) > 0)]
            protected = risky[["image", "socket_limit"]].dropna()
        if protected.empty or flavor.flavor not in set(lossy["flavor"]) | set(booted["flavor"]):
            continue
        cap = int(protected["socket_limit"].min())
        current = flavor.extra_specs.get("hw:cpu_max_sockets")
        if cap < flavor.vcpus and (current is None or int(current) > cap):
            caps[flavor.flavor_id] = (cap, sorted(set(protected["image"])))
    return caps


def _flavor_steps(a: CpuTopologyAnalysis) -> list[PlanStep]:
    steps = []
    for flavor_id, (cap, protected) in _flavor_caps(a).items():
        name = a.flavors.loc[a.flavors["flavor_id"] == flavor_id, "flavor"].iloc[0]
        reason = f"the Windows images booted with it ({', '.join(protected)}) use at most {cap} socket(s)"
        steps.append(PlanStep("flavor", flavor_id, name, "set", "hw:cpu_max_sockets", str(cap), reason, ""))
    return steps


def _resolve_refusals(a: CpuTopologyAnalysis, steps: list[PlanStep], evaluate: Evaluate) -> tuple[list, list]:
    """Make the plan create no new refusal: a Windows image whose own limit is now above a flavor's cap gets
    that cap (one socket fewer costs a Windows guest nothing: it sees the vCPUs as cores); a flavor or image
    change that would break any other image is dropped, and said so."""
    not_planned: list[dict[str, str]] = []  # with the steps kept: (steps, not_planned)
    for _ in range(len(steps) + 1):
        refused = new_refusals(simulate(a.images, a.flavors, steps, evaluate))
        if refused.empty:
            return steps, not_planned
        row = refused.iloc[0]
        caps = {s.target_id: int(str(s.value)) for s in steps if s.target == "flavor" and s.action == "set"}
        if row["windows"] and row["flavor_id"] in caps:
            cap = caps[row["flavor_id"]]
            kept = [
                s
                for s in steps
                if not (s.target == "image" and s.target_id == row["image_id"] and s.key == "hw_cpu_max_sockets")
            ]
            why = f"lowered to {cap} so that Nova still boots it with flavor {row['flavor']} (capped at {cap} here)"
            steps = [
                *kept,
                PlanStep("image", row["image_id"], row["image"], "set", "hw_cpu_max_sockets", str(cap), why, ""),
            ]
            continue
        culprits = [s for s in steps if s.target == "flavor" and s.target_id == row["flavor_id"]]
        culprits += [s for s in steps if s.target == "image" and s.target_id == row["image_id"]]
        culprit = culprits[0] if culprits else None
        if culprit is None:  # a refusal no step of ours causes cannot be new
            return steps, not_planned
        steps = [s for s in steps if s is not culprit]
        not_planned.append(
            {
                "target": culprit.target,
                "target_name": culprit.target_name,
                "change": culprit.cli,
                "why": f"Nova would refuse {row['image']} with {row['flavor']} ({row['refused_after']}); "
                + (
                    "fix this flavor's images one by one instead (fix_via image)"
                    if culprit.target == "flavor"
                    else "change it by hand"
                ),
            }
        )
    return steps, not_planned


def plan_cpu_topology(a: CpuTopologyAnalysis, fix_via: str = "image") -> CpuTopologyPlan:
    """The changes that stop *new* servers from losing vCPUs and remove misspelled keys, tried on every
    image × public flavor first: a change that would make Nova refuse a pair it accepts today is fixed by the
    same plan or not proposed."""
    if fix_via not in FIX_VIA:
        raise ParameterError(f"fix_via={fix_via!r} is not one of {', '.join(FIX_VIA)}")
    steps = _image_steps(a) if fix_via == "image" else _flavor_steps(a)
    steps += _typo_steps(a, {(s.target_id, s.key) for s in steps})
    evaluate = remembered_pairs()  # one cache for every trial of the plan
    steps, not_planned = _resolve_refusals(a, steps, evaluate)
    effects = simulate(a.images, a.flavors, steps, evaluate)
    caps = _flavor_caps(a)
    described = [dataclasses.replace(s, effect=_describe(s, effects, caps)) if not s.effect else s for s in steps]
    return CpuTopologyPlan(fix_via, described + _volume_steps(a), not_planned, effects)


def _describe(step: PlanStep, effects: pd.DataFrame, caps: dict[str, tuple[int, list[str]]]) -> str:
    if step.target == "image":
        return describe_image(effects, step.target_id)
    if step.key == "hw:cpu_max_sockets" and step.target_id in caps:
        cap, protected = caps[step.target_id]
        return describe_flavor(effects, step.target_id, cap, protected)
    return "Nova starts honouring the setting"


def _volume_steps(a: CpuTopologyAnalysis) -> list[PlanStep]:
    steps = []
    volumes = a.servers[(a.servers["lost_vcpus"].fillna(0) > 0) & a.servers["boot_from_volume"]]
    for server in volumes.dropna(subset=["boot_volume_id"]).itertuples():
        steps.append(
            PlanStep(
                "volume",
                server.boot_volume_id,
                f"boot volume of {server.server}",
                "set",
                "hw_cpu_max_sockets",
                str(int(server.socket_limit)),
                "a volume-backed server reads image properties from its volume",
                "applies when the server is next built from this volume (see running servers)",
            )
        )
    return steps


def _typo_steps(a: CpuTopologyAnalysis, planned: set[tuple[str, str]]) -> list[PlanStep]:
    steps = []
    for row in a.misspelled.itertuples():
        target = row.kind
        current = _current_keys(a, target, row.id)
        if row.did_you_mean and row.did_you_mean not in current and (row.id, row.did_you_mean) not in planned:
            steps.append(
                PlanStep(
                    target,
                    row.id,
                    row.name,
                    "set",
                    row.did_you_mean,
                    str(row.value),
                    f"what the misspelled {row.key} meant",
                    "Nova starts honouring the setting",
                )
            )
        steps.append(
            PlanStep(
                target,
                row.id,
                row.name,
                "unset",
                row.key,
                None,
                "Nova silently ignores this name",
                "no behaviour change: removes a trap",
            )
        )
    return steps


def _current_keys(a: CpuTopologyAnalysis, target: str, target_id: str) -> dict:
    if target == "image":
        rows = a.images[a.images["image_id"] == target_id]
        return dict(rows["properties"].iloc[0]) if not rows.empty else {}
    rows = a.flavors[a.flavors["flavor_id"] == target_id]
    return dict(rows["extra_specs"].iloc[0]) if not rows.empty else {}


def tabulate_plan(plan: CpuTopologyPlan) -> pd.DataFrame:
    """The plan as a table, with the exact CLI equivalent of each step, then the changes not proposed."""
    columns = ["target", "target_name", "action", "key", "value", "reason", "effect", "cli"]
    rows = [{**dataclasses.asdict(s), "cli": s.cli} for s in plan.steps]
    rows += [
        {"target": n["target"], "target_name": n["target_name"], "action": "NOT PLANNED", "reason": n["why"], "cli": ""}
        for n in plan.not_planned
    ]
    return pd.DataFrame(rows, columns=columns).fillna("")


def final_findings(a: CpuTopologyAnalysis, plan: CpuTopologyPlan) -> list[Finding]:
    """The findings with the remediation the chosen plan makes: in flavor mode an image at risk is fixed by
    its flavors' caps (or, where none can, by its own property)."""
    if plan.fix_via == "image":
        return list(a.findings)
    out = []
    for finding in a.findings:
        image_id = finding.subject.rsplit("(", 1)[-1].rstrip(")")
        if finding.kind == "image-flavor-risk":
            flavors = set(finding.evidence.get("flavors", []))
            ids = set(a.flavors.loc[a.flavors["flavor"].isin(flavors), "flavor_id"])
            caps = [s.cli for s in plan.steps if s.target == "flavor" and s.target_id in ids and s.key == CAP_KEY]
            own = [s.cli for s in plan.steps_for("image", image_id)]
            remediation = (
                " && ".join(caps + own)
                if caps
                else f"{finding.remediation} (no flavor cap can be planned for it without breaking another "
                "image: see NOT PLANNED in the plan)"
            )
            finding = dataclasses.replace(finding, remediation=remediation)
        out.append(finding)
    return out
