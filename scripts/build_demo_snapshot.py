"""Rebuild the embedded demo snapshot (runbook_lib/demo/) from the real mini cloud.

    scripts/minicloud up && scripts/minicloud seed cpu-topology && scripts/minicloud seed failures
    OS_CLIENT_CONFIG_FILE=$(scripts/minicloud env | cut -d= -f2) .venv/bin/python scripts/build_demo_snapshot.py

(or just ``make demo-snapshot``, which also brings scripts/cephlab to nearfull for the Ceph parts;
``build_demo_snapshot.py --ceph-only`` refreshes only those).
Everything comes from the project's own ``collect`` against the live mini cloud, except what that cloud
cannot produce yet, which the manifest marks: Cinder is not part of it, so one volume-backed Windows
server and its boot volume are added in the APIs' real response shapes (the volume record's layout is
copied from a real Cinder 29 ``GET /v3/{project}/volumes/detail`` response, microversion 3.71). No API
returns logs: the nova-compute logs of the hosts where the seeded failures happened are read from the
mini cloud's log files (real lines written by real Nova) into ``logs/nova-compute``. The SSH trust
matrix is probed from ssh-src as its nova user, on this machine (every mini-cloud compute lives here,
so the probe runs locally instead of over the operator's SSH).
"""

import copy
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from runbook_lib.resize_ssh.trust import TRUST_PART, trust_targets
from runbook_lib.snapshot import DEMO_SNAPSHOT, load_snapshot, write_snapshot
from runbook_lib.sources.ceph import CephAccess, collect_ceph, settled_osd_df
from runbook_lib.sources.hosts import probe_ssh_trust
from runbook_lib.sources.logs import read_log_dir
from runbook_lib.sources.openstack import connect
from runbook_lib.sources.openstack_lists import collect_openstack
from runbook_lib.sources.ssh import HostAccess
from runbook_lib.vif_plugging.evidence import NEUTRON_LOG_PART

MINICLOUD_LOGS = Path(os.environ.get("MINICLOUD_HOME", "/var/tmp/stack-runbooks-minicloud")) / "state" / "log"
NOVA_USER = "stackrb-nova"  # the user ssh-src's nova-compute runs as (scripts/minicloud)
TRUST_HOSTS = "ssh-src,ssh-dst-ok,ssh-dst-bad"
_WARNING_OR_WORSE = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")
LOG_HOSTS = (
    "ssh-src",
    "vif-down-1",
    "vif-down-2",
    "vif-late-1",
    "vif-dhcp-1",
    "vif-fail-1",
)  # where the seeded failures happened

CEPHLAB_CONF = Path(os.environ.get("CEPHLAB_HOME", "/var/tmp/stack-runbooks-cephlab")) / "ceph.conf"
CEPH_POOLS = ["volumes", "images", "vms", "backups"]
REWEIGHT_LIMITS = {
    "oload": 120,
    "max_change": 0.05,
    "max_osds": 4,
    "no_increasing": True,
}  # the notebook's defaults
NAMESPACE = uuid.UUID("6f1d3c2e-3f0a-4a59-9c1e-5d1b8e4a7c01")  # stable ids across rebuilds


