"""The runner's kernels: their own log stays out of the runner's output, and a kernel that dies is quoted."""

import json

import pytest
from conftest import make_notebook, run_cli

from runbook_lib.headless.kernels import KERNEL_LOG, is_kernel_start_failure, kernel_said

PUBLISH = "from runbook_lib.show import publish_findings\npublish_findings('fixture', [])"


def test_the_kernels_last_words_are_its_logs_last_line_cut_to_one_line(tmp_path):
    assert kernel_said(str(tmp_path)) == ""  # no log at all
    (tmp_path / KERNEL_LOG).write_text("starting\n" + "x" * 400 + "\n\n")
    assert kernel_said(str(tmp_path)) == "x" * 300
    (tmp_path / KERNEL_LOG).write_bytes(b"\xff broken\n")
    assert kernel_said(str(tmp_path)) == "\ufffd broken"


@pytest.mark.parametrize(
    "error, retried",
    [
        (RuntimeError("Kernel didn't respond in 60 seconds"), True),
        (OSError("ZMQError: Address already in use"), True),
        (RuntimeError("Kernel died before replying to kernel_info"), True),
        (ValueError("a cell's own error"), False),
    ],
)
def test_only_a_kernel_start_race_is_retried(error, retried):
    assert is_kernel_start_failure(error) is retried


@pytest.mark.slow
def test_the_kernels_own_output_stays_off_the_runners_stderr_and_a_dying_kernel_is_quoted(tmp_path):
    """ipykernel writes its log to its own stderr (a shutdown's "KeyboardInterrupt caught in kernel"): that is
    not the runner's output. When the kernel dies outside a cell's reach, its last line is in the error."""
    dying = "import os\nos.write(2, b'kernel noise\\n')\nos.write(2, b'fatal: out of pixie dust\\n')\nos._exit(1)"
    nb = make_notebook(tmp_path, "dying", dying, PUBLISH)
    proc = run_cli("run", str(nb), "--out", str(tmp_path / "out"))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "kernel noise" not in proc.stderr and "pixie dust" not in proc.stderr
    error = json.loads((tmp_path / "out" / "summary.json").read_text())["runbooks"][0]["error"]
    assert error.endswith("(the kernel's last words: fatal: out of pixie dust)"), error


def test_nbclient_s_timeout_lines_are_kept_off_stderr_and_papermill_s_others_are_not(caplog):
    import logging

    from runbook_lib.headless.kernels import quiet_timeout_log

    quiet_timeout_log()
    quiet_timeout_log()  # a pool's worker runs many notebooks: one filter
    log = logging.getLogger("papermill")
    assert len(log.filters) == 1
    with caplog.at_level(logging.INFO, logger="papermill"):
        log.error("Timeout waiting for execute reply (3s).")  # nbclient formats it before logging
        log.error("Interrupting kernel")
        log.warning("Input notebook does not contain a cell with tag 'parameters'")
    assert [r.getMessage() for r in caplog.records] == ["Input notebook does not contain a cell with tag 'parameters'"]
