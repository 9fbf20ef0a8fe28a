"""Fill the mini cloud to a large cloud's size (run by 'scripts/minicloud seed scale'; SCALE_SERVERS=N, default 10000).

What a real cloud of that size holds, served back by the real Nova, Neutron, Glance and Keystone with their own
pagination (`[api]/max_limit` is 10 here, so every list is many pages):

- projects (one per 20 servers), flavors (~1 per 50 servers, some with hw:cpu_max_sockets) and images (~1 per
  40 servers, an eighth of them Windows) through the services' APIs;
- compute services and hypervisors (one per 10 servers), servers, instance mappings, migrations, instance
  actions and faults through Nova's own object layer (``nova.objects``), the rows its API and conductor write:
  booting 10,000 guests through the scheduler on two cores would take hours and prove nothing more about the
  lists the runbooks read;
- ports (two per server) through Neutron's bulk API; their status is then set ACTIVE in Neutron's database
  (only a port binding by an agent sets it, and no agent runs for a thousand fake hosts), leaving the ports of
  the failed builds DOWN.

A few percent fail in the runbooks' ways: Windows guests on flavors that expose more sockets than the edition
uses, resizes failed on ssh ("This account is currently not available"), builds aborted with "Failed to
allocate the network(s), not rescheduling". Idempotent per size: a cloud already filled is left alone.
"""

import datetime as dt
import os
import random
import sys
import time
import uuid

import openstack

SERVERS = int(os.environ.get("SCALE_SERVERS", "10000"))
PORTS_PER_SERVER = int(os.environ.get("SCALE_PORTS_PER_SERVER", "2"))
ETC = os.environ["MINICLOUD_ETC"]
PREFIX = "scale-"
START = time.monotonic()
rng = random.Random(20261203)  # the same cloud every time


def say(what: str) -> None:
    print(f"[seed scale {time.monotonic() - START:7.1f}s] {what}", flush=True)


admin = openstack.connect(cloud="minicloud")