def volume_backed_server(servers: list[dict], images: list[dict]) -> tuple[dict, dict]:
    template = next(s for s in servers if s["name"] == "desk-home-1")
    home = next(i for i in images if i["name"] == "Windows 10 Home 22H2")
    server_id, volume_id = str(uuid.uuid5(NAMESPACE, "vdi-bfv")), str(uuid.uuid5(NAMESPACE, "vdi-bfv-volume"))
    server = copy.deepcopy(template)
    server.update(
        id=server_id,
        name="vdi-home-bfv",
        image="",
        **{
            "os-extended-volumes:volumes_attached": [{"id": volume_id, "delete_on_termination": False}],
            "OS-EXT-SRV-ATTR:instance_name": "instance-000000ff",
            "links": [],
        },
    )
    volume = {
        "attachments": [
            {
                "id": volume_id,
                "attachment_id": str(uuid.uuid5(NAMESPACE, "attachment")),
                "volume_id": volume_id,
                "server_id": server_id,
                "host_name": server["OS-EXT-SRV-ATTR:host"],
                "device": "/dev/vda",
                "attached_at": server["created"].rstrip("Z"),
            }
        ],
        "availability_zone": "nova",
        "bootable": "true",
        "cluster_name": None,
        "consistencygroup_id": None,
        "consumes_quota": True,
        "created_at": server["created"].rstrip("Z"),
        "description": None,
        "encrypted": False,
        "group_id": None,
        "id": volume_id,
        "links": [],
        "metadata": {},
        "migration_status": None,
        "multiattach": False,
        "name": "vdi-home-root",
        "os-vol-host-attr:host": "volhost@ceph#ceph",
        "os-vol-mig-status-attr:migstat": None,
        "os-vol-mig-status-attr:name_id": None,
        "os-vol-tenant-attr:tenant_id": server["tenant_id"],
        "provider_id": None,
        "replication_status": None,
        "service_uuid": str(uuid.uuid5(NAMESPACE, "svc")),
        "shared_targets": False,
        "size": 40,
        "snapshot_id": None,
        "source_volid": None,
        "status": "in-use",
        "updated_at": server["updated"].rstrip("Z"),
        "user_id": server["user_id"],
        "volume_image_metadata": {
            "checksum": home.get("checksum"),
            "container_format": "bare",
            "disk_format": "raw",
            "image_id": home["id"],
            "image_name": home["name"],
            "min_disk": "0",
            "min_ram": "0",
            "os_distro": home.get("os_distro"),
            "os_version": home.get("os_version"),
            "size": str(home["size"]),
        },
        "volume_type": "__DEFAULT__",
        "volume_type_id": str(uuid.uuid5(NAMESPACE, "type")),
    }
    return server, volume


def rbd(*args: str) -> None:
    subprocess.run(["rbd", "--conf", str(CEPHLAB_CONF), *args], check=True, capture_output=True, timeout=120)


def seed_rbd(snapshot) -> None:
    """RBD images named the way Cinder, Glance and Nova name them, for objects of the demo inventory (in
    use), and some with no API object (orphans), one in the trash; real data written with rbd bench."""
    servers = [s for s in snapshot.get("openstack/servers") if s.get("status") == "ACTIVE" and s.get("image")]
    image_id = servers[0]["image"]["id"]
    rbd("create", "--size", "64", f"images/{image_id}")
    rbd("bench", "--io-type", "write", "--io-size", "4M", "--io-total", "8M", f"images/{image_id}")
    rbd("snap", "create", f"images/{image_id}@snap")
    rbd("snap", "protect", f"images/{image_id}@snap")
    for server in servers[:2]:  # Nova's root disks: COW clones of the Glance base
        rbd("clone", f"images/{image_id}@snap", f"vms/{server['id']}_disk")
    for volume_id in snapshot.manifest["parts"]["openstack/volumes"].get("api_shape_records", []):
        rbd("create", "--size", "128", f"volumes/volume-{volume_id}")  # real Cinder volumes have theirs
    orphans = {
        "vms": f"{uuid.uuid5(NAMESPACE, 'orphan-disk')}_disk",
        "volumes": f"volume-{uuid.uuid5(NAMESPACE, 'orphan-volume')}",
    }
    for pool, name in orphans.items():
        rbd("create", "--size", "256", f"{pool}/{name}")
        rbd("bench", "--io-type", "write", "--io-size", "4M", "--io-total", "8M", f"{pool}/{name}")
    trashed = f"volume-{uuid.uuid5(NAMESPACE, 'trashed-volume')}"
    rbd("create", "--size", "64", f"volumes/{trashed}")
    rbd("trash", "mv", f"volumes/{trashed}")
    settled_osd_df(CephAccess(conf=str(CEPHLAB_CONF)))  # collect only once the OSDs report the new data


def add_ceph(snapshot) -> bool:
    """The Ceph parts, gathered by the runbook's own collector from scripts/cephlab (nearfull)."""
    seed_rbd(snapshot)
    parts, problems = collect_ceph(CephAccess(conf=str(CEPHLAB_CONF)), CEPH_POOLS, REWEIGHT_LIMITS)
    if problems or "OSD_NEARFULL" not in parts["ceph/health_detail"][0].get("checks", {}):
        print(
            f"the Ceph lab is not nearfull ({problems or 'no OSD_NEARFULL'}): run make demo-ceph first",
            file=sys.stderr,
        )
        return False
    snapshot.parts.update(parts)
    note = (
        "collected from scripts/cephlab (real Ceph 16, 4 OSDs) after 'fill 145' (osd.0 nearfull): the mini "
        "cloud's Cinder and Glance write there (seed storage: an RBD image, a COW-clone volume, a volume with a "
        "snapshot), plus RBD images named after demo servers, two orphans and one in the trash (seed_rbd)"
    )
    for part in parts:
        snapshot.manifest["parts"][part] = {"origin": "collected", "note": note}
    return True


