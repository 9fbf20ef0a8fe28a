"""Guests the domain XML shows that Nova's server list does not account for: a Nova domain whose instance no
server of the list is (deleted while its compute was down, and ``[DEFAULT]running_deleted_instance_action`` is
``noop`` or ``log``, or the compute's service never came back to reap it), and a domain on a host other than
the one Nova records for its server (left behind by an evacuation or a failed migration: two copies of one
guest writing one disk). Both still use the host's vCPUs and memory, and neither shows in any Nova table.
"""

from __future__ import annotations

import shlex

import pandas as pd

from runbook_lib.cpu_topology.fleet import RUNBOOK
from runbook_lib.findings import Finding

MOVING = ("RESIZE", "VERIFY_RESIZE", "REVERT_RESIZE", "MIGRATING")


def stray_guests(guests: pd.DataFrame, servers: pd.DataFrame) -> pd.DataFrame:
    """Nova domains (they carry Nova's metadata) with no server in the list, or on another host than its own."""
    columns = ["host", "domain", "server_id", "server", "path", "stray", "nova_host"]
    if guests.empty:
        return pd.DataFrame(columns=columns)
    nova = guests[guests["server"].fillna("").astype(str) != ""]
    hosts = servers.set_index("server_id")["host"].to_dict() if not servers.empty else {}
    names = servers.set_index("server_id")["server"].to_dict() if not servers.empty else {}
    moving = set(servers[servers["status"].isin(MOVING)]["server_id"]) if not servers.empty else set()
    rows = []
    for g in nova.itertuples():
        if g.server_id not in hosts:
            rows.append({**g._asdict(), "stray": "no-server", "nova_host": ""})
        elif g.server_id in moving:
            continue  # a resize keeps the source's domain until it is confirmed; a live migration has two
        elif isinstance(hosts[g.server_id], str) and hosts[g.server_id] and hosts[g.server_id] != g.host:
            # the server as Nova names it now (the XML keeps the name it had when the domain was defined)
            rows.append(
                {**g._asdict(), "server": names[g.server_id], "stray": "other-host", "nova_host": hosts[g.server_id]}
            )
    return pd.DataFrame(rows).reindex(columns=columns) if rows else pd.DataFrame(columns=columns)


def stray_findings(strays: pd.DataFrame) -> list[Finding]:
    findings = []
    for row in strays.itertuples():
        uuid, domain = shlex.quote(str(row.server_id)), shlex.quote(str(row.domain))
        evidence = {"host": row.host, "domain": row.domain, "domain_xml": row.path}
        if row.stray == "no-server":
            findings.append(
                Finding(
                    RUNBOOK,
                    "guest-without-server",
                    "warn",
                    f"domain {row.domain} on {row.host}",
                    f"{row.host} runs Nova guest {row.server!r} ({row.server_id}, {row.path}) but the server list "
                    "collected has no such server: deleted while its compute was down and never reaped "
                    "([DEFAULT]running_deleted_instance_action noop or log), or a server this account cannot list",
                    f"check 'openstack server show {uuid}' as admin (a deleted one: 'openstack server list --deleted "
                    f"--all-projects --uuid {uuid}'); only if it is deleted, on {row.host}: 'virsh destroy {domain}' "
                    f"then 'virsh undefine {domain}'",
                    evidence,
                )
            )
        else:
            findings.append(
                Finding(
                    RUNBOOK,
                    "guest-on-other-host",
                    "crit",
                    f"domain {row.domain} on {row.host}",
                    f"server {row.server!r} ({row.server_id}) is on {row.nova_host} for Nova, but {row.host} has its "
                    f"domain too ({row.path}): left by an evacuation or a failed migration; if both run, two "
                    "guests write one disk",
                    f"on {row.host}: 'virsh domstate {domain}'; if it runs and {row.nova_host} runs the server, "
                    f"'virsh destroy {domain}' on {row.host} (restarting nova-compute there also removes an "
                    "evacuated guest)",
                    {**evidence, "nova_host": row.nova_host},
                )
            )
    return findings
