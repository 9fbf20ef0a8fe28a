"""What the CPU-topology runbook reads: flavors, images, servers and volumes, live or from a snapshot."""

from __future__ import annotations

from runbook_lib.cpu_topology.checks import PARTS
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.origin import open_snapshot as _open_snapshot


def open_snapshot(cloud: str = "", snapshot: str = "demo") -> Snapshot:
    """The parts this runbook reads: collected now from ``cloud``, else loaded from ``snapshot``."""
    return _open_snapshot(cloud, snapshot, PARTS)
