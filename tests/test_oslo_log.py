"""oslo.log parsing on real Nova 34 / Neutron 29 logs (tests/fixtures/nova-minicloud-failures): one row per
record with its time, pid, level, module, request and instance; traceback and ProcessExecutionError lines kept
with the record they belong to; snapshot log records tabulated per service."""

import pandas as pd
from conftest import FIXTURES

from runbook_lib.oslo_log import COLUMNS, parse_oslo_log, tabulate_logs

LOGS = FIXTURES / "nova-minicloud-failures"
INSTANCE = "e150d756-773b-4d0c-a1e1-9b8ad187b364"  # the server the ssh-b migration failed for
MIGRATE_REQUEST = "req-6976cc2a-acfe-455b-87be-5b31633266c7"


def lines_of(name: str) -> list[str]:
    return (LOGS / name).read_text().splitlines()


def test_a_record_gives_its_time_pid_level_module_request_and_instance():
    records = parse_oslo_log(lines_of("ssh-b-key-not-authorized-nova-compute-src.log"), "src-ssh")
    first = records.iloc[0]
    assert first["time"] == pd.Timestamp("2026-11-23 20:03:49.709")
    assert (first["pid"], first["level"], first["module"]) == (31203, "INFO", "nova.compute.claims")
    assert first["request_id"] == "req-ac98b432-31f2-4fec-b553-198f63b2fab6"
    assert first["instance"] == INSTANCE
    assert first["message"] == "Claim successful on node src-ssh"
    assert (first["source"], first["service"]) == ("src-ssh", "nova-compute")
    assert list(records.columns) == COLUMNS


def test_a_record_without_an_instance_has_none_and_keeps_its_request():
    records = parse_oslo_log(lines_of("ssh-b-key-not-authorized-nova-compute-src.log"), "src-ssh")
    running = records[records["message"].str.startswith("Running cmd (subprocess): ssh -o BatchMode=yes 127.0.0.3")]
    assert len(running) == 1
    row = running.iloc[0]
    assert pd.isna(row["instance"]) and row["request_id"] == MIGRATE_REQUEST
    assert row["module"] == "oslo_concurrency.processutils" and row["level"] == "DEBUG"


def test_every_line_of_the_log_is_in_exactly_one_record():
    lines = lines_of("ssh-b-key-not-authorized-nova-compute-src.log")
    records = parse_oslo_log(lines, "src-ssh")
    starts = [line for line in lines if line.startswith("2026-11-23 ")]
    joined = records["message"].str.count("\n").sum()
    assert len(records) + joined == len(lines)
    assert len(records) < len(starts)  # the traceback's prefixed lines joined the record above them


def test_the_command_block_without_a_prefix_stays_with_the_rollback_record():
    records = parse_oslo_log(lines_of("ssh-b-key-not-authorized-nova-compute-src.log"), "src-ssh")
    rollback = records[records["message"].str.startswith("Setting instance back to active after:")].iloc[0]
    assert rollback["message"].splitlines()[1:] == [
        f"Command: ssh -o BatchMode=yes 127.0.0.3 mkdir -p /tmp/osprobe2/nova-src-ssh/instances/{INSTANCE}",
        "Exit code: 255",
        "Stdout: ''",
        "Stderr: 'novaprobe@127.0.0.3: Permission denied (publickey).\\r\\n'",
    ]
    assert rollback["instance"] == INSTANCE and rollback["level"] == "INFO"


def test_a_prefixed_traceback_is_one_error_record_with_every_frame():
    records = parse_oslo_log(lines_of("ssh-b-key-not-authorized-nova-compute-src.log"), "src-ssh")
    errors = records[records["level"] == "ERROR"]
    assert len(errors) == 1
    message = errors.iloc[0]["message"]
    assert message.startswith("Exception during message handling: nova.exception.ResizeError")
    assert errors.iloc[0]["request_id"] == MIGRATE_REQUEST and errors.iloc[0]["module"] == "oslo_messaging.rpc.server"
    body = message.splitlines()
    assert "Traceback (most recent call last):" in body
    assert "oslo_concurrency.processutils.ProcessExecutionError: Unexpected error while running command." in body
    assert body.count("Stderr: 'novaprobe@127.0.0.3: Permission denied (publickey).\\r\\n'") >= 2


def test_neutron_lines_without_a_context_have_no_request_even_if_the_message_names_one():
    records = parse_oslo_log(lines_of("vif-neutron-notifier.log"), "controller", service="neutron-server")
    assert len(records) == len(lines_of("vif-neutron-notifier.log"))
    assert set(records["module"]) == {"neutron.notifiers.nova", "probe_mech"}
    assert records["request_id"].isna().all()  # "[-]": the req-… in "Nova event matching [...]" is not its own
    assert set(records["service"]) == {"neutron-server"} and set(records["pid"]) == {29796}


def test_unparseable_text_before_the_first_record_is_dropped_and_empty_input_has_the_columns():
    records = parse_oslo_log(["garbage before any record", *lines_of("vif-vif-down-2-nova-compute.log")], "vif-down-2")
    assert len(records) == len(lines_of("vif-vif-down-2-nova-compute.log"))
    assert records.iloc[0]["message"] == "Claim successful on node vif-down-2"
    empty = parse_oslo_log([])
    assert empty.empty and list(empty.columns) == COLUMNS


