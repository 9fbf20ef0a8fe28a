"""The papermill runner: which runbooks exist, a verdict and an exit code from each executed notebook (real
papermill runs of small runbook-shaped notebooks), and the worst outcome of a run as its exit code."""

import json
import os
from pathlib import Path

import nbformat
import pytest
from conftest import make_notebook, run_cli

from runbook_lib.errors import ConfigError, ParameterError
from runbook_lib.headless.runner import (
    EXIT_CONFIG,
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_TIMEOUT,
    NOTEBOOKS_DIR,
    RunResult,
    available_runbooks,
    overall_exit_code,
    read_result,
    resolve_runbook,
    results_from_dir,
    run_notebook,
)
from runbook_lib.show import MAX_ROWS

PUBLISH = "from runbook_lib.show import publish_findings\npublish_findings('fixture', [])"
FINDINGS = """from runbook_lib.findings import Finding
from runbook_lib.show import publish_findings
findings = [
    Finding("capacity", "osd-full", "crit", "osd.0 (vm)", f"osd.0 is 71.6% full (waited {delay} s)"),
    Finding("capacity", "osd-nearfull", "warn", "osd.3 (vm)", "osd.3 is 57.3% full"),
]
publish_findings("capacity", findings, [{"step": 1, "commands": ["ceph osd reweight 0 0.80000305"]}])"""


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One real papermill run of a notebook that publishes a crit and a warn finding and a plan."""
    root = tmp_path_factory.mktemp("runner")
    notebook = make_notebook(root, "capacity", FINDINGS)
    return run_notebook(notebook, root / "out", {"delay": "3"})


def test_the_notebooks_directory_holds_the_four_runbooks():
    assert available_runbooks() == {
        name: NOTEBOOKS_DIR / f"{name}.ipynb"
        for name in ["ceph_capacity", "cpu_topology", "resize_ssh", "vif_plugging"]
    }


def test_a_runbook_is_found_by_name_or_as_a_notebook_path(tmp_path):
    assert resolve_runbook("resize_ssh") == NOTEBOOKS_DIR / "resize_ssh.ipynb"
    notebook = make_notebook(tmp_path, "mine")
    assert resolve_runbook(str(notebook)) == Path(str(notebook))
    assert resolve_runbook("mine", tmp_path) == notebook and available_runbooks(tmp_path) == {"mine": notebook}


@pytest.mark.parametrize("name", ["nope", "notebooks/nope.ipynb", "README.md"])
def test_an_unknown_runbook_is_a_config_error_listing_the_available_ones(name):
    with pytest.raises(ConfigError) as err:
        resolve_runbook(name)
    assert str(err.value) == (
        f"no runbook named {name!r}; available: ceph_capacity, cpu_topology, resize_ssh, vif_plugging "
        "(see 'runbook list')"
    )


def test_an_empty_directory_says_none_are_available(tmp_path):
    with pytest.raises(ConfigError, match=r"no runbook named 'x'; available: none"):
        resolve_runbook("x", tmp_path)


@pytest.mark.parametrize(
    ("codes", "overall"),
    [
        ([], EXIT_OK),
        ([EXIT_OK, EXIT_OK], EXIT_OK),
        ([EXIT_OK, EXIT_FINDINGS], EXIT_FINDINGS),
        ([EXIT_FINDINGS, EXIT_ERROR], EXIT_ERROR),
        ([EXIT_ERROR, EXIT_TIMEOUT, EXIT_FINDINGS], EXIT_TIMEOUT),
        ([EXIT_TIMEOUT, EXIT_CONFIG, EXIT_OK], EXIT_CONFIG),
    ],
)
def test_the_worst_outcome_is_the_runs_exit_code(codes, overall):
    results = [RunResult(f"r{i}", "", code, 0.0, "") for i, code in enumerate(codes)]
    assert overall_exit_code(results) == overall
    assert (EXIT_OK, EXIT_FINDINGS, EXIT_CONFIG, EXIT_ERROR, EXIT_TIMEOUT) == (0, 1, 2, 3, 4)


def test_bad_parameters_or_fail_on_are_refused_before_any_kernel_starts(tmp_path):
    notebook = make_notebook(tmp_path, "capacity", PUBLISH)
    with pytest.raises(ParameterError, match=r"--fail-on 'fatal' must be one of: info, warn, crit, error"):
        run_notebook(notebook, tmp_path / "out", {}, fail_on="fatal")
    with pytest.raises(ParameterError, match=r"capacity has no parameter 'dealy'; its parameters are: delay"):
        run_notebook(notebook, tmp_path / "out", {"dealy": "3"})
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_published_findings_give_the_verdict_the_exit_code_and_the_report(published):
    assert (published.runbook, published.verdict, published.exit_code) == ("capacity", "CRIT", EXIT_FINDINGS)
    assert published.counts == {"info": 0, "warn": 1, "crit": 1, "error": 0}
    assert [(f["kind"], f["severity"]) for f in published.findings] == [("osd-full", "crit"), ("osd-nearfull", "warn")]
    assert published.findings[0]["message"] == "osd.0 is 71.6% full (waited 3 s)"  # the parameter reached the kernel
    assert published.parameters == {"delay": 3}  # typed from the CLI's string
    assert published.plan == [{"step": 1, "commands": ["ceph osd reweight 0 0.80000305"]}]
    assert published.error == "" and published.duration_s > 0
    html = Path(published.html).read_text()
    assert Path(published.html).name == "capacity.html" and "capacity: CRIT (2 findings)" in html
    assert "publish_findings(" not in html and "Finding(" not in html  # no code in the report


@pytest.mark.slow
def test_fail_on_decides_whether_the_same_findings_fail_the_run(published):
    def reread(fail_on):
        return read_result(RunResult("capacity", "", EXIT_OK, 0.0, published.notebook), fail_on)

    assert [reread(level).exit_code for level in ("info", "warn", "crit", "error")] == [1, 1, 1, 0]
    assert {reread(level).verdict for level in ("warn", "error")} == {"CRIT"}  # the verdict never changes


@pytest.mark.slow
def test_notebooks_executed_elsewhere_are_read_back_the_same(published):
    [again] = results_from_dir(Path(published.notebook).parent)
    assert (again.runbook, again.verdict, again.exit_code) == ("capacity", "CRIT", EXIT_FINDINGS)
    assert again.findings == published.findings and again.parameters == {"delay": 3}
    executed = nbformat.read(published.notebook, as_version=4)
    assert again.duration_s == round(float(executed.metadata["papermill"]["duration"]), 2)


@pytest.mark.slow
def test_a_library_error_in_the_notebook_is_a_config_exit_with_its_one_line(tmp_path):
    raising = "from runbook_lib.errors import SnapshotError\nraise SnapshotError(\"snapshot '/gone' not found\")"
    notebook = make_notebook(tmp_path, "broken", raising, PUBLISH)
    result = run_notebook(notebook, tmp_path / "out", {})
    assert (result.verdict, result.exit_code) == ("ERROR", EXIT_CONFIG)
    assert result.error == "SnapshotError: snapshot '/gone' not found"
    assert result.findings == [] and Path(result.html).exists()


@pytest.mark.slow
def test_execution_error_exits_3_and_keeps_papermills_banner(tmp_path):
    nb = make_notebook(tmp_path, "broken", "1 / 0", PUBLISH)
    proc = run_cli("run", str(nb), "--out", str(tmp_path / "out"))
    assert proc.returncode == 3, proc.stderr
    assert "ZeroDivisionError" in proc.stdout
    html = (tmp_path / "out" / "broken.html").read_text()
    assert "An Exception was encountered at" in html
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["runbooks"][0]["verdict"] == "ERROR"


@pytest.mark.slow
def test_timeout_exits_4_with_a_banner(tmp_path):
    nb = make_notebook(tmp_path, "sleepy", "import time\ntime.sleep(delay)", PUBLISH)
    proc = run_cli("run", str(nb), "--out", str(tmp_path / "out"), "--timeout", "2", "-p", "delay", "30")
    assert proc.returncode == 4, proc.stderr
    assert "TIMEOUT" in proc.stdout and "cell 2 ran longer than 2 s and was interrupted" in proc.stdout
    assert "<b>TIMEOUT</b>: cell 2 ran longer than 2 s" in (tmp_path / "out" / "sleepy.html").read_text()


@pytest.mark.slow
def test_a_notebook_that_publishes_nothing_is_an_error(tmp_path):
    nb = make_notebook(tmp_path, "silent", "x = 1")
    proc = run_cli("run", str(nb), "--out", str(tmp_path / "out"))
    assert proc.returncode == 3 and "published no findings" in proc.stdout


def test_secrets_in_parameters_reach_no_file_and_no_line_of_the_run(tmp_path):
    """A cephx key and a password carried by ceph_command: refused before a kernel (its message quotes the
    value) and executed (the notebook shows the command it ran): neither reaches any file or the runner's lines."""
    key, password = "AQBzdGFjay1ydW5ib29rcy10ZXN0LWtleSEhIQ==", "hunter2hunter"
    conf = tmp_path / "ceph.conf"
    conf.write_text("[global]\nmon host = 127.0.0.1:1\n")  # nothing answers: the read fails fast
    runs = {
        "refused": ("-p", "ceph_command", f"ceph --key {key} --password {password}"),
        "executed": ("-p", "ceph_command", f"env CEPH_ARGS=--key={key} OS_PASSWORD={password} ceph"),
    }
    for name, extra in runs.items():
        out = tmp_path / name
        proc = run_cli(
            "run",
            "ceph_capacity",
            "--out",
            str(out),
            "-p",
            "ceph_live",
            "true",
            "-p",
            "ceph_timeout",
            "5",
            "-p",
            "ceph_conf",
            str(conf),
            *extra,
        )
        assert proc.returncode in (2, 3), proc.stdout + proc.stderr
        written = [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
        assert len(written) >= 2 and (name == "refused" or any(p.suffix == ".ipynb" for p in out.rglob("*")))
        for text in [proc.stdout, proc.stderr, *written]:
            assert key not in text and password not in text
        summary = json.loads((out / "summary.json").read_text())
        assert "***" in summary["runbooks"][0]["parameters"].get("ceph_command", "") or name == "refused"


def test_canaries_in_every_runbooks_parameters_reach_no_report_history_index_or_prometheus_file(tmp_path):
    """Every runbook at once, with history and a Prometheus file: a password behind sshpass in sudo, a cephx
    key in CEPH_ARGS, a user:password@host jump host (quoted back by the error that refuses it), and a
    clouds.yaml-style password in the environment; none of them in any file written or any line printed."""
    canaries = {
        "sudo": ("sshpass -p canary-sudo-pw1 sudo -n", "canary-sudo-pw1"),
        "ceph_command": ("env CEPH_ARGS=--key=AQBjYW5hcnktY2VwaHgta2V5LW9mLTI4LWJ5dA== ceph", "AQBjYW5hcnk"),
        "ssh_jump": ("ops:canary-jump-pw2@bastion", "canary-jump-pw2"),
    }
    args = [arg for name, (value, _) in canaries.items() for arg in ("-p", name, value)]
    reports, prometheus = tmp_path / "reports", tmp_path / "textfiles"
    prometheus.mkdir()
    proc = run_cli(
        "run",
        "all",
        "--reports-dir",
        str(reports),
        "--prometheus",
        str(prometheus),
        *args,
        env={"OS_PASSWORD": "canary-env-pw3"},
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr  # the jump host is refused: a parameter error
    assert "'ops:***@bastion' is not a host name or address" in proc.stdout
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".ipynb", ".html", ".json", ".prom"}
    for text in [proc.stdout, proc.stderr, *(p.read_text(errors="replace") for p in files)]:
        for needle in [*(c for _, c in canaries.values()), "canary-env-pw3"]:
            assert needle not in text


def test_a_cut_table_is_written_whole_beside_the_report_and_linked_with_its_secrets_masked(tmp_path):
    rows = MAX_ROWS + 100
    notebook = make_notebook(
        tmp_path,
        "fleet",
        "import pandas as pd\nfrom runbook_lib.show import show_table\n"
        f"show_table(pd.DataFrame({{'n': range({rows}), 'ran': [ceph_command] * {rows}}}), 'Every command, run')\n"
        "show_table(pd.DataFrame({'n': range(3)}), 'Short')",
        PUBLISH,
        parameters='ceph_command: str = "ceph"  # how to run ceph',
    )
    result = run_notebook(notebook, tmp_path / "out", {"ceph_command": "ceph --key=canary-in-a-table"})
    assert result.verdict == "OK" and result.tables == ["fleet.every-command-run.csv"]  # the short one is whole
    whole = (tmp_path / "out" / "fleet.every-command-run.csv").read_text()
    assert "canary-in-a-table" not in whole and whole.count("ceph --key=***") == rows
    assert len(whole.splitlines()) == rows + 1 and whole.splitlines()[0] == "n,ran"
    page = Path(result.html).read_text()
    link = '<a href="fleet.every-command-run.csv">fleet.every-command-run.csv</a>'
    assert f"first {MAX_ROWS} of {rows} rows shown, in the order above; every row: {link}" in page
    assert "RUNBOOK_TABLES_DIR" not in os.environ  # this process is left as it was
