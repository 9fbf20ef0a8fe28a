"""Open a source for a runbook: a live cloud (collected now) or a saved snapshot."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from runbook_lib.errors import ConfigError, ParameterError, SourceError
from runbook_lib.snapshot import Snapshot, load_snapshot


def _runbook_parts(runbook: str) -> list[str] | None:
    """The parts a runbook reads (each runbook module owns its PARTS); None: everything."""
    from runbook_lib import ceph_capacity, cpu_topology_checks, resize_ssh, vif_plugging

    owners = {"cpu_topology": cpu_topology_checks, "resize_ssh": resize_ssh, "vif_plugging": vif_plugging,
              "ceph_capacity": ceph_capacity}  # fmt: skip
    if runbook not in owners:
        return None
    return [*owners[runbook].PARTS, *getattr(owners[runbook], "EXTRA_PARTS", ())]


def open_snapshot(cloud: str = "", snapshot: str = "demo", runbook: str = "") -> Snapshot:
    """Collect from the clouds.yaml entry ``cloud`` if given, else load ``snapshot`` ("demo" = embedded).

    ``runbook`` limits a live collection to the parts that runbook reads.
    """
    if cloud:
        from runbook_lib.openstack_source import collect_openstack, connect

        return collect_openstack(connect(cloud), cloud, _runbook_parts(runbook))
    if not snapshot:
        raise ParameterError("give either cloud (a clouds.yaml entry) or snapshot (a directory, or 'demo')")
    return load_snapshot(snapshot)


def connect_for_apply(cloud: str, apply: bool) -> object | None:
    """A connection when changes are to be applied; None for a dry run."""
    if not apply:
        return None
    if not cloud:
        raise ParameterError(
            "apply=True changes a live cloud: pass cloud (a clouds.yaml entry), not a snapshot"
        )
    from runbook_lib.openstack_source import connect

    return connect(cloud)


def open_logs(log_dir: str = "") -> list[dict]:
    """Log files collected to ``log_dir`` (nothing when it is empty)."""
    if not log_dir:
        return []
    from runbook_lib.host_source import read_log_dir

    return read_log_dir(log_dir)


TRUST_PART = "hosts/ssh_trust"


@dataclasses.dataclass(frozen=True)
class TrustProbe:
    """What the trust matrix probes and how: hosts, addresses, the nova user, the operator's access."""

    access: Any
    trust_hosts: str = ""
    trust_sources: str = ""
    migration_addresses: dict | None = None
    nova_user: str = "nova"
    parallel: int = 8

    def records(self, snapshot: Snapshot) -> list[dict]:
        """Probe nova's SSH between the hosts now, or (no trust_hosts) the matrix the snapshot recorded."""
        from runbook_lib.host_source import probe_ssh_trust
        from runbook_lib.ssh_trust import trust_targets

        if not self.trust_hosts:
            return snapshot.get(TRUST_PART)
        targets = trust_targets(snapshot.get("openstack/compute_services"), snapshot.get("openstack/hypervisors"),
                                self.trust_hosts, self.migration_addresses)  # fmt: skip
        if len(targets) < 2:
            raise ParameterError(
                f"trust_hosts {self.trust_hosts!r} names {len(targets)} compute host(s); a matrix needs two or "
                "more ('all' takes every nova-compute service)"
            )
        sources = [h.strip() for h in self.trust_sources.split(",") if h.strip()] or list(targets)
        print(
            f"probing nova's SSH from {len(sources)} host(s) to {len(targets)} address(es), {self.parallel} at a time"
        )
        records = probe_ssh_trust(
            self.access, sources, targets, self.nova_user, self.parallel, _show_progress
        )
        snapshot.parts[TRUST_PART] = records
        snapshot.manifest.setdefault("parts", {})[TRUST_PART] = {"origin": "collected"}
        return records


def trust_probe(
    trust_hosts: str = "",
    trust_sources: str = "",
    migration_addresses: dict | None = None,
    nova_user: str = "nova",
    parallel: int = 8,
    **access: Any,
) -> TrustProbe:
    """The trust probe from the runbook's parameters, checked before anything runs; ``access`` are
    :func:`host_access`'s parameters (ssh_user, ssh_config, sudo, local_host, …)."""
    from runbook_lib.host_source import check_host_name, check_user_name

    check_user_name(nova_user)
    for address in (migration_addresses or {}).values():
        check_host_name(address)
    return TrustProbe(
        host_access(**access),
        trust_hosts,
        trust_sources,
        dict(migration_addresses or {}),
        nova_user,
        parallel,
    )


