"""What the resize/SSH runbook collects beyond the API, without a cloud or a host: the demo, the paths that
read nothing, the parameter errors, and nova-compute logs from a directory (each collection a new snapshot)."""

import copy
import shutil

import pytest
from conftest import FIXTURES

from runbook_lib.errors import ParameterError
from runbook_lib.resize_ssh import HOST_READS, READS
from runbook_lib.resize_ssh.collect import collect_nova_logs, collect_ssh_trust, open_snapshot
from runbook_lib.resize_ssh.probe import trust_probe
from runbook_lib.sources.ssh import HostAccess

LOG = FIXTURES / "nova-minicloud-failures" / "ssh-b-key-not-authorized-nova-compute-src.log"


@pytest.fixture
def probe():
    """The operator's probe with no host to probe (nothing here may reach a host)."""
    return trust_probe(access=HostAccess())


def _state(snapshot):
    return copy.deepcopy((snapshot.parts, snapshot.manifest, snapshot.problems))


def test_the_demo_holds_every_part_the_runbook_reads():
    snapshot = open_snapshot(snapshot="demo")
    assert READS == (
        "openstack/migrations",
        "openstack/instance_actions",
        "openstack/compute_services",
        "openstack/hypervisors",
    )
    assert {part: len(snapshot.get(part)) for part in READS + HOST_READS} == {
        "openstack/migrations": 4,
        "openstack/instance_actions": 12,
        "openstack/compute_services": 12,
        "openstack/hypervisors": 12,
        "hosts/ssh_trust": 6,  # the matrix recorded from six computes (the SSH lab under demo names)
    }


def test_without_trust_hosts_the_recorded_matrix_stands(demo_snapshot, probe):
    assert collect_ssh_trust(demo_snapshot, probe) is demo_snapshot


@pytest.mark.parametrize(("trust_hosts", "named"), [("ssh-src", 1), (" , ", 0)], ids=["one host", "only separators"])
def test_fewer_than_two_hosts_is_not_a_matrix(demo_snapshot, trust_hosts, named):
    with pytest.raises(ParameterError) as err:
        collect_ssh_trust(demo_snapshot, trust_probe(trust_hosts, access=HostAccess()))
    assert str(err.value) == (
        f"trust_hosts {trust_hosts!r} names {named} compute host(s); a matrix needs two or more "
        "('all' takes every nova-compute service)"
    )


def test_nova_logs_from_a_log_dir_land_in_a_new_snapshot(demo_snapshot, probe, tmp_path):
    (tmp_path / "src-ssh").mkdir()
    shutil.copy(LOG, tmp_path / "src-ssh" / "nova-compute.log")
    before = _state(demo_snapshot)
    collected = collect_nova_logs(demo_snapshot, probe, since_hours=168, log_dir=str(tmp_path))
    assert collected is not demo_snapshot and _state(demo_snapshot) == before
    logs = collected.get("logs/nova-compute")
    assert len(logs) == len(demo_snapshot.get("logs/nova-compute")) + 1
    assert {k: logs[-1][k] for k in ("source", "service", "path")} == {
        "source": "src-ssh",
        "service": "nova-compute",
        "path": str(tmp_path / "src-ssh" / "nova-compute.log"),
    }
    assert logs[-1]["lines"] == LOG.read_text().splitlines()
    assert collected.origin("logs/nova-compute") == "log files from log_dir"
    assert demo_snapshot.origin("logs/nova-compute") == "log-files"


def test_no_log_dir_and_no_ssh_add_nothing(demo_snapshot, probe, capsys):
    collected = collect_nova_logs(demo_snapshot, probe, since_hours=168)
    assert (collected.parts, collected.manifest) == (demo_snapshot.parts, demo_snapshot.manifest)
    assert capsys.readouterr().out == ""


def test_logs_over_ssh_read_nothing_when_no_migration_failed_over_ssh_in_the_window(demo_snapshot, probe, capsys):
    """The demo's one SSH failure is older than the window: no compute is worth reading, none is contacted."""
    before = _state(demo_snapshot)
    collected = collect_nova_logs(demo_snapshot, probe, since_hours=1e-6, logs_over_ssh=True)
    assert capsys.readouterr().out == "no failed SSH migration: no log to read from the computes\n"
    assert collected.parts == demo_snapshot.parts and _state(demo_snapshot) == before


def test_a_log_dir_that_is_not_a_directory_is_a_parameter_error(demo_snapshot, probe, tmp_path):
    with pytest.raises(ParameterError) as err:
        collect_nova_logs(demo_snapshot, probe, since_hours=168, log_dir=str(tmp_path / "missing"))
    assert str(err.value) == (
        f"log_dir {str(tmp_path / 'missing')!r} is not a directory; pass a directory of collected logs or ''"
    )
