"""Findings of the CPU-topology runbook, from the tables built by :mod:`cpu_topology_fleet`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pandas as pd

from runbook_lib.cpu_topology.fleet import RUNBOOK, tabulate_flavors, tabulate_images
from runbook_lib.cpu_topology.guest_servers import FROM_XML, fleet_servers
from runbook_lib.cpu_topology.guests import (
    JUDGED_BY_XML,
    compare_guests,
    guest_findings,
    judged_subjects,
    tabulate_guests,
    unreadable_findings,
    with_actual,
)
from runbook_lib.cpu_topology.pairs import analyse_image_flavor_pairs, find_misspelled_properties, misspelled_findings
from runbook_lib.cpu_topology.strays import stray_findings, stray_guests
from runbook_lib.cpu_topology.topology import checked_socket_limits
from runbook_lib.cpu_topology.unmatched import tabulate_unknown_images, unmatched_findings
from runbook_lib.findings import Finding, server_subject
from runbook_lib.snapshot import Snapshot

# What this runbook reads; a live run collects only these.
PARTS = ("openstack/flavors", "openstack/images", "openstack/servers", "openstack/volumes")
EXISTING_STATUSES = ("ACTIVE", "SHUTOFF", "PAUSED", "SUSPENDED", "SHELVED", "SHELVED_OFFLOADED", "RESCUE")


@dataclasses.dataclass
class CpuTopologyAnalysis:
    """Everything the notebook shows; built once from a snapshot by :func:`analyse_cpu_topology`."""

    snapshot: Snapshot
    images: pd.DataFrame
    flavors: pd.DataFrame
    servers: pd.DataFrame
    pairs: pd.DataFrame
    misspelled: pd.DataFrame
    findings: list[Finding]
    guests: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)  # from domain XMLs, when read
    guest_check: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    unreadable_xml: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    socket_limits: dict[str, int] = dataclasses.field(default_factory=dict)  # as the operator gave them

    @property
    def affected_servers(self) -> pd.DataFrame:
        lost = self.servers[self.servers["lost_vcpus"].fillna(0) > 0]
        return lost[
            [
                "server",
                "project_id",
                "status",
                "flavor",
                "vcpus",
                "image",
                "properties_from",
                "edition",
                "socket_limit",
                "topology",
                "topology_from",
                "visible_vcpus",
                "lost_vcpus",
            ]
        ]

    @property
    def unknown_image_servers(self) -> pd.DataFrame:
        return tabulate_unknown_images(self.servers)

    @property
    def windows_images(self) -> pd.DataFrame:
        win = self.images[self.images["windows"].astype(bool)]  # an empty column is object-typed: not a mask
        return win[["image", "recognised_by", "edition", "socket_limit", "limit_source", "hw_cpu_max_sockets"]]

    @property
    def risky_pairs(self) -> pd.DataFrame:
        if self.pairs.empty:
            return self.pairs
        risky = self.pairs[self.pairs["lost_vcpus"].fillna(0) > 0]
        return risky[["image", "flavor", "vcpus", "edition", "socket_limit", "topology", "visible_vcpus"]]

    @property
    def refused_pairs(self) -> pd.DataFrame:
        if self.pairs.empty:
            return self.pairs
        return self.pairs[self.pairs["error"].notna()][["image", "flavor", "vcpus", "error"]]


def analyse_cpu_topology(snapshot: Snapshot, socket_limits: Mapping[str, int] | None = None) -> CpuTopologyAnalysis:
    """Tables, topology per server and per image × flavor pair, and findings, from one snapshot."""
    socket_limits = checked_socket_limits(socket_limits or {})
    images_raw = snapshot.get("openstack/images")
    flavors_raw = snapshot.get("openstack/flavors")
    images = tabulate_images(images_raw, socket_limits)
    flavors = tabulate_flavors(flavors_raw)
    servers = fleet_servers(snapshot, socket_limits)
    active_images = images[images["status"].isin(["active", None])] if not images.empty else images
    pairs = analyse_image_flavor_pairs(active_images, flavors, socket_limits)
    misspelled = find_misspelled_properties(images_raw, flavors_raw)
    guests, unreadable = tabulate_guests(snapshot.get("libvirt/domains"))
    compared = compare_guests(servers, guests)
    analysis = CpuTopologyAnalysis(
        snapshot, images, flavors, with_actual(servers, compared), pairs, misspelled, [], guests, compared, unreadable
    )
    analysis.socket_limits = socket_limits
    analysis.findings = check_cpu_topology(analysis)
    return analysis


def check_cpu_topology(a: CpuTopologyAnalysis) -> list[Finding]:
    """Where a server's domain XML was read, it, not the prediction, says what its guest loses."""
    judged = judged_subjects(a.guest_check)
    predicted = [f for f in _check_servers(a.servers) if not (f.kind in JUDGED_BY_XML and f.subject in judged)]
    return [
        *_check_collection(a),
        *unmatched_findings(a.snapshot, a.images, a.servers, a.socket_limits),
        *predicted,
        *guest_findings(a.guest_check, a.servers),
        *unreadable_findings(a.unreadable_xml),
        *(stray_findings(stray_guests(a.guests, a.servers)) if "openstack/servers" not in a.snapshot.unread else []),
        *_check_pairs(a.pairs),
        *misspelled_findings(a.misspelled),
    ]


