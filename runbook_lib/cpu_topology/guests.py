"""What each guest really runs with, read from its libvirt domain XML, against what the runbook predicts from
the flavor and the image's properties today.

The two differ when the image changed after the server booted (Nova keeps the properties it booted with,
and no API shows that copy: the XML of newer Nova releases does, under ``nova:image``), when the domain was
edited outside Nova, or when it was defined by a release that chose otherwise. Where the XML was read, it is
the evidence: the loss a server's guest has is computed from the topology it runs with.
"""

from __future__ import annotations

import shlex

import pandas as pd

from runbook_lib.cpu_topology.fleet import RUNBOOK
from runbook_lib.cpu_topology.guest_servers import UNKNOWN_EDITION
from runbook_lib.cpu_topology.topology import Topology, visible_vcpus
from runbook_lib.cpu_topology.unmatched import IMAGE_UNKNOWN
from runbook_lib.findings import Finding, server_subject
from runbook_lib.records import Records

GUEST_COLUMNS = [
    "host",
    "domain",
    "server_id",
    "server",
    "flavor",
    "vcpus",
    "topology",
    "sockets",
    "cores",
    "threads",
    "clock_offset",
    "booted_properties",
    "path",
]
COMPARED_COLUMNS = [
    "server",
    "server_id",
    "host",
    "flavor",
    "vcpus",
    "predicted",
    "actual",
    "socket_limit",
    "visible_vcpus",
    "lost_vcpus",
    "differs",
    "why",
    "image_id",
    "path",
]
JUDGED_BY_XML = ("server-loses-vcpus", "server-may-lose-vcpus")  # findings the XML answers for its server


def actual_topology(sockets: object, cores: object, threads: object) -> Topology | None:
    """The topology the XML sets, or None (not set: QEMU chooses). A table column with a gap in it holds
    floats (4.0), so whole numbers of any type count."""
    values = []
    for value in (sockets, cores, threads):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value < 1:
            return None
        if int(value) != value:
            return None
        values.append(int(value))
    return Topology(*values)


def _topology(record: dict) -> str:
    found = actual_topology(record.get("sockets"), record.get("cores"), record.get("threads"))
    return str(found) if found else "not set (QEMU chooses)"


