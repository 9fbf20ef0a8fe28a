"""Produce real failures inside real Nova (run by 'scripts/minicloud seed failures').

nvh-boot       boot with a flavor requiring a trait no host has   → ERROR "No valid host was found."
resize-nvh     resize to that flavor                              → migration error, server ACTIVE, no fault
migrate-fail   cold migrate to minicompute2 (finish_resize fails) → ERROR, migration error
bind-fail      boot with a port on fail-bind-1                    → ERROR PortBindingFailed, port binding_failed
vif-timeout    boot with a port on vif-down-1 (fatal, 10 s)       → ERROR "Failed to allocate the network(s), not rescheduling."
vif-nonfatal   boot with a port on vif-down-2 (not fatal)         → ACTIVE after the timeout, port DOWN
vif-late       boot with a port on vif-late-1 (agent after 3 s)   → ACTIVE, port ACTIVE (the healthy control)
ssh-bad        cold migrate ssh-src → ssh-dst-bad (unknown host key) → migration error, ACTIVE, no fault
ssh-ok         cold migrate ssh-src → ssh-dst-ok, then confirm    → ACTIVE on ssh-dst-ok, migration confirmed
"""

import time

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


def boot(name, host=None, flavor=tiny, with_port=False):
    existing = compute.find_server(name)
    if existing:
        return existing
    kwargs = {"availability_zone": f"nova:{host}"} if host else {}
    if with_port:
        port = network.create_port(network_id=net.id, name=f"{name}-port")
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
    raise SystemExit(
        f"seed failures: {server.name} did not settle (status {server.status}, task {server.task_state})"
    )


def migration_done(server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        migrations = list(compute.migrations(instance_uuid=server.id))
        if migrations and migrations[0].status in ("error", "failed", "finished", "confirmed"):
            return settle(server)
        time.sleep(1)
    raise SystemExit(f"seed failures: migration of {server.name} did not finish")


started = time.monotonic()
# Everything that only needs a boot runs at once; the vif timeouts (10 s) dominate.
servers = {
    "nvh-boot": boot("nvh-boot", flavor=trait),
    "resize-nvh": boot("resize-nvh", host="minicompute"),
    "migrate-fail": boot("migrate-fail", host="minicompute"),
    "bind-fail": boot("bind-fail", host="fail-bind-1", with_port=True),
    "vif-timeout": boot("vif-timeout", host="vif-down-1", with_port=True),
    "vif-nonfatal": boot("vif-nonfatal", host="vif-down-2", with_port=True),
    "vif-late": boot("vif-late", host="vif-late-1", with_port=True),
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
for name in ("nvh-boot", "bind-fail", "vif-timeout", "vif-nonfatal", "vif-late"):
    servers[name] = settle(servers[name])

for name, server in servers.items():
    migration = next(iter(compute.migrations(instance_uuid=server.id)), None)
    fault = (server.fault or {}).get("message", "")
    print(
        f"{name:<13} {server.status:<7} host={server.compute_host or '-':<12} "
        f"migration={migration.status if migration else '-':<9} {fault[:70]}"
    )
print(f"seeded failures in {time.monotonic() - started:.0f}s")
