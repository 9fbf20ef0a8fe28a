"""Reading OpenStack: the parts a live collection gathers, and which servers and networks get the per-object
calls, on the demo snapshot (real mini-cloud output collected by collect_openstack). The list calls
themselves run against the mini cloud in tests/sources/test_openstack.py."""

import pytest

from runbook_lib.sources.openstack_lists import (
    COLLECTORS,
    MIGRATION_HISTORY_DAYS,
    SUSPECT_ACTIONS,
    SUSPECT_COLLECTORS,
    suspect_networks,
    suspect_servers,
)

# the demo's servers in ERROR and its failed migrations, by name (the ids are the mini cloud's)
ERROR_SERVERS = {"vif-error", "vif-dhcp", "vif-timeout", "vif-dup-1", "bind-fail", "nvh-boot", "migrate-fail"}
FAILED_MIGRATIONS = {"ssh-bad", "migrate-fail", "resize-nvh"}  # ssh-bad is ACTIVE again after the failed resize


def _ids(snapshot, names):
    return {s["id"]: s["name"] for s in snapshot.get("openstack/servers") if s["name"] in names}


def test_a_collection_gathers_the_parts_every_runbook_reads():
    assert list(COLLECTORS) == [
        "openstack/flavors",
        "openstack/images",
        "openstack/servers",
        "openstack/volumes",
        "openstack/volume_snapshots",
        "openstack/migrations",
        "openstack/compute_services",
        "openstack/hypervisors",
        "openstack/ports",
        "openstack/network_agents",
    ]
    assert list(SUSPECT_COLLECTORS) == ["openstack/instance_actions", "openstack/dhcp_hosting"]
    assert MIGRATION_HISTORY_DAYS == 30 and {"resize", "migrate", "create"} <= set(SUSPECT_ACTIONS)


def test_the_demo_was_collected_with_every_part(demo_snapshot):
    for part in [*COLLECTORS, *SUSPECT_COLLECTORS]:
        assert demo_snapshot.origin(part) == "collected", part
    notes = {part: demo_snapshot.manifest["parts"][part]["note"] for part in SUSPECT_COLLECTORS}
    assert notes == {part: f"suspects only: {note}" for part, (_, _, note) in SUSPECT_COLLECTORS.items()}


def test_suspect_servers_are_the_failed_migrations_and_the_servers_in_error(demo_snapshot):
    suspects = suspect_servers(demo_snapshot.parts)
    expected = _ids(demo_snapshot, ERROR_SERVERS | FAILED_MIGRATIONS)
    assert suspects == sorted(expected) and len(expected) == 9
    # the collector asked for the actions of exactly these servers, and of no healthy one
    assert sorted({a["instance_uuid"] for a in demo_snapshot.get("openstack/instance_actions")}) == suspects
    assert not set(_ids(demo_snapshot, {"ssh-ok", "vif-late"})) & set(suspects)  # confirmed, and healthy


def test_a_migration_that_failed_counts_and_one_without_a_server_does_not(demo_copy):
    migrations = demo_copy.parts["openstack/migrations"]
    confirmed = next(m for m in migrations if m["status"] == "confirmed")
    confirmed["status"] = "failed"
    migrations.append({"status": "error", "instance_uuid": None})
    assert confirmed["instance_uuid"] in suspect_servers(demo_copy.parts)
    assert None not in suspect_servers(demo_copy.parts)
    assert len(suspect_servers(demo_copy.parts)) == len(ERROR_SERVERS | FAILED_MIGRATIONS) + 1


def test_suspect_networks_are_those_of_ports_not_active(demo_snapshot):
    ports = demo_snapshot.get("openstack/ports")
    network = {p["name"]: p["network_id"] for p in ports}
    # net1 also has the one ACTIVE port (vif-late's): its DOWN ones make it a suspect
    assert suspect_networks(demo_snapshot.parts) == sorted({network["vif-dhcp-port"], network["vif-late-port"]})
    assert sum(p["status"] == "DOWN" for p in ports) == 6 and sum(p["status"] == "ACTIVE" for p in ports) == 1
    hosted = [d["network_id"] for d in demo_snapshot.get("openstack/dhcp_hosting")]
    assert hosted == suspect_networks(demo_snapshot.parts)  # what the collector asked the DHCP agents about


@pytest.mark.parametrize(
    "ports",
    [
        [{"status": "ACTIVE", "network_id": "n1"}],
        [{"status": "DOWN", "network_id": ""}, {"status": "BUILD"}],
        [],
    ],
)
def test_no_network_is_a_suspect_without_a_port_that_is_not_active_on_it(ports):
    assert suspect_networks({"openstack/ports": ports}) == []
    assert suspect_servers({}) == [] and suspect_networks({}) == []
