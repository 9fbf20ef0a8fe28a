"""Open a source for a runbook: a live cloud (collected now) or a saved snapshot."""

from __future__ import annotations

from runbook_lib.errors import ParameterError
from runbook_lib.snapshot import Snapshot, load_snapshot


def open_snapshot(cloud: str = "", snapshot: str = "demo") -> Snapshot:
    """Collect from the clouds.yaml entry ``cloud`` if given, else load ``snapshot`` ("demo" = embedded)."""
    if cloud:
        from runbook_lib.openstack_source import collect_openstack, connect

        return collect_openstack(connect(cloud), cloud)
    if not snapshot:
        raise ParameterError("give either cloud (a clouds.yaml entry) or snapshot (a directory, or 'demo')")
    return load_snapshot(snapshot)


def connect_for_apply(cloud: str, apply: bool) -> object | None:
    """A connection when changes are to be applied; None for a dry run."""
    if not apply:
        return None
    if not cloud:
        raise ParameterError(
            "apply=True changes a live cloud: pass cloud (a clouds.yaml entry), not a snapshot"
        )
    from runbook_lib.openstack_source import connect

    return connect(cloud)
