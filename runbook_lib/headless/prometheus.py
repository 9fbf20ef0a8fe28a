"""Findings as Prometheus text exposition, for node_exporter's textfile collector.

node_exporter reads ``*.prom`` files from its ``--collector.textfile.directory``; a file must appear whole
(written to a temporary name in the same directory, then renamed), or the collector may read half of it.
One file per source (``stack_runbooks_<source>.prom``) so that several clouds can share the directory.

Alert on ``stack_runbooks_findings{severity="crit"} > 0``, on a stale
``stack_runbooks_last_run_timestamp_seconds`` (the schedule stopped) and on
``stack_runbooks_run_exit_code >= 2`` (the runbooks could not look).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from runbook_lib.findings import SEVERITIES

PREFIX = "stack_runbooks"


def _labels(**labels: str) -> str:
    def escape(value: str) -> str:
        return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    """A sample value, exact: integers whole, others with every significant digit (``:g`` would write a Unix
    timestamp as 1.79516e+09, an hour off)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render_textfile(summary: dict[str, Any], source: str, finished_at: float) -> str:
    """The exposition text for one run (``summary`` as written to summary.json, with ``changes``)."""
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[dict[str, str], float]]) -> None:
        lines.append(f"# HELP {PREFIX}_{name} {help_text}")
        lines.append(f"# TYPE {PREFIX}_{name} {kind}")
        for labels, value in samples:
            lines.append(f"{PREFIX}_{name}{_labels(**labels)} {_number(value)}")

    runs = summary.get("runbooks", [])
    metric(
        "findings",
        "gauge",
        "Findings of the last run by runbook and severity.",
        [
            ({"source": source, "runbook": r["runbook"], "severity": s}, r.get("counts", {}).get(s, 0))
            for r in runs
            for s in SEVERITIES[1:]
        ],
    )
    metric(
        "runbook_exit_code",
        "gauge",
        "Exit code of each runbook in the last run (0 ok, 1 findings, 2 config, 3 error, 4 timeout).",
        [({"source": source, "runbook": r["runbook"]}, r["exit_code"]) for r in runs],
    )
    metric(
        "runbook_duration_seconds",
        "gauge",
        "Run time of each runbook in the last run.",
        [({"source": source, "runbook": r["runbook"]}, r["duration_s"]) for r in runs],
    )
    changes = summary.get("changes") or {}
    if changes.get("previous"):
        # only the runbooks compared: one not compared has no count of new or resolved, not a zero
        compared = {r["runbook"] for r in runs} - set(changes.get("not_compared", []))
        for key in ("new", "resolved"):
            per_runbook = {r["runbook"]: 0 for r in runs if r["runbook"] in compared}
            for item in changes.get(key, []):
                if item["runbook"] in per_runbook:
                    per_runbook[item["runbook"]] += 1
            metric(
                f"findings_{key}",
                "gauge",
                f"Findings {key} since the previous run.",
                [({"source": source, "runbook": name}, n) for name, n in per_runbook.items()],
            )
    metric(
        "run_exit_code",
        "gauge",
        "Exit code of the last run as a whole.",
        [({"source": source}, summary.get("exit_code", 0))],
    )
    metric(
        "run_duration_seconds",
        "gauge",
        "Wall time of the last run.",
        [({"source": source}, summary.get("duration_s", 0.0))],
    )
    metric(
        "last_run_timestamp_seconds",
        "gauge",
        "When the last run finished (Unix time).",
        [({"source": source}, round(finished_at, 3))],
    )
    return "\n".join(lines) + "\n"


def write_textfile(path: str | Path, text: str) -> Path:
    """Write atomically: a temporary file beside ``path``, then a rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # node_exporter runs as its own user
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
