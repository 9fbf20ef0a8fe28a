"""Open a source for a runbook: a live cloud (collected now) or a saved snapshot."""

from __future__ import annotations

from runbook_lib.errors import ParameterError
from runbook_lib.snapshot import Snapshot, load_snapshot


def _runbook_parts(runbook: str) -> list[str] | None:
    """The parts a runbook reads (each runbook module owns its PARTS); None: everything."""
    from runbook_lib import cpu_topology_checks, resize_ssh, vif_plugging

    owners = {"cpu_topology": cpu_topology_checks, "resize_ssh": resize_ssh, "vif_plugging": vif_plugging}
    return list(owners[runbook].PARTS) if runbook in owners else None


def open_snapshot(cloud: str = "", snapshot: str = "demo", runbook: str = "") -> Snapshot:
    """Collect from the clouds.yaml entry ``cloud`` if given, else load ``snapshot`` ("demo" = embedded).

    ``runbook`` limits a live collection to the parts that runbook reads.
    """
    if cloud:
        from runbook_lib.openstack_source import collect_openstack, connect

        return collect_openstack(connect(cloud), cloud, _runbook_parts(runbook))
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


def open_logs(log_dir: str = "") -> list[dict]:
    """Log files collected to ``log_dir`` (nothing when it is empty)."""
    if not log_dir:
        return []
    from runbook_lib.host_source import read_log_dir

    return read_log_dir(log_dir)
