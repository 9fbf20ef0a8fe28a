"""What the vif-plugging runbook reads beyond the API lists: the hosts' own nova-compute processes and
options, and neutron-server's log, both read over SSH when asked, and collected log files. Each returns a
new snapshot."""

from __future__ import annotations

from runbook_lib.records import comma_list
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources import logs
from runbook_lib.sources.hosts import read_host_facts
from runbook_lib.sources.origin import open_snapshot as _open_snapshot
from runbook_lib.sources.ssh import HostAccess
from runbook_lib.vif_plugging.evidence import (
    EXTRA_PARTS,
    HOST_FACTS_PART,
    PARTS,
    build_hosts,
    find_failed_builds,
)


def open_snapshot(cloud: str = "", snapshot: str = "demo") -> Snapshot:
    """The parts this runbook reads: collected now from ``cloud``, else loaded from ``snapshot``."""
    return _open_snapshot(cloud, snapshot, PARTS + EXTRA_PARTS)


def failing_hosts(snapshot: Snapshot) -> list[str]:
    """The hosts that tried to build the failed servers (from the build events: the server has none)."""
    actions = snapshot.get("openstack/instance_actions")
    failed = find_failed_builds(snapshot.get("openstack/servers"), actions)
    by_server = build_hosts(actions)
    return sorted({by_server[s] for s in failed["server_id"] if by_server.get(s)})


def _names(hosts: str, snapshot: Snapshot) -> list[str]:
    if hosts.strip() == "failing":
        return failing_hosts(snapshot)
    return comma_list(hosts)


def collect_host_facts(snapshot: Snapshot, access: HostAccess, hosts: str = "") -> Snapshot:
    """Processes and vif_plugging_* options of ``hosts`` ("failing": the hosts of the failed builds; or a
    comma list; "": none, the snapshot as it is) read over SSH, read-only."""
    if not hosts:
        return snapshot
    names = _names(hosts, snapshot)
    if not names:
        print("no host to read: no failed build has a known host")
        return snapshot.with_parts({HOST_FACTS_PART: []})
    records = read_host_facts(access, names)
    for record in records:
        print(f"{record['host']}: {'read' if record['reached'] else 'NOT reached: ' + record['error']}")
    return snapshot.with_parts({HOST_FACTS_PART: records})


def collect_neutron_logs(snapshot: Snapshot, access: HostAccess, hosts: str = "") -> Snapshot:
    """neutron-server's log read over SSH from ``hosts`` (a comma list of controllers; "": none) and added
    to the snapshot: its notifier lines tell whether network-vif-plugged was sent and delivered."""
    names = comma_list(hosts)
    if not names:
        return snapshot
    records, missing = logs.read_remote_logs(access, names, "neutron-server")
    for record in records:
        print(f"read {record['path']} on {record['source']} ({len(record['lines'])} lines)")
    for host, why in missing.items():
        print(f"no neutron-server log from {host}: {why}")
    return snapshot.with_parts({"logs/neutron-server": records})


def collect_log_dir(snapshot: Snapshot, log_dir: str = "") -> Snapshot:
    """The logs collected to ``log_dir`` (nova-compute and neutron-server, told apart by file name) added."""
    return logs.with_logs(snapshot, logs.open_logs(log_dir), "log files from log_dir")