def snapshot_records() -> list[dict]:
    """Log records as a snapshot stores them (runbook_lib.sources.logs): one per file."""
    return [
        {"source": "vif-down-2", "service": "nova-compute", "lines": lines_of("vif-vif-down-2-nova-compute.log")},
        {"source": "vif-late-1", "lines": lines_of("vif-vif-late-1-nova-compute.log")},  # no service: nova-compute
        {"source": "controller", "service": "neutron-server", "lines": lines_of("vif-neutron-notifier.log")},
    ]


def test_tabulate_logs_joins_every_file_and_tags_its_source_and_service():
    table = tabulate_logs(snapshot_records())
    counts = table.groupby(["source", "service"]).size().to_dict()
    assert counts == {
        ("controller", "neutron-server"): len(lines_of("vif-neutron-notifier.log")),
        ("vif-down-2", "nova-compute"): len(parse_oslo_log(lines_of("vif-vif-down-2-nova-compute.log"))),
        ("vif-late-1", "nova-compute"): len(parse_oslo_log(lines_of("vif-vif-late-1-nova-compute.log"))),
    }
    assert list(table.index) == list(range(len(table)))


def test_tabulate_logs_keeps_only_the_asked_service_and_counts_unnamed_files_as_nova_compute():
    nova = tabulate_logs(snapshot_records(), "nova-compute")
    assert set(nova["source"]) == {"vif-down-2", "vif-late-1"} and set(nova["service"]) == {"nova-compute"}
    neutron = tabulate_logs(snapshot_records(), "neutron-server")
    assert set(neutron["source"]) == {"controller"}
    none = tabulate_logs(snapshot_records(), "neutron-dhcp-agent")
    assert none.empty and list(none.columns) == [*COLUMNS, "file"]


def test_each_log_record_keeps_the_file_it_was_read_from():
    records = [
        {
            "source": "cmp1",
            "path": "sosreport-cmp1.tar.xz:var/log/nova/nova-compute.log",
            "lines": lines_of("vif-vif-late-1-nova-compute.log"),
        }
    ]
    assert set(tabulate_logs(records)["file"]) == {"sosreport-cmp1.tar.xz:var/log/nova/nova-compute.log"}


def test_the_demo_snapshots_logs_parse_into_records_of_their_service(demo_snapshot):
    for part in ("logs/nova-compute", "logs/neutron-server"):
        service = part.split("/")[1]
        records = demo_snapshot.get(part)
        table = tabulate_logs(records, service)
        lines = sum(len(r["lines"]) for r in records)
        assert 0 < len(table) <= lines and set(table["service"]) == {service}
        assert table["time"].notna().all() and table["level"].isin(["DEBUG", "INFO", "WARNING", "ERROR"]).all()


def test_of_a_global_and_a_local_request_id_the_local_one_is_the_request_s():
    """oslo.log: "[%(global_request_id)s %(request_id)s %(user_identity)s]": a call from another service
    (Heat, Octavia) carries its global id first; the instance action is recorded under the local one."""
    glob, local = "req-11111111-2222-3333-4444-555555555555", "req-66666666-7777-8888-9999-000000000000"
    lines = [
        f"2026-11-23 20:03:50.976 31203 INFO nova.compute.manager [{glob} {local} u p - default default] hello",
        f"2026-11-23 20:03:50.976 31203 INFO nova.compute.manager [None {local} u p - default default] hello",
        f"2019-05-02 10:01:02.123 4242 INFO nova.compute.manager [{local} u p - - -] hello",
    ]
    assert parse_oslo_log(lines, "cmp1")["request_id"].tolist() == [local, local, local]


def test_each_record_knows_the_line_it_starts_on_for_a_citation():
    lines = [
        "2026-11-23 20:05:17.001 32245 INFO nova.compute.manager [-] first",
        "2026-11-23 20:05:18.062 32245 ERROR nova.compute.manager [-] Traceback (most recent call last):",
        '2026-11-23 20:05:18.062 32245 ERROR nova.compute.manager   File "x.py", line 1',  # same record
        "  a continuation line without a prefix",
        "",
        "2026-11-23 20:05:19.500 32245 WARNING nova.compute.manager [-] third",
    ]
    frame = parse_oslo_log(lines, "compute-01")
    assert frame["line"].tolist() == [1, 2, 6]
    assert frame["message"].iloc[1].count("\n") == 2


def test_a_citation_is_a_line_of_the_file_where_the_whole_file_was_read_and_the_path_alone_otherwise():
    line = "2026-11-23 20:05:17.001 32245 INFO nova.compute.manager [-] hello"
    tailed = {"source": "cmp1", "path": "/var/log/nova/nova-compute.log", "lines": ["junk", line], "first_line": 980003}
    over_ssh = {"source": "cmp2", "path": "/var/log/nova/nova-compute.log", "lines": [line]}  # a tail: no number
    frame = tabulate_logs([tailed, over_ssh])
    assert frame["file"].tolist() == ["/var/log/nova/nova-compute.log:980004", "/var/log/nova/nova-compute.log"]
