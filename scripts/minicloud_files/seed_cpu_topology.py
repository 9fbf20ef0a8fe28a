"""Seed the CPU-topology scenario into a fresh mini cloud (run by 'scripts/minicloud seed cpu-topology').

Windows 7 Pro, Windows 10 Home, Windows 10 Pro with the hw_max_sockets typo, Windows 11 Pro already
fixed, a Windows 10 Pro image fixed only after vdi-1 booted from it, Windows Server 2019, a Windows image
recognised only by its name, Linux images (one whose hw_cpu_max_sockets exceeds a flavor's limit),
2/4/8/16-vCPU flavors (one with hw:cpu_max_sockets, one legacy flavor holding a misspelled spec stored
before microversion 2.86), and servers in two projects.
"""

import openstack
from seedlib import ensure_image

admin = openstack.connect(cloud="minicloud")
member = openstack.connect(cloud="minicloud-member")

IMAGES = {
    "Windows 7 Professional SP1": {"os_type": "windows", "os_distro": "windows", "os_version": "7"},
    "Windows 10 Home 22H2": {"os_distro": "win10", "os_version": "10"},
    "Windows 10 Pro 22H2": {
        "os_type": "windows",
        "os_distro": "windows",
        "os_version": "10",
        "hw_max_sockets": "2",
    },  # the blog's misspelling: Glance keeps it, Nova ignores it
    "Windows 11 Pro (fixed)": {
        "os_type": "windows",
        "os_distro": "windows",
        "os_version": "11",
        "hw_cpu_max_sockets": "2",
        "hw_disk_bus": "sata",
    },
    "Windows Server 2019 Datacenter": {"os_type": "windows", "os_distro": "windows", "os_version": "2019"},
    "win10-enterprise-ltsc-gold": {},  # no os_* properties: only the name says Windows
    "Ubuntu 24.04": {"os_type": "linux", "os_distro": "ubuntu", "os_version": "24.04"},
    "Rocky 9 (pinned 4 sockets)": {"os_type": "linux", "os_distro": "rocky", "hw_cpu_max_sockets": "4"},
    # fixed only after vdi-1 booted from it: the API then predicts 2 sockets, its domain XML says 4
    "Windows 10 Pro VDI gold": {"os_type": "windows", "os_distro": "windows", "os_version": "10"},
}
FLAVORS = [  # name, vcpus, ram MiB, extra specs
    ("m1.small", 2, 2048, {}),
    ("m1.medium", 4, 4096, {}),
    ("m1.large", 8, 8192, {}),
    ("m1.xlarge", 16, 16384, {}),
    ("w1.large", 8, 8192, {"hw:cpu_max_sockets": "2"}),
]
SERVERS = [  # name, image, flavor, as member (project demo) or admin (project admin)
    ("sql-win7", "Windows 7 Professional SP1", "m1.large", member),
    ("desk-win7", "Windows 7 Professional SP1", "m1.medium", member),  # the post's guest: 4 vCPUs, sees 2
    ("desk-home-1", "Windows 10 Home 22H2", "m1.medium", member),
    ("rdp-pro-1", "Windows 10 Pro 22H2", "m1.medium", member),
    ("rdp-pro-2", "Windows 10 Pro 22H2", "w1.large", member),
    ("win11-ok", "Windows 11 Pro (fixed)", "m1.large", member),
    ("dc-2019", "Windows Server 2019 Datacenter", "m1.xlarge", admin),
    ("build-ltsc", "win10-enterprise-ltsc-gold", "m1.large", admin),
    ("web-1", "Ubuntu 24.04", "m1.small", member),
    ("web-2", "Ubuntu 24.04", "m1.small", member),
    ("web-3", "Ubuntu 24.04", "m1.medium", member),
    ("db-1", "Rocky 9 (pinned 4 sockets)", "m1.large", admin),
    ("ci-runner-1", "Ubuntu 24.04", "m1.xlarge", admin),
    ("ci-runner-2", "Ubuntu 24.04", "m1.xlarge", admin),
    ("vdi-1", "Windows 10 Pro VDI gold", "m1.medium", member),
]

for project in ("admin", "demo"):  # the default quota (20 cores) is smaller than this scenario
    admin.set_compute_quotas(project, cores=-1, instances=-1, ram=-1)

images = {name: ensure_image(admin, name, props).id for name, props in IMAGES.items()}

flavors = {}
for name, vcpus, ram, specs in FLAVORS:
    flavor = admin.compute.find_flavor(name) or admin.compute.create_flavor(
        name=name, vcpus=vcpus, ram=ram, disk=1, is_public=True
    )
    if specs:
        admin.compute.create_flavor_extra_specs(flavor, specs)
    flavors[name] = flavor.id

# A legacy flavor whose misspelled spec was stored before extra-spec validation (microversion < 2.86).
legacy = admin.compute.find_flavor("m1.legacy") or admin.compute.create_flavor(
    name="m1.legacy", vcpus=4, ram=4096, disk=1, is_public=True
)
response = admin.compute.post(
    f"flavors/{legacy.id}/os-extra_specs", json={"extra_specs": {"hw:max_sockets": "2"}}, microversion="2.85"
)
assert response.status_code == 200, response.text
response = admin.compute.post(
    f"flavors/{legacy.id}/os-extra_specs", json={"extra_specs": {"hw:max_sockets": "2"}}, microversion="2.86"
)
print(f"the same typo at microversion 2.86: HTTP {response.status_code} (Nova validates hw: keys from 2.86)")

created = []
for name, image, flavor, conn in SERVERS:
    if conn.compute.find_server(name):
        continue
    created.append(
        conn.compute.create_server(name=name, image_id=images[image], flavor_id=flavors[flavor], networks="none")
    )
for server in created:
    admin.compute.wait_for_server(server, status="ACTIVE", wait=120)
# The classic case: the image fixed after a server booted from it (that server keeps 4 sockets).
vdi = admin.image.get_image(images["Windows 10 Pro VDI gold"])
if "hw_cpu_max_sockets" not in vdi.properties:
    admin.image.update_image_properties(vdi, hw_cpu_max_sockets="2")  # adds one key, keeps the rest
print(f"seeded {len(images)} images, {len(flavors) + 1} flavors, {len(created)} servers")