def host_access(
    ssh_user: str = "",
    ssh_port: int = 0,
    ssh_config: str = "",
    ssh_identity: str = "",
    ssh_jump: str = "",
    sudo: str = "sudo -n",
    ssh_timeout: int = 10,
    check_host_keys: bool = True,
    local_host: str = "",
) -> Any:
    """How the operator reaches the hosts, from a runbook's parameters, checked before anything runs."""
    from runbook_lib.host_source import HostAccess, check_host_name, check_user_name

    if ssh_user:
        check_user_name(ssh_user)
    for host in (ssh_jump, local_host):
        if host:
            check_host_name(host)
    for name, path in (("ssh_config", ssh_config), ("ssh_identity", ssh_identity)):
        if path and not Path(path).expanduser().is_file():
            raise ParameterError(f"{name} {path!r} is not a file")
    return HostAccess(ssh_user, ssh_port, ssh_config, ssh_identity, ssh_jump, sudo, ssh_timeout, check_host_keys,
                      local_host)  # fmt: skip


def read_vif_host_facts(snapshot: Snapshot, access: Any, hosts: str = "") -> list[dict]:
    """Processes and vif_plugging_* options of ``hosts`` ("failing": the hosts of the failed builds; or a
    comma list; "": none) read over SSH and stored in the snapshot; the snapshot's own when none."""
    from runbook_lib.host_source import read_host_facts
    from runbook_lib.vif_plugging import HOST_FACTS_PART, build_hosts, find_failed_builds

    if not hosts:
        return snapshot.get(HOST_FACTS_PART)
    if hosts.strip() == "failing":
        failed = find_failed_builds(snapshot.get("openstack/servers"))
        by_server = build_hosts(snapshot.get("openstack/instance_actions"))
        names = sorted({by_server[s] for s in failed["server_id"] if by_server.get(s)})
    else:
        names = [h.strip() for h in hosts.split(",") if h.strip()]
    if not names:
        print("no host to read: no failed build has a known host")
        return []
    records = read_host_facts(access, names)
    for record in records:
        print(f"{record['host']}: {'read' if record['reached'] else 'NOT reached: ' + record['error']}")
    snapshot.parts[HOST_FACTS_PART] = records
    snapshot.manifest.setdefault("parts", {})[HOST_FACTS_PART] = {"origin": "collected"}
    return records


def read_neutron_logs(snapshot: Snapshot, access: Any, hosts: str = "") -> list[dict]:
    """neutron-server's log read over SSH from ``hosts`` (a comma list of controllers; "": none) and stored
    in the snapshot: its notifier lines tell whether network-vif-plugged was sent and delivered."""
    from runbook_lib.host_source import read_remote_logs
    from runbook_lib.vif_plugging import NEUTRON_LOG_PART

    names = [h.strip() for h in hosts.split(",") if h.strip()]
    if not names:
        return snapshot.get(NEUTRON_LOG_PART)
    records, missing = read_remote_logs(access, names, "neutron-server")
    for record in records:
        print(f"read {record['path']} on {record['source']} ({len(record['lines'])} lines)")
    for host, why in missing.items():
        print(f"no neutron-server log from {host}: {why}")
    snapshot.parts[NEUTRON_LOG_PART] = records
    snapshot.manifest.setdefault("parts", {})[NEUTRON_LOG_PART] = {"origin": "collected"}
    return records


def _show_progress(result: Any, done: int, total: int) -> None:
    last = (result.stderr.strip().splitlines() or ["?"])[-1][:120]
    print(
        f"[{done}/{total}] {result.host}: {'probed' if result.exit_code == 0 else 'FAILED: ' + last}",
        flush=True,
    )


def check_ssh_trust(snapshot: Snapshot, probe: TrustProbe, explained: Any) -> Any:
    """The trust matrix (probed now or recorded) analysed, and joined with the failed migrations."""
    from runbook_lib.ssh_trust import analyse_ssh_trust

    become = probe.access.become(probe.nova_user)
    return analyse_ssh_trust(probe.records(snapshot), explained, become, probe.access.as_root())


def remote_logs(probe: TrustProbe, hosts: list[str]) -> list[dict]:
    """nova-compute logs of ``hosts`` read over the operator's SSH (the sources of failed migrations)."""
    from runbook_lib.host_source import read_remote_logs

    if not hosts:
        print("no failed SSH migration: no log to read from the computes")
        return []
    records, missing = read_remote_logs(probe.access, sorted(set(hosts)), parallel=probe.parallel)
    for record in records:
        print(f"read {record['path']} on {record['source']} ({len(record['lines'])} lines)")
    for host, why in missing.items():
        print(f"no nova-compute log from {host}: {why}")
    return records


