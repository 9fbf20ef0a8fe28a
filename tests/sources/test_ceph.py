"""The Ceph edge: argv for every way an operator reaches the CLI, the JSON quirks of some releases, and every
failure as one error class with the command and the next action, from the real ceph/rbd CLIs (ceph-common 16)
where they can produce it here, else from a stand-in ``ceph`` executable (exit codes, a hang)."""

import json
import shutil
import stat

import pytest

from runbook_lib.errors import ConfigError, ParameterError, PermissionDenied, SourceError, SourceUnreachable
from runbook_lib.sources.ceph import (
    CephAccess,
    check_ceph_name,
    check_pool_name,
    command_error,
    largest_pg_bytes,
    parse_ceph_json,
    pg_states,
    run_ceph,
    run_json,
    set_reweight,
    settled_osd_df,
    ssh_destination,
    unsettled,
)

COMMON = ["--conf", "/etc/ceph/my cluster.conf", "--cluster", "prod", "--id", "openstack"]


def access(command: str) -> CephAccess:
    return CephAccess(command, conf="/etc/ceph/my cluster.conf", cluster="prod", client_id="openstack", timeout=7)


def stand_in(tmp_path, script: str) -> CephAccess:
    """An executable named ``ceph`` that records its argv and then runs ``script`` (sh)."""
    path = tmp_path / "bin" / "ceph"
    path.parent.mkdir()
    path.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path}/argv\n{script}\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return CephAccess(str(path), timeout=0)


def missing_conf(tmp_path) -> CephAccess:
    assert shutil.which("ceph") and shutil.which("rbd"), "ceph-common is installed by 'make test'"
    return CephAccess(conf=str(tmp_path / "missing.conf"), timeout=3)


def test_bare_inf_and_nan_are_read_as_null_and_garbage_is_one_clear_error():
    # Reef < 18.2.5 wrote `inf` into osd dump; Jewel wrote -nan into osd df: numbers nobody can use, so unknown
    value = parse_ceph_json('{"a": inf, "b": [-nan, 1], "c": "inf, -nan"}', "osd dump")
    assert value == {"a": None, "b": [None, 1], "c": "inf, -nan"}
    with pytest.raises(SourceError, match=r"'osd dump' did not return JSON .*'Error initializing cluster client"):
        parse_ceph_json("Error initializing cluster client: ObjectNotFound", "osd dump")


def test_argv_keeps_values_as_arguments_and_quotes_them_through_ssh():
    local = CephAccess("sudo ceph", conf="/etc/ceph/my cluster.conf", client_id="openstack")
    argv = local.argv("rbd", ["du", "--pool", "volumes"])
    assert argv[:2] == ["sudo", "rbd"] and "/etc/ceph/my cluster.conf" in argv and argv[-2:] == ["--format", "json"]
    remote = CephAccess("ssh admin@mon1 sudo ceph", conf="/etc/ceph/my cluster.conf").argv("ceph", ["osd", "dump"])
    assert remote[:3] == ["ssh", "admin@mon1", "sudo"] and "'/etc/ceph/my cluster.conf'" in remote
    with pytest.raises(ParameterError, match="must end with the ceph executable"):
        CephAccess("ceph; rm -rf /")
    for bad in ("vol umes", "-volumes", "a;b", ""):
        with pytest.raises(ParameterError):
            check_pool_name(bad)


def test_command_errors_name_the_cause():
    missing = (
        "Error initializing cluster client: ObjectNotFound('RADOS object not found (error calling conf_read_file)')"
    )
    assert "/etc/ceph/x.conf" in str(command_error("status", 1, missing, "/etc/ceph/x.conf"))
    assert isinstance(
        command_error("status", 1, "[errno 110] RADOS timed out (error connecting to the cluster)"),
        SourceUnreachable,
    )
    assert isinstance(
        command_error("status", 13, "[errno 13] RADOS permission denied (error connecting to the cluster)"),
        SourceUnreachable,
    )
    assert isinstance(command_error("osd dump", 13, "Error EACCES: access denied"), PermissionDenied)


