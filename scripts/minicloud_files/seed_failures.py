"""Produce real failures inside real Nova (run by 'scripts/minicloud seed failures').

nvh-boot       boot with a flavor requiring a trait no host has   → ERROR "No valid host was found."
resize-nvh     resize to that flavor                              → migration error, server ACTIVE, no fault
migrate-fail   cold migrate to minicompute2 (finish_resize fails) → ERROR, migration error
bind-fail      boot with a port on fail-bind-1                    → ERROR PortBindingFailed, port binding_failed
vif-timeout    boot with a port on vif-down-1 (fatal, 10 s)       → ERROR "Failed to allocate the network(s),
                                                                     not rescheduling."
vif-nonfatal   boot with a port on vif-down-2 (not fatal)         → ACTIVE after the timeout, port DOWN
vif-late       boot with a port on vif-late-1 (agent after 3 s)   → ACTIVE, port ACTIVE (the healthy control)
vif-error      boot with a port on vif-fail-1: the "agent" sets the port ERROR after 3 s → Neutron sends
               network-vif-plugged with status failed → ERROR "Failed to allocate the network(s) …" at once
vif-dhcp       boot with a port made with owner compute:nova on dhcp-net, on vif-dhcp-1: the L2 block clears
               after 3 s, the network's DHCP agent (dead) never clears its own → ERROR "Failed to allocate …"
vif-dup-N      boot with a port on vif-late-2 while a second, stray nova-compute of vif-late-2 runs (same config,
               started by hand): the two share the host's RPC queue, so network-vif-plugged reaches either;
               boots until one times out (the stray got the event: "Received unexpected event" in its log
               lines) → ERROR "Failed to allocate the network(s) …"; the stray is stopped afterwards
orphan-port    a compute port whose server does not exist, deleted: Neutron tells Nova network-vif-deleted,
               Nova answers 404 for it (in a 207: neutron-server's WARNING "… returned with failed status";
               older Nova answered the whole batch 404: "Nova returned NotFound for event")
ssh-bad        cold migrate ssh-src → ssh-dst-bad (unknown host key) → migration error, ACTIVE, no fault
ssh-ok         cold migrate ssh-src → ssh-dst-ok, then confirm    → ACTIVE on ssh-dst-ok, migration confirmed
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import openstack
from seedlib import ensure_image

conn = openstack.connect(cloud="minicloud")
compute, network = conn.compute, conn.network
conn.set_compute_quotas("admin", cores=-1, instances=-1, ram=-1)

image = ensure_image(conn, "cirros-fake")
tiny = compute.find_flavor("m1.tiny") or compute.create_flavor(name="m1.tiny", vcpus=1, ram=512, disk=1)
small = compute.find_flavor("m1.small") or compute.create_flavor(name="m1.small", vcpus=2, ram=2048, disk=1)
trait = compute.find_flavor("m1.trait")
if trait is None:
    trait = compute.create_flavor(name="m1.trait", vcpus=1, ram=512, disk=1)
    compute.create_flavor_extra_specs(trait, {"trait:CUSTOM_NOT_PRESENT": "required"})
net = network.find_network("net1") or network.create_network(name="net1")
if not list(network.subnets(network_id=net.id)):
    network.create_subnet(network_id=net.id, ip_version=4, cidr="10.0.0.0/24", name="net1-v4")

# Agents that report once and then die (agents.py): the L2 agent of vif-down-1, and the DHCP agent that
# will host dhcp-net. The network is given to the DHCP agent by hand (auto scheduling is off).
etc = Path(os.environ["MINICLOUD_ETC"]) / "neutron"
SILENT_HOSTS = ("vif-down-1", "net-1")
if not any(a.host in SILENT_HOSTS for a in network.agents()):  # once only: a re-seed must not revive them
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).parent / "agents.py"),
            "--config-file",
            str(etc / "neutron.conf"),
            "--config-file",
            str(etc / "plugins/ml2/ml2_conf.ini"),
            "once",
        ],
        check=True,
    )
dhcp_agent = next(network.agents(host="net-1", agent_type="DHCP agent"))
dhcp_net = network.find_network("dhcp-net") or network.create_network(name="dhcp-net")
if not list(network.subnets(network_id=dhcp_net.id)):
    network.create_subnet(
        network_id=dhcp_net.id, ip_version=4, cidr="10.0.1.0/24", name="dhcp-net-v4", is_dhcp_enabled=True
    )
if not any(a.id == dhcp_agent.id for a in network.network_hosting_dhcp_agents(dhcp_net)):
    network.add_dhcp_agent_to_network(dhcp_agent, dhcp_net)


def boot(name, host=None, flavor=tiny, with_port=False, on=None):
    """``on``: a network on which the port is made beforehand with a compute owner, as orchestration tools
    do. ML2 adds the DHCP provisioning block only when a port is created with an owner: Nova creates its
    own ports without one (neutron 29 exempts them), so a dead DHCP agent blocks only such ports."""
    existing = compute.find_server(name)
    if existing:
        return existing
    kwargs = {"availability_zone": f"nova:{host}"} if host else {}
    if with_port:
        port = network.create_port(network_id=net.id, name=f"{name}-port")
        kwargs["networks"] = [{"port": port.id}]
    elif on is not None:
        port = network.create_port(network_id=on.id, name=f"{name}-port", device_owner="compute:nova")
        kwargs["networks"] = [{"port": port.id}]
    else:
        kwargs["networks"] = "none"
    return compute.create_server(name=name, image_id=image.id, flavor_id=flavor.id, **kwargs)


def settle(server, timeout=90, want=("ACTIVE", "ERROR", "VERIFY_RESIZE", "SHUTOFF")):
    """Wait until the server has no task and its status is one of ``want``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = compute.get_server(server.id)
        if server.task_state is None and server.status in want:
            return server
        time.sleep(1)
    raise SystemExit(f"seed failures: {server.name} did not settle (status {server.status}, task {server.task_state})")