def tabulate_guests(domains: Records) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(guests, unreadable): one row per domain XML read, and one per file that is not a domain."""
    read = [d for d in domains if not d.get("error")]
    rows = [
        {**{c: d.get(c) for c in GUEST_COLUMNS}, "server_id": d.get("instance_uuid"), "topology": _topology(d)}
        for d in read
    ]
    unreadable = [
        {"host": d.get("host"), "path": d.get("path"), "error": d.get("error")} for d in domains if d.get("error")
    ]
    return pd.DataFrame(rows, columns=GUEST_COLUMNS), pd.DataFrame(unreadable, columns=["host", "path", "error"])


def _why(server: object, guest: object) -> str:
    """The likeliest reason a guest runs with another topology than predicted, from what the rows hold."""
    booted = getattr(guest, "booted_properties", None)
    now = getattr(server, "properties", {}) or {}
    if isinstance(booted, dict):
        changed = sorted(
            k for k in {*booted, *now} if k.startswith("hw_cpu_") and str(booted.get(k, "")) != str(now.get(k, ""))
        )
        if changed:
            said = ", ".join(f"{k}={booted.get(k, 'unset')} at boot, {now.get(k, 'unset')} now" for k in changed)
            return f"the image changed after the server booted ({said}): Nova keeps the properties it booted with"
    if getattr(server, "image_changed_after_boot", False):
        return "the image changed after the server booted: Nova keeps the properties it booted with"
    if int(getattr(guest, "vcpus", 0) or 0) != int(getattr(server, "vcpus", 0) or 0):
        return "the guest's vCPU count is not the flavor's: a resize not yet confirmed, or the domain was edited"
    return "the domain was edited outside Nova (virsh edit), or defined by a Nova release that chose otherwise"


def compare_guests(servers: pd.DataFrame, guests: pd.DataFrame) -> pd.DataFrame:
    """Per server whose domain XML was read: the predicted and the actual topology, and what its guest sees."""
    by_id = {g.server_id: g for g in guests.itertuples()} if not guests.empty else {}
    rows = []
    for server in servers.itertuples():
        guest = by_id.get(server.server_id)
        if guest is None:
            continue
        limit = None if pd.isna(server.socket_limit) else int(server.socket_limit)
        actual = actual_topology(guest.sockets, guest.cores, guest.threads)
        # a guest whose image nobody could read: its topology is known, what it sees is not (no edition to apply)
        unseen = limit is None and getattr(server, "edition", "") == IMAGE_UNKNOWN
        seen = visible_vcpus(actual, limit) if actual and not unseen else None
        differs = guest.topology != server.topology
        rows.append(
            {
                "server": server.server,
                "server_id": server.server_id,
                "host": guest.host,
                "flavor": server.flavor,
                "vcpus": guest.vcpus,
                "predicted": server.topology,
                "actual": guest.topology,
                "socket_limit": limit,
                "visible_vcpus": seen,
                "lost_vcpus": None if seen is None else int(guest.vcpus or 0) - seen,
                "differs": differs,
                "why": _why(server, guest) if differs else "",
                "image_id": server.image_id,
                "path": guest.path,
            }
        )
    return pd.DataFrame(rows, columns=COMPARED_COLUMNS).astype(
        {"socket_limit": "Int64", "visible_vcpus": "Int64", "lost_vcpus": "Int64"}
    )


def judged_subjects(compared: pd.DataFrame) -> set[str]:
    """The finding subjects of the servers whose XML says what their guest sees."""
    known = compared[compared["visible_vcpus"].notna()] if not compared.empty else compared
    return {server_subject(r.server, r.server_id) for r in known.itertuples()}


def with_actual(servers: pd.DataFrame, compared: pd.DataFrame) -> pd.DataFrame:
    """The servers table with, where the domain XML was read, the topology the guest runs with and what it
    sees and loses by it (``topology_from`` says which): every table, plot and option then shows the truth."""
    out = servers.assign(topology_from="predicted")
    if compared.empty:
        return out
    known = compared[compared["visible_vcpus"].notna()].set_index("server_id")
    rows = out["server_id"].isin(known.index)
    ids = out.loc[rows, "server_id"]
    out.loc[rows, "topology"] = ids.map(known["actual"]).to_numpy()
    out.loc[rows, "visible_vcpus"] = ids.map(known["visible_vcpus"]).to_numpy()
    out.loc[rows, "lost_vcpus"] = ids.map(known["lost_vcpus"]).to_numpy()
    out.loc[rows, "lost_if_booted_uncapped"] = 0  # the XML answered what this column guesses
    out.loc[rows, "topology_from"] = "domain XML"
    return out


def _edition(edition: object) -> str:
    return str(edition) if edition and not str(edition).startswith("client, edition unknown") else "Windows"


def guest_findings(compared: pd.DataFrame, servers: pd.DataFrame) -> list[Finding]:
    """From the XML: a guest that loses vCPUs (crit), a topology other than predicted that loses none (warn)."""
    findings = []
    editions = servers.set_index("server_id")["edition"].to_dict() if not servers.empty else {}
    for row in compared.itertuples():
        sid = shlex.quote(str(row.server_id))
        evidence = {"predicted": row.predicted, "actual": row.actual, "domain_xml": row.path, "host": row.host}
        if row.lost_vcpus is not pd.NA and row.lost_vcpus and editions.get(row.server_id) == UNKNOWN_EDITION:
            findings.append(
                Finding(
                    RUNBOOK,
                    "server-may-lose-vcpus",
                    "warn",
                    server_subject(row.server, row.server_id),
                    f"Windows guest with {row.actual} ({row.path}): a client edition (Pro 2 sockets, Home 1) "
                    f"sees {row.visible_vcpus} of {row.vcpus} vCPUs, a Server edition all; its domain XML "
                    "names no image, so the edition is not known here",
                    f"look up image {row.image_id or '(see the XML)'} (`openstack image show <id>`), then run "
                    'again with socket_limits {"<image id>": <sockets its edition uses>}',
                    {**evidence, "if_client_lost_vcpus": int(row.lost_vcpus)},
                )
            )
        elif row.lost_vcpus is not pd.NA and row.lost_vcpus and row.lost_vcpus > 0:
            findings.append(
                Finding(
                    RUNBOOK,
                    "server-loses-vcpus",
                    "crit",
                    server_subject(row.server, row.server_id),
                    f"{_edition(editions.get(row.server_id))} guest sees {row.visible_vcpus} of {row.vcpus} vCPUs: "
                    f"its domain XML ({row.path}) gives it {row.actual} and Windows uses at most {row.socket_limit} "
                    "socket(s)" + (f"; the runbook predicted {row.predicted}: {row.why}" if row.differs else ""),
                    f"stop it, run 'nova-manage image_property set {sid} --property "
                    f"hw_cpu_max_sockets={row.socket_limit}' and start it; or resize to a flavor with "
                    f"hw:cpu_max_sockets={row.socket_limit} (see the options per server)",
                    {**evidence, "lost_vcpus": int(row.lost_vcpus), "flavor": row.flavor},
                )
            )
        elif row.visible_vcpus is pd.NA:
            findings.append(
                Finding(
                    RUNBOOK,
                    "guest-topology-unknown",
                    "info",
                    server_subject(row.server, row.server_id),
                    f"its domain XML ({row.path}) sets no CPU topology, so libvirt and QEMU chose one: what the "
                    f"guest sees is not known from Nova's side (predicted {row.predicted})",
                    "look in the guest: Windows `Get-CimInstance Win32_Processor`, Linux `lscpu`",
                    evidence,
                )
            )
        elif row.differs:
            findings.append(
                Finding(
                    RUNBOOK,
                    "guest-topology-differs",
                    "warn",
                    server_subject(row.server, row.server_id),
                    f"its guest runs with {row.actual} ({row.path}), not the {row.predicted} the runbook predicts: "
                    f"{row.why}; its next rebuild or nova-manage change gives it the prediction",
                    f"check with 'nova-manage image_property show {sid} hw_cpu_max_sockets'",
                    evidence,
                )
            )
    return findings


def unreadable_findings(unreadable: pd.DataFrame) -> list[Finding]:
    return [
        Finding(
            RUNBOOK,
            "domain-xml-unreadable",
            "warn",
            f"file {row.path}",
            f"{row.error}; what the guests there run with is unknown",
            f"on {row.host}: virsh dumpxml <domain> > <domain>.xml, and read that",
        )
        for row in unreadable.itertuples()
    ]