@pytest.mark.parametrize(
    ("command", "prefix", "tool_path"),
    [
        ("ceph", [], "ceph"),
        ("sudo ceph", ["sudo"], "ceph"),
        ("cephadm shell -- ceph", ["cephadm", "shell", "--"], "ceph"),
        ("/opt/ceph/bin/ceph", [], "/opt/ceph/bin/ceph"),
    ],
)
def test_the_argv_of_a_local_command_keeps_every_value_one_argument(command, prefix, tool_path):
    assert access(command).argv("ceph", ["osd", "dump"]) == [
        *prefix,
        tool_path,
        *COMMON,
        "--connect-timeout",
        "7",
        "osd",
        "dump",
        "--format",
        "json",
    ]
    rbd = tool_path[: -len("ceph")] + "rbd"  # rbd sits beside ceph
    assert access(command).argv("rbd", ["ls", "-l", "--pool", "volumes"]) == [
        *prefix,
        rbd,
        *COMMON,
        "--client-mount-timeout",  # rbd has no --connect-timeout: librados' mount timeout bounds it
        "7",
        "ls",
        "-l",
        "--pool",
        "volumes",
        "--format",
        "json",
    ]


def test_through_ssh_every_word_of_the_remote_command_is_quoted_for_the_remote_shell():
    argv = access("ssh -p 2222 admin@mon1 sudo /opt/ceph/bin/ceph").argv("rbd", ["du", "--pool", "volumes"])
    assert argv == [
        "ssh",
        "-p",
        "2222",
        "admin@mon1",
        "sudo",
        "/opt/ceph/bin/rbd",
        "--conf",
        "'/etc/ceph/my cluster.conf'",
        "--cluster",
        "prod",
        "--id",
        "openstack",
        "--client-mount-timeout",
        "7",
        "du",
        "--pool",
        "volumes",
        "--format",
        "json",
    ]


def test_the_default_access_is_plain_ceph_with_a_20_second_connect_timeout():
    assert CephAccess().argv("ceph", ["status"]) == ["ceph", "--connect-timeout", "20", "status", "--format", "json"]


@pytest.mark.parametrize("command", ["rados", "ceph status", "", "ssh admin@mon1"])
def test_a_command_that_does_not_end_with_the_ceph_executable_is_refused(command):
    with pytest.raises(ParameterError) as err:
        CephAccess(command)
    assert str(err.value).startswith(f"ceph_command {command!r} must end with the ceph executable")


@pytest.mark.parametrize("pool", ["volumes", "images", "vms", "backups", "cinder.volumes-ssd", "_x"])
def test_pool_names_as_openstack_deployments_name_them_are_accepted(pool):
    assert check_pool_name(pool) == pool


def test_a_missing_conf_is_unreachable_and_names_the_conf_to_set(tmp_path):
    with pytest.raises(SourceUnreachable) as err:
        run_ceph(missing_conf(tmp_path), "ceph", ["status"])
    assert str(err.value) == (
        f"'ceph status': ceph cannot read its configuration {tmp_path / 'missing.conf'}; "
        "set ceph_conf to the cluster's ceph.conf"
    )


def test_a_monitor_that_does_not_answer_is_unreachable_within_the_timeout(tmp_path):
    assert shutil.which("ceph") and shutil.which("rbd"), "ceph-common is installed by 'make test'"
    conf = tmp_path / "ceph.conf"
    conf.write_text("[global]\nmon_host = 127.0.0.1:9\nauth_client_required = none\n")  # nothing listens on 9
    dead = CephAccess(conf=str(conf), timeout=2)
    with pytest.raises(SourceUnreachable) as err:
        run_json(dead, "ceph", ["osd", "dump"])
    assert (
        str(err.value) == "'ceph osd dump': no monitor answered (timed out); check mon_host in the conf and the network"
    )
    with pytest.raises(SourceUnreachable) as err:
        run_json(dead, "rbd", ["ls", "--pool", "volumes"])
    assert str(err.value) == (
        "'rbd ls --pool volumes': no monitor answered (rbd: listing images failed: (110) Connection timed out); "
        "check mon_host in the conf and the network"
    )


