"""``runbook collect``: a snapshot of what the runbooks read, saved to analyse anywhere later: a cloud's API
parts, a Ceph cluster's (everything the capacity runbook reads live, as it reads it), or sosreports. A part
that was asked for and could not be read is named on stderr and makes the exit code 3: a scheduler must not
take a partial snapshot for a complete one."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from runbook_lib.errors import ParameterError
from runbook_lib.headless.paths import check_out_dir
from runbook_lib.headless.runbooks import parts_read, runbook_packages
from runbook_lib.headless.runner import EXIT_ERROR, EXIT_OK
from runbook_lib.records import comma_list
from runbook_lib.redact import redact_tree, secret_values
from runbook_lib.snapshot import Snapshot, new_manifest, write_snapshot
from runbook_lib.version import VERSION

ABOUT = (
    "save a snapshot to analyse later: a live cloud's OpenStack API parts (--cloud), a Ceph cluster's parts "
    "as the capacity runbook reads them live (--ceph), or sosreports; with -p, what the runbooks read from the "
    "hosts over SSH too (guest_hosts, trust_hosts, host_facts, logs_over_ssh, neutron_log_hosts) and log files "
    "(log_dir), on top of --cloud or of an earlier --snapshot"
)


def add_collect_parser(sub: argparse._SubParsersAction) -> None:
    collect = sub.add_parser("collect", help=ABOUT, description=ABOUT)
    collect.add_argument("--cloud", help="clouds.yaml entry to read (credentials stay there)")
    collect.add_argument("--sosreport", action="append", help="a sosreport to read instead (repeatable)")
    collect.add_argument("--ceph", action="store_true", help="read the Ceph cluster too (or alone, without --cloud)")
    collect.add_argument("--ceph-conf", default="", help="with --ceph: the cluster's ceph.conf (default: ceph's)")
    collect.add_argument("--ceph-command", default="ceph", help="with --ceph: how to run ceph (e.g. 'sudo ceph')")
    collect.add_argument(
        "--snapshot", help="add what -p asks for to this earlier snapshot (a directory, .tar.gz, or demo)"
    )
    collect.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="a runbook parameter saying which hosts and logs to read and how to reach them (repeatable), "
        "checked as 'run' checks it, e.g. -p trust_hosts all -p ssh_config ~/.ssh/computes",
    )
    collect.add_argument("--out", required=True, help="directory to write the snapshot to")
    collect.add_argument(
        "--runbooks",
        default="",
        help="comma list of runbooks: collect only the API parts they read (default: every runbook's); "
        "exit 3 names any part that could not be read",
    )


def collect_command(args: argparse.Namespace) -> int:
    if args.sosreport and (args.cloud or args.ceph or args.snapshot or args.parameter):
        raise ParameterError(
            "collect reads sosreports, or a live cloud/Ceph/hosts, not both: drop --sosreport or the rest"
        )
    check_out_dir(args.out, "--out")  # before any source is read: a live collection cannot be read twice
    if args.sosreport:
        return collect_sosreports(args.sosreport, args.out)
    if args.snapshot is not None and (args.cloud or not args.snapshot):
        raise ParameterError("--snapshot needs a snapshot, and replaces --cloud: give one or the other")
    if not (args.cloud or args.ceph or args.snapshot):
        raise ParameterError(
            "collect needs --cloud NAME, --ceph (with --ceph-conf/--ceph-command), --snapshot with -p, or --sosreport"
        )
    if args.snapshot and not args.parameter:
        raise ParameterError("--snapshot is the base for what -p asks to read from the hosts: give -p too")
    from runbook_lib.headless.collect_hosts import host_parameters

    hosts = host_parameters(args.parameter or [])  # checked before anything is read
    ceph = {"ceph_conf": args.ceph_conf, "ceph_command": args.ceph_command} if args.ceph else None
    if ceph is not None:  # before anything is read
        from runbook_lib.sources.ceph_environment import check_environment_conf

        check_environment_conf(args.ceph_command, args.ceph_conf, "--ceph-conf FILE")
    return collect_snapshot(args.cloud or "", args.out, args.runbooks, ceph, hosts, args.snapshot or "")


def redact_snapshot(snapshot: Snapshot, secrets: set[str]) -> Snapshot:
    """The snapshot with ``secrets`` (from the parameters that reached commands) masked in every part."""
    if not secrets:
        return snapshot
    return dataclasses.replace(
        snapshot,
        parts=redact_tree(snapshot.parts, secrets),
        problems=redact_tree(snapshot.problems, secrets),
        manifest=redact_tree(snapshot.manifest, secrets),
    )


def ceph_snapshot(base: Snapshot, ceph: dict[str, str]) -> Snapshot:
    """``base`` with every Ceph part the capacity runbook reads live, read as it reads them (its default limits
    for Ceph's own proposals): the runbook on the snapshot sees what it would see live."""
    from runbook_lib.ceph_capacity.collect import open_ceph
    from runbook_lib.ceph_capacity.plan import ReweightLimits

    secrets = secret_values(ceph)  # a key in CEPH_ARGS must not land in the snapshot, nor in a report of it
    read = redact_snapshot(
        open_ceph(
            ceph_live=True,
            ceph_command=ceph.get("ceph_command", "ceph"),
            ceph_conf=ceph.get("ceph_conf", ""),
            reweight_limits=ReweightLimits(),
        ),
        secrets,
    )
    merged = base.with_parts(read.parts).with_problems(read.problems)
    described = {
        **merged.manifest["parts"],
        **{p: read.manifest["parts"][p] for p in read.parts if p in read.manifest.get("parts", {})},
    }
    return dataclasses.replace(merged, manifest=redact_tree({**merged.manifest, "parts": described}, secrets))


def collect_snapshot(
    cloud: str,
    out: str,
    runbooks: str = "",
    ceph: dict[str, str] | None = None,
    hosts: dict[str, Any] | None = None,
    base: str = "",
) -> int:
    """Collect the parts the named runbooks (all, by default) read from ``cloud`` (or start from the snapshot
    ``base``), the Ceph cluster when ``ceph`` says how to reach it, and the hosts ``hosts`` names, into ``out``."""
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
    elif base:
        from runbook_lib.snapshot import load_snapshot

        snapshot = load_snapshot(base)
    else:
        command = (ceph or {}).get("ceph_command", "ceph")
        snapshot = Snapshot(manifest=new_manifest(f"ceph via {command!r}", {"runbook_lib": VERSION}), parts={})
    if ceph is not None:
        snapshot = ceph_snapshot(snapshot, ceph)
    unreached: list[str] = []
    if hosts:
        from runbook_lib.headless.collect_hosts import collect_hosts

        snapshot, unreached = collect_hosts(snapshot, hosts)
        snapshot = redact_snapshot(snapshot, secret_values(hosts))
    path = write_snapshot(snapshot, out)
    for part, records in sorted(snapshot.parts.items()):
        print(f"{part}: {len(records)}")
    for problem in snapshot.problems.values():
        print(f"NOT COLLECTED {problem}", file=sys.stderr)
    print(f"snapshot: {path}")
    for host in unreached:
        print(f"NOT READ {host}", file=sys.stderr)
    if not snapshot.problems and not unreached:
        return EXIT_OK
    if not snapshot.problems:
        print(f"runbook: {len(unreached)} host(s) not read: {'; '.join(unreached)}", file=sys.stderr)
        return EXIT_ERROR
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
