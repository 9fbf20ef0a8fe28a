"""Runs over time: what changed since the previous run of the same source, and which runs to keep.

A finding's identity is (runbook, kind, subject): subjects name the object with its id (``server web-1
(<uuid>)``, ``osd.3 (host)``), so the same problem on the same object matches across runs while its
message (a percentage, a count) may change. A runbook that did not finish (ERROR, TIMEOUT) in either run
is not compared: its findings did not vanish, they were not looked at (nor is one the earlier run lacked).

Runs live side by side under one directory per source (``reports/<source>/<UTC timestamp>/``); the
previous run is the newest sibling whose ``summary.json`` names the same source.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

from runbook_lib.errors import ConfigError
from runbook_lib.findings import finding_id
from runbook_lib.headless.prometheus import write_textfile

RUN_MARKER = ".stack-runbooks-run"  # only directories carrying it are ever pruned
UNFINISHED = ("ERROR", "TIMEOUT")


def source_slug(source: str) -> str:
    """A directory name for a source: the cloud or snapshot name, safe as one path component."""
    if source.startswith("ceph-live "):
        return "ceph-live-" + re.sub(r"[^A-Za-z0-9_.-]", "_", source.split(" ", 1)[1]).strip(".")
    name = source.split(" ", 1)[-1].rstrip("/").split("/")[-1] or "demo"
    name = re.sub(r"\.tar\.gz$", "", name)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") or "demo"


def live_ceph_source(ceph_command: str, ceph_conf: str, ceph_cluster: str) -> str:
    """The source a live Ceph run is filed under: ``ceph-live`` and the cluster it reads, named by the ssh host
    (when ``ceph_command`` goes through ssh) and the ceph.conf's directory, else the cluster name ("ceph")."""
    from runbook_lib.sources.ceph import goes_through_ssh, ssh_destination

    prefix = shlex.split(ceph_command or "ceph")
    remote = goes_through_ssh(prefix)
    if ceph_conf:
        conf = Path(ceph_conf) if remote else Path(ceph_conf).resolve()
        label = conf.parent.name or ceph_cluster or "ceph"
    else:
        label = ceph_cluster or "ceph"  # ceph reads /etc/ceph/<cluster>.conf
    host = ssh_destination(prefix) if remote else ""
    return f"ceph-live {host}-{label}" if host else f"ceph-live {label}"


def _findings(summary: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """id → (runbook, finding) over the runbooks that finished."""
    found = {}
    for run in summary.get("runbooks", []):
        if run.get("verdict") in UNFINISHED:
            continue
        for f in run.get("findings", []):
            found[finding_id(run["runbook"], f["kind"], f["subject"])] = (run["runbook"], f)
    return found


def _brief(runbook: str, finding: dict[str, Any], fid: str) -> dict[str, Any]:
    return {
        "id": fid,
        "runbook": runbook,
        "kind": finding["kind"],
        "severity": finding["severity"],
        "subject": finding["subject"],
        "message": finding.get("message", ""),
    }


def _finished(summary: dict[str, Any]) -> set[str]:
    return {r["runbook"] for r in summary.get("runbooks", []) if r.get("verdict") not in UNFINISHED}


Earlier = dict[str, tuple[str, dict[str, Any]]]  # runbook -> (run directory, that run's summary)


def compare_runs(
    current: dict[str, Any], previous: dict[str, Any] | None, previous_dir: str = "", earlier: Earlier | None = None
) -> dict[str, Any]:
    """New, resolved, persisting and re-rated findings of ``current``, each runbook against its own newest
    earlier run that finished (``earlier``; or every runbook against ``previous``): a partial or failed run
    never erases the comparison of the runbooks it did not finish."""
    if earlier is None:
        earlier = {name: (previous_dir, previous) for name in _finished(previous)} if previous else {}
    ran_now = {r["runbook"] for r in current.get("runbooks", [])}
    compared = _finished(current) & set(earlier)
    if not earlier:
        empty: dict[str, Any] = {"previous": None, "previous_by_runbook": {}, "new": [], "resolved": []}
        return {**empty, "persisting": [], "changed": [], "not_compared": sorted(ran_now)}
    now = {i: v for i, v in _findings(current).items() if v[0] in compared}
    then: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in compared:
        then |= {i: v for i, v in _findings(earlier[name][1]).items() if v[0] == name}
    newest_dir, newest = max(earlier.values(), key=lambda e: str(e[1].get("started_at", "")))
    by_runbook = {n: {"dir": earlier[n][0], "started_at": earlier[n][1].get("started_at")} for n in sorted(compared)}
    return {
        "previous": {"dir": newest_dir, "started_at": newest.get("started_at"), "exit_code": newest.get("exit_code")},
        "previous_by_runbook": by_runbook,
        "new": [_brief(*now[i], i) for i in now if i not in then],
        "resolved": [_brief(*then[i], i) for i in then if i not in now],
        "persisting": [_brief(*now[i], i) for i in now if i in then],
        "changed": [
            {**_brief(*now[i], i), "was": then[i][1]["severity"]}
            for i in now
            if i in then and then[i][1]["severity"] != now[i][1]["severity"]
        ],
        "not_compared": sorted(ran_now - compared),
    }


def _summary(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / "summary.json").read_text())
    except (OSError, ValueError):
        return None


