"""Log files: a collected directory in Kolla's and in a flat layout (real Nova 34 / Neutron 29 lines from
tests/fixtures), which host and service each file is, the records added to a snapshot, and the tail of a log
read from a host for real (this machine as its local host; an unreachable one through ssh)."""

import copy
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES

from runbook_lib.errors import ParameterError
from runbook_lib.oslo_log import tabulate_logs
from runbook_lib.sources.logs import (
    LOG_PATHS,
    MAX_LINES_PER_FILE,
    log_host,
    log_service,
    open_logs,
    read_log_dir,
    read_remote_logs,
    with_logs,
)
from runbook_lib.sources.ssh import HostAccess

NOVA = FIXTURES / "nova-minicloud-failures"


def lines_of(name: str) -> list[str]:
    return (NOVA / name).read_text().splitlines()


@pytest.fixture
def log_dir(tmp_path) -> Path:
    """Logs as an operator collects them: Kolla's <host>/<service>.log, and flat <service>-<host>.log files."""
    root = tmp_path / "collected"
    layout = {
        "ssh-src/nova-compute.log": "ssh-b-key-not-authorized-nova-compute-src.log",  # Kolla: a directory per host
        "ssh-dst/nova-compute.log": "ssh-c-healthy-nova-compute-dst.log",
        "nova-compute-vif-down-2.log": "vif-vif-down-2-nova-compute.log",  # flat: the host in the name
        "controller/neutron-server.log": "vif-neutron-notifier.log",
        "neutron-server-ctl2.log": "vif-vif-fail-1-neutron-notifier.log",
        "vif-late-1.log": "vif-vif-late-1-nova-compute.log",  # named after its host only: nova-compute's
    }
    for target, fixture in layout.items():
        path = root / target
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(NOVA / fixture, path)
    (root / "README.txt").write_text("collected on 2026-11-23\n")  # not a log: not read
    return root


def test_a_collected_directory_gives_one_record_per_log_file_with_its_host_and_service(log_dir):
    records = read_log_dir(log_dir)
    assert [(r["source"], r["service"], Path(r["path"]).relative_to(log_dir).as_posix()) for r in records] == [
        ("controller", "neutron-server", "controller/neutron-server.log"),
        ("ctl2", "neutron-server", "neutron-server-ctl2.log"),
        ("vif-down-2", "nova-compute", "nova-compute-vif-down-2.log"),
        ("ssh-dst", "nova-compute", "ssh-dst/nova-compute.log"),
        ("ssh-src", "nova-compute", "ssh-src/nova-compute.log"),
        ("vif-late-1", "nova-compute", "vif-late-1.log"),
    ]
    by_source = {r["source"]: r for r in records}
    assert by_source["ssh-src"]["lines"] == lines_of("ssh-b-key-not-authorized-nova-compute-src.log")
    assert by_source["controller"]["lines"] == lines_of("vif-neutron-notifier.log")


def test_the_records_parse_into_each_services_log_table(log_dir):
    records = read_log_dir(log_dir)
    neutron = tabulate_logs(records, "neutron-server")
    assert set(neutron["source"]) == {"controller", "ctl2"} and set(neutron["module"]) >= {"neutron.notifiers.nova"}
    nova = tabulate_logs(records, "nova-compute")
    assert set(nova["source"]) == {"ssh-src", "ssh-dst", "vif-down-2", "vif-late-1"}
    failed = nova[(nova["source"] == "ssh-src") & (nova["level"] == "ERROR")]
    assert failed.iloc[0]["message"].startswith("Exception during message handling: nova.exception.ResizeError")


def test_a_pattern_narrows_the_files_read(log_dir):
    assert {r["source"] for r in read_log_dir(log_dir, "neutron-*.log")} == {"controller", "ctl2"}
    assert read_log_dir(log_dir, "*.gz") == []


@pytest.mark.parametrize(
    ("path", "host", "service"),
    [
        ("/logs/cmp1/nova-compute.log", "cmp1", "nova-compute"),
        ("/logs/nova-compute-cmp1.example.org.log", "cmp1.example.org", "nova-compute"),
        ("/logs/ctl1/neutron-server.log", "ctl1", "neutron-server"),
        ("/logs/neutron-openvswitch-agent-net1.log", "net1", "neutron-openvswitch-agent"),
        ("/logs/net1/neutron-dhcp-agent.log", "net1", "neutron-dhcp-agent"),
        ("/logs/cmp7.log", "cmp7", "nova-compute"),
    ],
)
def test_host_and_service_come_from_the_file_name_or_its_directory(path, host, service):
    assert (log_host(Path(path)), log_service(Path(path))) == (host, service)


