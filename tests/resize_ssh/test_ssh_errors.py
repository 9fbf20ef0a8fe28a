"""What a failed ssh says and what fixes it: Nova's ProcessExecutionError text (whole, or cut at 255
characters), and ssh's own stderr as the trust matrix records it, from real captures where there are some."""

import json

import pytest
from conftest import FIXTURES

from runbook_lib.oslo_log import parse_oslo_log
from runbook_lib.resize_ssh.ssh_errors import classify_ssh_failure, over_ssh, parse_ssh_error

CAPTURES = FIXTURES / "nova-minicloud-failures"


def _error(stderr: str, exit_code: int = 255, stdout: str = "''") -> str:
    return (
        "Resize error: not able to execute ssh command: Unexpected error while running command.\n"
        "Command: ssh -o BatchMode=yes 10.0.0.12 mkdir -p "
        "/var/lib/nova/instances/1b0c1e4e-8c9b-4a5c-9b0e-2f1d2c3b4a59\n"
        f"Exit code: {exit_code}\nStdout: {stdout}\nStderr: {stderr}"
    )


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        (_error("'Host key verification failed.\\r\\n'"), "host-key-unknown"),
        (_error("'Host key v"), "host-key-unknown"),  # cut at 255 characters by Nova
        (_error("'Host"), "host-key-unknown"),  # a shorter survivor is still a known start
        (_error("'H"), "stderr-cut"),  # too little to tell
        (_error("'ssh: Could not re"), "name-resolution"),
        (_error("'nova@10.0.0.12: Permission denied (publickey).\\r\\n'"), "publickey-denied"),
        (_error("'nova@10.0.0.12: Permiss"), "publickey-denied"),
        (_error("'nova@"), "publickey-denied"),  # only the user@ survived the cut
        (_error("''", 1, "'This account is currently not available.\\n'"), "account-not-available"),
        # the same, cut at 255 characters by Nova inside Stdout (with an IP and an instance path, it always is)
        (_error("''", 1, "'This account is currently not available.\\n'")[:255], "account-not-available"),
        (_error("''", 1, "'This account is curren")[:-11], "account-not-available"),
        (_error("''", 1, "'This ac")[:-11], "stderr-cut"),  # two words or less: a banner could start so
        (_error("''", 1, "'Welcome to cmp2, authorised users only")[:-11], "stderr-cut"),
        (
            _error("'@@@@@@@@@@@\\r\\n@ WARNING: UNPROTECTED PRIVATE KEY FILE! @\\r\\n'"),
            "bad-key-permissions",
        ),
        (
            _error("'ssh: Could not resolve hostname cmp9: Name or service not known\\r\\n'"),
            "name-resolution",
        ),
        (_error("'ssh: connect to host 10.0.0.12 port 22: Connection refused\\r\\n'"), "connection-refused"),
        (_error("'ssh: connect to host 10.0.0.12 port 22: Connection timed out\\r\\n'"), "timeout"),
        (_error("'ssh: connect to host 10.0.0.12 port 22: No route to host\\r\\n'"), "no-route"),
        (_error("'mkdir: cannot create directory: Read-only file system\\r\\n'", 1), "other"),
        (_error("")[: _error("").index("Stdout")] + "Stdo", "stderr-cut"),  # cut before ssh said anything
    ],
)
def test_classification(text, cause):
    assert classify_ssh_failure(text, "10.0.0.12").cause == cause


def test_the_fix_names_the_destination_ip():
    fix = classify_ssh_failure(_error("'Host key verification failed.\\r\\n'"), "10.0.0.12").fix
    assert "ssh-keyscan -H 10.0.0.12 >> ~nova/.ssh/known_hosts" in fix


def test_parse_ssh_error_whole_and_truncated():
    whole = parse_ssh_error(_error("'Host key verification failed.\\r\\n'"))
    assert whole["exit_code"] == 255 and whole["stderr"] == "Host key verification failed." and not whole["truncated"]
    assert whole["command"].startswith("ssh -o BatchMode=yes 10.0.0.12 mkdir -p")
    cut = parse_ssh_error(_error("'Host key v"))
    assert cut["stderr"] == "Host key v" and cut["truncated"]
    assert parse_ssh_error("No valid host was found.")["command"] is None


def _event_details(case: str) -> str:
    """The Error event's details of a real capture, as the API returns them (cut at 255 characters)."""
    actions = json.loads((CAPTURES / f"ssh-{case}-actions.json").read_text())
    return next(e["details"] for a in actions for e in a["events"] if e["result"] == "Error")


def test_nova_cut_the_real_event_details_before_ssh_finished_its_message():
    details = _event_details("resize-a-unknown-hostkey")
    assert parse_ssh_error(details) == {
        "command": "ssh -o BatchMode=yes 127.0.0.3 mkdir -p "
        "/tmp/osprobe2/nova-src-ssh/instances/122da338-6db1-4c02-ab1c-29015707baea",
        "exit_code": 255,
        "stdout": "",
        "stderr": "Host key v",
        "truncated": True,
        "stdout_cut": False,
    }
    cause = classify_ssh_failure(details, "127.0.0.3")
    assert cause.cause == "host-key-unknown"
    assert (
        cause.fix == "as nova on the source: ssh-keyscan -H 127.0.0.3 >> ~nova/.ssh/known_hosts (check the fingerprint)"
    )


