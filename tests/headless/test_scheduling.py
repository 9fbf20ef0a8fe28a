"""The shipped cron and systemd examples: checked by systemd's own verifier, and their one command run for
real (against the mini cloud) with the paths moved into the test's directory, exit code and all."""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "contrib" / "systemd"
CRON = REPO / "contrib" / "cron" / "stack-runbooks"
INSTALL = "/opt/stack-runbooks"  # where the examples expect the clone


def _unit_value(text: str, key: str) -> str:
    return next(line.split("=", 1)[1] for line in text.splitlines() if line.startswith(f"{key}="))


@pytest.fixture
def systemd_analyze():
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("SKIPPED LOUDLY: systemd-analyze is not installed (make test installs Debian's systemd)")
    return tool


def test_units_pass_systemd_analyze_verify(systemd_analyze, tmp_path):
    """An instance of the template, with the clone where this checkout is (verify checks ExecStart exists)."""
    service = (SYSTEMD / "stack-runbooks@.service").read_text().replace(INSTALL, str(REPO))
    (tmp_path / "stack-runbooks@prod.service").write_text(service)
    shutil.copy(SYSTEMD / "stack-runbooks@.timer", tmp_path / "stack-runbooks@prod.timer")
    proc = subprocess.run(
        [systemd_analyze, "verify", "stack-runbooks@prod.service", "stack-runbooks@prod.timer"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0 and proc.stderr.strip() == "", proc.stderr  # warnings (unknown keys) too


def test_verify_would_catch_a_broken_unit(systemd_analyze, tmp_path):
    """The check above can fail: the unmodified template points at /opt/stack-runbooks, absent here."""
    shutil.copy(SYSTEMD / "stack-runbooks@.service", tmp_path / "stack-runbooks@prod.service")
    proc = subprocess.run(
        [systemd_analyze, "verify", "stack-runbooks@prod.service"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode != 0 and "is not executable" in proc.stderr


def _moved(text: str, tmp_path: Path) -> str:
    """The example's paths moved into the test directory (the clone is this checkout)."""
    return (
        text.replace(INSTALL, str(REPO))
        .replace("/var/lib/stack-runbooks", str(tmp_path / "state"))
        .replace("/var/lib/prometheus/node-exporter", str(tmp_path / "textfile"))
        .replace("/var/log/stack-runbooks", str(tmp_path / "log"))
    )


def _check_run(tmp_path: Path, cloud: str) -> None:
    runs = [p for p in (tmp_path / "state" / "reports" / cloud).iterdir() if p.is_dir()]
    assert len(runs) == 1 and (runs[0] / "index.html").exists()
    text = (tmp_path / "textfile" / f"stack_runbooks_{cloud}.prom").read_text()
    names = {f.name for f in text_string_to_metric_families(text)}
    assert {
        "stack_runbooks_findings",
        "stack_runbooks_run_exit_code",
        "stack_runbooks_last_run_timestamp_seconds",
    } <= names


@pytest.mark.slow
@pytest.mark.minicloud
def test_the_service_command_runs_and_exits_with_the_runners_code(minicloud, tmp_path):
    service = (SYSTEMD / "stack-runbooks@.service").read_text()
    argv = shlex.split(_moved(_unit_value(service, "ExecStart"), tmp_path).replace("%i", "minicloud"))
    (tmp_path / "textfile").mkdir()
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(minicloud)}
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the seeded cloud has findings
    _check_run(tmp_path, "minicloud")
    unknown = subprocess.run(
        [*argv[: argv.index("minicloud")], "no-such-cloud", *argv[argv.index("minicloud") + 1 :]],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert unknown.returncode == 2 and "no-such-cloud" in unknown.stderr


def test_the_cron_line_is_well_formed():
    lines = [line for line in CRON.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert len(lines) == 1
    minute, hour, dom, month, dow, user, command = lines[0].split(None, 6)
    assert re.fullmatch(r"\d{1,2}", minute) and 0 <= int(minute) <= 59
    assert (hour, dom, month, dow) == ("*", "*", "*", "*") and user == "stack-runbooks"
    assert "%" not in command  # cron turns % into a newline


@pytest.mark.slow
@pytest.mark.minicloud
def test_the_cron_command_runs_as_cron_would(minicloud, tmp_path):
    """cron hands the command to /bin/sh: so does the test, with the cloud and paths moved."""
    command = CRON.read_text().splitlines()[-1].split(None, 6)[6]
    command = _moved(command, tmp_path).replace("--cloud prod", "--cloud minicloud")
    command = command.replace("/etc/stack-runbooks/clouds.yaml", str(minicloud))
    for sub in ("textfile", "log"):
        (tmp_path / sub).mkdir()
    proc = subprocess.run(
        ["/bin/sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"]},
    )  # cron's bare environment
    log = (tmp_path / "log" / "prod.log").read_text()
    assert proc.returncode == 1 and proc.stdout == "", log  # everything went to the log
    assert "report:" in log and "(exit 1)" in log
    _check_run(tmp_path, "minicloud")
