"""The runner CLI: reports, verdicts and every exit code, through real papermill runs."""

import argparse
import html as html_lib
import json
import re

import pytest
from conftest import REPO, make_notebook, run_cli

from runbook_lib.headless import cli
from runbook_lib.headless.params import declared_parameters

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    proc = run_cli("run", "all", "--out", str(out))
    return proc, out


def test_run_all_on_the_demo_writes_reports_and_exits_1_for_crit(demo_run):
    proc, out = demo_run
    assert proc.returncode == 1, proc.stderr
    assert re.search(r"\[\d/4\] cpu_topology\s+CRIT\s+6 crit, 7 warn, 1 info", proc.stdout)
    assert re.search(r"\[\d/4\] resize_ssh\s+CRIT\s+5 crit, 2 warn", proc.stdout)
    assert re.search(r"\[\d/4\] vif_plugging\s+CRIT\s+5 crit, 1 warn", proc.stdout)
    assert re.search(r"\[\d/4\] ceph_capacity\s+WARN\s+4 warn, 1 info", proc.stdout)
    summary = json.loads((out / "summary.json").read_text())
    assert [r["runbook"] for r in summary["runbooks"]] == [
        "ceph_capacity",
        "cpu_topology",
        "resize_ssh",
        "vif_plugging",
    ]
    run = summary["runbooks"][1]
    assert (run["runbook"], run["verdict"], run["exit_code"]) == ("cpu_topology", "CRIT", 1)
    assert run["counts"] == {"info": 1, "warn": 7, "crit": 6, "error": 0}
    assert {f["kind"] for f in run["findings"]} >= {"server-loses-vcpus", "misspelled-property"}
    index = (out / "index.html").read_text()
    assert "cpu_topology" in index and ">CRIT<" in index and 'href="cpu_topology.html"' in index


def test_html_report_hides_all_code(demo_run):
    _, out = demo_run
    html = (out / "cpu_topology.html").read_text()
    assert "Guest CPU topology: " in html and "<img" in html  # the verdict and the plot
    for code in ("import runbook_lib", "rb.open_snapshot", "socket_limits: dict", "injected-parameters"):
        assert code not in html


def test_the_ceph_report_says_its_reweight_prediction_is_crushs_own_mapping_and_gives_pasteable_weights(demo_run):
    """The demo carries the lab's CRUSH map: the plan is predicted from the PGs CRUSH moves, and a weight is
    written in full (a rounded 0.95001221 would be truncated by the monitor to another 1/65536 step)."""
    _, out = demo_run
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", (out / "ceph_capacity.html").read_text()))
    assert "prediction: CRUSH mapping: each step's PGs are the ones CRUSH moves" in text
    assert "every one of the 105 PGs its reported up set" in text
    assert " ceph osd reweight 0 0.95001220703125 " in text and "0.95001221" not in text
    records = json.loads((out / "summary.json").read_text())
    plan = next(r for r in records["runbooks"] if r["runbook"] == "ceph_capacity")["plan"]
    reweight = [step for step in plan if step["action"] == "reweight"]
    assert reweight[0]["argv"] == ["ceph", "osd", "reweight", "0", "0.95001220703125"]
    assert reweight[0]["effect"] == "step 1: fullest OSD 57.5% → 56.7%, moves 4 MiB (1 PG copy, CRUSH mapping)"


