"""``runbook``: list, run and collect runbooks from the command line (a thin layer over papermill).

runbook list
runbook run NAME|all [-p KEY VALUE]... [--cloud NAME | --snapshot DIR] [--out DIR] [--fail-on SEV]
runbook collect --cloud NAME --out DIR
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from runbook_lib import runner
from runbook_lib.errors import ConfigError, ParameterError, RunbookError
from runbook_lib.findings import SEVERITIES
from runbook_lib.params import RUNNER_OWNED, declared_parameters, validate_parameters


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="runbook", description="OpenStack + Ceph runbooks, headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the runbooks and their parameters")
    run = sub.add_parser("run", help="run one runbook, or 'all', and write reports")
    run.add_argument("name", help="a runbook name from 'runbook list', or 'all'")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"))
    source = run.add_mutually_exclusive_group()
    source.add_argument("--cloud", help="clouds.yaml entry to read live (credentials stay in clouds.yaml)")
    source.add_argument("--snapshot", help="snapshot directory or .tar.gz (default: the embedded demo)")
    run.add_argument("--out", help="report directory (default: reports/<UTC timestamp>)")
    run.add_argument("--fail-on", default="crit", help="exit 1 at or above this severity (default: crit)")
    run.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds (default: 600)")
    run.add_argument("--jobs", type=int, default=2, help="notebooks run in parallel (default: 2)")
    collect = sub.add_parser("collect", help="save a snapshot of a live cloud")
    collect.add_argument("--cloud", required=True)
    collect.add_argument("--out", required=True)
    return parser


def _cmd_list() -> int:
    for name, path in runner.available_runbooks().items():
        print(name)
        for p in declared_parameters(path).values():
            print(f"    {p.name}: {p.type_name} = {p.default!r}  # {p.help}")
    return 0


def _split_parameters(notebooks: list[Path], pairs: list[list[str]]) -> dict[str, dict[str, str]]:
    """Route each -p to the runbooks that declare it; a name no runbook declares is an error."""
    given = dict((k, v) for k, v in pairs)
    for key in given:
        if key in RUNNER_OWNED:
            raise ParameterError(f"set {key} with {RUNNER_OWNED[key]}, not -p {key}")
    routed: dict[str, dict[str, str]] = {}
    for nb in notebooks:
        declared = declared_parameters(nb)
        # A single runbook gets every -p, so that an unknown name is reported against it.
        routed[nb.stem] = {k: v for k, v in given.items() if k in declared or len(notebooks) == 1}
    unclaimed = [k for k in given if all(k not in routed[nb.stem] for nb in notebooks)]
    if unclaimed:
        raise ParameterError(f"no runbook has a parameter named {unclaimed[0]!r} (see 'runbook list')")
    return routed


def _progress(done: int, total: int, result: runner.RunResult) -> None:
    counts = ", ".join(f"{n} {s}" for s, n in result.counts.items() if n) or "no findings"
    line = (
        f"[{done}/{total}] {result.runbook:<16} {result.verdict:<7} {counts:<28} {result.duration_s:6.1f} s"
    )
    print(line + (f"  {result.error}" if result.error else ""), flush=True)


def _cmd_run(args: argparse.Namespace) -> int:
    if args.fail_on not in SEVERITIES[1:]:
        raise ParameterError(f"--fail-on {args.fail_on!r} must be one of: {', '.join(SEVERITIES[1:])}")
    if args.timeout < 1 or args.jobs < 1:
        raise ParameterError("--timeout and --jobs must be at least 1")
    if args.name == "all":
        notebooks = list(runner.available_runbooks().values())
    else:
        notebooks = [runner.resolve_runbook(args.name)]
    routed = _split_parameters(notebooks, args.parameter)
    if args.cloud:
        from runbook_lib.openstack_source import connect

        connect(args.cloud)  # fail fast, before any kernel starts: unknown cloud, 401, unreachable
    if args.snapshot:
        from runbook_lib.snapshot import load_snapshot

        load_snapshot(args.snapshot)  # a missing or malformed snapshot is a configuration error: say it now
    for nb in notebooks:
        if args.cloud:
            routed[nb.stem]["cloud"] = args.cloud
        elif args.snapshot:
            routed[nb.stem]["snapshot"] = args.snapshot
        validate_parameters(nb, routed[nb.stem])  # every runbook, before any kernel starts
    started = dt.datetime.now(dt.UTC)
    out = Path(args.out or f"reports/{started:%Y%m%dT%H%M%SZ}")
    print(
        f"running {len(notebooks)} runbook(s) on {args.cloud or args.snapshot or 'the demo snapshot'} → {out}/"
    )
    results = runner.run_many(
        notebooks,
        out,
        routed,
        fail_on=args.fail_on,
        cell_timeout=args.timeout,
        jobs=args.jobs,
        progress=_progress,
    )
    code = runner.overall_exit_code(results)
    from runbook_lib.report import write_index, write_summary

    meta = {
        "source": f"cloud {args.cloud}" if args.cloud else f"snapshot {args.snapshot or 'demo'}",
        "started_at": f"{started:%Y-%m-%dT%H:%M:%SZ}",
        "exit_code": code,
        "fail_on": args.fail_on,
    }
    write_summary(out, results, meta)
    print(f"report: {write_index(out, results, meta)} (exit {code})")
    return code


def _cmd_collect(args: argparse.Namespace) -> int:
    from runbook_lib.openstack_source import collect_openstack, connect
    from runbook_lib.snapshot import write_snapshot

    snapshot = collect_openstack(connect(args.cloud), args.cloud)
    path = write_snapshot(snapshot, args.out)
    for part, records in sorted(snapshot.parts.items()):
        print(f"{part}: {len(records)}")
    for problem in snapshot.problems.values():
        print(f"NOT COLLECTED {problem}", file=sys.stderr)
    print(f"snapshot: {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return _cmd_list()
        if args.command == "run":
            return _cmd_run(args)
        return _cmd_collect(args)
    except (ConfigError, ParameterError) as exc:
        print(f"runbook: {exc}", file=sys.stderr)
        return runner.EXIT_CONFIG
    except RunbookError as exc:
        print(f"runbook: {exc}", file=sys.stderr)
        return runner.EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
