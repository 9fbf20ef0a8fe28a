"""What the CPU-topology runbook reads: flavors, images, servers and volumes, live or from a snapshot, and the
guests' libvirt domain XMLs where they are given."""

from __future__ import annotations

from runbook_lib.cpu_topology.checks import PARTS
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.guest_xml import with_guest_xml
from runbook_lib.sources.origin import open_snapshot as _open_snapshot


def open_snapshot(cloud: str = "", snapshot: str = "demo", guest_xml_dir: str = "") -> Snapshot:
    """The parts this runbook reads: collected now from ``cloud``, else loaded from ``snapshot``; with the
    guests' domain XMLs from ``guest_xml_dir`` when given (a snapshot may hold them already)."""
    return with_guest_xml(_open_snapshot(cloud, snapshot, PARTS), guest_xml_dir)