def test_fail_on_error_exits_0(tmp_path):
    proc = run_cli("run", "cpu_topology", "--out", str(tmp_path), "--fail-on", "error")
    assert proc.returncode == 0, proc.stderr
    # Kernels talk over private unix sockets: no TCP port, no ipykernel warning in a cron mail.
    assert "without encryption" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-p", "bogus", "1"],
            # The whole list, in order: a new parameter must not go missing from the message.
            "cpu_topology has no parameter 'bogus'; its parameters are: "
            + ", ".join(sorted(declared_parameters(REPO / "notebooks" / "cpu_topology.ipynb"))),
        ),
        (["-p", "apply", "maybe"], "parameter apply must be true or false, got 'maybe'"),
        (["-p", "fix_via", "glance"], "parameter fix_via='glance' must be one of: image, flavor"),
        (["-p", "socket_limits", "[1, 2"], "parameter socket_limits must be a dict in YAML/JSON"),
        (["-p", "cloud", "prod"], "set cloud with --cloud, not -p cloud"),
        (["--fail-on", "bad"], "--fail-on 'bad' must be one of: info, warn, crit, error"),
        (["--snapshot", "/nonexistent/snap"], "snapshot '/nonexistent/snap' not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    proc = run_cli("run", "cpu_topology", "--out", str(tmp_path / "r"), *args)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()  # no kernel was started, no report written


def test_unknown_runbook_lists_the_available_ones():
    proc = run_cli("run", "nope")
    assert (
        proc.returncode == 2
        and "no runbook named 'nope'; available: ceph_capacity, cpu_topology, resize_ssh, vif_plugging" in proc.stderr
    )


def test_malformed_snapshot_names_the_file(tmp_path):
    snap = tmp_path / "snap"
    (snap / "openstack").mkdir(parents=True)
    (snap / "manifest.json").write_text('{"schema_version": 1, "parts": {"openstack/servers": {}}}')
    (snap / "openstack" / "servers.json").write_text('[{"id": ')
    proc = run_cli("run", "cpu_topology", "--snapshot", str(snap))
    assert proc.returncode == 2 and f"snapshot file {snap}/openstack/servers.json is not valid JSON" in proc.stderr


def test_library_error_inside_the_notebook_is_one_readable_line(tmp_path):
    # (apply=true on a snapshot is now refused before a kernel starts: test_params_needs.py) A RunbookError
    # raised inside a kernel by the library itself: connect_for_apply on a snapshot.
    nb = make_notebook(
        tmp_path, "applies", "from runbook_lib.sources.origin import connect_for_apply\nconnect_for_apply('', True)"
    )
    proc = run_cli("run", str(nb), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "ParameterError: apply=True changes a live cloud: pass cloud" in proc.stdout
    nb = json.loads((tmp_path / "out" / "applies.ipynb").read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert [e["traceback"] for e in errors] == [
        ["ParameterError: apply=True changes a live cloud: pass cloud (a clouds.yaml entry), not a snapshot"]
    ]


def test_list_shows_typed_commented_parameters():
    proc = run_cli("list")
    assert proc.returncode == 0
    assert "cpu_topology" in proc.stdout
    assert "fix_via: str = 'image'  # where the plan puts the fix [one of: image, flavor]" in proc.stdout


def test_papermill_help_notebook_shows_types_and_help():
    import subprocess
    import sys
    from pathlib import Path

    papermill = Path(sys.executable).with_name("papermill")
    proc = subprocess.run(
        [str(papermill), "--help-notebook", "notebooks/cpu_topology.ipynb"], capture_output=True, text=True
    )
    assert "apply: bool (default False)" in proc.stdout
    assert "make the planned image/flavor changes" in proc.stdout
    assert "Unknown type" not in proc.stdout


def _clouds(tmp_path, text):
    path = tmp_path / "clouds.yaml"
    path.write_text(text)
    return {"OS_CLIENT_CONFIG_FILE": str(path)}


ENTRY = (
    "{auth: {auth_url: 'AUTH', username: u, password: p, project_name: x, user_domain_name: Default, "
    "project_domain_name: Default}, region_name: RegionOne}"
)


def test_unknown_cloud_exits_2_and_lists_the_known_ones(tmp_path):
    env = _clouds(tmp_path, f"clouds: {{alpha: {ENTRY}, beta: {ENTRY}}}")
    proc = run_cli("run", "cpu_topology", "--cloud", "prod", "--out", str(tmp_path / "r"), env=env)
    assert proc.returncode == 2 and not (tmp_path / "r").exists()
    assert "cloud 'prod' not found in clouds.yaml" in proc.stderr and "known clouds: alpha, beta" in proc.stderr


def test_unreachable_cloud_exits_2_before_any_kernel(tmp_path):
    env = _clouds(tmp_path, "clouds: {down: " + ENTRY.replace("AUTH", "http://127.0.0.1:9/v3") + "}")
    proc = run_cli("run", "cpu_topology", "--cloud", "down", "--out", str(tmp_path / "r"), env=env)
    assert proc.returncode == 2 and "cannot reach the endpoint of cloud 'down'" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "r").exists()


def test_malformed_clouds_yaml_exits_2(tmp_path):
    env = _clouds(tmp_path, "clouds: [this, is, not, a, mapping")
    proc = run_cli("run", "cpu_topology", "--cloud", "any", env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "clouds.yaml" in proc.stderr


def test_a_reader_that_leaves_early_is_not_an_error():
    """``runbook list | head -1``: no BrokenPipeError traceback, exit 0."""
    import subprocess
    import sys

    lister = subprocess.Popen(
        [sys.executable, "-m", "runbook_lib", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    head = subprocess.run(["head", "-1"], stdin=lister.stdout, capture_output=True, text=True, check=True)
    lister.stdout.close()
    stderr = lister.stderr.read().decode()
    assert lister.wait(timeout=60) == 0 and head.stdout.strip() == "ceph_capacity" and "Traceback" not in stderr


def test_every_option_of_every_command_says_what_it_does():
    """--help of run, report and collect: no option without a help text."""
    import argparse

    from runbook_lib.headless.cli import _parser

    subcommands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("run", "report", "collect"):
        for action in subcommands.choices[name]._actions:
            assert action.help, f"runbook {name} {'/'.join(action.option_strings) or action.dest} has no help"


def _subcommands():
    parser = cli._parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


@pytest.mark.parametrize("command", ["run", "report", "collect"])
def test_every_option_of_every_command_is_described_and_names_only_options_it_has(command):
    """--help is the operator's manual: no option without a line, and no line pointing at an option the
    command does not take (report has no --reports-dir)."""
    sub = _subcommands()[command]
    options = {o for a in sub._actions for o in a.option_strings}
    for action in sub._actions:
        assert action.help, f"{command} {action.option_strings or action.dest} has no help"
        for named in re.findall(r"(?<![\w-])--[a-z][a-z-]+", action.help):
            assert named in options, f"{command} {action.option_strings}: its help names {named}"
    assert sub.description or command != "collect"
