#!/usr/bin/env python3
"""``make airflow-check``: build Airflow's own environment (once), then check the DAG the way CI can.

1. ``airflow dags list-import-errors --local``: the DAG file imports and parses (``[]``).
2. ``airflow dags test stack_runbooks`` on two targets of the embedded demo: every runbook runs for both
   through the papermill provider (mapped tasks), then each target's summary is written where the runner
   would (``<reports>/<target>/<UTC timestamp>/``) with its index and exit code.
3. The same DAG on a target that cannot be read: the run fails (``dags test`` exits non-zero).

Everything runs offline; state goes to a fresh AIRFLOW_HOME under $AIRFLOW_CHECK_HOME (default
/var/tmp/stack-runbooks-airflow), the venv beside it is rebuilt only when requirements.txt changes.
Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
HOME = Path(os.environ.get("AIRFLOW_CHECK_HOME", "/var/tmp/stack-runbooks-airflow"))
VENV = HOME / "venv"
AIRFLOW = VENV / "bin" / "airflow"
T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[airflow-check {time.monotonic() - T0:6.1f}s] {message}", flush=True)


def run(
    argv: list[str], env: dict | None = None, check: bool = True, timeout: int = 900
) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-40:])
        raise SystemExit(f"airflow-check: {' '.join(argv[:4])} … failed ({proc.returncode}):\n{tail}")
    return proc


def build_venv() -> None:
    requirements = HERE / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes() + sys.version.encode()).hexdigest()[:16]
    stamp = VENV / ".stack-runbooks-airflow"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"building Airflow's own environment in {VENV} (first time: ~1 min, ~800 MB)")
    if VENV.exists():
        shutil.rmtree(VENV)
    run([sys.executable, "-m", "venv", str(VENV)])
    run([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(requirements)])
    stamp.write_text(digest)
    say("environment ready")


def airflow_env(home: Path, targets: list[dict], fail_at: int) -> dict:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(HERE / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "PYTHONWARNINGS": "ignore",  # a graphviz warning on stdout would corrupt the JSON of 'dags' commands
        "PATH": f"{VENV / 'bin'}:{os.environ['PATH']}",
        # the notebooks run on the project's kernel, with the project's libraries
        "JUPYTER_PATH": str(PROJECT / ".venv" / "share" / "jupyter"),
        "STACK_RUNBOOKS_HOME": str(PROJECT),
        "STACK_RUNBOOKS_REPORTS": str(home / "reports"),
        "STACK_RUNBOOKS_TARGETS": json.dumps(targets),
        "STACK_RUNBOOKS_FAIL_AT": str(fail_at),
    }


def main() -> int:
    if not (PROJECT / ".venv" / "bin" / "runbook").exists():
        raise SystemExit("airflow-check: the project's environment is missing: run 'make venv' first")
    build_venv()
    home = HOME / "home"
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    targets = [{"name": "demo-a", "snapshot": "demo"}, {"name": "demo-b", "snapshot": "demo"}]
    env = airflow_env(home, targets, fail_at=2)
    run([str(AIRFLOW), "db", "migrate"], env)
    errors = run([str(AIRFLOW), "dags", "list-import-errors", "--local", "-o", "json"], env).stdout.strip()
    if json.loads(errors or "[]"):
        raise SystemExit(f"airflow-check: the DAG does not import:\n{errors}")
    say("DAG imports cleanly (dags list-import-errors --local: [])")
    test = run([str(AIRFLOW), "dags", "test", "stack_runbooks"], env, timeout=1200)
    books = sorted(p.stem for p in (PROJECT / "notebooks").glob("*.ipynb"))
    for target in targets:
        runs = [p for p in (home / "reports" / target["name"]).iterdir() if p.is_dir()]
        if len(runs) != 1:
            raise SystemExit(
                f"airflow-check: expected one run of {target['name']}, found {runs}\n{test.stdout[-3000:]}"
            )
        summary = json.loads((runs[0] / "summary.json").read_text())
        verdicts = {r["runbook"]: r["verdict"] for r in summary["runbooks"]}
        if sorted(verdicts) != books or "ERROR" in verdicts.values() or not (runs[0] / "index.html").exists():
            raise SystemExit(f"airflow-check: {target['name']}: {verdicts}")
        say(f"{target['name']}: {runs[0].name}: {verdicts}, exit {summary['exit_code']}")
    broken = run([str(AIRFLOW), "dags", "test", "stack_runbooks"],
                 airflow_env(home, [{"name": "broken", "snapshot": "/nonexistent/snapshot"}], fail_at=2),
                 check=False, timeout=1200)  # fmt: skip
    if broken.returncode == 0:
        raise SystemExit("airflow-check: a run on an unreadable snapshot did not fail")
    say(f"a target that cannot be read fails the run (dags test exit {broken.returncode})")
    say("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
