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
ERROR_SERVERS = {
    "36ab455f-de1d-4fc3-af65-79c57dad86f5": "vif-error",
    "ca7a49cf-b0c3-4a0b-a9ac-3efaf100b686": "vif-dhcp",
    "6eb7ea92-bc5a-4dff-b426-0a3ff94ee204": "vif-timeout",
    "ecc587eb-efbe-4d12-9921-829c86d3b9ec": "bind-fail",
    "a885e4fa-395a-4d7e-aa4f-31a9cc7f6ed6": "nvh-boot",
    "f6b8f202-c2f0-4d9c-8dbb-b4d9e425fb65": "migrate-fail",
}
FAILED_MIGRATIONS = {
    "b6b005b9-73df-4a40-8295-2a207192fe0b": "ssh-bad",  # ACTIVE again after the failed resize
    "f6b8f202-c2f0-4d9c-8dbb-b4d9e425fb65": "migrate-fail",
    "ff8c0bc6-de8e-4076-a5e4-a1be1becd053": "resize-nvh",
}


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
    assert suspects == sorted(set(ERROR_SERVERS) | set(FAILED_MIGRATIONS))
    names = {s["id"]: s["name"] for s in demo_snapshot.get("openstack/servers")}
    assert {i: names[i] for i in suspects} == ERROR_SERVERS | FAILED_MIGRATIONS
    # the collector asked for the actions of exactly these servers, and of no healthy one
    assert sorted({a["instance_uuid"] for a in demo_snapshot.get("openstack/instance_actions")}) == suspects
    assert "5347e868-d9b1-4989-8377-3c21b93927a8" not in suspects  # ssh-ok: its migration was confirmed


def test_a_migration_that_failed_counts_and_one_without_a_server_does_not(demo_copy):
    migrations = demo_copy.parts["openstack/migrations"]
    confirmed = next(m for m in migrations if m["status"] == "confirmed")
    confirmed["status"] = "failed"
    migrations.append({"status": "error", "instance_uuid": None})
    assert confirmed["instance_uuid"] in suspect_servers(demo_copy.parts)
    assert None not in suspect_servers(demo_copy.parts)
    assert len(suspect_servers(demo_copy.parts)) == len(set(ERROR_SERVERS) | set(FAILED_MIGRATIONS)) + 1


def test_suspect_networks_are_those_of_ports_not_active(demo_snapshot):
    ports = demo_snapshot.get("openstack/ports")
    assert suspect_networks(demo_snapshot.parts) == [
        "06f11200-ccba-4262-8b60-ed033d94bd16",
        "b8529623-bf02-4f28-8b84-c12af0177538",  # it also has the one ACTIVE port: DOWN ones make it a suspect
    ]
    assert sum(p["status"] == "DOWN" for p in ports) == 5 and sum(p["status"] == "ACTIVE" for p in ports) == 1
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
