"""What the CPU-topology runbook reads: flavors, images, servers and volumes, live or from a snapshot, and the
guests' libvirt domain XMLs where they are given (a directory, or the computes over SSH)."""

from __future__ import annotations

from runbook_lib.cpu_topology.checks import PARTS
from runbook_lib.records import Records, comma_list
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.guest_xml import PART, read_remote_domains, with_guest_xml
from runbook_lib.sources.origin import open_snapshot as _open_snapshot
from runbook_lib.sources.ssh import HostAccess


def open_snapshot(cloud: str = "", snapshot: str = "demo", guest_xml_dir: str = "") -> Snapshot:
    """The parts this runbook reads: collected now from ``cloud``, else loaded from ``snapshot``; with the
    guests' domain XMLs from ``guest_xml_dir`` when given (a snapshot may hold them already)."""
    return with_guest_xml(_open_snapshot(cloud, snapshot, PARTS), guest_xml_dir)


def guest_hosts_of(snapshot: Snapshot, guest_hosts: str) -> list[str]:
    """``all``: every compute a server runs on (the API's OS-EXT-SRV-ATTR:host); else the comma list."""
    if guest_hosts.strip() == "all":
        servers = snapshot.get("openstack/servers")
        return sorted({str(s["OS-EXT-SRV-ATTR:host"]) for s in servers if s.get("OS-EXT-SRV-ATTR:host")})
    return comma_list(guest_hosts)


def collect_guest_xml(snapshot: Snapshot, access: HostAccess, guest_hosts: str = "") -> Snapshot:
    """The running guests' domain XML of ``guest_hosts`` ("all", a comma list, or "": none) read over SSH,
    read-only, and added to what the snapshot already holds."""
    hosts = guest_hosts_of(snapshot, guest_hosts)
    if not hosts:
        return snapshot
    records = read_remote_domains(access, hosts)
    by_host: dict[str, Records] = {host: [] for host in hosts}
    for record in records:  # one pass: a thousand hosts are not a thousand scans of every record
        by_host.setdefault(record["host"], []).append(record)
    for host in hosts:
        mine = by_host[host]
        failed = [r["error"] for r in mine if r.get("error")]
        print(f"{host}: {len(mine) - len(failed)} domain XML(s) read" + (f"; {failed[0]}" if failed else ""))
    note = f"domain XMLs over SSH from {', '.join(hosts)}"
    return snapshot.with_parts({PART: [*snapshot.get(PART), *records]}, note=note)
