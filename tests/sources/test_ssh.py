"""How the operator reaches hosts: the exact OpenSSH argv (host keys checked unless the operator says
otherwise), remote words quoted so a hostile value stays one argument, names checked before ssh sees them,
and results from real processes: the local host run here, an unreachable one through the real ssh client."""

import shlex
import subprocess
import time
from pathlib import Path

import pytest

from runbook_lib.errors import ParameterError
from runbook_lib.sources.ssh import (
    HostAccess,
    HostResult,
    check_host_name,
    check_user_name,
    host_access,
    run_on_host,
    run_on_hosts,
)

HOSTILE = "x; touch /tmp/pwned"
CLOSED_PORT = 9  # discard: nothing listens on it here, so ssh gets "Connection refused" at once


def test_the_default_argv_is_batch_mode_with_a_connect_timeout_and_checked_host_keys():
    assert HostAccess().ssh_argv("cmp1", ["cat", "/etc/nova/nova.conf"]) == [
        "ssh",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=10",
        "--",
        "cmp1",
        "cat /etc/nova/nova.conf",
    ]


def test_every_option_in_its_order_and_host_key_checking_off_only_when_asked(tmp_path):
    access = HostAccess(
        user="ops",
        port=2222,
        ssh_config=str(tmp_path / "ssh_config"),
        identity_file=str(tmp_path / "id_ed25519"),
        jump_host="bastion.example.org",
        connect_timeout=3,
        check_host_keys=False,
    )
    assert access.ssh_argv("10.0.0.12", ["true"]) == [
        "ssh",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=3",
        "-F",
        str(tmp_path / "ssh_config"),
        "-l",
        "ops",
        "-p",
        "2222",
        "-i",
        str(tmp_path / "id_ed25519"),
        "-J",
        "bastion.example.org",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "--",
        "10.0.0.12",
        "true",
    ]
    assert "StrictHostKeyChecking=no" not in HostAccess(user="ops", port=2222).ssh_argv("10.0.0.12", ["true"])


def test_paths_in_the_argv_have_the_home_directory_expanded():
    argv = HostAccess(ssh_config="~/.ssh/config", identity_file="~/.ssh/id_nova").ssh_argv("cmp1", ["true"])
    assert argv[argv.index("-F") + 1] == str(Path.home() / ".ssh" / "config")
    assert argv[argv.index("-i") + 1] == str(Path.home() / ".ssh" / "id_nova")


def test_a_hostile_value_reaches_the_remote_shell_as_one_quoted_argument(tmp_path):
    target = tmp_path / "pwned"
    value = HOSTILE.replace("/tmp/pwned", str(target))
    remote = HostAccess().ssh_argv("cmp1", ["echo", value])[-1]
    assert remote == f"echo '{value}'" and shlex.split(remote) == ["echo", value]
    # what the remote login shell does with that one string: it prints the value, it runs nothing
    done = subprocess.run(["sh", "-c", remote], capture_output=True, text=True, check=True)
    assert done.stdout == value + "\n" and not target.exists()


def test_the_local_host_runs_the_argv_as_is_without_ssh():
    access = HostAccess(local_host="cmp1")
    assert access.ssh_argv("cmp1", ["sh", "-c", "echo hi"]) == ["sh", "-c", "echo hi"]
    assert access.ssh_argv("cmp2", ["sh", "-c", "echo hi"])[0] == "ssh"


def test_become_runs_as_the_user_through_sudo_or_runuser_never_a_login_shell():
    assert HostAccess().become("nova") == ["sudo", "-n", "-u", "nova", "--"]
    assert HostAccess(sudo="sudo -n -H").become("nova") == ["sudo", "-n", "-H", "-u", "nova", "--"]
    assert HostAccess(sudo="").become("nova") == ["runuser", "-u", "nova", "--"]
    assert HostAccess().as_root() == ["sudo", "-n", "--"] and HostAccess(sudo="").as_root() == []
    with pytest.raises(ParameterError, match=r"'nova; id' is not a user name"):
        HostAccess().become("nova; id")


@pytest.mark.parametrize(
    "host", ["-oProxyCommand=touch /tmp/pwned", "-oProxyCommand=x", "cmp1 cmp2", "", "cmp1;id", "$(id)", None, 12]
)
def test_a_host_name_that_ssh_would_read_as_an_option_or_words_is_refused(host):
    with pytest.raises(ParameterError) as err:
        check_host_name(host)
    assert str(err.value) == f"{host!r} is not a host name or address"
    with pytest.raises(ParameterError):
        HostAccess().ssh_argv(host, ["true"])


@pytest.mark.parametrize("host", ["cmp1", "cmp1.example.org", "10.0.0.12", "fe80::1%eth0", "compute_01"])
def test_host_names_and_addresses_are_accepted_as_given(host):
    assert check_host_name(host) == host


