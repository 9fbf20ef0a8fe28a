"""A canary boot: one throwaway server on a suspect host, only when the operator asks for it.

The evidence says why builds failed; a canary says whether the host builds now (after a fix). It is a
change to the cloud (a server is created, then deleted, in the operator's project), so it is a plan
unless ``canary_boot`` is set, and it runs on a live cloud only.
"""

from __future__ import annotations

import dataclasses
import shlex

import pandas as pd

from runbook_lib.errors import ParameterError
from runbook_lib.findings import Finding
from runbook_lib.records import Records, comma_list
from runbook_lib.sources.ssh import check_host_name

RUNBOOK = "vif_plugging"
NAME_PREFIX = "stack-runbooks-canary-"


def canary_plan(hosts: list[str], image: str, flavor: str, network: str) -> pd.DataFrame:
    """What a canary boot would do per host, with the CLI equivalent (every value quoted for a shell)."""
    q = shlex.quote
    rows = []
    for h in hosts:
        name = NAME_PREFIX + h
        command = (
            f"openstack server create --image {q(image)} --flavor {q(flavor)} --network {q(network)} "
            f"--availability-zone {q('nova:' + h)} --wait {q(name)}; openstack server delete --wait {q(name)}"
        )
        rows.append({"host": h, "server": name, "command": command})
    return pd.DataFrame(rows, columns=["host", "server", "command"])


def tabulate_canaries(records: Records) -> pd.DataFrame:
    """One row per canary: the status it reached, how long it took, its ports, its fault, deleted or not."""
    columns = ["host", "status", "elapsed_s", "ports_active", "fault", "deleted"]
    rows = [
        {
            **r,
            "ports_active": f"{sum(p['status'] == 'ACTIVE' for p in r.get('ports', []))}/{len(r.get('ports', []))}",
        }
        for r in records
    ]
    return pd.DataFrame(rows).reindex(columns=columns)


def check_canaries(records: Records) -> list[Finding]:
    """An info finding per host that built its canary; a crit one per host that did not."""
    findings = []
    for r in records:
        subject = f"host {r['host']}"
        if r["status"] == "ACTIVE":
            findings.append(
                Finding(
                    RUNBOOK,
                    "canary-booted",
                    "info",
                    subject,
                    f"a canary server went ACTIVE on {r['host']} in {r['elapsed_s']} s: the host "
                    "builds with its network now",
                    "",
                    {"canary": r},
                )
            )
        else:
            what = r.get("fault") or f"still {r['status']} after {r.get('elapsed_s')} s"
            findings.append(
                Finding(
                    RUNBOOK,
                    "canary-failed",
                    "crit",
                    subject,
                    f"a canary server did not build on {r['host']}: {what[:200]}",
                    "the cause above is not fixed yet: fix it, then boot the canary again",
                    {"canary": r},
                )
            )
    return findings


@dataclasses.dataclass(frozen=True)
class Canaries:
    """The canary plan (one row per host) and, when booted, what each canary did."""

    plan: pd.DataFrame
    records: Records

    @property
    def table(self) -> pd.DataFrame:
        return tabulate_canaries(self.records)

    @property
    def findings(self) -> list[Finding]:
        return check_canaries(self.records)


def canary_hosts_of(diagnosis: pd.DataFrame, hosts: str) -> list[str]:
    """``hosts``: "failing" (the hosts of the diagnosed failures) or a comma list."""
    if hosts.strip() == "failing":
        return sorted(set(diagnosis["host"].dropna())) if not diagnosis.empty else []
    return [check_host_name(h) for h in comma_list(hosts)]  # a name reaches the plan's printed commands


def boot_canaries(
    cloud: str,
    diagnosis: pd.DataFrame,
    hosts: str,
    boot: bool,
    image: str,
    flavor: str,
    network: str,
    timeout: int = 600,
) -> Canaries:
    """The canary plan for ``hosts`` and, with ``boot``, one throwaway server per host on the live cloud,
    deleted afterwards whatever happened."""
    names = canary_hosts_of(diagnosis, hosts)
    plan = canary_plan(names, image or "<image>", flavor or "<flavor>", network or "<network>")
    if not names:
        print("no canary host (canary_hosts is empty, or no failure has a host)")
        return Canaries(plan, [])
    if not boot:
        print(f"dry run: no canary booted; set canary_boot=True to boot on {', '.join(names)}")
        return Canaries(plan, [])
    if not cloud:
        raise ParameterError("canary_boot=True boots a server on a live cloud: pass cloud, not a snapshot")
    if not (image and flavor and network):
        raise ParameterError("canary_boot=True needs canary_image, canary_flavor and canary_network")
    from runbook_lib.sources.openstack import connect
    from runbook_lib.sources.openstack_writes import boot_canary

    conn = connect(cloud)
    records = []
    for host in names:
        print(f"booting {NAME_PREFIX}{host} on {host} (timeout {timeout} s) …", flush=True)
        record = boot_canary(conn, NAME_PREFIX + host, host, image, flavor, network, timeout)
        print(f"  {record['status']} after {record.get('elapsed_s')} s; deleted", flush=True)
        records.append(record)
    return Canaries(plan, records)
