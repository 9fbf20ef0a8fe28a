"""What the runbook could not match to an image: servers booted from an image that openstack/images does not
list (deleted, not visible to the cloud entry, or Glance not read at all), and socket_limits keys that name no
image. Neither may vanish from the findings.

A server whose image is unknown is still analysed from its flavor (the topology Nova gives it does not depend
on the image when the image sets no hw_cpu_* property), but whether its guest is Windows, and which edition, is
not known: the runbook claims no loss and no edition; it says which ones would lose vCPUs if the guest were a
Windows client edition (more than one socket), and how to tell it (``socket_limits`` by image id).
"""

from __future__ import annotations

import difflib
import json
import shlex
from collections.abc import Mapping

import pandas as pd

from runbook_lib.cpu_topology.fleet import IMAGE_NOT_LISTED, RUNBOOK
from runbook_lib.findings import Finding
from runbook_lib.snapshot import Snapshot

IMAGES = "openstack/images"
IMAGE_UNKNOWN = "image unknown"
TOLD = "Windows per socket_limits (image not listed)"
NAMED = 5  # servers (or image names) named in a finding; the table lists every one
UNKNOWN_COLUMNS = ["server", "server_id", "status", "flavor", "vcpus", "image_id", "edition", "topology", "sockets"]


def told_windows(servers: pd.DataFrame, socket_limits: Mapping[str, int]) -> pd.DataFrame:
    """Servers whose image is not listed but whose image id the operator gave in ``socket_limits``: their guest
    is Windows (the operator says so), judged with the limit given."""
    told = (servers["properties_from"] == IMAGE_NOT_LISTED) & servers["image_id"].isin(list(socket_limits))
    properties = servers["properties"].where(~told, pd.Series([{"os_type": "windows"}] * len(servers), servers.index))
    return servers.assign(properties=properties)


def mark_unknown_images(servers: pd.DataFrame, socket_limits: Mapping[str, int]) -> pd.DataFrame:
    """The analysed servers, those of an unlisted image (and no socket_limits entry) with edition "image
    unknown" and no visible or lost vCPUs: nothing is claimed about a guest nobody could see the image of;
    those the operator named in socket_limits say that the edition is theirs."""
    unlisted = servers["properties_from"] == IMAGE_NOT_LISTED
    told = unlisted & servers["image_id"].isin(list(socket_limits))
    unknown = unlisted & ~told
    return servers.assign(
        edition=servers["edition"].where(~unknown, IMAGE_UNKNOWN).where(~told, TOLD),
        visible_vcpus=servers["visible_vcpus"].mask(unknown),
        lost_vcpus=servers["lost_vcpus"].mask(unknown),
    )


def tabulate_unknown_images(servers: pd.DataFrame) -> pd.DataFrame:
    """The servers whose image is unknown, those that would lose vCPUs under a Windows client edition first."""
    if servers.empty:
        return pd.DataFrame(columns=UNKNOWN_COLUMNS)
    unknown = servers[servers["edition"] == IMAGE_UNKNOWN]
    return unknown.sort_values(["sockets", "server"], ascending=[False, True])[UNKNOWN_COLUMNS]


def unmatched_findings(
    snapshot: Snapshot, images: pd.DataFrame, servers: pd.DataFrame, socket_limits: Mapping[str, int]
) -> list[Finding]:
    return [
        *images_part_findings(snapshot, servers),
        *unknown_image_findings(servers),
        *socket_limit_findings(images, servers, socket_limits),
    ]


def images_part_findings(snapshot: Snapshot, servers: pd.DataFrame) -> list[Finding]:
    """An images part that is empty or not in the snapshot while servers boot from images: an error (a part
    that failed to collect already has its collection-problem finding)."""
    if IMAGES in snapshot.unread or snapshot.get(IMAGES) or servers.empty:
        return []
    booted = int((servers["properties_from"] == IMAGE_NOT_LISTED).sum())
    if not booted:
        return []
    if IMAGES in snapshot.parts:  # Glance answered with nothing: every image deleted, or none visible
        state, cause = "holds no image", "Glance listed none to this cloud entry"
        fix = "check that 'openstack image list --long' lists the images with this cloud entry (an admin entry sees "
        fix += "every project's), then collect again with 'runbook collect --cloud <entry>'"
    else:  # collected for other runbooks (collect --runbooks), or by an older collector
        state, cause = "is not in this snapshot", "the snapshot was not collected for this runbook"
        fix = "collect again with 'runbook collect --cloud <entry>' (with --runbooks, include cpu_topology)"
    return [
        Finding(
            RUNBOOK,
            "collection-problem",
            "error",
            IMAGES,
            f"{IMAGES} {state} while {booted} server(s) boot from an image: no image's properties or name were "
            f"read, so no guest's Windows edition is known ({cause})",
            fix,
        )
    ]


