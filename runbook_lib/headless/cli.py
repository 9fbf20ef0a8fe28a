"""``runbook``: list, run and collect runbooks from the command line (a thin layer over papermill).

runbook list
runbook run NAME|all [-p KEY VALUE]... [--cloud NAME | --snapshot DIR] [--out DIR | --reports-dir ROOT]
            [--keep N] [--previous DIR|none] [--prometheus FILE|DIR] [--fail-on SEV]
runbook report DIR [--source S] [--history [--keep N]] [--previous DIR|none] [--prometheus FILE|DIR] [--fail-on SEV]
    a run's summary, index and comparison again; without summary.json, from the notebooks executed in DIR
    (by papermill, Airflow …), exiting with the runner's code
runbook collect --cloud NAME [--ceph …] [-p NAME VALUE …] --out DIR | --snapshot S -p … | --sosreport F…

Runs go to ROOT/<source>/<UTC timestamp>/ (ROOT: --reports-dir, default reports/), where each run is
compared with the previous run of the same source and ROOT/<source>/index.html lists them all. --out DIR
is a one-off run: compared only with an explicit --previous.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import traceback
from pathlib import Path

from runbook_lib.errors import ConfigError, ParameterError, RunbookError
from runbook_lib.findings import SEVERITIES
from runbook_lib.headless import runner
from runbook_lib.headless.collect import add_collect_parser
from runbook_lib.headless.params import declared_parameters, split_parameters, validate_parameters
from runbook_lib.headless.paths import check_out_dir
from runbook_lib.headless.publish import publish_run
from runbook_lib.redact import redact, secret_values


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="runbook", description="OpenStack + Ceph runbooks, headless.")
    parser.add_argument(
        "--debug", action="store_true", help="on an error, print the full Python traceback after its one line"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the runbooks and their parameters")
    run = sub.add_parser("run", help="run one runbook, or 'all', and write reports")
    run.add_argument("name", help="a runbook name from 'runbook list', or 'all'")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="a runbook parameter (repeatable; 'runbook list' shows each runbook's, with types and ranges)",
    )
    source = run.add_mutually_exclusive_group()
    source.add_argument("--cloud", help="clouds.yaml entry to read live (credentials stay in clouds.yaml)")
    source.add_argument("--snapshot", help="snapshot directory or .tar.gz (default: the embedded demo)")
    source.add_argument(
        "--sosreport",
        action="append",
        help="a sosreport directory or .tar.xz/.tar.gz (repeatable: one cloud's hosts join into one snapshot)",
    )
    where = run.add_mutually_exclusive_group()
    where.add_argument("--out", help="a one-off report directory (no history, no pruning)")
    where.add_argument(
        "--reports-dir",
        default="reports",
        help="root of the run history: runs go to ROOT/<source>/<UTC timestamp> (default: reports)",
    )
    _add_publishing(run, "under --reports-dir")
    run.add_argument(
        "--keep",
        type=int,
        default=0,
        help="keep the newest N runs of this source under --reports-dir, delete older ones (0: all)",
    )
    run.add_argument("--fail-on", default="crit", help="exit 1 at or above this severity (default: crit)")
    run.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds (default: 600)")
    run.add_argument("--jobs", type=int, default=2, help="notebooks run in parallel (default: 2)")
    report = sub.add_parser("report", help="write a run's index, comparison and Prometheus file again")
    report.add_argument("run_dir", help="a run directory (summary.json, or notebooks executed elsewhere)")
    report.add_argument(
        "--source",
        default="",
        help="the source to name in a summary written for notebooks executed elsewhere, e.g. 'cloud prod' "
        "(a run's own summary.json already names its source)",
    )
    report.add_argument(
        "--history",
        action="store_true",
        help="run_dir is ROOT/<source>/<run> in a run history (as 'run' files them): compare with the earlier "
        "runs there, prune to --keep, rewrite ROOT's index",
    )
    report.add_argument("--keep", type=int, default=0, help="with --history: runs of this source to keep (0: all)")
    report.add_argument("--fail-on", default="crit", help="exit 1 at or above this severity (default: crit)")
    _add_publishing(report, "in run_dir's history (--history)")
    add_collect_parser(sub)
    return parser


def _add_publishing(parser: argparse.ArgumentParser, history: str) -> None:
    parser.add_argument(
        "--previous",
        default="",
        help="the run to compare every runbook with (a run directory), or 'none' (default: for each runbook, "
        f"its newest earlier run of the same source {history} that finished)",
    )
    parser.add_argument(
        "--prometheus",
        default="",
        help="write findings as Prometheus text (node_exporter textfile collector): a file, or a "
        "directory for stack_runbooks_<source>.prom",
    )


def _cmd_list() -> int:
    for name, path in runner.available_runbooks().items():
        print(name)
        for p in declared_parameters(path).values():
            print(f"    {p.name}: {p.type_name} = {p.default!r}  # {p.help}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    if args.fail_on not in SEVERITIES[1:]:
        raise ParameterError(f"--fail-on {args.fail_on!r} must be one of: {', '.join(SEVERITIES[1:])}")
    if args.timeout < 1 or args.jobs < 1:
        raise ParameterError("--timeout and --jobs must be at least 1")
    if args.name == "all":
        notebooks = list(runner.available_runbooks().values())
    else:
        notebooks = [runner.resolve_runbook(args.name)]
    if args.out is not None:  # where the reports go, checked before any source is read
        check_out_dir(args.out, "--out")
    else:
        check_out_dir(args.reports_dir, "--reports-dir")
    routed = split_parameters(notebooks, args.parameter)
    for option, value in (("--cloud", args.cloud), ("--snapshot", args.snapshot)):
        if value is not None and not value.strip():
            raise ParameterError(f"{option} is empty (an unset shell variable?): give a name, or leave {option} out")
    if args.snapshot and args.snapshot != "demo":
        args.snapshot = str(Path(args.snapshot).expanduser().resolve())  # the notebook runs in notebooks/
    if args.cloud:
        from runbook_lib.sources.openstack import connect

        connect(args.cloud)  # fail fast, before any kernel starts: unknown cloud, 401, unreachable
    if args.sosreport:  # read before any kernel starts: a damaged sosreport is one line, exit 2
        from runbook_lib.headless.sosreports import SNAPSHOT_DIR, sosreport_snapshot
        from runbook_lib.snapshot import write_snapshot

        sos_snapshot = sosreport_snapshot(args.sosreport)
    if args.snapshot:
        from runbook_lib.snapshot import load_snapshot

        load_snapshot(args.snapshot)  # a missing or malformed snapshot is a configuration error: say it now
    live_ceph: dict[str, object] | None = None  # the first runbook that reads a cluster live
    reads_snapshot = {nb.stem for nb in notebooks}
    for nb in notebooks:
        if args.cloud:
            routed[nb.stem]["cloud"] = args.cloud
        elif args.snapshot:
            routed[nb.stem]["snapshot"] = args.snapshot
        typed = validate_parameters(nb, routed[nb.stem])  # every runbook, before any kernel starts
        if typed.get("ceph_live") is True:
            live_ceph, reads_snapshot = live_ceph or typed, reads_snapshot - {nb.stem}
    if live_ceph is not None:  # the kernel's ceph inherits CEPH_CONF: a missing one is said here, exit 2
        from runbook_lib.sources.ceph_environment import check_environment_conf

        check_environment_conf(str(live_ceph.get("ceph_command") or "ceph"), str(live_ceph.get("ceph_conf") or ""))
    from runbook_lib.headless.history import claim_run_dir, live_ceph_source, read_run_summary, source_slug

    started = dt.datetime.now(dt.UTC)
    source = f"cloud {args.cloud}" if args.cloud else f"snapshot {args.snapshot or 'demo'}"
    source = str(sos_snapshot.manifest["cloud"]) if args.sosreport else source
    if live_ceph is not None and not args.cloud:  # a live cluster is its own source, never filed as the demo
        source = live_ceph_source(*(str(live_ceph.get(k) or "") for k in ("ceph_command", "ceph_conf", "ceph_cluster")))
    history = not args.out
    out = Path(args.out) if args.out else Path(args.reports_dir) / source_slug(source) / f"{started:%Y%m%dT%H%M%SZ}"
    if args.keep < 0:
        raise ParameterError("--keep must be 0 (keep all) or more")
    if args.previous and args.previous != "none":  # checked before any notebook runs, not after
        read_run_summary(Path(args.previous), "--previous")
    if history:
        out = claim_run_dir(out, started)
    if args.sosreport:  # kept in the run's directory: its notebooks name it as their snapshot
        args.snapshot = str(write_snapshot(sos_snapshot, out / SNAPSHOT_DIR))
        routed = {name: {**given, "snapshot": args.snapshot} for name, given in routed.items()}
    where = [f"cloud {args.cloud}"] if args.cloud else []
    where += [f"snapshot {args.snapshot or '(the embedded demo)'}"] if reads_snapshot and not args.cloud else []
    where += [f"the live Ceph cluster ({source.split(' ', 1)[1]})"] if source.startswith("ceph-live ") else []
    print(f"running {len(notebooks)} runbook(s) on {' and '.join(where)} → {out}/")
    clock = time.monotonic()
    results = runner.run_many(
        notebooks,
        out,
        routed,
        fail_on=args.fail_on,
        cell_timeout=args.timeout,
        jobs=args.jobs,
        progress=runner.print_progress,
    )
    code = runner.overall_exit_code(results)
    from runbook_lib.headless.report import summary_payload

    meta = {
        "source": source,
        "started_at": f"{started:%Y-%m-%dT%H:%M:%SZ}",
        "exit_code": code,
        "fail_on": args.fail_on,
        "duration_s": round(time.monotonic() - clock, 2),
        "history": history,
        "interrupted": next((r.interrupted_by for r in results if r.interrupted_by), ""),
    }
    publish_run(out, summary_payload(results, meta), args.previous, args.keep if history else 0, args.prometheus)
    for timed_out in [r for r in results if r.exit_code == runner.EXIT_TIMEOUT]:
        said = f"{timed_out.error}; {timed_out.html or out} shows what ran before it"
        said += " (raise --timeout, or check what that cell waits for)"
        print(f"runbook: {timed_out.runbook} timed out: {said}", file=sys.stderr)
    if meta["interrupted"]:
        said = f"interrupted by {meta['interrupted']}: {out}/index.html says which did not finish"
        print(f"runbook: {said}", file=sys.stderr)
    return code


def _cmd_report(args: argparse.Namespace) -> int:
    from runbook_lib.headless.history import read_run_summary
    from runbook_lib.headless.report import summary_payload

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir} is not a directory")
    if args.fail_on not in SEVERITIES[1:]:
        raise ParameterError(f"--fail-on {args.fail_on!r} must be one of: {', '.join(SEVERITIES[1:])}")
    if (run_dir / "summary.json").exists():
        payload = read_run_summary(run_dir)
        payload.setdefault("source", args.source or f"directory {run_dir.resolve().parent.name}")
        payload.setdefault("started_at", "")
    else:
        results = runner.results_from_dir(run_dir, args.fail_on)
        if not results:
            raise ConfigError(f"{run_dir} holds neither summary.json nor executed notebooks")
        started = min(Path(r.notebook).stat().st_mtime - r.duration_s for r in results)
        meta = {
            "source": args.source or f"directory {run_dir.resolve().parent.name}",
            "started_at": dt.datetime.fromtimestamp(started, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "exit_code": runner.overall_exit_code(results),
            "fail_on": args.fail_on,
            "duration_s": round(sum(r.duration_s for r in results), 2),
        }
        payload = summary_payload(results, meta)
    if args.history:
        payload["history"] = True
    publish_run(run_dir, payload, args.previous, args.keep if args.history else 0, args.prometheus)
    return int(payload.get("exit_code", 0))


def _cmd_collect(args: argparse.Namespace) -> int:
    from runbook_lib.headless.collect import collect_command

    return collect_command(args)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return _cmd_list()
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "report":
            return _cmd_report(args)
        return _cmd_collect(args)
    except RunbookError as exc:  # configuration, parameters, a snapshot or a source: the user can fix it
        return _fail(args, f"{exc}", runner.EXIT_CONFIG)
    except BrokenPipeError:  # `runbook list | head`: the reader left, which is not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return runner.EXIT_OK
    except KeyboardInterrupt:
        return _fail(args, "interrupted", runner.EXIT_ERROR)
    except OSError as exc:  # a path that is a file, cannot be created or read, a full disk
        where = f": {exc.filename}" if exc.filename else ""
        return _fail(args, f"{exc.strerror or exc}{where} (check the path and its permissions)", runner.EXIT_CONFIG)
    except Exception as exc:  # the one boundary: a bug of ours is one line too, its traceback with --debug
        return _fail(
            args,
            f"internal error: {type(exc).__name__}: {exc} (run again with --debug for the traceback, and report it)",
            runner.EXIT_ERROR,
        )


def _fail(args: argparse.Namespace, line: str, code: int) -> int:
    """One line (secrets in the parameters masked: a refusal may quote the value), the traceback with --debug."""
    values = dict(getattr(args, "parameter", None) or [])  # and collect's own options, which carry the same
    values |= {f"--{o}": getattr(args, o, "") or "" for o in ("ceph_command", "ceph_conf")}
    secrets = secret_values(values)
    print(f"runbook: {redact(line, secrets)}", file=sys.stderr)
    if args.debug:
        print(redact(traceback.format_exc(), secrets), end="", file=sys.stderr)
    return code
