"""The mini cloud produces the seed's failures for real, inside real Nova and Neutron (seed 'failures')."""

import pytest
from conftest import MINICLOUD_HOME, MINICLOUD_LAB

pytestmark = pytest.mark.minicloud


@pytest.fixture(scope="module")
def failures(minicloud, admin_conn):
    MINICLOUD_LAB.run("seed", "failures")
    servers = {s.name: s for s in admin_conn.compute.servers(details=True, all_projects=True)}
    return admin_conn, servers


def _migration(conn, server):
    return next(iter(conn.compute.migrations(instance_uuid=server.id)))


def _events(conn, server, action_name):
    action = next(a for a in conn.compute.server_actions(server) if a.action == action_name)
    return action, {
        e["event"] if isinstance(e, dict) else e.event: e
        for e in conn.compute.get_server_action(action.request_id, server).events
    }


def _log(host):
    return (MINICLOUD_HOME / "state" / "log" / f"nova-compute-{host}.log").read_text()


def test_no_valid_host(failures):
    conn, servers = failures
    assert servers["nvh-boot"].status == "ERROR"
    assert servers["nvh-boot"].fault["message"].startswith("No valid host was found.")
    assert servers["resize-nvh"].status == "ACTIVE" and servers["resize-nvh"].fault is None
    migration = _migration(conn, servers["resize-nvh"])
    assert (migration.migration_type, migration.status) == ("resize", "error")


def test_compute_side_migration_failure(failures):
    conn, servers = failures
    server = servers["migrate-fail"]
    assert (server.status, server.compute_host) == ("ERROR", "minicompute2")
    assert server.fault["message"] == "Virtual Interface creation failed"
    assert _migration(conn, server).status == "error"


def test_port_binding_failure(failures):
    _, servers = failures
    server = servers["bind-fail"]
    assert server.status == "ERROR" and server.fault["message"].startswith("Binding failed for port")


def test_vif_plugging_timeout_aborts_the_build(failures):
    conn, servers = failures
    server = servers["vif-timeout"]
    assert server.status == "ERROR" and server.compute_host is None  # Nova nils the host on a build abort
    assert server.fault["message"] == (
        f"Build of instance {server.id} aborted: Failed to allocate the network(s), not rescheduling."
    )
    _, events = _events(conn, server, "create")
    build = events["compute__do_build_and_run_instance"]
    # The only API trace of the failing host, and it says Success (the abort is caught, not raised).
    assert (build.host, build.result) == ("vif-down-1", "Success")
    port = next(conn.network.ports(name="vif-timeout-port"))
    log = _log("vif-down-1")
    assert f"Timeout waiting for ['network-vif-plugged-{port.id}'] for instance with vm_state building" in log
    assert "timed out after 10.00 seconds" in log
    assert port.binding_vif_type == "unbound"  # Nova unbinds the port when it cleans up


def test_non_fatal_timeout_leaves_an_active_server_without_wiring(failures):
    conn, servers = failures
    assert (servers["vif-nonfatal"].status, servers["vif-nonfatal"].compute_host) == ("ACTIVE", "vif-down-2")
    port = next(conn.network.ports(name="vif-nonfatal-port"))
    assert (port.status, port.binding_host_id, port.binding_vif_type) == ("DOWN", "vif-down-2", "ovs")
    late = next(conn.network.ports(name="vif-late-port"))
    assert servers["vif-late"].status == "ACTIVE" and late.status == "ACTIVE"
    assert "Timeout waiting for" not in _log("vif-late-1")
    neutron = (MINICLOUD_HOME / "state" / "log" / "neutron-server.log").read_text()
    assert f"fakebind: setting port {late.id} ACTIVE on vif-late-1 (simulated agent)" in neutron


def test_resize_over_ssh_with_an_unknown_host_key(failures):
    conn, servers = failures
    server = servers["ssh-bad"]
    assert (server.status, server.compute_host, server.fault) == ("ACTIVE", "ssh-src", None)
    migration = _migration(conn, server)
    assert (migration.status, migration.dest_compute, migration.dest_host) == (
        "error",
        "ssh-dst-bad",
        "127.0.0.3",
    )
    action, events = _events(conn, server, "migrate")
    resize = events["compute_resize_instance"]
    assert (action.message, resize.result, resize.host) == ("Error", "Error", "ssh-src")
    assert resize.details.startswith(
        "Resize error: not able to execute ssh command: Unexpected error while running command."
    )
    assert "Command: ssh -o BatchMode=yes 127.0.0.3 mkdir -p" in resize.details
    assert "Stderr: 'Host key verification failed.\\r\\n'" in _log("ssh-src")


def test_resize_over_ssh_with_trust_works(failures):
    conn, servers = failures
    server = conn.compute.get_server(servers["ssh-ok"].id)
    assert (server.status, server.compute_host) == ("ACTIVE", "ssh-dst-ok")
    assert _migration(conn, server).status == "confirmed"


def test_up_on_a_running_cloud_starts_nothing(minicloud):
    pids_before = sorted(p.read_text() for p in (MINICLOUD_HOME / "state" / "run").glob("*.pid"))
    up = MINICLOUD_LAB.run("up")
    assert "already up: nothing started" in up.stdout
    assert sorted(p.read_text() for p in (MINICLOUD_HOME / "state" / "run").glob("*.pid")) == pids_before


def test_a_collection_costs_list_pages_plus_suspects_never_a_request_per_object(failures):
    """Counted on the real APIs (the SDK session's own requests): each list is its pages (the mini cloud's
    small page limits make several), flavors never a request each for their extra_specs, and the per-object
    calls are only the suspects' (each failed server: its action list, then one call per suspect action)."""
    from runbook_lib.sources.openstack_lists import COLLECTORS, collect_openstack

    conn, servers = failures
    snapshot = collect_openstack(conn, "minicloud")
    parts = snapshot.manifest["parts"]
    lists = {p: (parts[p]["requests"], len(snapshot.parts[p])) for p in COLLECTORS if p in parts}
    # pages are at least 5 objects here (Glance's default limit; Nova's max_limit is 10: real pagination)
    assert lists and all(1 <= n <= found // 5 + 2 for n, found in lists.values()), lists
    requests, found = lists["openstack/servers"]
    assert found > 10 and requests == -(-found // 10) + (found % 10 == 0)  # every page followed, no more
    assert parts["openstack/flavors"]["requests"] == 1 and any(
        not f.get("extra_specs") for f in snapshot.parts["openstack/flavors"]
    )
    actions = parts["openstack/instance_actions"]
    errored = [s for s in servers.values() if s.status == "ERROR"]
    assert 0 < len(errored) <= actions["suspects"] < len(servers)  # never every server
    assert actions["requests"] == actions["suspects"] + len(snapshot.parts["openstack/instance_actions"])
    dhcp = parts["openstack/dhcp_hosting"]
    assert dhcp["requests"] == dhcp["suspects"]
