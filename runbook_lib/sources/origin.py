"""Where a runbook's data comes from: a live cloud collected now, or a saved snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runbook_lib.errors import ParameterError
from runbook_lib.snapshot import Snapshot, load_snapshot


def open_snapshot(cloud: str = "", snapshot: str = "demo", parts: Sequence[str] | None = None) -> Snapshot:
    """Collect ``parts`` (None: every part) from the clouds.yaml entry ``cloud`` if given, else load
    ``snapshot`` ("demo" = the embedded demo)."""
    if cloud:
        from runbook_lib.sources.openstack import connect
        from runbook_lib.sources.openstack_lists import collect_openstack

        return collect_openstack(connect(cloud), cloud, list(parts) if parts is not None else None)
    if not snapshot:
        raise ParameterError("give either cloud (a clouds.yaml entry) or snapshot (a directory, or 'demo')")
    return load_snapshot(snapshot)


def connect_for_apply(cloud: str, apply: bool) -> Any | None:
    """A connection when changes are to be applied; None for a dry run."""
    if not apply:
        return None
    if not cloud:
        raise ParameterError("apply=True changes a live cloud: pass cloud (a clouds.yaml entry), not a snapshot")
    from runbook_lib.sources.openstack import connect

    return connect(cloud)
