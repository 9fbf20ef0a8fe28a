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
mini cloud's log files (real lines written by real Nova) into ``logs/nova-compute``.

The SSH trust matrix and the host facts are read over real SSH from scripts/sshlab (``sshlab up
vif-late-2``: its six drifted hosts, here under the names of six demo computes, and one more):
the mini cloud's computes all live in this machine's one PID namespace and share one nova user, so
they cannot show six different trust states or one host's own processes. On the lab host vif-late-2,
whose real failure (seed failures: a stray second nova-compute took network-vif-plugged) is in the
logs, two processes named like its nova-compute stand for the service and the stray (the real stray
was stopped after the seed), with vif-late-2's real vif_plugging options in its nova.conf.
"""

import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

from runbook_lib.ceph_capacity.collect import offline_parts
from runbook_lib.ceph_capacity.upmap import UpmapLimits
from runbook_lib.resize_ssh.trust import TRUST_PART
from runbook_lib.snapshot import DEMO_SNAPSHOT, load_snapshot, write_snapshot
from runbook_lib.sources.ceph import CephAccess, settled_osd_df
from runbook_lib.sources.ceph_gather import collect_ceph
from runbook_lib.sources.hosts import probe_ssh_trust, read_host_facts
from runbook_lib.sources.logs import read_log_dir
from runbook_lib.sources.openstack import connect
from runbook_lib.sources.openstack_lists import collect_openstack
from runbook_lib.sources.ssh import HostAccess
from runbook_lib.vif_plugging.evidence import HOST_FACTS_PART, NEUTRON_LOG_PART

MINICLOUD_LOGS = Path(os.environ.get("MINICLOUD_HOME", "/var/tmp/stack-runbooks-minicloud")) / "state" / "log"
SSHLAB = Path(os.environ.get("SSHLAB_HOME", "/var/tmp/stack-runbooks-sshlab"))
# The SSH lab's hosts (scripts/sshlab) under demo compute names: the failed resize's pair ssh-src → ssh-dst-bad
# keeps its cause (the destination's host key is unknown), ssh-dst-ok stays reachable, and the others show
# the rest: no authorized key, a nologin shell, a private key readable by all, sshd not on the address.
TRUST_NAMES = {
    "compute-01": "ssh-src",
    "compute-02": "minicompute",
    "compute-03": "ssh-dst-bad",
    "compute-04": "minicompute2",
    "compute-05": "ssh-dst-ok",
    "compute-06": "fail-bind-1",
}
FACTS_HOST = "vif-late-2"  # the lab's seventh host: 'scripts/sshlab up vif-late-2'
MINICLOUD_ETC = MINICLOUD_LOGS.parent / "etc"
_WARNING_OR_WORSE = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")
LOG_HOSTS = (
    "ssh-src",
    "vif-down-1",
    "vif-down-2",
    "vif-late-1",
    "vif-late-2",
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
    access = CephAccess(conf=str(CEPHLAB_CONF))
    parts, problems = collect_ceph(access, CEPH_POOLS, REWEIGHT_LIMITS)
    parts |= offline_parts(access, parts, UpmapLimits())  # as open_ceph adds it
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


def operator_config(lab: dict) -> Path:
    """The lab's operator ssh_config with each host under its demo name (as an operator's aliases are)."""
    text = Path(lab["ssh_config"]).read_text()
    for lab_name, demo_name in TRUST_NAMES.items():
        text = text.replace(f"Host {lab_name}\n", f"Host {demo_name}\n")
    config = SSHLAB / "operator" / "demo_ssh_config"
    config.write_text(text)
    return config


def add_trust(snapshot, lab: dict, access: HostAccess) -> bool:
    addresses = {TRUST_NAMES[h["name"]]: h["migration_address"] for h in lab["hosts"] if h["name"] in TRUST_NAMES}
    computes = {s["host"] for s in snapshot.get("openstack/compute_services")}
    if not set(addresses) <= computes:
        missing = sorted(set(addresses) - computes)
        print(f"the demo has no compute {missing}: is the mini cloud seeded?", file=sys.stderr)
        return False
    records = probe_ssh_trust(access, list(addresses), addresses, lab["nova_user"])
    unreached = [r["host"] for r in records if not r["reached"]]
    if unreached:
        print(f"the trust probe did not reach {unreached}: is scripts/sshlab up?", file=sys.stderr)
        return False
    snapshot.parts[TRUST_PART] = records
    snapshot.manifest["parts"][TRUST_PART] = {
        "origin": "collected",
        "note": "probed over real SSH on scripts/sshlab, whose six hosts carry these demo computes' names "
        f"({', '.join(f'{demo} = {lab}' for lab, demo in TRUST_NAMES.items())}); the addresses nova uses are the "
        "lab's 127.0.10.N (the mini cloud's computes share one nova user on one machine)",
    }
    return True


def vif_options(host: str) -> str:
    """The [DEFAULT] vif_plugging_* lines of the mini cloud's own config for ``host``."""
    text = (MINICLOUD_ETC / "nova" / f"nova-compute-{host}.conf").read_text()
    wanted = [line for line in text.splitlines() if line.strip().startswith("vif_plugging_")]
    return "[DEFAULT]\n" + "".join(f"{line.strip()}\n" for line in wanted)


