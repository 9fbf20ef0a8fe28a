"""``runbook collect``: a snapshot of what the runbooks read, saved to analyse anywhere later: a cloud's API
parts, a Ceph cluster's (everything the capacity runbook reads live, as it reads it), or sosreports. A part
that was asked for and could not be read is named on stderr and makes the exit code 3: a scheduler must not
take a partial snapshot for a complete one."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from runbook_lib.errors import ParameterError
from runbook_lib.headless.runbooks import parts_read, runbook_packages
from runbook_lib.headless.runner import EXIT_ERROR, EXIT_OK
from runbook_lib.records import comma_list
from runbook_lib.redact import redact_tree, secret_values
from runbook_lib.snapshot import Snapshot, new_manifest, write_snapshot
from runbook_lib.version import VERSION

ABOUT = (
    "save a snapshot to analyse later: a live cloud's OpenStack API parts (--cloud), a Ceph cluster's parts "
    "as the capacity runbook reads them live (--ceph), or sosreports (logs and host facts over SSH are read "
    "by 'run' live and are not in it yet)"
)


def add_collect_parser(sub: argparse._SubParsersAction) -> None:
    collect = sub.add_parser("collect", help=ABOUT, description=ABOUT)
    collect.add_argument("--cloud", help="clouds.yaml entry to read (credentials stay there)")
    collect.add_argument("--sosreport", action="append", help="a sosreport to read instead (repeatable)")
    collect.add_argument("--ceph", action="store_true", help="read the Ceph cluster too (or alone, without --cloud)")
    collect.add_argument("--ceph-conf", default="", help="with --ceph: the cluster's ceph.conf (default: ceph's)")
    collect.add_argument("--ceph-command", default="ceph", help="with --ceph: how to run ceph (e.g. 'sudo ceph')")
    collect.add_argument("--out", required=True, help="directory to write the snapshot to")
    collect.add_argument(
        "--runbooks",
        default="",
        help="comma list of runbooks: collect only the API parts they read (default: every runbook's); "
        "exit 3 names any part that could not be read",
    )


def collect_command(args: argparse.Namespace) -> int:
    if args.sosreport and (args.cloud or args.ceph):
        raise ParameterError("collect reads sosreports or a live cloud/Ceph, not both: drop --sosreport or the rest")
    if args.sosreport:
        return collect_sosreports(args.sosreport, args.out)
    if not (args.cloud or args.ceph):
        raise ParameterError("collect needs --cloud NAME, --ceph (with --ceph-conf/--ceph-command), or --sosreport")
    ceph = {"ceph_conf": args.ceph_conf, "ceph_command": args.ceph_command} if args.ceph else None
    return collect_snapshot(args.cloud or "", args.out, args.runbooks, ceph)


def ceph_snapshot(base: Snapshot, ceph: dict[str, str]) -> Snapshot:
    """``base`` with every Ceph part the capacity runbook reads live, read as it reads them (its default limits
    for Ceph's own proposals): the runbook on the snapshot sees what it would see live."""
    from runbook_lib.ceph_capacity.collect import open_ceph
    from runbook_lib.ceph_capacity.plan import ReweightLimits

    secrets = secret_values(ceph)  # a key in CEPH_ARGS must not land in the snapshot, nor in a report of it
    read = open_ceph(
        ceph_live=True,
        ceph_command=ceph.get("ceph_command", "ceph"),
        ceph_conf=ceph.get("ceph_conf", ""),
        reweight_limits=ReweightLimits(),
    )
    merged = base.with_parts(redact_tree(read.parts, secrets)).with_problems(redact_tree(read.problems, secrets))
    described = {
        **merged.manifest["parts"],
        **{p: read.manifest["parts"][p] for p in read.parts if p in read.manifest.get("parts", {})},
    }
    return dataclasses.replace(merged, manifest=redact_tree({**merged.manifest, "parts": described}, secrets))


def collect_snapshot(cloud: str, out: str, runbooks: str = "", ceph: dict[str, str] | None = None) -> int:
    """Collect the parts the named runbooks (all, by default) read from ``cloud`` (and the Ceph cluster, when
    ``ceph`` says how to reach it) into ``out``."""
    names = comma_list(runbooks)
    unknown = sorted(set(names) - set(runbook_packages()))
    if unknown:
        raise ParameterError(
            f"--runbooks names no runbook {', '.join(unknown)}; known: {', '.join(runbook_packages())}"
        )
    if cloud:
        from runbook_lib.sources.openstack import connect
        from runbook_lib.sources.openstack_lists import collect_openstack

        snapshot = collect_openstack(connect(cloud), cloud, parts_read(names or None))
    else:
        command = (ceph or {}).get("ceph_command", "ceph")
        snapshot = Snapshot(manifest=new_manifest(f"ceph via {command!r}", {"runbook_lib": VERSION}), parts={})
    if ceph is not None:
        snapshot = ceph_snapshot(snapshot, ceph)
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
