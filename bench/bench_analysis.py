"""Analysis time of the CPU-topology runbook on a generated 20,000-server cloud.

The cloud is built from the demo snapshot's real records (same shapes), multiplied: 200 images, 40
flavors, 20,000 servers in 500 projects. Prints wall times; asserts nothing.
"""

import copy
import random
import sys
import time
import uuid

from runbook_lib.cpu_topology.checks import analyse_cpu_topology
from runbook_lib.cpu_topology.plan import plan_cpu_topology
from runbook_lib.snapshot import Snapshot, load_snapshot


def generate(servers: int = 20_000, images: int = 200, flavors: int = 40, seed: int = 7) -> Snapshot:
    rng = random.Random(seed)
    demo = load_snapshot("demo")
    base_images, base_flavors = demo.get("openstack/images"), demo.get("openstack/flavors")
    base_servers = [s for s in demo.get("openstack/servers") if s.get("image")]
    out_images = []
    for i in range(images):
        image = copy.deepcopy(base_images[i % len(base_images)])
        image.update(id=str(uuid.UUID(int=rng.getrandbits(128))), name=f"{image['name']} #{i}")
        out_images.append(image)
    out_flavors = []
    for i in range(flavors):
        flavor = copy.deepcopy(base_flavors[i % len(base_flavors)])
        flavor.update(id=str(uuid.UUID(int=rng.getrandbits(128))), name=f"{flavor['name']}.{i}")
        out_flavors.append(flavor)
    out_servers = []
    for i in range(servers):
        server = copy.deepcopy(base_servers[i % len(base_servers)])
        image, flavor = rng.choice(out_images), rng.choice(out_flavors)
        server.update(id=str(uuid.UUID(int=rng.getrandbits(128))), name=f"vm-{i}", tenant_id=f"project-{i % 500}")
        server["image"] = {"id": image["id"], "links": []}
        server["flavor"] = {
            "original_name": flavor["name"],
            "vcpus": flavor["vcpus"],
            "ram": flavor["ram"],
            "disk": 1,
            "ephemeral": 0,
            "swap": 0,
            "extra_specs": dict(flavor["extra_specs"]),
        }
        out_servers.append(server)
    parts = {
        "openstack/images": out_images,
        "openstack/flavors": out_flavors,
        "openstack/servers": out_servers,
        "openstack/volumes": [],
    }
    return Snapshot(manifest=dict(demo.manifest, cloud="generated"), parts=parts)


def main() -> int:
    started = time.perf_counter()
    snapshot = generate()
    generated = time.perf_counter()
    analysis = analyse_cpu_topology(snapshot)
    analysed = time.perf_counter()
    plan = plan_cpu_topology(analysis)
    planned = time.perf_counter()
    print(
        f"generated cloud: {len(snapshot.get('openstack/servers'))} servers, "
        f"{len(snapshot.get('openstack/images'))} images, {len(snapshot.get('openstack/flavors'))} flavors "
        f"({generated - started:.2f} s)"
    )
    print(
        f"analyse_cpu_topology: {analysed - generated:.2f} s "
        f"({len(analysis.affected_servers)} servers lose vCPUs, {len(analysis.pairs)} image×flavor pairs, "
        f"{len(analysis.findings)} findings)"
    )
    print(f"plan_cpu_topology:    {planned - analysed:.2f} s ({len(plan)} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
