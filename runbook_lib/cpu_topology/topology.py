"""Guest CPU topology: what Nova gives a server, and how many of those CPUs Windows can use.

``best_topology`` replicates ``nova/virt/hardware.py`` (nova 23 to 34: ``get_cpu_topology_constraints``,
``_get_possible_cpu_topologies``, ``_sort_possible_cpu_topologies``) line by line, including its three
exceptions and their messages. Before nova 23 the candidates of pinned instances were also filtered by
host thread siblings; that older behaviour is not modelled.

Windows client editions use at most 1, 2 or 4 sockets; Nova exposes vCPUs as sockets by default, so a
4-vCPU Windows 10 Pro guest sees 2 CPUs unless the image or flavor caps the socket count.
"""

from __future__ import annotations

import collections
import dataclasses
import re
from collections.abc import Mapping
from typing import cast

from runbook_lib.errors import InvalidTopology, ParameterError
from runbook_lib.records import JSON

UNLIMITED = 65536  # nova's default maximum for each dimension
DIMENSIONS = ("sockets", "cores", "threads")


@dataclasses.dataclass(frozen=True)
class Topology:
    sockets: int
    cores: int
    threads: int

    @property
    def vcpus(self) -> int:
        return self.sockets * self.cores * self.threads

    def __str__(self) -> str:
        return f"{self.sockets}s×{self.cores}c×{self.threads}t"


def _flavor_int(extra_specs: Mapping[str, JSON], key: str) -> int:
    # Flavor extra specs are strings; nova converts them with int() and refuses anything else.
    value = extra_specs.get(f"hw:{key}", 0)
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidTopology("InvalidRequest", f"Invalid flavor extra spec. Error: {exc}") from None


def _image_int(image_properties: Mapping[str, JSON], key: str) -> int:
    # Glance stores strings; nova's ImageMetaProps declares these as IntegerField and coerces them.
    value = image_properties.get(f"hw_{key}", 0)
    if value is None or value == "":
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidTopology(
            "ValueError", f"Invalid image property hw_{key}={value!r}: an integer is required"
        ) from None


def topology_constraints(
    flavor_extra_specs: Mapping[str, JSON], image_properties: Mapping[str, JSON]
) -> tuple[Topology, Topology]:
    """(preferred, maximum) topology, as nova's ``get_cpu_topology_constraints``."""
    specs, props = flavor_extra_specs or {}, image_properties or {}
    flavor_max = {d: _flavor_int(specs, f"cpu_max_{d}") for d in DIMENSIONS}
    image_max = {d: _image_int(props, f"cpu_max_{d}") for d in DIMENSIONS}

    # Image limits may only lower what the flavor defines.
    if any(flavor_max[d] and image_max[d] > flavor_max[d] for d in DIMENSIONS):
        raise InvalidTopology(
            "ImageVCPULimitsRangeExceeded",
            "Image vCPU topology limits (sockets={}, cores={}, threads={}) exceeds the limits of the "
            "flavor (sockets={}, cores={}, threads={})".format(
                *(image_max[d] for d in DIMENSIONS), *(flavor_max[d] for d in DIMENSIONS)
            ),
        )
    maximum = {d: image_max[d] or flavor_max[d] or UNLIMITED for d in DIMENSIONS}

    flavor_pref = {d: _flavor_int(specs, f"cpu_{d}") for d in DIMENSIONS}
    image_pref = {d: _image_int(props, f"cpu_{d}") for d in DIMENSIONS}
    # Image limits that shrink the flavor's silently discard the flavor's preferred topology ...
    if any(flavor_pref[d] > maximum[d] for d in DIMENSIONS):
        flavor_pref = dict.fromkeys(DIMENSIONS, 0)
    # ... but an image preference beyond the limits is an error.
    if any(image_pref[d] > maximum[d] for d in DIMENSIONS):
        raise InvalidTopology(
            "ImageVCPUTopologyRangeExceeded",
            "Image vCPU topology (sockets={}, cores={}, threads={}) exceeds the limits of the flavor "
            "or image (sockets={}, cores={}, threads={})".format(
                *(image_pref[d] for d in DIMENSIONS), *(maximum[d] for d in DIMENSIONS)
            ),
        )
    # Any image preference replaces all three of the flavor's ('not or' rather than 'not and').
    preferred = image_pref if any(image_pref.values()) else flavor_pref
    return Topology(**preferred), Topology(**maximum)