def resize_ssh_evidence(
    snapshot: Snapshot, probe: TrustProbe, since_hours: float, log_dir: str = "", logs_over_ssh: bool = False
) -> Any:
    """Failed migrations with their causes, from the API plus collected logs and (optionally) the logs
    of the failing sources read over SSH — only those hosts, only when some failure needs its stderr."""
    from runbook_lib.resize_ssh import analyse_resize_ssh

    logs = open_logs(log_dir)
    analysis = analyse_resize_ssh(snapshot, since_hours, logs)
    if logs_over_ssh:
        explained = analysis.explained
        sources = explained.loc[explained["ssh"], "source"].tolist() if not explained.empty else []
        analysis = analyse_resize_ssh(snapshot, since_hours, logs + remote_logs(probe, sources))
    return analysis


def apply_trust_fixes(snapshot: Snapshot, probe: TrustProbe, trust: Any, explained: Any, apply: bool) -> Any:
    """Dry run: say what would run. apply=True: run the automatic fixes, probe again, return the new analysis."""
    from runbook_lib.host_source import apply_host_fixes

    automatic = [f for f in trust.fixes if f.automatic]
    if not automatic:
        print("nothing to apply automatically")
        return None
    if apply and not probe.trust_hosts:
        raise ParameterError("apply=True changes hosts: pass trust_hosts so the matrix is probed live first")
    for fix in automatic:
        print(f"{'applying' if apply else 'would apply'} on {fix.host} as {fix.run_as}: {fix.action} "
              f"({len(fix.pairs)} pair(s))")  # fmt: skip
    if not apply:
        print("dry run: nothing changed (apply=True applies these, then probes the matrix again)")
        return None
    for result in apply_host_fixes(probe.access, automatic, probe.nova_user):
        print(
            f"  {result['host']} {result['action']}: {'done' if result['ok'] else 'FAILED: ' + result['output']}"
        )
    return check_ssh_trust(snapshot, probe, explained)


def open_ceph(
    cloud: str = "",
    snapshot: str = "demo",
    ceph_live: bool = False,
    ceph_command: str = "ceph",
    ceph_conf: str = "",
    ceph_cluster: str = "",
    ceph_id: str = "",
    ceph_timeout: int = 20,
    pools: str = "volumes,images,vms,backups",
    reweight_limits: dict | None = None,
) -> Snapshot:
    """Ceph read live (``ceph_live``, or whenever ``cloud`` is given: a live cloud is never paired with
    recorded Ceph data) or from ``snapshot``."""
    from runbook_lib.ceph_capacity import CEPH_PARTS
    from runbook_lib.ceph_source import CephAccess, check_pool_name, collect_ceph
    from runbook_lib.snapshot import new_manifest

    pool_names = [check_pool_name(p.strip()) for p in pools.split(",") if p.strip()]
    if not (ceph_live or cloud):
        return load_snapshot(snapshot) if snapshot else load_snapshot("demo")
    access = CephAccess(ceph_command, ceph_conf, ceph_cluster, ceph_id, ceph_timeout)
    if cloud:
        base = open_snapshot(cloud=cloud, runbook="ceph_capacity")
    else:
        base = Snapshot(
            manifest=new_manifest(f"ceph via {ceph_command!r}", {"runbook_lib": "ceph CLI"}), parts={}
        )
    try:
        parts, problems = collect_ceph(access, pool_names, reweight_limits)
    except (SourceError, ConfigError) as exc:
        if ceph_live:
            raise  # asked for Ceph explicitly: say so at once
        # `run all --cloud`: a cloud whose Ceph this machine cannot reach still gets its report, which says why
        parts, problems = {}, {part: f"{exc}; pass -p ceph_command / ceph_conf" for part in CEPH_PARTS}
    base.parts.update(parts)
    base.problems.update(problems)
    for part in parts:
        base.manifest.setdefault("parts", {})[part] = {"origin": "collected"}
    if parts.get("ceph/rbd"):
        _read_watchers(base, access)
    return base


def _read_watchers(snapshot: Snapshot, access: Any) -> None:
    """Who has each deletion candidate open (``rbd status``): read for the candidates only, after the
    ledger has found them; with every unused image a candidate, whatever its age."""
    from runbook_lib.ceph_capacity import build_ledger, one
    from runbook_lib.ceph_source import rbd_watchers

    ledger = build_ledger(snapshot, one(snapshot, "ceph/osd_dump") or {}, unused_days=0)
    if ledger.empty:
        return
    candidates = ledger[ledger["category"].isin(["orphan", "unused"]) & ~ledger["trash"]]
    specs = [f"{r.pool}/{r.image}" for r in candidates.itertuples()]
    snapshot.parts["ceph/rbd_watchers"] = rbd_watchers(access, specs)
    snapshot.manifest.setdefault("parts", {})["ceph/rbd_watchers"] = {
        "origin": "collected", "note": "deletion candidates only"}  # fmt: skip