@pytest.mark.parametrize("user", ["-oProxyCommand=x", "nova ops", "", "Nova", "nova;id", "1nova"])
def test_a_user_name_that_is_not_one_is_refused_even_in_the_argv(user):
    with pytest.raises(ParameterError) as err:
        check_user_name(user)
    assert str(err.value) == f"{user!r} is not a user name"
    if user:  # an empty user means "ssh's own default"
        with pytest.raises(ParameterError):
            HostAccess(user=user).ssh_argv("cmp1", ["true"])


def test_user_names_as_linux_allows_them():
    assert [check_user_name(u) for u in ("nova", "stackrb-lab-nova", "svc_nova", "machine$")] == [
        "nova",
        "stackrb-lab-nova",
        "svc_nova",
        "machine$",
    ]


def test_a_jump_host_is_checked_like_any_host():
    with pytest.raises(ParameterError, match="is not a host name"):
        HostAccess(jump_host="-oProxyCommand=x").ssh_argv("cmp1", ["true"])


def test_the_local_host_runs_for_real_with_exit_code_stdout_and_stderr():
    result = run_on_host(HostAccess(local_host="here"), "here", ["sh", "-c", "echo hi; echo err >&2; exit 3"])
    assert result == HostResult("here", 3, "hi\n", "err\n") and not result.ok


def test_data_goes_to_the_command_on_stdin():
    result = run_on_host(HostAccess(local_host="here"), "here", ["sh", "-c", "read line; echo got $line"], "x y")
    assert (result.exit_code, result.stdout, result.ok) == (0, "got x y\n", True)


def test_a_command_past_its_timeout_has_no_exit_code_and_says_how_long_it_waited():
    started = time.monotonic()
    result = run_on_host(HostAccess(local_host="here"), "here", ["sleep", "30"], timeout=0.5)
    assert time.monotonic() - started < 10
    assert result == HostResult("here", None, "", "no answer within 0.5 s") and not result.ok


def test_a_program_that_does_not_exist_is_a_result_not_an_exception():
    result = run_on_host(HostAccess(local_host="here"), "here", ["/nonexistent/nova-probe"])
    assert result == HostResult("here", None, "", "cannot run '/nonexistent/nova-probe': No such file or directory")


def test_an_unreachable_host_is_sshs_exit_255_and_its_message():
    result = run_on_host(HostAccess(port=CLOSED_PORT, connect_timeout=3), "127.0.0.1", ["true"])
    assert result.exit_code == 255 and not result.ok and result.stdout == ""
    assert f"connect to host 127.0.0.1 port {CLOSED_PORT}: Connection refused" in result.stderr


def test_many_hosts_each_give_one_result_and_progress_counts_every_one():
    access = HostAccess(local_host="here", port=CLOSED_PORT, connect_timeout=3)
    jobs = {
        "here": (["sh", "-c", "cat; exit 4"], "from stdin"),
        "127.0.0.1": (["true"], ""),
        "localhost": (["true"], ""),
    }
    seen = []
    results = run_on_hosts(access, jobs, parallel=2, progress=lambda r, done, total: seen.append((r.host, done, total)))
    assert set(results) == set(jobs) and results["here"] == HostResult("here", 4, "from stdin", "")
    assert results["127.0.0.1"].exit_code == 255 and results["localhost"].exit_code == 255
    assert sorted(done for _, done, _ in seen) == [1, 2, 3] and {total for _, _, total in seen} == {3}
    assert {host for host, _, _ in seen} == set(jobs)
    assert run_on_hosts(access, {}, progress=lambda *a: seen.append(a)) == {} and len(seen) == 3


def test_a_parallel_limit_below_one_still_runs_every_job():
    results = run_on_hosts(HostAccess(local_host="here"), {"here": (["echo", "ran"], "")}, parallel=0)
    assert results == {"here": HostResult("here", 0, "ran\n", "")}


def test_host_access_from_parameters_checks_names_and_files_first(tmp_path):
    config = tmp_path / "ssh_config"
    config.write_text("Host *\n  User ops\n")
    access = host_access(ssh_user="ops", ssh_port=2222, ssh_config=str(config), sudo="", ssh_timeout=4)
    assert access == HostAccess("ops", 2222, str(config), "", "", "", 4, True, "")
    with pytest.raises(ParameterError) as err:
        host_access(ssh_config=str(tmp_path / "missing"))
    assert str(err.value) == f"ssh_config {str(tmp_path / 'missing')!r} is not a file"
    with pytest.raises(ParameterError, match=r"ssh_identity '.*' is not a file"):
        host_access(ssh_identity=str(tmp_path))  # a directory is not a key file
    with pytest.raises(ParameterError, match="is not a user name"):
        host_access(ssh_user="-oProxyCommand=x")
    with pytest.raises(ParameterError, match="is not a host name"):
        host_access(local_host="here; rm -rf /")
    with pytest.raises(ParameterError, match="is not a host name"):
        host_access(ssh_jump="-J x")


@pytest.mark.parametrize("address", ["::1", "::ffff:10.0.0.1", "fe80::1", "10.0.0.12", "cmp1.example.org"])
def test_addresses_of_every_form_are_host_names_ssh_accepts(address):
    assert check_host_name(address) == address