def main() -> int:
    if sys.argv[1:] == ["--ceph-only"]:  # refresh only the Ceph parts of the existing demo
        snapshot = load_snapshot(DEMO_SNAPSHOT)
        if not add_ceph(snapshot):
            return 1
        write_snapshot(snapshot, DEMO_SNAPSHOT)
        print("Ceph parts of the demo snapshot rewritten")
        return 0
    snapshot = collect_openstack(connect("minicloud"), "minicloud (seeded: cpu-topology, failures)")
    if len(snapshot.get("openstack/servers")) < 10:
        print("the mini cloud is not seeded: run scripts/minicloud seed cpu-topology", file=sys.stderr)
        return 1
    if "openstack/volumes" in snapshot.problems:
        print(
            "Cinder is not in the mini cloud: run scripts/minicloud storage up and seed storage",
            file=sys.stderr,
        )
        return 1
    server, volume = volume_backed_server(snapshot.get("openstack/servers"), snapshot.get("openstack/images"))
    snapshot.parts["openstack/servers"].append(server)
    snapshot.parts["openstack/volumes"].append(volume)
    snapshot.manifest["parts"]["openstack/servers"]["api_shape_records"] = [server["id"]]
    snapshot.manifest["parts"]["openstack/servers"]["note"] = (
        "collected, plus one volume-backed server (vdi-home-bfv) in Nova's real response shape: the mini "
        "cloud's fake virt driver cannot boot from a volume"
    )
    snapshot.manifest["parts"]["openstack/volumes"] = {
        "origin": "collected",
        "api_shape_records": [volume["id"]],
        "note": "collected from the mini cloud's Cinder on the Ceph lab, plus the volume of vdi-home-bfv in "
        "Cinder 29's response shape (the fake virt driver cannot boot from a volume)",
    }
    logs = [r for r in read_log_dir(MINICLOUD_LOGS, "nova-compute-*.log") if r["source"] in LOG_HOSTS]
    snapshot.parts["logs/nova-compute"] = [{**r, "path": ""} for r in logs]
    snapshot.manifest["parts"]["logs/nova-compute"] = {
        "origin": "log-files",
        "note": "no API returns logs: real nova-compute log lines read from the mini cloud's files",
    }
    # neutron-server's log is mostly DEBUG-free start-up noise: keep what the runbook reads (the notifier)
    # and every WARNING or worse.
    neutron = read_log_dir(MINICLOUD_LOGS, "neutron-server.log")
    for record in neutron:
        record.update(
            source="controller",
            path="",
            lines=[
                line for line in record["lines"] if " neutron.notifiers.nova " in line or _WARNING_OR_WORSE.search(line)
            ],
        )
    snapshot.parts[NEUTRON_LOG_PART] = neutron
    snapshot.manifest["parts"][NEUTRON_LOG_PART] = {
        "origin": "log-files",
        "note": "real neutron-server log of the mini cloud: the nova notifier's lines and every WARNING or worse",
    }
    targets = trust_targets(
        snapshot.get("openstack/compute_services"), snapshot.get("openstack/hypervisors"), TRUST_HOSTS
    )
    records = probe_ssh_trust(HostAccess(sudo="", local_host="ssh-src"), ["ssh-src"], targets, NOVA_USER)
    if not records[0]["reached"]:
        print(f"the trust probe on ssh-src failed: {records[0]['error']}", file=sys.stderr)
        return 1
    snapshot.parts[TRUST_PART] = records
    snapshot.manifest["parts"][TRUST_PART] = {
        "origin": "collected",
        "note": "probed as ssh-src's nova user on the mini cloud's machine (local_host: no operator SSH hop)",
    }
    if not add_ceph(snapshot):
        return 1
    if not any(m.get("status") == "error" for m in snapshot.get("openstack/migrations")):
        print("no failed migration: run scripts/minicloud seed failures first", file=sys.stderr)
        return 1
    if DEMO_SNAPSHOT.exists():
        shutil.rmtree(DEMO_SNAPSHOT)
    write_snapshot(snapshot, DEMO_SNAPSHOT)
    print(f"demo snapshot written to {Path(DEMO_SNAPSHOT).relative_to(Path.cwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
