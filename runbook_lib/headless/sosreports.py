"""``runbook run|collect --sosreport PATH``: the sosreports read into one snapshot (see
:mod:`runbook_lib.sources.sosreport`) before any kernel starts; a run keeps it in its directory
(``SNAPSHOT_DIR``), so that its reports can be opened, and the run repeated, from what was read."""

from __future__ import annotations

from pathlib import Path

from runbook_lib.headless.runbooks import parts_read
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.sosreport import read_sosreports

SNAPSHOT_DIR = "sosreport-snapshot"
# What no sosreport holds: the OpenStack APIs' JSON (sos's openstack plugins save text tables, and only with
# an admin's credentials in the environment).
NO_API = (
    "a sosreport holds no OpenStack API JSON: run 'runbook collect --cloud <entry>' where the API answers and "
    "analyse that snapshot, or run live with --cloud"
)


def sosreport_snapshot(paths: list[str]) -> Snapshot:
    """The sosreports as one snapshot, every part a runbook reads and none of them holds named with why."""
    snapshot = read_sosreports([str(Path(p).expanduser().resolve()) for p in paths])
    unread = {p: NO_API for p in parts_read() if p not in snapshot.parts and p not in snapshot.problems}
    return snapshot.with_problems(unread)