def test_each_changing_and_reading_command_names_itself_in_its_error(tmp_path):
    """The exact command an operator would paste: the reweight with 8 decimals, the PG reads, osd df tree."""
    ceph = missing_conf(tmp_path)
    cases = [
        (lambda: set_reweight(ceph, 0, 0.95001220703125), "'ceph osd reweight 0 0.95001220703125'"),
        (lambda: pg_states(ceph), "'ceph pg stat'"),
        (lambda: largest_pg_bytes(ceph), "'ceph pg ls'"),
        (lambda: settled_osd_df(ceph, timeout=0), "'ceph osd df tree'"),
    ]
    for call, command in cases:
        with pytest.raises(SourceUnreachable) as err:
            call()
        assert str(err.value).startswith(f"{command}: ceph cannot read its configuration")


def test_a_missing_executable_is_a_config_error_saying_what_to_install(tmp_path):
    with pytest.raises(ConfigError) as err:
        run_ceph(CephAccess(str(tmp_path / "nowhere" / "ceph")), "ceph", ["status"])
    assert str(err.value) == (
        f"cannot run '{tmp_path / 'nowhere' / 'ceph'}': install ceph-common here, "
        "or set ceph_command to reach a host that has it"
    )


def test_a_missing_wrapper_names_itself_not_ceph_common(tmp_path):
    wrapper = str(tmp_path / "nowhere" / "sshpass")
    for tool in ("ceph", "rbd"):
        with pytest.raises(ConfigError) as err:
            run_ceph(CephAccess(f"{wrapper} -f pw ssh mon1 sudo ceph"), tool, ["status"])
        assert str(err.value) == (
            f"cannot run '{wrapper}', the first word of ceph_command: it is not installed here (or not on PATH); "
            "install sshpass, or change ceph_command"
        )


def test_the_cli_gets_exactly_the_argv_and_a_permission_error_says_which_caps(tmp_path):
    ceph = stand_in(tmp_path, "echo 'Error EACCES: access denied' >&2; exit 13")
    with pytest.raises(PermissionDenied) as err:
        run_ceph(ceph, "ceph", ["osd", "dump"])
    assert str(err.value) == (
        "'ceph osd dump': permission denied (Error EACCES: access denied); "
        "use a client with mon 'allow r' or run as root"
    )
    assert (tmp_path / "argv").read_text().splitlines() == ["--connect-timeout", "0", "osd", "dump", "--format", "json"]


def test_any_other_failure_keeps_the_exit_code_and_cephs_last_line(tmp_path):
    ceph = stand_in(tmp_path, "echo 'some progress' >&2; echo \"Error ENOENT: unrecognized pool 'nope'\" >&2; exit 2")
    with pytest.raises(SourceError) as err:
        run_ceph(ceph, "ceph", ["df", "detail"])
    assert type(err.value) is SourceError
    assert str(err.value) == "'ceph df detail' failed with exit code 2: Error ENOENT: unrecognized pool 'nope'"
    silent = command_error("osd dump", 22, "")
    assert str(silent) == "'osd dump' failed with exit code 22: exit code 22"


def test_a_cli_that_hangs_past_the_timeout_is_unreachable(tmp_path):
    ceph = stand_in(tmp_path, "exec sleep 60")
    with pytest.raises(SourceUnreachable) as err:
        run_ceph(ceph, "ceph", ["status"])
    assert str(err.value) == "'ceph status' got no answer within 15 s: is a monitor up and reachable?"


def test_output_that_is_not_json_names_the_command_and_shows_what_came(tmp_path):
    ceph = stand_in(tmp_path, "echo 'WARNING: all monitors are down, showing cached map'; exit 0")
    with pytest.raises(SourceError) as err:
        run_json(ceph, "ceph", ["osd", "dump"])
    assert str(err.value) == (
        "'ceph osd dump' did not return JSON (Expecting value at line 1): "
        "'WARNING: all monitors are down, showing cached map'"
    )
    with pytest.raises(SourceError) as err:
        parse_ceph_json("", "pg stat")
    assert str(err.value) == "'pg stat' did not return JSON (Expecting value at line 1): '(nothing)'"
    assert parse_ceph_json(json.dumps({"nan": "nan", "list": [1.5, -2]}), "x") == {"nan": "nan", "list": [1.5, -2]}


