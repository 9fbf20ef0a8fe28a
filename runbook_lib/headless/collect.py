"""``runbook collect``: a snapshot of what the runbooks read, saved to analyse anywhere later. A part that was
asked for and could not be read is named on stderr and makes the exit code 3: a scheduler must not take a
partial snapshot for a complete one."""

from __future__ import annotations

import sys

from runbook_lib.errors import ParameterError
from runbook_lib.headless.runbooks import parts_read, runbook_packages
from runbook_lib.headless.runner import EXIT_ERROR, EXIT_OK
from runbook_lib.records import comma_list
from runbook_lib.snapshot import write_snapshot
from runbook_lib.sources.openstack import connect
from runbook_lib.sources.openstack_lists import collect_openstack


def collect_snapshot(cloud: str, out: str, runbooks: str = "") -> int:
    """Collect the parts the named runbooks (all, by default) read from ``cloud`` into ``out``."""
    names = comma_list(runbooks)
    unknown = sorted(set(names) - set(runbook_packages()))
    if unknown:
        raise ParameterError(
            f"--runbooks names no runbook {', '.join(unknown)}; known: {', '.join(runbook_packages())}"
        )
    snapshot = collect_openstack(connect(cloud), cloud, parts_read(names or None))
    path = write_snapshot(snapshot, out)
    for part, records in sorted(snapshot.parts.items()):
        print(f"{part}: {len(records)}")
    for problem in snapshot.problems.values():
        print(f"NOT COLLECTED {problem}", file=sys.stderr)
    print(f"snapshot: {path}")
    if not snapshot.problems:
        return EXIT_OK
    missing = sorted(snapshot.problems)
    asked = len(set(snapshot.parts) | set(missing))
    print(
        f"runbook: {len(missing)} of {asked} part(s) not collected: {', '.join(missing)} "
        "(the snapshot holds the rest; each is an error finding when analysed)",
        file=sys.stderr,
    )
    return EXIT_ERROR


def collect_sosreports(paths: list[str], out: str) -> int:
    """The sosreports read into one snapshot at ``out`` (what they cannot hold is named in it, per part)."""
    from runbook_lib.headless.sosreports import sosreport_snapshot

    snapshot = sosreport_snapshot(paths)
    path = write_snapshot(snapshot, out)
    for part, records in sorted(snapshot.parts.items()):
        print(f"{part}: {len(records)}")
    print(
        f"snapshot of {snapshot.manifest['cloud']}: {path} "
        f"({len(snapshot.problems)} part(s) not in these sosreports, each named in it with why)"
    )
    return EXIT_OK