def projects() -> list[str]:
    want = max(1, SERVERS // 20)
    have = {p.name: p.id for p in admin.identity.projects() if p.name.startswith(PREFIX)}
    for i in range(want):
        name = f"{PREFIX}project-{i:04d}"
        if name not in have:
            have[name] = admin.identity.create_project(name=name, domain_id="default").id
    return [have[f"{PREFIX}project-{i:04d}"] for i in range(want)]


def flavors() -> list[str]:
    """Flavor ids; one in ten caps its sockets at 2, the rest let Nova expose every vCPU as a socket."""
    have = {f.name: f.id for f in admin.compute.flavors(is_public=None) if f.name.startswith(PREFIX)}
    ids = []
    for i in range(max(10, SERVERS // 50)):
        name = f"{PREFIX}f{i:03d}"
        if name not in have:
            vcpus = (1, 2, 4, 8, 16)[i % 5]
            flavor = admin.compute.create_flavor(name=name, vcpus=vcpus, ram=1024 * vcpus, disk=10 + i % 7)
            if i % 10 == 9:
                admin.compute.create_flavor_extra_specs(flavor, {"hw:cpu_max_sockets": "2"})
            have[name] = flavor.id
        ids.append(have[name])
    return ids


def images() -> list[tuple[str, bool]]:
    """(image id, is Windows) pairs; an eighth are Windows client editions without a socket cap."""
    have = {i.name: i for i in admin.image.images() if i.name and i.name.startswith(PREFIX)}
    out = []
    for i in range(max(8, SERVERS // 40)):
        windows = i % 8 == 0
        name = f"{PREFIX}{'win10-pro' if windows else 'ubuntu'}-{i:03d}"
        image = have.get(name)
        if image is None:
            props = {"os_type": "windows", "os_distro": "windows", "os_version": "10"} if windows else {}
            image = admin.image.create_image(
                name=name, data=b"\0" * 512, disk_format="raw", container_format="bare", visibility="public", **props
            )
        out.append((image.id, windows))
    return out


def nova_objects():
    """Nova's object layer on the mini cloud's nova.conf (its API and cell databases)."""
    from nova import config, context, objects

    objects.register_all()
    config.parse_args(["nova-seed-scale", "--config-file", f"{ETC}/nova/nova.conf"])
    ctx = context.get_admin_context()
    cell = next(c for c in objects.CellMappingList.get_all(ctx) if not c.is_cell0())
    return objects, ctx, cell


def host_ip(name: str) -> str:
    """The migration address of a filled host: nova's ssh goes to it (Nova's my_ip, the migration's dest_host)."""
    i = int(name.rsplit("-", 1)[1])
    return f"10.1.{i // 250}.{i % 250 + 1}"


def hosts(objects, ctx, cell) -> dict[str, int]:
    """host name → its compute node's id (a server on a node names it since Nova 2023.2: compute_id)."""
    names = [f"{PREFIX}cmp-{i:04d}" for i in range(max(1, SERVERS // 10))]
    have = {n.host: n.id for n in objects.ComputeNodeList.get_all(ctx)}
    for name in names:
        if name in have:
            continue
        service = objects.Service(ctx, host=name, binary="nova-compute", topic="compute", report_count=1)
        service.create()
        node = objects.ComputeNode(
            ctx,
            host=name,
            hypervisor_hostname=name,
            service_id=service.id,
            uuid=str(uuid.uuid4()),
            vcpus=64,
            memory_mb=262144,
            local_gb=2000,
            vcpus_used=0,
            memory_mb_used=0,
            local_gb_used=0,
            hypervisor_type="fake",
            hypervisor_version=1000,
            cpu_info="{}",
            free_ram_mb=262144,
            free_disk_gb=2000,
            current_workload=0,
            running_vms=0,
            disk_available_least=2000,
            host_ip=host_ip(name),
            supported_hv_specs=[],
            pci_device_pools=None,
            metrics="[]",
            extra_resources=None,
            stats={},
            numa_topology=None,
            cpu_allocation_ratio=16.0,
            ram_allocation_ratio=1.5,
            disk_allocation_ratio=1.0,
            mapped=1,
        )
        node.create()
        # what 'nova-manage cell_v2 discover_hosts' writes: without it Nova's API lists neither host nor node
        objects.HostMapping(ctx, host=name, cell_mapping=cell).create()
        have[name] = node.id
    return {name: have[name] for name in names}


# What Nova's libvirt driver raises when its ssh to the destination fails (migrate_disk_and_power_off): a
# ProcessExecutionError's text inside a ResizeError; the event keeps its message (cut at 255 characters).
SSH_FAILURE = (
    "not able to execute ssh command: Unexpected error while running command.\n"
    "Command: ssh -o BatchMode=yes {dest} mkdir -p /var/lib/nova/instances/{uuid}\nExit code: 1\n"
    "Stdout: 'This account is currently not available.\\n'\nStderr: ''"
)
VIF_FAILURE = "Failed to allocate the network(s), not rescheduling."


def servers(objects, ctx, cell, project_ids, flavor_ids, image_list, host_names) -> list[dict]:
    """The servers (created once), and which of them failed how."""
    from nova import exception
    from nova.network import model as network_model

    existing = objects.InstanceList.get_by_filters(ctx, {"display_name": f"^{PREFIX}vm-"})
    made = [
        {
            "uuid": i.uuid,
            "project": i.project_id,
            "vm_state": i.vm_state,
            "host": i.host,
            "new": False,
            "name": i.display_name,
        }
        for i in existing
    ]
    names = {i.display_name for i in existing}
    flavors_by_id = {f: objects.Flavor.get_by_flavor_id(ctx, f) for f in flavor_ids}
    launched = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for n in range(SERVERS):
        image_id, windows = image_list[rng.randrange(len(image_list))]  # drawn for every n: the same cloud
        if f"{PREFIX}vm-{n:05d}" in names:
            continue
        flavor = flavors_by_id[flavor_ids[n % len(flavor_ids)]]
        host = list(host_names)[n % len(host_names)]
        project = project_ids[n % len(project_ids)]
        failed_build = n % 97 == 13  # ~1 %: the vif timeout
        instance = objects.Instance(
            ctx,
            uuid=str(uuid.uuid4()),
            user_id="scale-user",
            project_id=project,
            display_name=f"{PREFIX}vm-{n:05d}",
            hostname=f"{PREFIX}vm-{n:05d}",
            host=None if failed_build else host,
            node=None if failed_build else host,
            compute_id=None if failed_build else host_names[host],
            availability_zone="nova",
            vm_state="error" if failed_build else "active",
            power_state=0 if failed_build else 1,
            task_state=None,
            image_ref=image_id,
            flavor=flavor,
            instance_type_id=flavor.id,
            vcpus=flavor.vcpus,
            memory_mb=flavor.memory_mb,
            root_gb=flavor.root_gb,
            ephemeral_gb=flavor.ephemeral_gb,
            launched_at=None if failed_build else launched + dt.timedelta(minutes=n),
            system_metadata={"image_os_type": "windows"} if windows else {},
            old_flavor=None,
            new_flavor=None,
            info_cache=objects.InstanceInfoCache(network_info=network_model.NetworkInfo()),
            keypairs=objects.KeyPairList(objects=[]),
            locked=False,
        )
        instance.create()
        objects.InstanceMapping(
            ctx,
            instance_uuid=instance.uuid,
            project_id=project,
            user_id="scale-user",
            cell_mapping=cell,
            queued_for_delete=False,
        ).create()
        if failed_build:
            abort = exception.BuildAbortException(instance_uuid=instance.uuid, reason=VIF_FAILURE)
            event = "compute__do_build_and_run_instance"
            _failed_event(objects, ctx, instance.uuid, project, "create", event, abort, host)
            objects.InstanceFault(
                ctx,
                instance_uuid=instance.uuid,
                code=500,
                message=abort.format_message(),
                details="",
                host=host,
            ).create()
        made.append(
            {
                "uuid": instance.uuid,
                "project": project,
                "vm_state": instance.vm_state,
                "host": host,
                "new": True,
                "name": instance.display_name,
            }
        )
        if (n + 1) % 1000 == 0:
            say(f"{n + 1} servers")
    return made


def _action(objects, ctx, instance_uuid, project, name):
    """An instance action as the API records it: its own request id, the caller's project."""
    action_ctx = ctx.elevated()
    action_ctx.request_id = f"req-{uuid.uuid4()}"
    action_ctx.project_id, action_ctx.user_id = project, "scale-user"
    objects.InstanceAction.action_start(action_ctx, instance_uuid, name, want_result=False)
    return action_ctx


def _failed_event(objects, ctx, instance_uuid, project, action, event, error, host):
    """An action whose compute event failed with ``error`` (a Nova exception), as nova-compute records it:
    the exception's message and the traceback's frames."""
    action_ctx = _action(objects, ctx, instance_uuid, project, action)
    objects.InstanceActionEvent.event_start(action_ctx, instance_uuid, event, want_result=False, host=host)
    try:
        raise error
    except Exception as exc:
        objects.InstanceActionEvent.event_finish_with_failure(
            action_ctx, instance_uuid, event, exc_val=exc, exc_tb=sys.exc_info()[2], want_result=False
        )


def migrations(objects, ctx, made, host_names) -> int:
    """A resize for one server in four; one in thirty of those failed on the ssh to the destination."""
    from nova import exception

    count = 0
    for n, server in enumerate(made):
        if n % 4 or server["vm_state"] != "active" or not server["new"]:
            continue
        failed = n % 120 == 0
        dest = list(host_names)[(n + 1) % len(host_names)]
        migration = objects.Migration(
            ctx,
            uuid=str(uuid.uuid4()),
            instance_uuid=server["uuid"],
            source_compute=server["host"],
            dest_compute=dest,
            source_node=server["host"],
            dest_node=dest,
            dest_compute_id=host_names[dest],
            dest_host=host_ip(dest),
            status="pre-migrating",
            migration_type="resize",
            old_instance_type_id=1,
            new_instance_type_id=1,
        )
        migration.create()
        migration.status = "error" if failed else "confirmed"  # a status change sets updated_at, as in Nova
        migration.save()
        if failed:
            failure = exception.ResizeError(reason=SSH_FAILURE.format(dest=host_ip(dest), uuid=server["uuid"]))
            _failed_event(
                objects,
                ctx,
                server["uuid"],
                server["project"],
                "resize",
                "compute_resize_instance",
                failure,
                server["host"],
            )
        else:
            _action(objects, ctx, server["uuid"], server["project"], "resize")
        count += 1
    return count


def ports(made) -> int:
    """Two ports per server (SCALE_PORTS_PER_SERVER) on a few networks (Neutron's bulk API, 500 a request)."""
    # a network per 1,000 ports: Neutron draws each MAC at random per network, and its bulk create fails the
    # whole request on a duplicate (thousands of ports on one network make that likely): fewer per network,
    # and a failed batch is sent again (new MACs)
    net_names = [f"{PREFIX}net-{i}" for i in range(max(4, len(made) * PORTS_PER_SERVER // 1000))]
    networks = {n.name: n.id for n in admin.network.networks() if n.name in net_names}
    for name in net_names:
        if name not in networks:
            networks[name] = admin.network.create_network(name=name).id
    have = {p.name for p in admin.network.ports(fields=["name"]) if (p.name or "").startswith(f"{PREFIX}vm-")}
    batch, created = [], 0
    for n, server in enumerate(made):
        for k in range(PORTS_PER_SERVER):
            if f"{server['name']}-port-{k}" in have:
                continue
            batch.append(
                {
                    "network_id": networks[net_names[(n + k) % len(net_names)]],
                    "device_id": server["uuid"],
                    "device_owner": "compute:nova",
                    "project_id": server["project"],
                    "name": f"{server['name']}-port-{k}",
                }
            )
        if len(batch) >= 500 or (batch and n == len(made) - 1):
            _create_ports(batch)
            created += len(batch)
            batch = []
            say(f"{len(have) + created} ports")
    return len(have) + created


def _create_ports(batch, attempts=5):
    for attempt in range(attempts):
        try:
            admin.network.create_ports(batch)
            return
        except openstack.exceptions.ConflictException as exc:  # a MAC drawn twice on one network
            say(f"batch refused ({str(exc)[-120:]}); again ({attempt + 1}/{attempts})")
    raise SystemExit(f"seed scale: Neutron refused a batch of ports {attempts} times")


def activate_ports(made) -> None:
    """Ports of the running servers ACTIVE, as their agents would have reported them (see the module's text)."""
    import configparser

    import sqlalchemy

    neutron = configparser.ConfigParser(interpolation=None)
    neutron.read(f"{ETC}/neutron/neutron.conf")
    engine = sqlalchemy.create_engine(neutron["database"]["connection"])
    failed = [s["uuid"] for s in made if s["vm_state"] == "error"]
    with engine.begin() as db:
        db.execute(
            sqlalchemy.text(
                "UPDATE ports SET status = 'ACTIVE' WHERE device_owner = 'compute:nova' AND name LIKE :prefix"
            ),
            {"prefix": f"{PREFIX}vm-%"},
        )
        for server_id in failed:
            db.execute(sqlalchemy.text("UPDATE ports SET status = 'DOWN' WHERE device_id = :d"), {"d": server_id})


def main() -> None:
    project_ids = projects()
    say(f"{len(project_ids)} projects")
    flavor_ids = flavors()
    say(f"{len(flavor_ids)} flavors")
    image_list = images()
    say(f"{len(image_list)} images")
    objects, ctx, cell = nova_objects()
    host_names = hosts(objects, ctx, cell)
    say(f"{len(host_names)} compute services and hypervisors")
    made = servers(objects, ctx, cell, project_ids, flavor_ids, image_list, host_names)
    say(f"{len(made)} servers")
    say(f"{migrations(objects, ctx, made, host_names)} migrations and their instance actions")
    say(f"{ports(made)} ports")
    activate_ports(made)
    say("done")


main()