def unknown_image_findings(servers: pd.DataFrame) -> list[Finding]:
    """One warning naming how many servers' images are unknown, and which would lose vCPUs under Windows."""
    unknown = tabulate_unknown_images(servers)
    if unknown.empty:
        return []
    exposed = unknown[unknown["sockets"].fillna(0) > 1]
    named = ", ".join(f"{r.server} ({r.topology}, image {r.image_id})" for r in exposed.head(NAMED).itertuples())
    more = (
        f" and {len(exposed) - NAMED} more (the table of servers whose image is unknown)"
        if len(exposed) > NAMED
        else ""
    )
    safe = int((unknown["sockets"] == 1).sum())  # a topology Nova refuses has no sockets: neither exposed nor safe
    return [
        Finding(
            RUNBOOK,
            "image-unknown",
            "warn",
            f"servers whose image is not in {IMAGES}",
            f"{len(unknown)} server(s) boot from an image {IMAGES} does not list (deleted, or not visible to this "
            "cloud entry): whether their guest is Windows, and which edition, is unknown. "
            + (
                f"{len(exposed)} get more than one socket from their flavor and would use only some of their vCPUs "
                f"under a Windows client edition (Home uses 1 socket, Pro 2: more than 2 lose under both): "
                f"{named}{more}"
                if len(exposed)
                else "None gets more than one socket"
            )
            + (f"; {safe} get one socket and lose nothing whatever the guest" if safe and len(exposed) else ""),
            "look each image up ('openstack image show <image id>'; another project's image needs an admin cloud "
            'entry); for a Windows guest run again with socket_limits {"<image id>": <sockets its edition uses>}',
            {"servers": unknown["server_id"].tolist()},
        )
    ]


def socket_limit_findings(
    images: pd.DataFrame, servers: pd.DataFrame, socket_limits: Mapping[str, int]
) -> list[Finding]:
    """A socket_limits key that is no image's id or name (nor a server's image id or boot volume's image
    name): its limit was used for nothing, so the operator's correction silently did not happen."""
    names = sorted({str(n) for n in images["image"] if n} | {str(n) for n in servers.get("image", []) if n})
    ids = {str(i) for i in images["image_id"] if i} | {str(i) for i in servers.get("image_id", []) if i}
    findings = []
    for key, limit in socket_limits.items():
        if key in ids or key in names:
            continue
        example = json.dumps({(closest_names(key, names) or ["<image name>"])[0]: limit})
        findings.append(
            Finding(
                RUNBOOK,
                "socket-limit-unmatched",
                "warn",
                f"socket_limits key {key!r}",
                f"socket_limits key {key!r} matches no image id or name, so its limit of {limit} socket(s) was "
                f"applied to nothing; {_candidates(key, names)}",
                "use the image's exact name or id as 'openstack image list' shows it, e.g. "
                + shlex.join(["-p", "socket_limits", example]),
            )
        )
    return findings


def closest_names(key: str, names: list[str], n: int = 3) -> list[str]:
    """The image names ``key`` most likely meant (case aside), best first.

    >>> closest_names("windows 10 pr", ["Windows 10 Pro 22H2", "Windows 10 Home 22H2", "Ubuntu 22.04"])
    ['Windows 10 Pro 22H2', 'Windows 10 Home 22H2']
    """
    by_lower = {name.lower(): name for name in names}
    return [by_lower[m] for m in difflib.get_close_matches(key.lower(), list(by_lower), n=n, cutoff=0.6)]


def _candidates(key: str, names: list[str]) -> str:
    close = closest_names(key, names)
    if close:
        return "closest image names: " + ", ".join(repr(c) for c in close)
    if not names:
        return f"no image name was read to match it against (see {IMAGES})"
    shown = ", ".join(repr(n) for n in names[:NAMED]) + (
        f" and {len(names) - NAMED} more" if len(names) > NAMED else ""
    )
    return f"no image name is close; the images: {shown}"