def test_rbd_s_own_words_for_a_missing_conf_say_to_set_ceph_conf():
    """rbd (global_init) words it differently from ceph (conf_read_file): both mean the same."""
    error = command_error(
        "rbd ls volumes",
        1,
        "global_init: unable to open config file from search list /etc/ceph/ceph.conf\n",
        "/etc/ceph/ceph.conf",
    )
    assert isinstance(error, SourceUnreachable) and "set ceph_conf to the cluster's ceph.conf" in str(error)


@pytest.mark.parametrize("value", ["ceph;id", "a b", "-x", "$(id)", "x" * 65])
def test_a_cluster_name_or_client_id_ceph_would_not_take_is_refused(value):
    with pytest.raises(ParameterError, match="is not a Ceph"):
        check_ceph_name(value, "ceph_id")
    assert check_ceph_name("", "ceph_id") == "" and check_ceph_name("client.admin-2", "ceph_id") == "client.admin-2"


def test_a_librados_log_line_written_after_the_tools_error_does_not_hide_it():
    # rbd's two stderr writers race: the monclient NOTE may come last (seen on a loaded 2-core machine)
    stderr = (
        "rbd: listing images failed: (110) Connection timed out\n"
        "2026-12-02T13:54:04.657+0000 7f8b51aa0380 -1 monclient(hunting): authenticate NOTE: no keyring found; "
        "disabled cephx authentication\n"
    )
    error = command_error("rbd ls --pool volumes", 110, stderr)
    assert str(error) == (
        "'rbd ls --pool volumes': no monitor answered (rbd: listing images failed: (110) Connection timed out); "
        "check mon_host in the conf and the network"
    )


@pytest.mark.parametrize(
    ("prefix", "host"),
    [
        ("ssh mon1", "mon1"),
        ("timeout 60 ssh -p 2222 -o BatchMode=yes -i /k admin@mon1 sudo", "mon1"),
        ("sshpass -f pw /usr/bin/ssh -4 -tt ssh://root@mon2:22", "mon2"),
        ("sudo", ""),
        ("ssh -v", ""),
    ],
)
def test_the_ssh_destination_is_the_first_word_after_ssh_and_its_options(prefix, host):
    assert ssh_destination(prefix.split()) == host


def test_recovery_waits_for_moving_pgs_not_for_a_copy_whose_osd_is_down():
    states = {
        "active+clean": 198,
        "active+undersized": 135,
        "active+undersized+degraded": 52,  # osd.8 down, still in: nothing recovers it
        "active+clean+scrubbing+deep": 3,  # a scrub moves no data
    }
    assert unsettled(states) == {}
    moving = {
        "active+remapped+backfilling": 2,
        "active+undersized+degraded+remapped+backfill_wait": 1,
        "active+recovery_wait+degraded": 4,
        "peering": 1,
        "active+degraded": 1,  # not undersized: recovery is coming
    }
    assert unsettled({**states, **moving}) == moving


def test_a_ceph_conf_from_the_environment_is_named_and_a_missing_one_is_refused_before_ceph_runs(tmp_path, monkeypatch):
    from runbook_lib.sources.ceph_environment import check_environment_conf

    missing = tmp_path / "nonexistent.conf"
    monkeypatch.setenv("CEPH_CONF", str(missing))
    with pytest.raises(ConfigError) as err:
        check_environment_conf("timeout 5 ceph", "")
    assert str(err.value) == (
        f"CEPH_CONF={missing} (from the environment) is not a file: ceph would not read its configuration; "
        "set CEPH_CONF to the cluster's ceph.conf, unset it, or pass -p ceph_conf FILE"
    )
    check_environment_conf("ssh mon1 ceph", "")  # the remote side's environment, not ours
    check_environment_conf("ceph", "/etc/ceph/other.conf")  # --conf wins over CEPH_CONF
    ceph = stand_in(tmp_path, "echo 'global_init: unable to open config file from search list' >&2; exit 1")
    with pytest.raises(SourceUnreachable, match=rf"its configuration CEPH_CONF={missing} \(from the environment\);"):
        run_ceph(ceph, "ceph", ["osd", "dump"])
    monkeypatch.delenv("CEPH_CONF")
    assert ceph.conf_said == "(the default /etc/ceph/ceph.conf)"