def sibling_runs(run_dir: Path, source: str) -> list[tuple[Path, dict[str, Any]]]:
    """Runs of ``source`` beside ``run_dir`` (itself excluded), oldest first."""
    run_dir = run_dir.resolve()
    runs: list[tuple[Path, dict[str, Any]]] = []
    if not run_dir.parent.is_dir():
        return runs
    for path in run_dir.parent.iterdir():
        if path.resolve() == run_dir or not path.is_dir():
            continue
        summary = _summary(path)
        if summary and summary.get("source") == source:
            runs.append((path, summary))
    return sorted(runs, key=lambda r: (r[1].get("started_at", ""), r[0].name))


def previous_per_runbook(run_dir: Path, source: str, started_at: str) -> Earlier:
    """For each runbook, the newest earlier run of the same source in which it finished."""
    runs = [r for r in sibling_runs(run_dir, source) if r[1].get("started_at", "") <= started_at]
    earlier: Earlier = {}
    for path, summary in reversed(runs):
        for name in _finished(summary):
            earlier.setdefault(name, (str(path), summary))
    return earlier


def prune_runs(run_dir: Path, source: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` runs of ``source`` (``run_dir`` counts as one and is never
    deleted); only directories this tool wrote (with its marker) are touched."""
    if keep < 1:
        return []
    others = [p for p, _ in sibling_runs(run_dir, source) if (p / RUN_MARKER).exists()]
    doomed = others[: max(0, len(others) - (keep - 1))]
    for path in doomed:
        shutil.rmtree(path)
    return doomed


def render_changes(changes: dict[str, Any]) -> str:
    """The 'since last run' block of the index (HTML)."""
    if not changes.get("previous"):
        return "<h2>Since last run</h2><p>No earlier run of this source here: nothing to compare with.</p>"
    prev = changes["previous"]
    link = html.escape(Path(prev["dir"]).name)
    parts = [
        f'<h2>Since last run</h2><p>compared with <a href="../{link}/index.html">{link}</a> '
        f"(started {html.escape(str(prev['started_at']))}, exit {prev['exit_code']}): "
        f"<b>{len(changes['new'])} new</b>, <b>{len(changes['resolved'])} resolved</b>, "
        f"{len(changes['persisting'])} persisting, {len(changes['changed'])} changed severity.</p>"
    ]
    per = changes.get("previous_by_runbook") or {}
    if len({p["dir"] for p in per.values()}) > 1:
        pairs = ", ".join(f"{html.escape(n)} ← {html.escape(Path(p['dir']).name)}" for n, p in per.items())
        parts.append(f"<p>Each runbook against its own last finished run: {pairs}.</p>")
    for title, key in (("New", "new"), ("Resolved", "resolved"), ("Changed severity", "changed")):
        items = changes[key]
        if not items:
            continue
        rows = "".join(
            f"<li>{html.escape(i['runbook'])}: <b>{html.escape(i['severity'].upper())}</b>"
            f"{' (was ' + html.escape(i['was'].upper()) + ')' if 'was' in i else ''} "
            f"{html.escape(i['kind'])} — {html.escape(i['subject'])}</li>"
            for i in items
        )
        parts.append(f"<h3>{title}</h3><ul>{rows}</ul>")
    if changes["not_compared"]:
        parts.append(
            f"<p>Not compared (did not finish in one of the runs, or not in the earlier one): "
            f"{html.escape(', '.join(changes['not_compared']))}</p>"
        )
    return "\n".join(parts)


def write_history_index(run_dir: Path, source: str) -> Path:
    """``<source dir>/index.html``: every kept run of the source, newest first, with verdicts."""
    runs = [*sibling_runs(run_dir, source)]
    current = _summary(run_dir)
    if current:
        runs.append((run_dir, current))
    runs.sort(key=lambda r: (r[1].get("started_at", ""), r[0].name), reverse=True)
    rows = []
    for path, summary in runs:
        verdicts = ", ".join(f"{r['runbook']} {r['verdict']}" for r in summary.get("runbooks", []))
        changes = summary.get("changes") or {}
        delta = (
            f"+{len(changes.get('new', []))} / −{len(changes.get('resolved', []))}" if changes.get("previous") else "—"
        )
        rows.append(
            f'<tr><td><a href="{html.escape(path.name)}/index.html">{html.escape(path.name)}</a></td>'
            f"<td>{html.escape(str(summary.get('started_at', '')))}</td><td>{summary.get('exit_code', '')}</td>"
            f"<td>{html.escape(delta)}</td><td>{html.escape(verdicts)}</td></tr>"
        )
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>stack-runbooks runs: {html.escape(source)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:6px 10px}}th{{background:#eee}}</style></head>
<body><h1>Runs of {html.escape(source)}</h1>
<table><tr><th>run</th><th>started</th><th>exit</th><th>new / resolved</th><th>verdicts</th></tr>
{"".join(rows)}</table></body></html>
"""
    # shared by every run of the source: written whole or not at all, whatever runs beside this one
    return write_textfile(run_dir.resolve().parent / "index.html", page)


def claim_run_dir(out: Path, started: dt.datetime) -> Path:
    """The run's own directory, created atomically: a run started in the same second as another (or a
    concurrent one) gets the next free suffix, never the other's directory."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for n in range(100):
        candidate = out if n == 0 else out.with_name(f"{started:%Y%m%dT%H%M%SZ}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise ConfigError(f"{out.parent} already holds 100 runs started at {started:%Y-%m-%dT%H:%M:%SZ}")


def read_run_summary(run_dir: Path, what: str = "") -> dict[str, Any]:
    """A run's summary.json, checked to be one (the fields a comparison and an index read): else one
    ConfigError naming the directory and the field."""
    label = f"{what} {run_dir}".strip()
    try:
        payload = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{label}: not a run directory (no readable summary.json: {exc})") from None
    problem = _summary_problem(payload)
    if problem:
        raise ConfigError(f"{label}/summary.json is not a run's summary: {problem}")
    return payload


def _summary_problem(payload: Any) -> str:
    """What makes ``payload`` not a run's summary ('' when it is one)."""
    if not isinstance(payload, dict):
        return "it is not a JSON object"
    runs = payload.get("runbooks")
    if not isinstance(runs, list):
        return "its 'runbooks' is not a list"
    for i, run in enumerate(runs):
        for key in ("runbook", "verdict", "findings"):
            if not isinstance(run, dict) or key not in run:
                return f"runbook entry {i} lacks {key!r}"
        if not all(isinstance(f, dict) for f in run["findings"] or []):
            return "a finding is not an object"
    if not isinstance(payload.get("source", ""), str):
        return "its 'source' is not text"
    return ""