def test_only_the_user_at_survived_nova_s_cut_of_a_refused_key():
    details = _event_details("b-key-not-authorized")
    assert parse_ssh_error(details)["stderr"] == "novaprobe@"
    cause = classify_ssh_failure(details, "127.0.0.3")
    assert cause.cause == "publickey-denied" and "(ssh-copy-id)" in cause.fix


def test_nova_cut_the_nologin_message_inside_stdout_and_it_is_still_told():
    """Real event details: Nova 34's own event_finish_with_failure on its ResizeError (tests/fixtures/nova-scale)."""
    actions = json.loads((FIXTURES / "nova-scale" / "failed-actions.json").read_text())
    [details] = [e["details"] for a in actions if a["action"] == "resize" for e in a["events"]]
    assert len(details) == 255 and details.endswith("Stdout: 'This account is currently not a")
    parsed = parse_ssh_error(details)
    assert parsed["stdout_cut"] and parsed["stdout"] == "This account is currently not a" and parsed["exit_code"] == 1
    cause = classify_ssh_failure(details, "10.1.0.2")
    assert cause.cause == "account-not-available" and cause.fix == "on the destination: usermod -s /bin/bash nova"


def test_the_log_record_has_the_whole_stderr():
    log = parse_oslo_log((CAPTURES / "ssh-a-unknown-hostkey-nova-compute-src.log").read_text().splitlines())
    record = log[log["message"].str.contains("Stderr:", regex=False)].iloc[0]["message"]
    parsed = parse_ssh_error(record)
    assert (parsed["stderr"], parsed["truncated"], parsed["exit_code"]) == ("Host key verification failed.", False, 255)


@pytest.mark.parametrize(
    ("source", "dest", "cause"),
    [
        ("compute-01", "compute-02", "publickey-denied"),
        ("compute-01", "compute-03", "host-key-unknown"),
        ("compute-01", "compute-04", "account-not-available"),
        ("compute-01", "compute-06", "connection-refused"),
        ("compute-05", "compute-01", "bad-key-permissions"),  # its banner also says "Permissions 0644"
    ],
)
def test_ssh_s_own_stderr_from_the_lab_is_classified_without_a_command_block(source, dest, cause):
    records = json.loads((FIXTURES / "ssh-trust-lab" / "records.json").read_text())
    probe = next(p for r in records if r["host"] == source for p in r["probes"] if p["dest"] == dest)
    assert classify_ssh_failure(probe["stderr"], probe["dest_address"]).cause == cause


def test_a_changed_host_key_is_not_taken_for_an_unknown_one():
    """OpenSSH ends its changed-key warning with 'Host key verification failed.' too."""
    stderr = (
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
        "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n"
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n"
        "Host key for 10.0.0.12 has changed and you have requested strict checking.\r\n"
        "Host key verification failed.\r\n"
    )
    cause = classify_ssh_failure(_error(repr(stderr)), "10.0.0.12")
    assert cause.cause == "host-key-changed"
    assert cause.fix == (
        "verify the new fingerprint on the destination (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then as "
        "nova on the source: ssh-keygen -R 10.0.0.12 and add the new key"
    )


def test_a_cut_before_ssh_spoke_says_what_the_exit_code_means():
    ssh_failed = classify_ssh_failure(_error("'H"), "10.0.0.12")
    assert ssh_failed.explanation == (
        "Nova cut the error at 255 characters before ssh's own message; exit code 255 means ssh itself failed "
        "(host key, key, connection), not the remote mkdir"
    )
    assert ssh_failed.fix == (
        "read the whole error in the source's nova-compute log (run again with -p log_dir <collected logs>), "
        "or as nova on the source run: ssh -o BatchMode=yes 10.0.0.12 true"
    )
    remote_failed = classify_ssh_failure(_error("'H", 1), "10.0.0.12")
    assert remote_failed.explanation == "Nova cut the error at 255 characters before ssh's own message; exit code 1"


def test_an_unrecognised_failure_says_how_to_see_it():
    other = classify_ssh_failure(_error("'mkdir: cannot create directory: Read-only file system\\r\\n'", 1))
    assert (other.cause, other.fix) == (
        "other",
        "run the command from 'Command:' as the nova user on the source and read its output",
    )


def test_without_a_destination_the_fix_keeps_a_visible_placeholder():
    fix = classify_ssh_failure("Host key verification failed.").fix
    assert fix == "as nova on the source: ssh-keyscan -H <dest_host> >> ~nova/.ssh/known_hosts (check the fingerprint)"


def test_stdout_is_read_when_ssh_put_its_message_there():
    """nologin prints on stdout (exit code 1), which is where the cause is read from."""
    parsed = parse_ssh_error(_error("''", 1, "'This account is currently not available.\\n'"))
    assert (parsed["exit_code"], parsed["stderr"], parsed["truncated"]) == (1, "", False)
    assert parsed["stdout"].startswith("This account is currently not available.")


def test_the_real_ssh_failures_are_over_ssh_and_a_scheduling_failure_is_not(demo_snapshot):
    assert over_ssh(_event_details("a-unknown-hostkey")) and over_ssh(_event_details("b-key-not-authorized"))
    details = [e.get("details") or "" for a in demo_snapshot.get("openstack/instance_actions") for e in a["events"]]
    no_host = next(d for d in details if d.startswith("No valid host was found"))
    assert not over_ssh(no_host) and not over_ssh("") and not over_ssh(None)
