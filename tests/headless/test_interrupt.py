"""A run stopped by SIGTERM or SIGINT: every process it started is gone (kernels, and what they started), the
report is still written and says which runbooks did not finish; one line on stderr, exit 3."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import make_notebook

from runbook_lib.headless.interrupt import INTERRUPTED, descendants, stop_descendants

ROOT = Path(__file__).resolve().parents[2]
# A runbook that starts a child of its own (as a notebook starts `ceph` or `ssh`), says its pid, and waits.
STARTS_A_CHILD = """import pathlib, subprocess, time
child = subprocess.Popen(["sleep", "300"])
pathlib.Path(pid_file).write_text(str(child.pid))
time.sleep(300)"""
PUBLISH = "from runbook_lib.show import publish_findings\npublish_findings('fixture', [])"


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(path, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.2)
    raise AssertionError(f"{path} never written")


def test_descendants_are_found_and_stopped_children_first():
    tree = subprocess.Popen(["bash", "-c", "sleep 60 & sleep 60 & wait"])
    time.sleep(0.5)
    below = descendants(os.getpid())
    assert tree.pid in below and len([p for p in below if p != tree.pid]) >= 2
    stopped = stop_descendants(grace=2)
    tree.wait(timeout=10)
    assert set(below) <= set(stopped) and not [p for p in below if _alive(p)]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_run_stops_what_it_started_and_still_reports(tmp_path, sig):
    notebook = make_notebook(tmp_path, "busy", STARTS_A_CHILD, PUBLISH, parameters="pid_file: str = ''")
    pid_file = tmp_path / "child.pid"
    argv = [sys.executable, "-m", "runbook_lib", "run", str(notebook), "--out", str(tmp_path / "out")]
    run = subprocess.Popen(
        [*argv, "-p", "pid_file", str(pid_file)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    child = _wait_for(pid_file)
    run.send_signal(sig)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 3, out + err
    assert err.strip().splitlines() == [
        f"runbook: interrupted by {sig.name}: {tmp_path / 'out'}/index.html says which did not finish"
    ]
    assert not _alive(child)  # the notebook's own child, two levels down, was stopped too
    [result] = json.loads((tmp_path / "out" / "summary.json").read_text())["runbooks"]
    assert result["verdict"] == "ERROR" and result["error"].endswith(INTERRUPTED)
    assert f"INTERRUPTED ({sig.name})" in (tmp_path / "out" / "index.html").read_text()


@pytest.mark.slow
def test_a_pool_of_runbooks_stopped_by_sigterm_leaves_no_process(tmp_path):
    pid_files = [tmp_path / f"{n}.pid" for n in ("a", "b")]
    notebooks = [make_notebook(tmp_path, n, STARTS_A_CHILD, PUBLISH, parameters="pid_file: str = ''") for n in "ab"]
    script = textwrap.dedent(f"""
        import json, pathlib
        from runbook_lib.headless.runner import run_many
        nbs = [pathlib.Path(p) for p in {[str(n) for n in notebooks]!r}]
        params = {{nb.stem: {{"pid_file": f}} for nb, f in zip(nbs, {[str(p) for p in pid_files]!r})}}
        results = run_many(nbs, pathlib.Path({str(tmp_path / "out")!r}), params, jobs=2)
        print(json.dumps([r.error for r in results]))
    """)
    run = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    children = [_wait_for(p) for p in pid_files]
    below = descendants(run.pid)
    run.send_signal(signal.SIGTERM)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    errors = json.loads(out.strip().splitlines()[-1])
    assert len(errors) == 2 and all(e == f"interrupted by SIGTERM before it finished {INTERRUPTED}" for e in errors)
    assert not [p for p in [*children, *below] if _alive(p)]  # workers, kernels and the notebooks' children
    assert "Traceback" not in err


def test_what_a_stopped_runbook_wrote_keeps_no_secret(tmp_path):
    """A runbook stopped after it wrote a cut table whole (and papermill its notebook so far): both masked."""
    cells = (
        "import pandas as pd\nfrom runbook_lib.show import show_table\n"
        "show_table(pd.DataFrame({'ran': [ceph_command] * 600}), 'Commands')",
        STARTS_A_CHILD,
        PUBLISH,
    )
    notebook = make_notebook(tmp_path, "busy", *cells, parameters="pid_file: str = ''\nceph_command: str = 'ceph'")
    pid_file, out = tmp_path / "child.pid", tmp_path / "out"
    argv = [sys.executable, "-m", "runbook_lib", "run", str(notebook), "--out", str(out), "-p", "pid_file"]
    secret = ["-p", "ceph_command", "ceph --key=canary-stopped-pw"]
    run = subprocess.Popen([*argv, str(pid_file), *secret], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(pid_file)
    run.send_signal(signal.SIGTERM)
    run.communicate(timeout=60)
    assert run.returncode == 3
    table = out / "busy.commands.csv"
    assert table.read_text().count("ceph --key=***") == 600  # written whole before the stop, then masked
    assert not [p for p in out.rglob("*") if p.is_file() and "canary-stopped-pw" in p.read_text(errors="replace")]


def test_a_stopped_pool_is_taken_off_the_list_python_wakes_at_exit():
    """CPython 3.11 wakes every pool's manager at exit through a pipe the ended manager closed: a traceback
    after the report's line, seen in CI once (EBADF). A stopped pool leaves that list."""
    from concurrent.futures import ProcessPoolExecutor, process

    from runbook_lib.headless.interrupt import shut_down_pool

    pool = ProcessPoolExecutor(max_workers=1)
    assert pool.submit(abs, -1).result() == 1
    manager = pool._executor_manager_thread
    assert manager in process._threads_wakeups
    shut_down_pool(pool, stopped=True)
    assert not manager.is_alive() and manager not in process._threads_wakeups