def possible_topologies(vcpus: int, maximum: Topology, allow_threads: bool = True) -> list[Topology]:
    """Every (s, c, t) with s·c·t == vcpus within the limits, fewest threads then most sockets first."""
    max_sockets = min(vcpus, maximum.sockets)
    max_cores = min(vcpus, maximum.cores)
    max_threads = min(vcpus, maximum.threads) if allow_threads else 1
    possible = [
        Topology(s, c, t)
        for s in range(1, max_sockets + 1)
        if vcpus % s == 0
        for c in range(1, max_cores + 1)
        if (vcpus // s) % c == 0
        for t in range(1, max_threads + 1)
        if s * c * t == vcpus
    ]
    possible.sort(key=lambda x: (x.sockets * x.cores, x.sockets, x.threads), reverse=True)
    if not possible:
        raise InvalidTopology(
            "ImageVCPULimitsRangeImpossible",
            f"Requested vCPU limits {max_sockets}:{max_cores}:{max_threads} are impossible to "
            f"satisfy for vcpus count {vcpus}",
        )
    return possible


def _score(topology: Topology, wanted: Topology) -> int:
    return sum(1 for d in DIMENSIONS if getattr(wanted, d) and getattr(topology, d) == getattr(wanted, d))


def sort_topologies(possible: list[Topology], wanted: Topology) -> list[Topology]:
    """Bucket by match score (3..0), keeping the candidate order inside each bucket."""
    buckets: dict[int, list[Topology]] = collections.defaultdict(list)
    for topology in possible:
        buckets[_score(topology, wanted)].append(topology)
    return [t for score in (3, 2, 1, 0) for t in buckets[score]]


def best_topology(
    vcpus: int,
    flavor_extra_specs: Mapping[str, JSON] | None = None,
    image_properties: Mapping[str, JSON] | None = None,
    allow_threads: bool = True,
) -> Topology:
    """The topology the libvirt driver writes into the guest's domain XML.

    >>> best_topology(4, {}, {})
    Topology(sockets=4, cores=1, threads=1)
    >>> best_topology(4, {}, {"hw_cpu_max_sockets": "2"})
    Topology(sockets=2, cores=2, threads=1)
    >>> best_topology(4, {}, {"hw_max_sockets": "2"})  # the typo: ignored, as by Nova
    Topology(sockets=4, cores=1, threads=1)
    """
    preferred, maximum = topology_constraints(flavor_extra_specs or {}, image_properties or {})
    return sort_topologies(possible_topologies(int(vcpus), maximum, allow_threads), preferred)[0]


# --- Windows ---------------------------------------------------------------------------------

# Physical-socket limits per edition. Microsoft publishes no single table; the client rows follow the
# edition tables secondary sources agree on, the Server rows the vendor's edition comparisons.
_EDITION_LIMITS: tuple[tuple[str, str, int], ...] = (
    # (pattern searched in name + os_version, edition label, max sockets); first match wins
    (r"workstation", "Pro for Workstations", 4),
    (r"home|starter", "Home/Starter", 1),
    (r"2008\s*r2.*datacenter|datacenter.*2008\s*r2", "Server 2008 R2 Datacenter", 64),
    (r"2008\s*r2.*enterprise|enterprise.*2008\s*r2", "Server 2008 R2 Enterprise", 8),
    (r"2008\s*r2|w2k8r2|win2k8r2", "Server 2008 R2 Standard", 4),
    (r"server|win2k\d+|w2k\d+|os_version=20(0[38]|1[269]|2[2-9])", "Server", 64),
    (r"\bpro\b|professional|enterprise|education|ultimate|\bedu\b", "Pro/Enterprise/Education", 2),
    (r"\b8(\.1)?\b|win8", "Windows 8 (core)", 1),
)
_WINDOWS_NAME = re.compile(r"windows|\bwin(7|8|10|11|2k)|w2k|server 20\d\d", re.IGNORECASE)
DEFAULT_CLIENT_LIMIT = 2


@dataclasses.dataclass(frozen=True)
class WindowsInfo:
    is_windows: bool
    recognised_by: str  # "os_type", "os_distro", "name heuristic" or ""
    edition: str
    socket_limit: int | None  # None for non-Windows
    limit_source: str  # "edition table", "default (Pro)", "operator override"


def detect_windows(name: str, properties: Mapping[str, JSON], override_limit: int | None = None) -> WindowsInfo:
    """Recognise a Windows image from os_type, os_distro, then the name, and guess its socket limit."""
    os_type = str(properties.get("os_type") or "").strip().lower()
    os_distro = str(properties.get("os_distro") or "").strip().lower()
    if os_type == "windows":
        how = "os_type"
    elif os_distro.startswith("win"):
        how = "os_distro"
    elif _WINDOWS_NAME.search(name or ""):
        how = "name heuristic"
    else:
        return WindowsInfo(False, "", "", None, "")
    # os_version is free text ("10", "2019"); a bare year names a Server release.
    text = f"{name} os_version={properties.get('os_version') or ''} {os_distro}".lower()
    edition, limit, source = "client, edition unknown", DEFAULT_CLIENT_LIMIT, "default (Pro)"
    for pattern, label, max_sockets in _EDITION_LIMITS:
        if re.search(pattern, text):
            edition, limit, source = label, max_sockets, "edition table"
            break
    if override_limit is not None:
        limit, source = int(override_limit), "operator override"
    return WindowsInfo(True, how, edition, limit, source)


def visible_vcpus(topology: Topology, socket_limit: int | None) -> int:
    """CPUs the guest OS uses: Windows ignores CPUs on sockets beyond its licence limit."""
    if socket_limit is None:
        return topology.vcpus
    return min(topology.sockets, socket_limit) * topology.cores * topology.threads


MAX_SOCKETS = 64  # no x86 board and no Windows edition goes past this; a larger value is a typo


def checked_socket_limits(limits: Mapping[str, object]) -> dict[str, int]:
    """socket_limits as whole numbers of sockets (1..64) per image id or name: else one ParameterError."""
    for name, value in limits.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SOCKETS:
            raise ParameterError(
                f"socket_limits[{name!r}] = {value!r}: a Windows edition uses 1 to {MAX_SOCKETS} sockets "
                '(whole number), e.g. {"win10-home": 1, "win2022-std": 64}'
            )
    return {str(name): cast(int, value) for name, value in limits.items()}
