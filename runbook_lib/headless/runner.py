"""Run runbook notebooks headless with papermill and turn each run into a verdict and an exit code.

Exit codes (the scheduler's contract):
    0  no finding at or above --fail-on        3  execution error (report still written, banner kept)
    1  findings at or above --fail-on          4  timeout (a TIMEOUT banner is added: papermill adds none)
    2  bad parameters or configuration
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat

from runbook_lib.errors import ConfigError, ParameterError, RunbookError
from runbook_lib.findings import FINDINGS_MIMETYPE, SEVERITIES, describe_counts, severity_rank
from runbook_lib.headless.interrupt import (
    INTERRUPTED,
    RunInterrupted,
    ignore_interrupts,
    interruptible,
    shut_down_pool,
    stop_descendants,
)
from runbook_lib.headless.kernels import ensure_kernel, ipc_kernel_manager_class, is_kernel_start_failure, kernel_said
from runbook_lib.headless.report import add_timeout_banner, read_executed_notebook
from runbook_lib.headless.scrub import clear_tables, scrub_notebook, scrub_tables
from runbook_lib.redact import redact, redact_tree, secret_values
from runbook_lib.show import RUNBOOK_NAME, TABLES_DIR

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
EXIT_OK, EXIT_FINDINGS, EXIT_CONFIG, EXIT_ERROR, EXIT_TIMEOUT = 0, 1, 2, 3, 4
# Library errors that mean "fix your input", not "the runbook broke".
_CONFIG_ERRORS = {"ConfigError", "ParameterError", "SnapshotError", "AuthenticationFailed"}


@dataclasses.dataclass
class RunResult:
    runbook: str
    verdict: str  # OK / WARN / CRIT / ERROR / TIMEOUT
    exit_code: int
    duration_s: float
    notebook: str
    html: str = ""
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    findings: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    plan: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # the runbook's planned changes
    error: str = ""
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    interrupted_by: str = ""  # the signal that stopped the run before this runbook finished
    tables: list[str] = dataclasses.field(default_factory=list)  # cut tables in full, CSV beside the report


def available_runbooks(notebooks_dir: Path = NOTEBOOKS_DIR) -> dict[str, Path]:
    return {p.stem: p for p in sorted(notebooks_dir.glob("*.ipynb"))}


def resolve_runbook(name: str, notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
    books = available_runbooks(notebooks_dir)
    if name in books:
        return books[name]
    path = Path(name)
    if path.suffix == ".ipynb" and path.exists():
        return path
    raise ConfigError(f"no runbook named {name!r}; available: {', '.join(books) or 'none'} (see 'runbook list')")


def _bundle(nb: Any) -> dict[str, Any] | None:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FINDINGS_MIMETYPE in data:
                return dict(data[FINDINGS_MIMETYPE])
    return None


def _error_output(nb: Any) -> tuple[str, str]:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return output.get("ename", ""), output.get("evalue", "")
    return "", ""


def run_notebook(
    notebook: Path,
    out_dir: Path,
    parameters: dict[str, Any],
    *,
    fail_on: str = "crit",
    cell_timeout: int = 600,
    retries: int = 1,
) -> RunResult:
    """Execute one runbook; never raises for what happens inside the notebook."""
    import papermill
    from nbclient.exceptions import CellTimeoutError

    from runbook_lib.headless.params import validate_parameters

    if fail_on not in SEVERITIES[1:]:
        raise ParameterError(f"--fail-on {fail_on!r} must be one of: {', '.join(SEVERITIES[1:])}")
    name = notebook.stem
    typed = validate_parameters(notebook, parameters)
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / f"{name}.ipynb"
    kernel = ensure_kernel()
    started = time.monotonic()
    error, exit_code, verdict_text = "", EXIT_OK, ""
    sockets_dir = tempfile.TemporaryDirectory(prefix="runbook-kernel-")
    sockets = sockets_dir.name
    clear_tables(out_dir, name)  # an earlier run's; the kernel inherits os.environ: where show_table writes
    before = {v: os.environ.get(v) for v in (TABLES_DIR, RUNBOOK_NAME)}
    os.environ.update({TABLES_DIR: str(out_dir.resolve()), RUNBOOK_NAME: name})
    try:
        for attempt in range(retries + 1):
            try:
                papermill.execute_notebook(
                    str(notebook),
                    str(output),
                    parameters=typed,
                    kernel_name=kernel,
                    report_mode=True,
                    execution_timeout=cell_timeout,
                    progress_bar=False,
                    cwd=str(notebook.parent),
                    kernel_manager_class=ipc_kernel_manager_class(sockets),
                )
                break
            except CellTimeoutError:
                where = add_timeout_banner(output, cell_timeout)
                error = f"{where} ran longer than {cell_timeout} s and was interrupted"
                exit_code, verdict_text = EXIT_TIMEOUT, "TIMEOUT"
                break
            except papermill.PapermillExecutionError as exc:
                config = exc.ename in _CONFIG_ERRORS
                error = f"{exc.ename}: {exc.evalue}"
                exit_code, verdict_text = (EXIT_CONFIG if config else EXIT_ERROR), "ERROR"
                break
            except Exception as exc:  # kernel start failures are retried, nothing else
                if is_kernel_start_failure(exc) and attempt < retries:
                    continue
                said = kernel_said(sockets)
                error = f"{type(exc).__name__}: {exc}" + (f" (the kernel's last words: {said})" if said else "")
                exit_code, verdict_text = EXIT_ERROR, "ERROR"
                break
    finally:  # this process as it was, whatever escaped
        os.environ.update({v: value for v, value in before.items() if value is not None})
        for variable in [v for v, value in before.items() if value is None]:
            del os.environ[variable]
    sockets_dir.cleanup()
    secrets = secret_values(typed)
    if output.exists():
        scrub_notebook(output, secrets)  # before anything reads it: the HTML, the findings, the summary
    result = RunResult(
        name,
        verdict_text,
        exit_code,
        round(time.monotonic() - started, 2),
        str(output),
        error=redact(error, secrets),
        parameters=redact_tree(typed, secrets),
        tables=scrub_tables(out_dir, name, secrets),
    )
    return read_result(result, fail_on) if output.exists() else result


def read_result(result: RunResult, fail_on: str = "crit") -> RunResult:
    """Complete ``result`` from its executed notebook: the published findings give the verdict and the exit
    code (unless execution already decided them), an error output is kept, the HTML report is written."""
    output = Path(result.notebook)
    nb = nbformat.read(output, as_version=4)
    bundle = _bundle(nb)
    decided = bool(result.verdict)
    if bundle:
        result.counts, result.findings = bundle["counts"], bundle["findings"]
        result.plan = bundle.get("plan", [])
        if not decided:
            result.verdict = bundle["verdict"]
            worst = max((severity_rank(f["severity"]) for f in bundle["findings"]), default=0)
            result.exit_code = EXIT_FINDINGS if worst >= severity_rank(fail_on) else EXIT_OK
    elif not decided:
        ename, evalue = _error_output(nb)
        result.verdict = "ERROR"
        result.exit_code = EXIT_CONFIG if ename in _CONFIG_ERRORS else EXIT_ERROR
        result.error = (
            f"{ename}: {evalue}"
            if ename
            else "the notebook published no findings (its last cell must call rb.publish_findings)"
        )
    if not result.error and not decided:
        ename, evalue = _error_output(nb)
        if ename:
            result.error = f"{ename}: {evalue}"
    from runbook_lib.headless.report import export_html

    result.html = str(export_html(output))
    return result


def results_from_dir(run_dir: Path, fail_on: str = "crit") -> list[RunResult]:
    """Results of notebooks executed elsewhere (an Airflow task, papermill by hand) into ``run_dir``."""
    results = []
    for path in sorted(run_dir.glob("*.ipynb")):
        papermill = read_executed_notebook(path).metadata.get("papermill", {})
        secrets = secret_values(dict(papermill.get("parameters") or {}))
        scrub_notebook(path, secrets)
        result = RunResult(
            path.stem,
            "",
            EXIT_OK,
            round(float(papermill.get("duration") or 0.0), 2),
            str(path),
            parameters=redact_tree(dict(papermill.get("parameters") or {}), secrets),
        )
        results.append(read_result(result, fail_on))
    return results


def _run_one(args: tuple[Path, Path, dict[str, Any], str, int]) -> RunResult:
    notebook, out_dir, parameters, fail_on, cell_timeout = args
    try:
        return run_notebook(notebook, out_dir, parameters, fail_on=fail_on, cell_timeout=cell_timeout)
    except RunbookError as exc:  # a refused parameter may quote its value
        return RunResult(
            notebook.stem, "ERROR", EXIT_CONFIG, 0.0, "", error=redact(str(exc), secret_values(parameters))
        )


def run_many(
    notebooks: list[Path],
    out_dir: Path,
    parameters: dict[str, dict[str, Any]],
    *,
    fail_on: str = "crit",
    cell_timeout: int = 600,
    jobs: int = 2,
    progress: Any = None,
) -> list[RunResult]:
    """Run notebooks in parallel: a bounded pool, one process (and kernel) per notebook. On SIGTERM or SIGINT
    every process the run started is stopped, and the runbooks that did not finish are ERROR results that
    say so (the report is still written)."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    tasks = [(nb, out_dir, parameters.get(nb.stem, {}), fail_on, cell_timeout) for nb in notebooks]
    results: list[RunResult] = []

    def finished(result: RunResult) -> None:
        results.append(result)
        if progress:
            progress(len(results), len(tasks), result)

    # Even one notebook runs in a worker: this process only waits, so a stop finds no event loop of papermill's
    # half-way here, and everything below it can be stopped as one tree.
    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(tasks))), initializer=ignore_interrupts)
    stopped = False
    try:
        with interruptible():
            for future in as_completed([pool.submit(_run_one, task) for task in tasks]):
                finished(future.result())
    except RunInterrupted as stop:
        stopped = True
        stop_descendants()
        for nb in notebooks:  # what the stopped ones wrote so far keeps no secret either
            secrets = secret_values(parameters.get(nb.stem, {}))
            scrub_tables(out_dir, nb.stem, secrets)
            if (out_dir / f"{nb.stem}.ipynb").exists():
                scrub_notebook(out_dir / f"{nb.stem}.ipynb", secrets)
        done = {r.runbook for r in results}
        why = f"{stop} before it finished {INTERRUPTED}"
        results += [
            RunResult(nb.stem, "ERROR", EXIT_ERROR, 0.0, "", error=why, interrupted_by=stop.signal_name)
            for nb in notebooks
            if nb.stem not in done
        ]
    finally:
        shut_down_pool(pool, stopped)
    order = {nb.stem: i for i, nb in enumerate(notebooks)}
    return sorted(results, key=lambda r: order[r.runbook])


def print_progress(done: int, total: int, result: RunResult) -> None:
    """One line per runbook as it finishes: its verdict, counts, time and error."""
    counts = describe_counts(result.counts)
    line = f"[{done}/{total}] {result.runbook:<16} {result.verdict:<7} {counts:<28} {result.duration_s:6.1f} s"
    print(line + (f"  {result.error}" if result.error else ""), flush=True)


def overall_exit_code(results: list[RunResult]) -> int:
    """The worst outcome wins: config (2) > timeout (4) > error (3) > findings (1) > ok (0)."""
    codes = {r.exit_code for r in results}
    for code in (EXIT_CONFIG, EXIT_TIMEOUT, EXIT_ERROR, EXIT_FINDINGS):
        if code in codes:
            return code
    return EXIT_OK
