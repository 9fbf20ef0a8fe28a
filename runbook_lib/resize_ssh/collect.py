"""What the resize/SSH runbook reads beyond the API lists: the SSH trust matrix probed as nova between the
computes, and the nova-compute logs that hold the whole ssh stderr. Each returns a new snapshot."""

from __future__ import annotations

from runbook_lib.errors import ParameterError
from runbook_lib.records import comma_list
from runbook_lib.resize_ssh.migrations import PARTS, ssh_failure_sources
from runbook_lib.resize_ssh.probe import TrustProbe
from runbook_lib.resize_ssh.trust import TRUST_PART, trust_targets
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources import hosts, logs
from runbook_lib.sources.origin import open_snapshot as _open_snapshot
from runbook_lib.sources.ssh import HostResult


def open_snapshot(cloud: str = "", snapshot: str = "demo") -> Snapshot:
    """The parts this runbook reads: collected now from ``cloud``, else loaded from ``snapshot``."""
    return _open_snapshot(cloud, snapshot, PARTS)


def _show_progress(result: HostResult, done: int, total: int) -> None:
    last = (result.stderr.strip().splitlines() or ["?"])[-1][:120]
    outcome = "probed" if result.exit_code == 0 else "FAILED: " + last
    print(f"[{done}/{total}] {result.host}: {outcome}", flush=True)


def collect_ssh_trust(snapshot: Snapshot, probe: TrustProbe) -> Snapshot:
    """Probe nova's SSH between the hosts now (a new snapshot with ``hosts/ssh_trust``); without
    ``trust_hosts`` the snapshot as it is (the matrix it recorded, if any)."""
    if not probe.trust_hosts:
        return snapshot
    targets = trust_targets(
        snapshot.get("openstack/compute_services"),
        snapshot.get("openstack/hypervisors"),
        probe.trust_hosts,
        probe.migration_addresses,
    )
    if len(targets) < 2:
        raise ParameterError(
            f"trust_hosts {probe.trust_hosts!r} names {len(targets)} compute host(s); a matrix needs two or "
            "more ('all' takes every nova-compute service)"
        )
    sources = comma_list(probe.trust_sources) or list(targets)
    print(f"probing nova's SSH from {len(sources)} host(s) to {len(targets)} address(es), {probe.parallel} at a time")
    records = hosts.probe_ssh_trust(probe.access, sources, targets, probe.nova_user, probe.parallel, _show_progress)
    return snapshot.with_parts({TRUST_PART: records})


def collect_nova_logs(
    snapshot: Snapshot, probe: TrustProbe, since_hours: float, log_dir: str = "", logs_over_ssh: bool = False
) -> Snapshot:
    """A new snapshot that also holds the nova-compute logs collected to ``log_dir`` and, with
    ``logs_over_ssh``, those of the sources of failed SSH migrations, read over SSH (only those hosts)."""
    with_dir = logs.with_logs(snapshot, logs.open_logs(log_dir), "log files from log_dir")
    if not logs_over_ssh:
        return with_dir
    sources = ssh_failure_sources(with_dir, since_hours)
    if not sources:
        print("no failed SSH migration: no log to read from the computes")
        return with_dir
    records, missing = logs.read_remote_logs(probe.access, sources, parallel=probe.parallel)
    for record in records:
        print(f"read {record['path']} on {record['source']} ({len(record['lines'])} lines)")
    for host, why in missing.items():
        print(f"no nova-compute log from {host}: {why}")
    return logs.with_logs(with_dir, records, "collected")
