"""``runbook run --sosreport PATH``: the sosreports read into one snapshot (see
:mod:`runbook_lib.sources.sosreport`), staged before any kernel starts and kept in the run's directory, so
that its reports can be opened, and the run repeated, from what was read."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from runbook_lib.headless.runbooks import parts_read
from runbook_lib.snapshot import Snapshot, write_snapshot
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


def stage_sosreports(paths: list[str]) -> tuple[Path, str]:
    """(a snapshot directory written from ``paths``, the source label naming their hosts)."""
    snapshot = sosreport_snapshot(paths)
    staged = Path(tempfile.mkdtemp(prefix="runbook-sosreport-")) / SNAPSHOT_DIR
    write_snapshot(snapshot, staged)
    return staged, str(snapshot.manifest["cloud"])


def keep_in_run(staged: Path, run_dir: Path) -> Path:
    """Move the staged snapshot into the run's directory (its notebooks name it as their snapshot)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    target = run_dir / SNAPSHOT_DIR
    if target.exists():
        shutil.rmtree(target)
    shutil.move(str(staged), target)
    shutil.rmtree(staged.parent, ignore_errors=True)
    return target