def migration_done(server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        migrations = list(compute.migrations(instance_uuid=server.id))
        if migrations and migrations[0].status in ("error", "failed", "finished", "confirmed"):
            return settle(server)
        time.sleep(1)
    raise SystemExit(f"seed failures: migration of {server.name} did not finish")


def silent_agents_dead(timeout=60):
    """The silent agents are dead agent_down_time (20 s) after their one report: the vif boots come after,
    as in the field, where the agent died before the boot."""
    deadline = time.monotonic() + timeout
    while any(a.is_alive for a in network.agents() if a.host in SILENT_HOSTS):
        if time.monotonic() > deadline:
            raise SystemExit(f"seed failures: the silent agents are still alive after {timeout} s")
        time.sleep(2)


started = time.monotonic()
# The boots that need no dead agent first; the vif boots once the silent agents are dead.
servers = {
    "nvh-boot": boot("nvh-boot", flavor=trait),
    "resize-nvh": boot("resize-nvh", host="minicompute"),
    "migrate-fail": boot("migrate-fail", host="minicompute"),
    "bind-fail": boot("bind-fail", host="fail-bind-1", with_port=True),
    "ssh-bad": boot("ssh-bad", host="ssh-src"),
    "ssh-ok": boot("ssh-ok", host="ssh-src"),
}
for name in ("resize-nvh", "migrate-fail", "ssh-bad", "ssh-ok"):
    servers[name] = settle(servers[name])
if not list(compute.migrations(instance_uuid=servers["resize-nvh"].id)):
    compute.resize_server(servers["resize-nvh"], trait.id)
if not list(compute.migrations(instance_uuid=servers["migrate-fail"].id)):
    compute.migrate_server(servers["migrate-fail"], host="minicompute2")
if not list(compute.migrations(instance_uuid=servers["ssh-bad"].id)):
    compute.migrate_server(servers["ssh-bad"], host="ssh-dst-bad")
if not list(compute.migrations(instance_uuid=servers["ssh-ok"].id)):
    compute.migrate_server(servers["ssh-ok"], host="ssh-dst-ok")
for name in ("resize-nvh", "migrate-fail", "ssh-bad", "ssh-ok"):
    servers[name] = migration_done(servers[name])
if servers["ssh-ok"].status == "VERIFY_RESIZE":
    compute.confirm_server_resize(servers["ssh-ok"])
    servers["ssh-ok"] = settle(servers["ssh-ok"], want=("ACTIVE",))
silent_agents_dead()
servers.update(
    {
        "vif-timeout": boot("vif-timeout", host="vif-down-1", with_port=True),
        "vif-nonfatal": boot("vif-nonfatal", host="vif-down-2", with_port=True),
        "vif-late": boot("vif-late", host="vif-late-1", with_port=True),
        "vif-dhcp": boot("vif-dhcp", host="vif-dhcp-1", on=dhcp_net),
        "vif-error": boot("vif-error", host="vif-fail-1", with_port=True),
    }
)
for name in ("nvh-boot", "bind-fail", "vif-timeout", "vif-nonfatal", "vif-late", "vif-dhcp", "vif-error"):
    servers[name] = settle(servers[name])


STATE = Path(os.environ["MINICLOUD_ETC"]).parent  # the cloud's state directory: run/, log/, rabbitmq/


def stray_compute(host):
    """A second nova-compute of ``host``, started by hand the way the service was (the same command line and
    config), its pid file beside the services' so that 'minicloud down' stops it if this seed does not."""
    run_dir = STATE / "run"
    saved = json.loads((run_dir / f"nova-compute-{host}.cmd").read_text())
    log = open(run_dir.parent / "log" / f"nova-compute-{host}-stray.out", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        saved["cmd"], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    (run_dir / f"nova-compute-{host}-stray.pid").write_text(f"{proc.pid}\n")
    return proc, run_dir / f"nova-compute-{host}-stray.pid"


def consuming(host, timeout=60):
    """Both processes listen on the host's queue (RabbitMQ counts its consumers)."""
    deadline = time.monotonic() + timeout
    rabbit_home = {"HOME": str(STATE / "rabbitmq")}
    while time.monotonic() < deadline:
        listed = subprocess.run(
            ["rabbitmqctl", "-n", "rabbit@localhost", "list_queues", "name", "consumers"],
            capture_output=True,
            text=True,
            env={**os.environ, **rabbit_home},
        ).stdout
        if any(line.split() == [f"compute.{host}", "2"] for line in listed.splitlines()):
            return
        time.sleep(1)
    raise SystemExit(f"seed failures: the stray nova-compute of {host} did not start consuming")


if not [s for s in compute.servers(all_projects=True) if s.name.startswith("vif-dup-") and s.status == "ERROR"]:
    stray, stray_pid_file = stray_compute("vif-late-2")
    try:
        consuming("vif-late-2")
        for attempt in range(1, 11):  # each boot's event reaches the stray with probability 1/2
            servers[f"vif-dup-{attempt}"] = settle(boot(f"vif-dup-{attempt}", host="vif-late-2", with_port=True))
            if servers[f"vif-dup-{attempt}"].status == "ERROR":
                break
        else:
            raise SystemExit("seed failures: 10 boots on vif-late-2 and the stray never took the event")
    finally:
        os.killpg(stray.pid, signal.SIGTERM)
        stray.wait(timeout=30)
        stray_pid_file.unlink()

orphan = network.create_port(
    network_id=net.id, name="orphan-port", device_owner="compute:nova", device_id=str(uuid.uuid4())
)
network.delete_port(orphan)

for name, server in servers.items():
    migration = next(iter(compute.migrations(instance_uuid=server.id)), None)
    fault = (server.fault or {}).get("message", "")
    print(
        f"{name:<13} {server.status:<7} host={server.compute_host or '-':<12} "
        f"migration={migration.status if migration else '-':<9} {fault[:70]}"
    )
print(f"seeded failures in {time.monotonic() - started:.0f}s")
