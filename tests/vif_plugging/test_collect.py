"""What the vif-plugging runbook collects beyond the API, without a cloud or a host: the demo, the paths that
read nothing, and log files from a directory (each collection a new snapshot, the input left as it was)."""

import copy

import pytest

from runbook_lib.errors import ParameterError
from runbook_lib.sources.ssh import HostAccess
from runbook_lib.vif_plugging import HOST_READS, READS
from runbook_lib.vif_plugging.analysis import analyse_vif_plugging
from runbook_lib.vif_plugging.collect import (
    collect_host_facts,
    collect_log_dir,
    collect_neutron_logs,
    failing_hosts,
    open_snapshot,
)
from runbook_lib.vif_plugging.evidence import HOST_FACTS_PART
from vif_plugging.test_evidence import CAPTURES, _capture

ACCESS = HostAccess()  # nothing here may reach a host: every call below reads nothing over SSH


def _state(snapshot):
    return copy.deepcopy((snapshot.parts, snapshot.manifest, snapshot.problems))


@pytest.fixture
def log_dir(tmp_path):
    """Logs collected the Kolla way: <host>/nova-compute.log, and neutron-server.log of the controller."""
    (tmp_path / "cmp1").mkdir()
    (tmp_path / "cmp1" / "nova-compute.log").write_text((CAPTURES / "vif-vif-down-1-nova-compute.log").read_text())
    (tmp_path / "neutron-server.log").write_text((CAPTURES / "vif-neutron-notifier.log").read_text())
    return tmp_path


def test_the_demo_holds_every_part_the_runbook_reads():
    snapshot = open_snapshot(snapshot="demo")
    assert READS == (
        "openstack/servers",
        "openstack/instance_actions",
        "openstack/ports",
        "openstack/network_agents",
        "openstack/compute_services",
        "openstack/dhcp_hosting",
    )
    assert {part: len(snapshot.get(part)) for part in READS} == {
        "openstack/servers": 27,
        "openstack/instance_actions": 12,
        "openstack/ports": 7,
        "openstack/network_agents": 6,
        "openstack/compute_services": 12,
        "openstack/dhcp_hosting": 2,
    }
    assert HOST_READS == ("hosts/nova_compute", "logs/neutron-server")
    assert len(snapshot.get("logs/neutron-server")) == 1 and len(snapshot.get(HOST_FACTS_PART)) == 1  # vif-late-2


def test_the_failing_hosts_are_those_that_tried_the_failed_builds(demo_snapshot):
    """vif-down-2's server went ACTIVE (a hidden failure), so it is not a failed build's host."""
    assert failing_hosts(demo_snapshot) == ["fail-bind-1", "vif-dhcp-1", "vif-down-1", "vif-fail-1", "vif-late-2"]


def test_no_hosts_reads_nothing_and_returns_the_same_snapshot(demo_snapshot):
    assert collect_host_facts(demo_snapshot, ACCESS, "") is demo_snapshot
    assert collect_neutron_logs(demo_snapshot, ACCESS, "") is demo_snapshot
    assert collect_neutron_logs(demo_snapshot, ACCESS, " , ") is demo_snapshot


def test_failing_hosts_unknown_records_that_none_was_read(demo_copy, capsys):
    """Without the instance actions (a non-admin cloud entry) no failed build has a host: nothing is read, and
    the new snapshot says the host facts were looked for."""
    del demo_copy.parts["openstack/instance_actions"]
    before = _state(demo_copy)
    collected = collect_host_facts(demo_copy, ACCESS, "failing")
    assert capsys.readouterr().out == "no host to read: no failed build has a known host\n"
    assert collected.get(HOST_FACTS_PART) == [] and collected.origin(HOST_FACTS_PART) == "collected"
    assert _state(demo_copy) == before  # the demo's own recorded host facts untouched


def test_log_files_land_in_a_new_snapshot_by_service(demo_snapshot, log_dir):
    before = _state(demo_snapshot)
    collected = collect_log_dir(demo_snapshot, str(log_dir))
    assert collected is not demo_snapshot and _state(demo_snapshot) == before
    nova, neutron = collected.get("logs/nova-compute"), collected.get("logs/neutron-server")
    assert (len(nova), len(neutron)) == (8, 2)  # the demo's 7 and 1, and one file of each
    assert (nova[-1]["source"], nova[-1]["path"]) == ("cmp1", str(log_dir / "cmp1" / "nova-compute.log"))
    assert (neutron[-1]["source"], neutron[-1]["service"]) == (log_dir.name, "neutron-server")
    assert {collected.origin("logs/nova-compute"), collected.origin("logs/neutron-server")} == {
        "log files from log_dir"
    }


def test_the_added_log_is_read_by_the_analysis(demo_snapshot, log_dir):
    """The capture's real timeout line, now in the snapshot, is found for its server."""
    server, _, _ = _capture("vif-down-1")
    analysis = analyse_vif_plugging(collect_log_dir(demo_snapshot, str(log_dir)))
    assert analysis.timeouts.set_index("instance").loc[server["id"], "host"] == "cmp1"
    assert server["id"] not in set(analyse_vif_plugging(demo_snapshot).timeouts["instance"])


def test_no_log_dir_adds_nothing(demo_snapshot):
    collected = collect_log_dir(demo_snapshot, "")
    assert (collected.parts, collected.manifest) == (demo_snapshot.parts, demo_snapshot.manifest)


def test_a_log_dir_that_is_not_a_directory_is_a_parameter_error(demo_snapshot, tmp_path):
    with pytest.raises(ParameterError) as err:
        collect_log_dir(demo_snapshot, str(tmp_path / "missing"))
    assert str(err.value) == (
        f"log_dir {str(tmp_path / 'missing')!r} is not a directory; pass a directory of collected logs or ''"
    )