def test_a_huge_log_keeps_its_tail(tmp_path):
    (tmp_path / "cmp1").mkdir()
    (tmp_path / "cmp1" / "nova-compute.log").write_text("".join(f"line {i}\n" for i in range(MAX_LINES_PER_FILE + 5)))
    [record] = read_log_dir(tmp_path)
    assert len(record["lines"]) == MAX_LINES_PER_FILE
    assert record["lines"][0] == "line 5" and record["lines"][-1] == f"line {MAX_LINES_PER_FILE + 4}"


def test_a_log_dir_that_is_not_a_directory_is_a_parameter_error(tmp_path):
    (tmp_path / "nova-compute.log").write_text("x\n")
    for bad in (tmp_path / "missing", tmp_path / "nova-compute.log"):
        with pytest.raises(ParameterError) as err:
            read_log_dir(bad)
        assert str(err.value) == (f"log_dir {str(bad)!r} is not a directory; pass a directory of collected logs or ''")
    assert open_logs("") == []


def test_open_logs_reads_the_directory_it_is_given(log_dir):
    assert open_logs(str(log_dir)) == read_log_dir(log_dir)


def test_with_logs_adds_the_records_per_service_and_leaves_the_snapshot_as_it_was(demo_snapshot, log_dir):
    before = copy.deepcopy(demo_snapshot)
    records = read_log_dir(log_dir)
    added = with_logs(demo_snapshot, records, "log files from log_dir")
    assert demo_snapshot == before  # a new snapshot; the demo is untouched
    nova = [r for r in records if r["service"] == "nova-compute"]
    neutron = [r for r in records if r["service"] == "neutron-server"]
    assert added.get("logs/nova-compute") == before.get("logs/nova-compute") + nova
    assert added.get("logs/neutron-server") == before.get("logs/neutron-server") + neutron
    assert added.manifest["parts"]["logs/nova-compute"] == {"origin": "log files from log_dir"}
    assert added.origin("logs/neutron-server") == "log files from log_dir"
    assert added.parts["openstack/servers"] is demo_snapshot.parts["openstack/servers"]


def test_with_logs_puts_a_record_without_a_service_under_nova_compute_and_adds_nothing_when_empty(demo_snapshot):
    record = {"source": "cmp1", "path": "/var/log/nova/nova-compute.log", "lines": ["x"]}
    added = with_logs(demo_snapshot, [record], "collected")
    assert added.get("logs/nova-compute")[-1] is record
    unchanged = with_logs(demo_snapshot, [], "collected")
    assert unchanged.parts == demo_snapshot.parts and unchanged.manifest == demo_snapshot.manifest


def test_reading_this_hosts_log_takes_the_file_else_the_journal(tmp_path):
    """This machine as its local host (as root, no sudo): the script's answer is checked against the files and
    the journal as the test itself finds them."""
    access = HostAccess(sudo="", local_host="here")
    for service in ("nova-compute", "neutron-server"):
        records, missing = read_remote_logs(access, ["here"], service, lines=50)
        readable = [p for p in LOG_PATHS[service] if os.access(p, os.R_OK)]
        if readable:
            expected_path = readable[0]
            expected = Path(readable[0]).read_text(errors="replace").splitlines()[-50:]
        else:
            assert shutil.which("journalctl"), "neither a log file nor journalctl here"
            expected_path = service  # the unit
            journal = ["journalctl", "-u", service, "-o", "short", "--no-pager", "-n", "50"]
            expected = subprocess.run(journal, capture_output=True, text=True).stdout.splitlines()
        assert missing == {}
        assert records == [{"source": "here", "service": service, "path": expected_path, "lines": expected}]


def test_a_host_that_cannot_be_reached_is_named_with_sshs_reason():
    records, missing = read_remote_logs(HostAccess(sudo="", port=9, connect_timeout=3), ["127.0.0.1"])
    assert records == [] and list(missing) == ["127.0.0.1"]
    assert "connect to host 127.0.0.1 port 9: Connection refused" in missing["127.0.0.1"]


def test_a_host_name_that_is_an_option_is_refused_before_ssh_runs():
    with pytest.raises(ParameterError, match="is not a host name"):
        read_remote_logs(HostAccess(), ["-oProxyCommand=id"])


def test_a_huge_log_keeps_its_tail_and_says_where_it_starts():
    from runbook_lib.sources.logs import MAX_LINES_PER_FILE, tail

    text = "\n".join(f"line {n}" for n in range(1, MAX_LINES_PER_FILE + 6))
    lines, first = tail(text)
    assert len(lines) == MAX_LINES_PER_FILE and first == 6 and lines[0] == "line 6"
    assert tail("a\nb\n") == (["a", "b"], 1)