def apply_ceph_step(analysis: Any, plan: Any, apply: bool, live: bool, recovery_timeout: int = 600,
                    poll: float = 2.0) -> Any:  # fmt: skip
    """Dry run: print step 1's commands. apply=True: run them, follow recovery until every PG is
    active+clean (or ``recovery_timeout``), read the OSDs again and compare with the prediction."""
    import time

    from runbook_lib.ceph_capacity import tabulate_osds
    from runbook_lib.ceph_reweight import compare_prediction
    from runbook_lib.ceph_source import (
        CephAccess,
        largest_pg_bytes,
        pg_states,
        run_json,
        set_reweight,
        settled_osd_df,
    )
    from runbook_lib.errors import PlanError

    if not plan.steps:
        print(f"nothing to apply: {plan.stopped}")
        return None
    step = plan.steps[0]
    for command in step.commands:
        print(f"{'applying' if apply else 'would run'}: {command}")
    if not apply:
        print(
            "dry run: nothing changed (apply=True runs step 1, follows recovery and compares with the prediction)"
        )
        return None
    if not live:
        raise ParameterError(
            "apply=True changes the cluster: read it live (ceph_live=True, or --cloud), not a snapshot"
        )
    access = CephAccess(**analysis.gather["access"])  # the way the data was just read
    epoch = run_json(access, "ceph", ["osd", "dump"])["epoch"]
    if epoch != analysis.gather.get("epoch_after"):
        raise PlanError(f"the osdmap moved from epoch {analysis.gather.get('epoch_after')} to {epoch} since the data "
                        "was read: run the runbook again before applying")  # fmt: skip
    for osd, (_, new) in step.changes.items():
        set_reweight(access, osd, new)
    start = time.monotonic()
    time.sleep(3)  # let peering start before the first look
    last_print = 0.0
    while True:
        states = pg_states(access)
        busy = sum(n for name, n in states.items() if name != "active+clean")
        elapsed = time.monotonic() - start
        if busy == 0:
            print(f"recovery done after {elapsed:.0f} s: every PG active+clean")
            break
        if elapsed - last_print >= 10:
            print(f"{elapsed:4.0f} s: {busy} PG(s) not active+clean: "
                  + ", ".join(f"{n} {name}" for name, n in states.items() if name != "active+clean"))  # fmt: skip
            last_print = elapsed
        if elapsed > recovery_timeout:
            print(
                f"recovery still running after {recovery_timeout} s: compare later by running the runbook again"
            )
            return None
        time.sleep(poll)
    actual = tabulate_osds(settled_osd_df(access), run_json(access, "ceph", ["osd", "dump"]))
    return compare_prediction(step, actual, largest_pg_bytes(access))


def canary_boots(cloud: str, analysis: Any, hosts: str, boot: bool, image: str, flavor: str, network: str,
                 timeout: int = 600) -> tuple[Any, list[dict]]:  # fmt: skip
    """The canary plan for ``hosts`` ("failing": the hosts of the diagnosed failures, or a comma list) and,
    with ``boot``, one throwaway server per host on the live cloud, deleted afterwards."""
    from runbook_lib.canary import NAME_PREFIX, canary_plan

    if hosts.strip() == "failing":
        names = (
            sorted({h for h in analysis.diagnosis["host"].dropna()}) if not analysis.diagnosis.empty else []
        )
    else:
        names = [h.strip() for h in hosts.split(",") if h.strip()]
    plan = canary_plan(names, image or "<image>", flavor or "<flavor>", network or "<network>")
    if not names:
        print("no canary host (canary_hosts is empty, or no failure has a host)")
        return plan, []
    if not boot:
        print(f"dry run: no canary booted; set canary_boot=True to boot on {', '.join(names)}")
        return plan, []
    if not cloud:
        raise ParameterError("canary_boot=True boots a server on a live cloud: pass cloud, not a snapshot")
    if not (image and flavor and network):
        raise ParameterError("canary_boot=True needs canary_image, canary_flavor and canary_network")
    from runbook_lib.openstack_source import boot_canary, connect

    conn = connect(cloud)
    records = []
    for host in names:
        print(f"booting {NAME_PREFIX}{host} on {host} (timeout {timeout} s) …", flush=True)
        record = boot_canary(conn, NAME_PREFIX + host, host, image, flavor, network, timeout)
        print(f"  {record['status']} after {record.get('elapsed_s')} s; deleted", flush=True)
        records.append(record)
    return plan, records
