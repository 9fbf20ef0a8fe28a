"""Airflow DAG ``stack_runbooks``: every runbook against every target, fanned out with the papermill provider
(dynamic task mapping: one task per target × runbook), then per target the runner's own summary: index,
since-last-run comparison, retention, Prometheus file, and its exit code (the task fails when it says so).

Airflow runs in its own environment (``make airflow-check`` builds one); the notebooks run on the project's
kernel ``stack-runbooks``, found through ``JUPYTER_PATH=<project>/.venv/share/jupyter``, so the runbooks see
exactly the project's libraries. Settings (environment of the Airflow workers, or Airflow Variables):

    STACK_RUNBOOKS_HOME     the project's clone (default /opt/stack-runbooks)
    STACK_RUNBOOKS_REPORTS  the reports root (default <home>/reports): runs land where the runner puts them,
                            <root>/<target>/<UTC timestamp of the run>/
    stack_runbooks_targets  (Variable, else env STACK_RUNBOOKS_TARGETS) JSON list of targets:
                            [{"name": "prod", "cloud": "prod"}, {"name": "lab", "snapshot": "/data/lab.tar.gz"}]
    STACK_RUNBOOKS_FAIL_AT  the runner exit code from which a target's task fails (default 1: findings;
                            2: only when the runbooks could not look)
    STACK_RUNBOOKS_KEEP     runs kept per target (default 30), STACK_RUNBOOKS_PROMETHEUS a textfile directory

Output paths come from ``dag_run.run_after``: a run triggered by hand or by the API has no logical date in
Airflow 3, so templates on ``ds``/``ds_nodash`` fail there.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
from pathlib import Path

import pendulum
from airflow.exceptions import AirflowFailException
from airflow.providers.papermill.operators.papermill import PapermillOperator
from airflow.sdk import DAG, Variable, task

PROJECT = Path(os.environ.get("STACK_RUNBOOKS_HOME", "/opt/stack-runbooks"))
REPORTS = Path(os.environ.get("STACK_RUNBOOKS_REPORTS", str(PROJECT / "reports")))
KERNEL = "stack-runbooks"


def _targets() -> list[dict]:
    raw = Variable.get("stack_runbooks_targets", default=os.environ.get("STACK_RUNBOOKS_TARGETS", "[]"))
    targets = json.loads(raw)
    for t in targets:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", t.get("name", "")) or ("cloud" in t) == ("snapshot" in t):
            raise AirflowFailException(
                f"bad target {t!r}: give a name (letters, digits, _.-) and one of cloud/snapshot"
            )
    if not targets:
        raise AirflowFailException(
            "no targets: set the Variable stack_runbooks_targets (or STACK_RUNBOOKS_TARGETS)"
        )
    return targets


def _run_dir(target: dict, run_after: datetime.datetime) -> Path:
    """<reports>/<target>/<UTC time of the run>: the runner's own layout, so histories and indexes mix."""
    return REPORTS / target["name"] / run_after.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


with DAG(
    dag_id="stack_runbooks",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["stack-runbooks"],
) as dag:

    @task
    def notebooks(dag_run=None) -> list[dict]:
        """papermill's kwargs for every target × runbook."""
        books = sorted((PROJECT / "notebooks").glob("*.ipynb"))
        for t in _targets():
            _run_dir(t, dag_run.run_after).mkdir(parents=True, exist_ok=True)  # papermill does not create it
        return [
            {
                "input_nb": str(book),
                "output_nb": str(_run_dir(t, dag_run.run_after) / book.name),
                "parameters": {"cloud": t["cloud"]} if "cloud" in t else {"snapshot": t["snapshot"]},
            }
            for t in _targets()
            for book in books
        ]

    @task
    def targets(dag_run=None) -> list[dict]:
        return [{**t, "run_dir": str(_run_dir(t, dag_run.run_after))} for t in _targets()]

    # Runbooks run one per task; a runbook that raises fails its task, but its notebook is still written
    # and the summary below still reports it (ERROR), so every target gets its index.
    run_runbook = PapermillOperator.partial(task_id="run_runbook", kernel_name=KERNEL).expand_kwargs(
        notebooks()
    )

    @task(trigger_rule="all_done")
    def summarize(target: dict) -> int:
        """The runner's verdicts for one target: ``runbook report`` on its run directory."""
        source = f"cloud {target['cloud']}" if "cloud" in target else f"snapshot {target['snapshot']}"
        argv = [str(PROJECT / ".venv" / "bin" / "runbook"), "report", target["run_dir"], "--source", source,
                "--history", "--keep", os.environ.get("STACK_RUNBOOKS_KEEP", "30")]  # fmt: skip
        if os.environ.get("STACK_RUNBOOKS_PROMETHEUS"):
            argv += ["--prometheus", os.environ["STACK_RUNBOOKS_PROMETHEUS"]]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
        print(proc.stdout + proc.stderr)
        if proc.returncode >= int(os.environ.get("STACK_RUNBOOKS_FAIL_AT", "1")):
            raise AirflowFailException(f"{target['name']}: the runner's exit code is {proc.returncode}")
        return proc.returncode

    run_runbook >> summarize.expand(target=targets())