def _check_collection(a: CpuTopologyAnalysis) -> list[Finding]:
    findings = []
    bfv = int(a.servers["boot_from_volume"].sum()) if not a.servers.empty else 0
    from_xml = bool((a.servers["properties_from"] == FROM_XML).any()) if not a.servers.empty else False
    for part, problem in a.snapshot.unread.items():
        if part not in PARTS:
            continue
        # Without Cinder only volume-backed servers are blind spots; anything else is an error.
        severity = "error"
        if part == "openstack/volumes" and "catalog" in problem:
            severity = "warn" if bfv else "info"
        if from_xml and part.startswith("openstack/"):  # a compute's sosreport: its guests were still judged
            severity, problem = "warn", f"{problem}; the guests were judged from their domain XML alone"
        findings.append(
            Finding(
                RUNBOOK,
                "collection-problem",
                severity,
                part,
                problem,
                "fix the access problem and run the runbook again",
            )
        )
    if a.images.empty and a.servers.empty and a.flavors.empty and not a.snapshot.problems:
        findings.append(
            Finding(
                RUNBOOK,
                "nothing-to-check",
                "warn",
                a.snapshot.label,
                "the source holds no servers, images or flavors: nothing was checked",
                "check that the cloud entry points at the right project and region",
            )
        )
    return findings


def _check_servers(servers: pd.DataFrame) -> list[Finding]:
    findings: list[Finding] = []
    if servers.empty:
        return findings
    existing = servers[servers["status"].isin(EXISTING_STATUSES)]
    for row in existing[existing["lost_vcpus"].fillna(0) > 0].itertuples():
        fix = (
            f"resize to a flavor with hw:cpu_max_sockets={row.socket_limit}, or stop it, run "
            f"'nova-manage image_property set {row.server_id} --property hw_cpu_max_sockets={row.socket_limit}' "
            "and start it (see the plan)"
        )
        findings.append(
            Finding(
                RUNBOOK,
                "server-loses-vcpus",
                "crit",
                server_subject(row.server, row.server_id),
                f"{row.edition} guest sees {row.visible_vcpus} of {row.vcpus} vCPUs: Nova gives it {row.topology} "
                f"and Windows uses at most {row.socket_limit} socket(s)",
                fix,
                {
                    "flavor": row.flavor,
                    "image": row.image,
                    "properties_from": row.properties_from,
                    "project_id": row.project_id,
                    "lost_vcpus": int(row.lost_vcpus),
                },
            )
        )
    maybe = existing[(existing["lost_vcpus"].fillna(0) == 0) & (existing["lost_if_booted_uncapped"].fillna(0) > 0)]
    for row in maybe.itertuples():
        findings.append(
            Finding(
                RUNBOOK,
                "server-may-lose-vcpus",
                "warn",
                server_subject(row.server, row.server_id),
                f"image {row.image} was changed after this server booted; Nova kept the properties from boot "
                f"time, so if the hw_cpu_* cap was added since, the guest still sees "
                f"{row.vcpus - row.lost_if_booted_uncapped} of {row.vcpus} vCPUs",
                f"check with 'nova-manage image_property show {row.server_id} hw_cpu_max_sockets'; if unset, "
                f"stop the server, run 'nova-manage image_property set {row.server_id} --property "
                f"hw_cpu_max_sockets={row.socket_limit}' and start it",
                {"image": row.image, "flavor": row.flavor},
            )
        )
    for row in servers[servers["boot_from_volume"] & servers["windows"].fillna(False)].itertuples():
        findings.append(
            Finding(
                RUNBOOK,
                "boot-from-volume",
                "info",
                server_subject(row.server, row.server_id),
                f"volume-backed: Nova reads its image properties from volume {row.boot_volume_id}'s "
                "volume_image_metadata, not from Glance — fixing the Glance image does not cover it",
                f"openstack volume set --image-property hw_cpu_max_sockets={row.socket_limit} {row.boot_volume_id}",
                {"properties_from": row.properties_from},
            )
        )
    for row in servers[servers["properties_from"] == "boot volume not found"].itertuples():
        findings.append(
            Finding(
                RUNBOOK,
                "boot-volume-unknown",
                "warn",
                server_subject(row.server, row.server_id),
                "volume-backed server whose boot volume was not in the volume listing: its CPU topology is unknown",
                "collect with an admin cloud entry that can list volumes of all projects",
            )
        )
    return findings


def _check_pairs(pairs: pd.DataFrame) -> list[Finding]:
    findings: list[Finding] = []
    if pairs.empty:
        return findings
    risky = pairs[pairs["lost_vcpus"].fillna(0) > 0]
    for (image_id, image), group in risky.groupby(["image_id", "image"], sort=True):
        flavors = ", ".join(f"{r.flavor} ({r.vcpus}→{r.visible_vcpus})" for r in group.itertuples())
        limit = int(group["socket_limit"].iloc[0])
        findings.append(
            Finding(
                RUNBOOK,
                "image-flavor-risk",
                "warn",
                f"image {image} ({image_id})",
                f"{group['edition'].iloc[0]} image: new servers lose vCPUs on {len(group)} public flavor(s): {flavors}",
                f"openstack image set --property hw_cpu_max_sockets={limit} {image_id}",
                {"flavors": group["flavor"].tolist()},
            )
        )
    refused = pairs[pairs["error"].notna()]
    for (image_id, image), group in refused.groupby(["image_id", "image"], sort=True):
        findings.append(
            Finding(
                RUNBOOK,
                "refused-combination",
                "warn",
                f"image {image} ({image_id})",
                f"Nova refuses to boot it (HTTP 400) on {len(group)} flavor(s): "
                + "; ".join(f"{r.flavor}: {r.error}" for r in group.itertuples()),
                "make the image's hw_cpu_* limits no larger than the flavors' hw:cpu_max_* "
                "(an image may only lower them)",
                {"flavors": group["flavor"].tolist()},
            )
        )
    return findings
