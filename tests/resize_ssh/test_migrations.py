"""Resize over SSH: log parsing and the failed-migration analysis on real captures (the ssh error text itself:
test_ssh_errors.py)."""

import json
from pathlib import Path

import pandas as pd
import pytest

from runbook_lib.oslo_log import parse_oslo_log
from runbook_lib.resize_ssh.migrations import (
    analyse_resize_ssh,
    before_traceback,
    explain_failures,
    find_broken_pairs,
    find_failed_migrations,
    tabulate_migrations,
)

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nova-minicloud-failures"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (  # nova 34
            "2026-11-23 20:03:50.976 31203 INFO nova.compute.manager [None req-6976cc2a-acfe-455b-87be-5b31633266c7 "
            "439984ccb2b447fc8e0cde3b44b95112 d3f27ac43d014204bf451acde0b65219 - - default default] [instance: "
            "e150d756-773b-4d0c-a1e1-9b8ad187b364] Setting instance back to active after: x",
            (
                31203,
                "INFO",
                "nova.compute.manager",
                "req-6976cc2a-acfe-455b-87be-5b31633266c7",
                "e150d756-773b-4d0c-a1e1-9b8ad187b364",
            ),
        ),
        (  # Train: no "None", three dashes
            "2019-10-02 11:22:33.444 4242 WARNING nova.virt.libvirt.driver "
            "[req-0d6e2c35-5a61-4c0b-8a0e-0b1f2b3c4d5e - - -] "
            "[instance: 2f3a4b5c-6d7e-4f80-9a1b-2c3d4e5f6a7b] Timeout waiting for [('network-vif-plugged', 'p')]",
            (
                4242,
                "WARNING",
                "nova.virt.libvirt.driver",
                "req-0d6e2c35-5a61-4c0b-8a0e-0b1f2b3c4d5e",
                "2f3a4b5c-6d7e-4f80-9a1b-2c3d4e5f6a7b",
            ),
        ),
        (  # journald prefix, no request context
            "Nov 23 20:03:51 cmp1 nova-compute[31203]: "
            "2026-11-23 20:03:51.224 31203 ERROR oslo_messaging.rpc.server [-] boom",
            (31203, "ERROR", "oslo_messaging.rpc.server", None, None),
        ),
    ],
)
def test_oslo_log_formats(line, expected):
    row = parse_oslo_log([line]).iloc[0]
    got = (row["pid"], row["level"], row["module"], row["request_id"], row["instance"])
    assert tuple(None if pd.isna(v) else v for v in got) == expected


def test_continuation_lines_join_their_record():
    log = parse_oslo_log((CAPTURES / "ssh-b-key-not-authorized-nova-compute-src.log").read_text().splitlines())
    rollback = log[log["message"].str.startswith("Setting instance back to active")].iloc[0]
    assert "Stderr: 'novaprobe@127.0.0.3: Permission denied (publickey).\\r\\n'" in rollback["message"]
    assert not log["time"].isna().any()


def _capture(case):
    migrations = tabulate_migrations(json.loads((CAPTURES / f"ssh-{case}-migrations.json").read_text()))
    actions = json.loads((CAPTURES / f"ssh-{case}-actions.json").read_text())
    for action in actions:  # the captured action records do not carry the server id
        action.setdefault("instance_uuid", migrations["server_id"].iloc[0])
    log_file = CAPTURES / f"ssh-{case}-nova-compute-src.log"
    logs = parse_oslo_log(log_file.read_text().splitlines(), "src-ssh") if log_file.exists() else None
    return migrations, actions, logs


@pytest.mark.parametrize(
    ("case", "cause", "stderr", "evidence"),
    [
        ("a-unknown-hostkey", "host-key-unknown", "Host key verification failed.", "log"),
        (
            "b-key-not-authorized",
            "publickey-denied",
            "novaprobe@127.0.0.3: Permission denied (publickey).",
            "log",
        ),
        ("resize-a-unknown-hostkey", "host-key-unknown", "Host key v", "event"),  # no log: the API's cut text
    ],
)
def test_real_failures_are_explained(case, cause, stderr, evidence):
    migrations, actions, logs = _capture(case)
    explained = explain_failures(find_failed_migrations(migrations), actions, logs)
    row = explained.iloc[0]
    assert (row["cause"], row["stderr"], row["evidence"], row["exit_code"]) == (cause, stderr, evidence, 255)
    assert (row["source"], row["dest_host"], row["event"]) == (
        "src-ssh",
        "127.0.0.3",
        "compute_resize_instance",
    )


def test_healthy_migration_is_not_a_failure():
    migrations, _, _ = _capture("c-healthy")
    assert find_failed_migrations(migrations).empty


def test_broken_pairs_group_failures():
    rows = []
    for case in ("a-unknown-hostkey", "resize-a-unknown-hostkey"):
        migrations, actions, logs = _capture(case)
        rows.append(explain_failures(find_failed_migrations(migrations), actions, logs))
    pairs = find_broken_pairs(pd.concat(rows, ignore_index=True))
    assert pairs[["source", "dest_host", "cause", "failures"]].values.tolist() == [
        ["src-ssh", "127.0.0.3", "host-key-unknown", 2]
    ]


def test_demo_tells_the_whole_story(demo_snapshot):
    from runbook_lib.resize_ssh.migrations import analyse_resize_ssh

    analysis = analyse_resize_ssh(demo_snapshot)
    crit = [f for f in analysis.findings if f.severity == "crit"]
    assert [(f.kind, f.subject) for f in crit] == [
        ("ssh-host-key-unknown", "nova ssh ssh-src → ssh-dst-bad (127.0.0.3)")
    ]
    assert "stderr: 'Host key verification failed.'" in crit[0].message  # whole, from the real log
    assert "ssh-keyscan -H 127.0.0.3" in crit[0].remediation
    others = sorted(f.message.split(": ", 1)[1] for f in analysis.findings if f.kind == "migration-failed")
    assert others == [
        "No valid host was found. No valid host found for resize",
        "Virtual Interface creation failed",
    ]
    assert analysis.broken_pairs["failures"].tolist() == [1]
    assert len(analysis.ssh_log_lines) >= 1


def test_window_excludes_older_failures(demo_snapshot):
    from runbook_lib.resize_ssh.migrations import analyse_resize_ssh

    analysis = analyse_resize_ssh(demo_snapshot, since_hours=1e-6)
    assert analysis.failed.empty and not [f for f in analysis.findings if f.severity == "crit"]


def test_a_snapshot_without_migrations_says_so(demo_copy):
    from runbook_lib.resize_ssh.migrations import analyse_resize_ssh

    del demo_copy.parts["openstack/migrations"]
    kinds = [(f.kind, f.severity) for f in analyse_resize_ssh(demo_copy).findings]
    assert kinds == [("collection-problem", "error")]


def test_the_log_table_shows_the_error_and_ssh_s_lines_not_the_traceback(demo_snapshot):
    lines = analyse_resize_ssh(demo_snapshot).ssh_log_lines
    assert len(lines) == 2 and not lines["message"].str.contains("Traceback").any()
    assert lines["message"].str.contains("Stderr: 'Host key verification failed.").all()
    assert (
        before_traceback("boom\nStderr: 'x'\nTraceback (most recent call last):\n  File \"a.py\"")
        == "boom\nStderr: 'x'"
    )
    assert before_traceback("no traceback at all") == "no traceback at all"