def on_lab_host(access: HostAccess, host: str, script: str) -> str:
    argv = ["ssh", "-F", access.ssh_config, host, script]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout


def add_host_facts(snapshot, lab: dict, access: HostAccess) -> bool:
    """vif-late-2's own processes and options read over SSH, while its service and the stray run there."""
    root = next((Path(h["root"]) for h in lab["hosts"] if h["name"] == FACTS_HOST), None)
    if root is None:
        print(f"the SSH lab has no host {FACTS_HOST}: run scripts/sshlab up {FACTS_HOST}", file=sys.stderr)
        return False
    (root / "etc" / "nova").mkdir(exist_ok=True)
    conf = root / "etc" / "nova" / "nova.conf"
    conf.write_text(vif_options(FACTS_HOST))
    written = time.time() - 86400  # deployed a day ago: the processes started after it
    os.utime(conf, (written, written))
    # perl's $0 sets the whole command line ps shows: a packaged nova-compute's, as the service started it
    title = "/usr/bin/python3 /usr/bin/nova-compute --config-file /etc/nova/nova.conf"
    nova = shlex.join(["perl", "-e", "$0 = shift; sleep 3600", title])
    quiet = ">/dev/null 2>&1 </dev/null & echo $!"
    service = on_lab_host(access, FACTS_HOST, f"setsid {nova} {quiet}").strip()
    time.sleep(2)  # the stray is started later, by hand
    stray = on_lab_host(access, FACTS_HOST, f"setsid {nova} {quiet}").strip()
    try:
        records = read_host_facts(access, [FACTS_HOST])
    finally:
        on_lab_host(access, FACTS_HOST, f"kill {service} {stray} || true")
    if not records[0]["reached"]:
        print(f"could not read {FACTS_HOST}: {records[0]['error']}", file=sys.stderr)
        return False
    snapshot.parts[HOST_FACTS_PART] = records
    snapshot.manifest["parts"][HOST_FACTS_PART] = {
        "origin": "collected",
        "note": f"read over real SSH from scripts/sshlab's host {FACTS_HOST} (its own PID namespace): two "
        "processes with a packaged nova-compute's command line stand for the service and the stray that seed "
        "failures ran for real (the mini cloud's computes share this machine's process table); its nova.conf "
        "holds the mini cloud's vif_plugging options for that host",
    }
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
    lab = json.loads((SSHLAB / "lab.json").read_text())
    access = HostAccess(ssh_config=str(operator_config(lab)), sudo="")
    if not add_trust(snapshot, lab, access) or not add_host_facts(snapshot, lab, access):
        return 1
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
