"""Migrations of every kind over SSH: resize and cold migration (ssh mkdir, scp/rsync of the disk), live
migration over qemu+ssh, the ControlMaster socket failure, and an error that carries no ssh output."""

import pandas as pd
import pytest

from runbook_lib.resize_ssh.migrations import explain_failures
from runbook_lib.resize_ssh.ssh_errors import classify_ssh_failure, over_ssh

SERVER = "2f3a4b5c-6d7e-4f80-9a1b-2c3d4e5f6a7b"


def _block(command: str, stderr: str) -> str:
    """oslo.concurrency's ProcessExecutionError text (stdout and stderr are repr'd)."""
    return (
        f"Unexpected error while running command.\nCommand: {command}\nExit code: 255\nStdout: ''\nStderr: {stderr!r}"
    )


# OpenSSH's own words (misc.c unix_listener, mux.c), as the nova user's ssh prints them.
CONTROL_BIND = "unix_listener: cannot bind to path /etc/nova/ssh/cm-nova@10.0.0.12:22.q7Xk2: Permission denied\r\n"
CONTROL_LONG = (
    'unix_listener: path "/var/lib/nova/.ssh/controlmasters/' + "x" * 90 + '" too long for Unix domain socket\r\n'
)
LIVE = (
    "Live Migration failure: operation failed: Failed to connect to remote libvirt URI "
    "qemu+ssh://nova@cmp2/system: Cannot recv data: Host key verification failed.: Connection reset by peer"
)


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        (_block("ssh -o BatchMode=yes 10.0.0.12 mkdir -p /var/lib/nova/instances/x", CONTROL_BIND), "control-socket"),
        (_block("ssh -o BatchMode=yes 10.0.0.12 mkdir -p /var/lib/nova/instances/x", CONTROL_LONG), "control-socket"),
        (
            _block(
                "scp -r /var/lib/nova/instances/x/disk 10.0.0.12:/var/lib/nova/instances/x/disk",
                "Permission denied (publickey).\r\nlost connection\r\n",
            ),
            "publickey-denied",
        ),
        (
            _block(
                "rsync --sparse --compress /var/lib/nova/instances/x/disk 10.0.0.12:/var/lib/nova/instances/x/disk",
                "ssh: connect to host 10.0.0.12 port 22: Connection refused\r\n",
            ),
            "connection-refused",
        ),
        (LIVE, "host-key-unknown"),
        ("Resize error: not able to execute ssh command: Unexpected error while running command.", "cannot-tell"),
    ],
    ids=["control-bind", "control-path-long", "scp", "rsync", "live-qemu+ssh", "no-stderr"],
)
def test_every_kind_is_over_ssh_and_gets_its_cause(text, cause):
    assert over_ssh(text)
    found = classify_ssh_failure(text, "10.0.0.12")
    assert found.cause == cause, found
    if cause == "control-socket":
        assert "ControlPath" in found.fix and "ssh -G 10.0.0.12" in found.fix
    if cause == "cannot-tell":
        assert "log_dir" in found.fix and "trust_hosts" in found.fix


def test_a_failure_elsewhere_is_not_over_ssh():
    assert not over_ssh("No valid host was found. There are not enough hosts available.")
    assert not over_ssh("InstanceFaultRollback: disk copy failed: No space left on device")


def _failed(uuid: str, migration_type: str) -> pd.DataFrame:
    """One failed migration of SERVER from cmp1 to cmp2, as tabulate_migrations gives it."""
    row = {"uuid": uuid, "server_id": SERVER, "migration_type": migration_type, "status": "error"}
    return pd.DataFrame(
        [
            row
            | {"source_compute": "cmp1", "dest_compute": "cmp2", "dest_host": "10.0.0.12"}
            | {"created_at": pd.Timestamp("2026-11-23 20:00:00"), "updated_at": pd.Timestamp("2026-11-23 20:00:30")}
        ]
    )


def test_a_live_migration_over_qemu_ssh_is_explained_with_its_pair():
    failed = _failed("m-1", "live-migration")
    actions = [
        {
            "instance_uuid": SERVER,
            "action": "live-migration",
            "request_id": "req-1",
            "start_time": "2026-11-23T20:00:01",
            "events": [
                {
                    "event": "compute_live_migration",
                    "result": "Error",
                    "start_time": "2026-11-23T20:00:02",
                    "host": "cmp1",
                    "details": LIVE[:255],
                }
            ],
        }
    ]
    [row] = explain_failures(failed, actions).to_dict("records")
    assert row["ssh"] and row["cause"] == "host-key-unknown" and row["type"] == "live-migration"


def test_python_2_reprs_up_to_train_read_like_python_3():
    """oslo.concurrency repr()s Stdout/Stderr: Python 2 (nova up to Train) wrote u'…'."""
    from runbook_lib.resize_ssh.ssh_errors import parse_ssh_error

    text = (
        "Resize error: not able to execute ssh command: Unexpected error while running command.\n"
        "Command: ssh -o BatchMode=yes 10.0.0.12 mkdir -p /var/lib/nova/instances/x\nExit code: 255\n"
        "Stdout: u'This account is currently not available.\\n'\nStderr: u'Host key verification failed.\\r\\n'"
    )
    parsed = parse_ssh_error(text)
    assert parsed["stderr"] == "Host key verification failed." and not parsed["truncated"]
    assert parsed["stdout"] == "This account is currently not available."
    assert classify_ssh_failure(text).cause == "host-key-unknown"


def test_a_cold_migration_whose_disk_copy_failed_takes_the_whole_error_from_the_log():
    """Queens and later store only 'ProcessExecutionError' as the fault of a failed scp/rsync copy (it is not
    wrapped); the source's nova-compute log has the whole error, with its Command and Stderr."""
    from runbook_lib.oslo_log import parse_oslo_log

    failed = _failed("m-2", "migration")
    actions = [
        {
            "instance_uuid": SERVER,
            "action": "migrate",
            "request_id": "req-2",
            "start_time": "2026-11-23T20:00:01",
            "events": [
                {
                    "event": "compute_resize_instance",
                    "result": "Error",
                    "start_time": "2026-11-23T20:00:02",
                    "host": "cmp1",
                    "details": "ProcessExecutionError",
                }
            ],
        }
    ]
    prefix = "2026-11-23 20:00:20.100 4242 ERROR nova.compute.manager"
    lines = [
        f"{prefix} [req-2 u p - - -] [instance: {SERVER}] Setting instance vm_state to ERROR: "
        "oslo_concurrency.processutils.ProcessExecutionError: Unexpected error while running command.",
        f"{prefix} [instance: {SERVER}] Command: scp -r /var/lib/nova/instances/{SERVER}_resize/disk "
        f"10.0.0.12:/var/lib/nova/instances/{SERVER}/disk",
        f"{prefix} [instance: {SERVER}] Exit code: 1",
        f"{prefix} [instance: {SERVER}] Stdout: ''",
        f"{prefix} [instance: {SERVER}] Stderr: 'Permission denied (publickey).\\r\\nlost connection\\r\\n'",
    ]
    [row] = explain_failures(failed, actions, parse_oslo_log(lines, "cmp1")).to_dict("records")
    assert row["ssh"] and row["cause"] == "publickey-denied" and row["evidence"] == "log"
