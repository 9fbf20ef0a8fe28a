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
from runbook_lib.cpu_topology.pairs import evaluate_pair
from runbook_lib.errors import ParameterError
from runbook_lib.records import Record

FIX_VIA = ("image", "flavor")


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
    def cli(self) -> str:
        q = shlex.quote
        if self.target == "image":
            if self.action == "set":
                return f"openstack image set --property {q(f'{self.key}={self.value}')} {q(self.target_id)}"
            return f"openstack image unset --property {q(self.key)} {q(self.target_id)}"
        if self.target == "flavor":
            if self.action == "set":
                return f"openstack flavor set --property {q(f'{self.key}={self.value}')} {q(self.target_id)}"
            return f"openstack flavor unset --property {q(self.key)} {q(self.target_id)}"
        return f"openstack volume set --image-property {q(f'{self.key}={self.value}')} {q(self.target_id)}"


def _flavor_socket_cap(flavors: pd.DataFrame) -> int | None:
    """The lowest hw:cpu_max_sockets among public flavors: an image may only lower a flavor's limit."""
    caps = [int(s["hw:cpu_max_sockets"]) for s in flavors["extra_specs"] if s.get("hw:cpu_max_sockets")]
    return min(caps) if caps else None


def _image_effect(a: CpuTopologyAnalysis, name: str, properties: Record, limit: int, new_props: Record) -> str:
    """How many public flavors lose vCPUs with this image before → after the change, and newly refused pairs."""
    flavors = a.flavors[a.flavors["is_public"]]
    before = after = refused = 0
    for flavor in flavors.itertuples():
        old = evaluate_pair(flavor.vcpus, flavor.extra_specs, properties, name, limit)
        new = evaluate_pair(flavor.vcpus, flavor.extra_specs, new_props, name, limit)
        before += bool(old["lost_vcpus"])
        after += bool(new["lost_vcpus"])
        refused += bool(new["error"]) and not old["error"]
    return f"flavors losing vCPUs: {before} → {after}; newly refused: {refused}"


def plan_cpu_topology(a: CpuTopologyAnalysis, fix_via: str = "image") -> list[PlanStep]:
    """The changes that stop *new* servers from losing vCPUs, and remove misspelled keys."""
    if fix_via not in FIX_VIA:
        raise ParameterError(f"fix_via={fix_via!r} is not one of {', '.join(FIX_VIA)}")
    steps: list[PlanStep] = []
    risky_images = set(a.pairs.loc[a.risky_pairs.index, "image_id"]) if not a.pairs.empty else set()
    glance_servers = a.servers[(a.servers["lost_vcpus"].fillna(0) > 0) & ~a.servers["boot_from_volume"]]
    risky_images |= set(glance_servers["image_id"])
    cap = _flavor_socket_cap(a.flavors[a.flavors["is_public"]]) if not a.flavors.empty else None
    windows = a.images[a.images["windows"] & a.images["image_id"].isin(risky_images)]
    if fix_via == "image":
        for image in windows.itertuples():
            value = min(int(image.socket_limit), cap) if cap else int(image.socket_limit)
            new_props = {**image.properties, "hw_cpu_max_sockets": str(value)}
            steps.append(
                PlanStep(
                    "image",
                    image.image_id,
                    image.image,
                    "set",
                    "hw_cpu_max_sockets",
                    str(value),
                    f"{image.edition}: Windows uses at most {image.socket_limit} socket(s)",
                    _image_effect(a, image.image, image.properties, image.socket_limit, new_props),
                )
            )
    else:
        limit = int(windows["socket_limit"].min()) if not windows.empty else None
        lossy = set(a.risky_pairs["flavor"]) if not a.pairs.empty else set()
        for flavor in a.flavors[a.flavors["flavor"].isin(lossy)].itertuples():
            steps.append(
                PlanStep(
                    "flavor",
                    flavor.flavor_id,
                    flavor.flavor,
                    "set",
                    "hw:cpu_max_sockets",
                    str(limit),
                    "flavor-wide cap: every image booted with it gets at most "
                    f"{limit} socket(s) (Linux guests just get more cores)",
                    "new servers of this flavor stop losing vCPUs",
                )
            )
    steps += _typo_steps(a, {(s.target_id, s.key) for s in steps})
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


def tabulate_plan(steps: list[PlanStep]) -> pd.DataFrame:
    """The plan as a table, with the exact CLI equivalent of each step."""
    columns = ["target", "target_name", "action", "key", "value", "reason", "effect", "cli"]
    return pd.DataFrame([{**dataclasses.asdict(s), "cli": s.cli} for s in steps], columns=columns)


def plan_running_servers(a: CpuTopologyAnalysis) -> pd.DataFrame:
    """Per affected server: the ways to give it its CPUs back, with what each costs."""
    rows = []
    for s in a.servers[a.servers["lost_vcpus"].fillna(0) > 0].itertuples():
        n, sid = int(s.socket_limit), shlex.quote(str(s.server_id))
        options = [
            (
                "resize",
                f"openstack server resize --flavor <flavor with hw:cpu_max_sockets={n}> {sid}",
                "a reboot and a working resize (SSH between computes); the flavor changes",
            ),
            (
                "nova-manage",
                f"openstack server stop {sid} && nova-manage image_property set {sid} "
                f"--property hw_cpu_max_sockets={n} && openstack server start {sid}",
                "admin on a controller, nova ≥ 25 (Yoga); a stop/start; nothing else changes",
            ),
            ("rebuild", f"openstack server rebuild --image <fixed image> {sid}", "WIPES THE ROOT DISK"),
        ]
        if s.boot_from_volume:
            options.insert(
                0,
                (
                    "volume metadata",
                    f"openstack volume set --image-property "
                    f"hw_cpu_max_sockets={n} {shlex.quote(str(s.boot_volume_id))}",
                    "needed before any rebuild/boot from the volume; existing server still needs nova-manage",
                ),
            )
        rows += [{"server": s.server, "status": s.status, "option": o, "command": c, "cost": k} for o, c, k in options]
    return pd.DataFrame(rows, columns=["server", "status", "option", "command", "cost"])
