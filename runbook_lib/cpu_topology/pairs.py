"""What Nova gives each server and each image × flavor pair (the topology, the vCPUs the guest uses, Nova's
refusals), and the hw_* keys Nova does not know."""

from __future__ import annotations

import difflib
import json
import re
import shlex
from collections.abc import Callable, Mapping

import pandas as pd

from runbook_lib.cpu_topology.fleet import RUNBOOK, _text
from runbook_lib.cpu_topology.nova_names import FLAVOR_HW_EXTRA_SPECS, IMAGE_HW_PROPERTIES
from runbook_lib.cpu_topology.topology import best_topology, detect_windows, visible_vcpus
from runbook_lib.errors import InvalidTopology
from runbook_lib.findings import Finding
from runbook_lib.records import JSON, Record, Records

_TOPOLOGY_TYPO = re.compile(r"^hw_(max_)?(sockets|cores|threads)$")


_NUMA_LIST_KEY = re.compile(r"^hw_numa_(cpus|mem)\.\d+$")


_RESULT_COLUMNS = [
    "topology",
    "sockets",
    "error",
    "windows",
    "recognised_by",
    "edition",
    "socket_limit",
    "visible_vcpus",
    "lost_vcpus",
]


# Nullable integers: a refused combination has no topology, a Linux image no socket limit.
_RESULT_TYPES = {"sockets": "Int64", "socket_limit": "Int64", "visible_vcpus": "Int64", "lost_vcpus": "Int64"}


def evaluate_pair(vcpus: int, extra_specs: dict, properties: dict, name: str, override: int | None) -> dict:
    """What a guest of this flavor and image gets: topology or Nova's refusal, Windows limit, vCPUs lost."""
    win = detect_windows(name, properties, override)
    result = {
        "windows": win.is_windows,
        "recognised_by": win.recognised_by,
        "edition": win.edition,
        "socket_limit": win.socket_limit,
        "topology": None,
        "sockets": None,
        "error": None,
        "visible_vcpus": None,
        "lost_vcpus": None,
    }
    try:
        topology = best_topology(vcpus, extra_specs, properties)
    except InvalidTopology as exc:
        return {**result, "error": f"{exc.kind}: {exc}"}
    seen = visible_vcpus(topology, win.socket_limit)
    return {
        **result,
        "topology": str(topology),
        "sockets": topology.sockets,
        "visible_vcpus": seen,
        "lost_vcpus": vcpus - seen,
    }


Evaluate = Callable[[int, dict, dict, str, int | None], dict]  # evaluate_pair, or one that remembers


def remembered_pairs() -> Evaluate:
    """``evaluate_pair`` worked out once per distinct input: 10,000 servers share a few hundred image ×
    flavor combinations (the result is shared: read it, never change it)."""
    seen: dict[str, dict] = {}

    def evaluate(vcpus: int, extra_specs: dict, properties: dict, name: str, override: int | None) -> dict:
        key = json.dumps([vcpus, extra_specs, properties, name, override], sort_keys=True, default=str)
        if key not in seen:
            seen[key] = evaluate_pair(vcpus, extra_specs, properties, name, override)
        return seen[key]

    return evaluate


