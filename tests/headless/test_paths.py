"""Paths mean what the caller meant: relative paths on the command line and in parameters are resolved against
the caller's working directory before a kernel starts (the notebooks run in notebooks/), and an empty source
(an unset shell variable) is refused, never read as the demo."""

import json
import shutil

from conftest import FIXTURES, REPO, run_cli


def test_a_relative_snapshot_and_log_dir_are_the_caller_s(tmp_path):
    shutil.copytree(REPO / "runbook_lib" / "demo", tmp_path / "snap")
    (tmp_path / "logs").mkdir()
    shutil.copy(
        FIXTURES / "nova-minicloud-failures" / "vif-vif-down-1-nova-compute.log",
        tmp_path / "logs" / "nova-compute-vif-down-1.log",
    )
    proc = run_cli("run", "vif_plugging", "--snapshot", "snap", "--out", "out", "-p", "log_dir", "logs", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # findings: it read the snapshot and the logs
    cells = json.loads((tmp_path / "out" / "vif_plugging.ipynb").read_text())["cells"]
    injected = next("".join(c["source"]) for c in cells if "injected-parameters" in c["metadata"].get("tags", []))
    assert f'snapshot = "{tmp_path / "snap"}"' in injected and f'log_dir = "{tmp_path / "logs"}"' in injected


def test_an_empty_cloud_or_snapshot_is_refused(tmp_path):
    for option in ("--cloud", "--snapshot"):
        proc = run_cli("run", "cpu_topology", option, "", "--out", str(tmp_path / option))
        assert proc.returncode == 2
        assert (
            proc.stderr.strip()
            == f"runbook: {option} is empty (an unset shell variable?): give a name, or leave {option} out"
        )
        assert not (tmp_path / option).exists()


def test_a_path_parameter_that_is_not_there_is_one_line_before_a_kernel(tmp_path):
    proc = run_cli(
        "run", "resize_ssh", "--out", str(tmp_path / "r"), "-p", "ssh_config", "no-such-config", cwd=tmp_path
    )
    assert proc.returncode == 2 and not (tmp_path / "r").exists()
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(
        f"runbook: parameter ssh_config='no-such-config': {tmp_path / 'no-such-config'} is not a file"
    )
    proc = run_cli("run", "vif_plugging", "--out", str(tmp_path / "v"), "-p", "log_dir", "nowhere", cwd=tmp_path)
    assert proc.returncode == 2 and "is not a directory" in proc.stderr
