"""The servers of a compute read from its guests' domain XML alone (a compute's sosreport, no API at hand):
Nova's metadata names each guest's server, flavor and vCPUs, and newer releases add the flavor's extra
specs and the image properties it booted with: enough to run Nova's topology choice and Windows detection
on what the guest really booted with.

What the XML cannot say is the image's name, so a Windows guest's edition (and so its socket limit) is
unknown unless ``socket_limits`` names its image id: such a guest "may" lose vCPUs, never "does".
"""

from __future__ import annotations

import pandas as pd

from runbook_lib.cpu_topology.fleet import SERVER_COLUMNS, tabulate_servers
from runbook_lib.cpu_topology.pairs import analyse_servers
from runbook_lib.cpu_topology.unmatched import mark_unknown_images, told_windows
from runbook_lib.records import Record, Records
from runbook_lib.snapshot import Snapshot

FROM_XML = "domain XML (as booted)"
# Nova sets the guest clock to localtime for os_type=windows only (LibvirtDriver._set_clock): an older
# release's XML, with no image properties in it, still tells a Windows guest by it.
WINDOWS_CLOCK = {"os_type": "windows"}


def _properties(domain: Record) -> Record:
    booted = domain.get("booted_properties")
    if isinstance(booted, dict):
        return dict(booted)
    return dict(WINDOWS_CLOCK) if domain.get("clock_offset") == "localtime" else {}


def servers_from_guests(domains: Records) -> pd.DataFrame:
    """One row per guest whose XML was read, in the shape :func:`fleet.tabulate_servers` gives."""
    rows = []
    for d in domains:
        if d.get("error"):
            continue
        volume = d.get("root_type") == "volume"
        rows.append(
            {
                "server_id": d.get("instance_uuid"),
                "server": d.get("server") or d.get("domain"),
                "project_id": d.get("project") or "",
                "status": "ACTIVE" if "run/libvirt" in str(d.get("path")) else "",
                "host": d.get("host"),
                "flavor": d.get("flavor") or "",
                "vcpus": int(d.get("flavor_vcpus") or d.get("vcpus") or 0),
                "extra_specs": dict(d.get("flavor_extra_specs") or {}),
                "image_id": None if volume else (d.get("root_id") or None),
                "image": "",
                "boot_from_volume": volume,
                "boot_volume_id": d.get("root_id") if volume else None,
                "properties_from": FROM_XML,
                "properties": _properties(d),
                "image_changed_after_boot": False,
            }
        )
    return pd.DataFrame(rows, columns=SERVER_COLUMNS)


UNKNOWN_EDITION = "unknown (the XML names no image)"


def mark_unknown_editions(servers: pd.DataFrame, socket_limits: dict[str, int]) -> pd.DataFrame:
    """Servers read from the XML whose Windows edition was only guessed (no image name, no ``socket_limits``
    entry for their image id) say so in ``edition``: their loss is a "may"."""
    guessed = (
        (servers["properties_from"] == FROM_XML)
        & (servers["edition"] == "client, edition unknown")
        & ~servers["image_id"].isin(list(socket_limits))
    )
    return servers.assign(edition=servers["edition"].where(~guessed, UNKNOWN_EDITION))


def fleet_servers(snapshot: Snapshot, socket_limits: dict[str, int]) -> pd.DataFrame:
    """The API's servers with the topology Nova gives them (a server whose image is not listed: from its flavor,
    its edition "image unknown"); with no API servers in the snapshot but domain XMLs (a compute's sosreport),
    the guests' own servers, judged on what they booted with."""
    domains = snapshot.get("libvirt/domains")
    if "openstack/servers" not in snapshot.parts and any(not d.get("error") for d in domains):
        return mark_unknown_editions(analyse_servers(servers_from_guests(domains), socket_limits), socket_limits)
    table = tabulate_servers(
        snapshot.get("openstack/servers"), snapshot.get("openstack/images"), snapshot.get("openstack/volumes")
    )
    return mark_unknown_images(analyse_servers(told_windows(table, socket_limits), socket_limits), socket_limits)
