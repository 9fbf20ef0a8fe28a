"""Publishing a run: summary.json, the index with the comparison since the last run, the history index,
pruning, and the Prometheus textfile."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from runbook_lib.headless import history
from runbook_lib.headless.report import write_index, write_summary


def publish_run(out: Path, payload: dict[str, Any], previous: str, keep: int, prometheus: str) -> None:
    """summary.json, index.html with the comparison, the history index, pruning, the Prometheus file."""
    source, compare = payload["source"], None
    if previous and previous != "none":
        compare = (Path(previous), history.read_run_summary(Path(previous), "--previous"))
    if compare:
        payload["changes"] = history.compare_runs(payload, compare[1], str(compare[0]))
    elif not previous and payload.get("history"):
        # each runbook against its own newest earlier run that finished
        earlier = history.previous_per_runbook(out, source, payload["started_at"])
        payload["changes"] = history.compare_runs(payload, None, earlier=earlier)
    out.mkdir(parents=True, exist_ok=True)
    write_summary(out, payload)
    (out / history.RUN_MARKER).touch()
    index = write_index(out, payload)
    changes = payload.get("changes")
    if changes and changes["previous"]:
        print(
            f"since {Path(changes['previous']['dir']).name}: {len(changes['new'])} new, "
            f"{len(changes['resolved'])} resolved, {len(changes['persisting'])} persisting"
        )
    if payload.get("history"):
        for path in history.prune_runs(out, source, keep):
            print(f"pruned {path} (--keep {keep})")
        history.write_history_index(out, source)
    if prometheus:
        from runbook_lib.headless.prometheus import render_textfile, write_textfile

        # In a history (ROOT/<name>/<run>) the name is the directory's: two targets may read the same source.
        name = out.resolve().parent.name if payload.get("history") else history.source_slug(source)
        target = Path(prometheus)
        if target.is_dir() or prometheus.endswith("/"):
            target = target / f"stack_runbooks_{name}.prom"
        write_textfile(target, render_textfile(payload, name, time.time()))
        print(f"prometheus: {target}")
    print(f"report: {index} (exit {payload.get('exit_code', 0)})")