def analyse_servers(servers: pd.DataFrame, socket_limits: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Add the topology Nova chose, the guest-visible vCPUs and the vCPUs lost to each server.

    Nova copies image properties into the instance at boot and no API shows that copy. When the image
    changed after the server booted, ``lost_if_booted_uncapped`` is what the guest loses if the change
    was the one that added the hw_cpu_* cap (verify with ``nova-manage image_property show``).
    """
    overrides = dict(socket_limits or {})
    evaluate = remembered_pairs()
    results = [
        evaluate(
            row.vcpus,
            row.extra_specs,
            row.properties,
            row.image,
            overrides.get(row.image_id, overrides.get(row.image)),
        )
        for row in servers.itertuples()
    ]
    extra = pd.DataFrame(results, index=servers.index, columns=_RESULT_COLUMNS).astype(_RESULT_TYPES)
    uncapped = [
        evaluate(
            row.vcpus,
            row.extra_specs,
            _without_topology(row.properties),
            row.image,
            overrides.get(row.image_id, overrides.get(row.image)),
        )["lost_vcpus"]
        if row.image_changed_after_boot
        else 0
        for row in servers.itertuples()
    ]
    extra["lost_if_booted_uncapped"] = pd.array(uncapped, dtype="Int64")
    return pd.concat([servers, extra], axis=1)


def _without_topology(properties: dict) -> dict:
    return {k: v for k, v in properties.items() if not k.startswith("hw_cpu_")}


def analyse_image_flavor_pairs(
    images: pd.DataFrame, flavors: pd.DataFrame, socket_limits: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """Every active image × public flavor: what a new server of that pair would get."""
    overrides = dict(socket_limits or {})
    rows = []
    evaluate = remembered_pairs()
    public = list(flavors[flavors["is_public"]].itertuples())
    for image in images.itertuples():
        override = overrides.get(image.image_id, overrides.get(image.image))
        for flavor in public:
            result = evaluate(flavor.vcpus, flavor.extra_specs, image.properties, image.image, override)
            rows.append(
                {
                    "image_id": image.image_id,
                    "image": image.image,
                    "flavor_id": flavor.flavor_id,
                    "flavor": flavor.flavor,
                    "vcpus": flavor.vcpus,
                    **result,
                }
            )
    columns = ["image_id", "image", "flavor_id", "flavor", "vcpus", *_RESULT_COLUMNS]
    return pd.DataFrame(rows, columns=columns).astype(_RESULT_TYPES)


def find_misspelled_properties(images: Records, flavors: Records) -> pd.DataFrame:
    """hw_* image properties and hw: extra specs that Nova does not know (and silently ignores)."""
    rows = []
    for image in images:
        for key, value in image.items():
            if key.startswith("hw_") and key not in IMAGE_HW_PROPERTIES and not _NUMA_LIST_KEY.match(key):
                rows.append(_typo_row("image", image, key, value, IMAGE_HW_PROPERTIES))
    for flavor in flavors:
        for key, value in (flavor.get("extra_specs") or {}).items():
            if key.startswith("hw:") and not _known_extra_spec(key):
                rows.append(_typo_row("flavor", flavor, key, value, FLAVOR_HW_EXTRA_SPECS))
    return pd.DataFrame(rows, columns=["kind", "id", "name", "key", "value", "did_you_mean"])


def _known_extra_spec(key: str) -> bool:
    return key in FLAVOR_HW_EXTRA_SPECS or re.sub(r"\.\d+$", ".{num}", key) in FLAVOR_HW_EXTRA_SPECS


def _typo_row(kind: str, record: dict, key: str, value: JSON, known: frozenset[str]) -> Record:
    if _TOPOLOGY_TYPO.match(key):
        guess = key.replace("hw_", "hw_cpu_", 1)
    elif kind == "flavor" and re.match(r"^hw:(max_)?(sockets|cores|threads)$", key):
        guess = key.replace("hw:", "hw:cpu_", 1)
    else:
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
        guess = close[0] if close else ""
    return {
        "kind": kind,
        "id": record.get("id"),
        "name": _text(record.get("name")),
        "key": key,
        "value": value,
        "did_you_mean": guess,
    }


def misspelled_findings(misspelled: pd.DataFrame) -> list[Finding]:
    """One warning per key Nova ignores, with the command that renames it (or removes it)."""
    findings = []
    for row in misspelled.itertuples():
        hint = f" (did you mean {row.did_you_mean}?)" if row.did_you_mean else ""
        # pasted into a shell: every value from Glance or Nova quoted for it
        fix = shlex.join(["openstack", row.kind, "unset", "--property", str(row.key), str(row.id)])
        if row.did_you_mean:
            renamed = ["openstack", row.kind, "set", "--property", f"{row.did_you_mean}={row.value}", str(row.id)]
            fix = f"{shlex.join(renamed)} && {fix}"
        findings.append(
            Finding(
                RUNBOOK,
                "misspelled-property",
                "warn",
                f"{row.kind} {row.name} ({row.id}): {row.key}",
                f"{row.kind} {(row.kind == 'image' and 'property') or 'extra spec'} {row.key}={row.value} is not a "
                f"name Nova knows, so Nova silently ignores it{hint}",
                fix,
            )
        )
    return findings
