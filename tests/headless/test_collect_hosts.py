"""collect's host parameters: the runbooks' own, checked as 'run' checks them, before anything is read."""

import pytest

from runbook_lib.errors import ParameterError
from runbook_lib.headless.cli import main
from runbook_lib.headless.collect_hosts import host_parameters


def test_host_parameters_are_typed_and_paths_resolved_against_the_callers_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "computes.conf").write_text("Host *\n")
    typed = host_parameters([["trust_hosts", "all"], ["ssh_config", "computes.conf"], ["ssh_port", "2222"]])
    assert typed == {"trust_hosts": "all", "ssh_config": str(tmp_path / "computes.conf"), "ssh_port": 2222}


@pytest.mark.parametrize(
    ("pairs", "words"),
    [
        ([["apply", "true"]], "collect reads, it does not analyse or change: -p apply belongs to 'runbook run'"),
        ([["socket_limits", "{}"]], "-p socket_limits belongs to 'runbook run'"),
        ([["ssh_port", "abc"]], "parameter ssh_port must be int, got 'abc'"),
        ([["ssh_config", "/nonexistent/computes.conf"]], "/nonexistent/computes.conf is not a file"),
    ],
)
def test_a_bad_host_parameter_is_refused_before_anything_is_read(pairs, words):
    with pytest.raises(ParameterError) as err:
        host_parameters(pairs)
    assert words in str(err.value)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--snapshot", "demo"], "--snapshot is the base for what -p asks to read from the hosts: give -p too"),
        (["--snapshot", "", "-p", "trust_hosts", "all"], "--snapshot needs a snapshot"),
        (["--snapshot", "demo", "--cloud", "x", "-p", "host_facts", "c1"], "--snapshot needs a snapshot"),
        (["--snapshot", "demo", "-p", "nova_user", "nova;reboot"], "nova;reboot"),  # checked with the probe
        (["--snapshot", "demo", "-p", "guest_hosts", "cmp1 && reboot"], "cmp1 && reboot"),
        (["--sosreport", "x.tar.xz", "-p", "host_facts", "c1"], "collect reads sosreports, or a live cloud"),
    ],
)
def test_collect_refuses_a_wrong_combination_in_one_line(tmp_path, capsys, args, words):
    assert main(["collect", *args, "--out", str(tmp_path / "snap")]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in err, err
    assert not (tmp_path / "snap").exists()
