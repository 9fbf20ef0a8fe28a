"""Paths mean what the caller meant: relative paths on the command line and in parameters are resolved against
the caller's working directory before a kernel starts (the notebooks run in notebooks/), and an empty source
(an unset shell variable) is refused, never read as the demo."""

import json
import shutil

import pytest
from conftest import FIXTURES, REPO, run_cli

from runbook_lib.errors import ConfigError
from runbook_lib.headless.paths import check_out_dir


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


def test_an_out_dir_that_can_be_made_is_taken_as_given_and_nothing_is_created(tmp_path):
    assert check_out_dir(str(tmp_path / "a" / "b"), "--out") == tmp_path / "a" / "b"
    assert check_out_dir(str(tmp_path), "--out") == tmp_path
    assert sorted(tmp_path.iterdir()) == []


def test_an_out_dir_that_cannot_be_one_is_refused_naming_the_option_and_the_obstacle(tmp_path):
    (tmp_path / "f").write_text("")
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    cases = {
        str(tmp_path / "f"): f"--out {tmp_path / 'f'} is a file, not a directory; give a directory "
        "(created when missing)",
        str(tmp_path / "f" / "x" / "y"): f"--out {tmp_path / 'f/x/y'} cannot be created: {tmp_path / 'f'} is a file, "
        "not a directory",
        str(tmp_path / "gone" / "x"): f"--out {tmp_path / 'gone/x'} cannot be created: {tmp_path / 'gone'} is a "
        "symbolic link to nothing",
        " ": "--out is empty (an unset shell variable?): give a directory",
    }
    for given, said in cases.items():
        with pytest.raises(ConfigError) as err:
            check_out_dir(given, "--out")
        assert str(err.value) == said
