"""Reading OpenStack: list calls only (paginated by the SDK, ``all_projects`` where the API has it), so the
cost is a handful of requests whatever the size of the cloud, plus detail calls for suspects only. Records
are kept in the API's wire format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import openstack.utils
import openstack.version

from runbook_lib.errors import AuthenticationFailed, ServiceMissing, SourceUnreachable
from runbook_lib.snapshot import Snapshot, new_manifest
from runbook_lib.sources.deadline import API_TIMEOUT_S, COLLECTION_DEADLINE_S, Deadline, RequestGuard
from runbook_lib.sources.openstack import RequestCounter
from runbook_lib.sources.openstack import wire as _wire
from runbook_lib.sources.openstack_errors import translate_error
from runbook_lib.sources.pages import cut_short
from runbook_lib.version import VERSION


def _collect_flavors(conn: Any) -> list[dict[str, Any]]:
    # From microversion 2.61 (Queens) extra_specs come inline with the list, {} for a flavor without any.
    # The SDK's get_extra_specs=True would fetch them again for every such flavor (a request per flavor);
    # only an older Nova, whose list has no extra_specs at all, needs the per-flavor call.
    flavors = list(conn.compute.flavors(details=True))
    return [_wire(f if f.extra_specs is not None else conn.compute.fetch_flavor_extra_specs(f)) for f in flavors]


def _collect_images(conn: Any) -> list[dict[str, Any]]:
    return [_wire(i) for i in conn.image.images(visibility="all")]


def _collect_servers(conn: Any) -> list[dict[str, Any]]:
    # From microversion 2.47 each server embeds its flavor with extra_specs: no per-server calls.
    return [_wire(s) for s in conn.compute.servers(details=True, all_projects=True)]


def _collect_volumes(conn: Any) -> list[dict[str, Any]]:
    return [_wire(v) for v in conn.block_storage.volumes(details=True, all_projects=True)]


def _collect_volume_snapshots(conn: Any) -> list[dict[str, Any]]:
    return [_wire(s) for s in conn.block_storage.snapshots(details=True, all_projects=True)]


# Migrations are kept for this long before the collection time: the analysis window is a runbook
# parameter, but a busy cloud holds years of records.
MIGRATION_HISTORY_DAYS = 30
SUSPECT_ACTIONS = ("resize", "migrate", "live-migration", "evacuate", "create", "rebuild")


def _collect_migrations(conn: Any) -> list[dict[str, Any]]:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=MIGRATION_HISTORY_DAYS)
    # os-migrations is admin-only and covers every project; paginated by marker from microversion 2.59.
    return [_wire(m) for m in conn.compute.migrations(changes_since=since.strftime("%Y-%m-%dT%H:%M:%SZ"))]


def _collect_compute_services(conn: Any) -> list[dict[str, Any]]:
    return [_wire(s) for s in conn.compute.services(binary="nova-compute")]


# From microversion 2.88 each hypervisor of the detail list carries its uptime, which nova-api asks that host's
# nova-compute for over RPC (nova/api/openstack/compute/hypervisors.py, _view_hypervisor): a call per hypervisor
# inside every page, and one compute that is up but does not answer fails the whole page (MessagingTimeout, HTTP
# 500). 2.87 lists the same hosts, addresses and services without it (paged by uuid marker since 2.53).
HYPERVISORS_MICROVERSION = "2.87"


def _collect_hypervisors(conn: Any) -> list[dict[str, Any]]:
    capped = openstack.utils.supports_microversion(conn.compute, HYPERVISORS_MICROVERSION)
    listed = conn.compute.hypervisors(details=True, microversion=HYPERVISORS_MICROVERSION if capped else None)
    return [_wire(h) for h in listed]


def _collect_ports(conn: Any) -> list[dict[str, Any]]:
    # One paginated list, joined to servers in pandas: never a call per server. Compute ports are
    # "compute:<az>" (Neutron filters only exact values), and a failed build leaves its port unowned.
    return [
        _wire(p) for p in conn.network.ports() if (p.device_owner or "").startswith("compute:") or not p.device_owner
    ]


def _collect_network_agents(conn: Any) -> list[dict[str, Any]]:
    return [_wire(a) for a in conn.network.agents()]


COLLECTORS: dict[str, Callable[[Any], list[dict[str, Any]]]] = {
    "openstack/flavors": _collect_flavors,
    "openstack/images": _collect_images,
    "openstack/servers": _collect_servers,
    "openstack/volumes": _collect_volumes,
    "openstack/volume_snapshots": _collect_volume_snapshots,
    "openstack/migrations": _collect_migrations,
    "openstack/compute_services": _collect_compute_services,
    "openstack/hypervisors": _collect_hypervisors,
    "openstack/ports": _collect_ports,
    "openstack/network_agents": _collect_network_agents,
}


def suspect_networks(parts: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Networks of compute (or unowned) ports that are not ACTIVE: the only ones whose DHCP agents matter."""
    return sorted(
        {
            p["network_id"]
            for p in parts.get("openstack/ports", [])
            if p.get("status") != "ACTIVE" and p.get("network_id")
        }
    )


def collect_dhcp_hosting(conn: Any, network_ids: list[str]) -> list[dict[str, Any]]:
    """The DHCP agents hosting each suspect network (one call per suspect network, none otherwise)."""
    return [
        {
            "network_id": n,
            "agents": [
                {"id": a.id, "host": a.host, "alive": a.is_alive, "admin_state_up": a.is_admin_state_up}
                for a in conn.network.network_hosting_dhcp_agents(n)
            ],
        }
        for n in network_ids
    ]


def suspect_servers(parts: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Servers worth a per-server call: a failed migration, or status ERROR. Never the healthy ones."""
    suspects = {
        m.get("instance_uuid") for m in parts.get("openstack/migrations", []) if m.get("status") in ("error", "failed")
    }
    suspects |= {s.get("id") for s in parts.get("openstack/servers", []) if s.get("status") == "ERROR"}
    return sorted(s for s in suspects if s)


def collect_instance_actions(conn: Any, server_ids: list[str]) -> list[dict[str, Any]]:
    """The suspects' actions of interest, each with its events (details/traceback need admin, mv ≥ 2.84)."""
    records = []
    for server_id in server_ids:
        for action in conn.compute.server_actions(server_id):
            if action.action not in SUSPECT_ACTIONS:
                continue
            detail = _wire(conn.compute.get_server_action(action.request_id, server_id))
            records.append({**detail, "instance_uuid": detail.get("instance_uuid") or server_id})
    return records


SUSPECT_COLLECTORS = {
    "openstack/instance_actions": (
        collect_instance_actions,
        suspect_servers,
        "servers with a failed migration or in ERROR",
    ),
    "openstack/dhcp_hosting": (
        collect_dhcp_hosting,
        suspect_networks,
        "networks of ports that are not ACTIVE",
    ),
}


# part → the service that answers it: a service that hangs, is down or is not in the catalog costs one part's
# wait, not one for each of its parts (a hung Nova: one timeout, not six).
SERVICE_OF = {
    **dict.fromkeys(["openstack/flavors", "openstack/servers", "openstack/migrations"], "compute"),
    **dict.fromkeys(["openstack/compute_services", "openstack/hypervisors", "openstack/instance_actions"], "compute"),
    "openstack/images": "image",
    **dict.fromkeys(["openstack/volumes", "openstack/volume_snapshots"], "block-storage"),
    **dict.fromkeys(["openstack/ports", "openstack/network_agents", "openstack/dhcp_hosting"], "network"),
}


def _not_asked(part: str, failed: str) -> str:
    return f"{part}: not asked: the {SERVICE_OF[part]} service already failed for {failed} in this collection"


def collect_openstack(
    conn: Any,
    cloud: str,
    parts: list[str] | None = None,
    deadline_s: float = COLLECTION_DEADLINE_S,
    api_timeout: float = API_TIMEOUT_S,
) -> Snapshot:
    """Gather every part within one deadline; a part that fails is recorded in ``problems`` and the rest still
    gathered, except the other parts of a service that did not answer, and whatever the deadline leaves
    unasked (they are recorded as not asked, and why)."""
    wanted = [p for p in (parts or list(COLLECTORS)) if p in COLLECTORS]
    snapshot = Snapshot(
        manifest=new_manifest(cloud, {"runbook_lib": VERSION, "openstacksdk": openstack.version.__version__}),
        parts={},
        live=True,
    )
    deadline = Deadline(deadline_s)
    down: dict[str, str] = {}  # service → the part it failed for, when it cannot answer at all
    with RequestGuard(conn.session, deadline, api_timeout) as guard, RequestCounter(conn) as requests:

        def skipped(part: str) -> bool:
            if SERVICE_OF[part] in down:
                snapshot.problems[part] = _not_asked(part, down[SERVICE_OF[part]])
            elif deadline.passed():
                snapshot.problems[part] = deadline.not_asked(part)
            else:
                guard.part(part)
                requests.count(part)
                return False
            return True

        for part in wanted:
            if skipped(part):
                continue
            try:
                snapshot.parts[part] = COLLECTORS[part](conn)
                pages = requests.pages.get(part, [])
                described = {"origin": "collected", "requests": requests.counts.get(part, 0), "pages": len(pages)}
                cut = cut_short(part, pages)
                if cut:  # kept, and said: a shorter table alone would be silently wrong
                    snapshot.skipped[part] = described["cut_short"] = cut
                snapshot.manifest["parts"][part] = described
            except Exception as exc:
                error = translate_error(exc, part, cloud, api_timeout)
                if isinstance(error, AuthenticationFailed):
                    raise error from None  # nothing else can work either: say it once
                if isinstance(error, SourceUnreachable | ServiceMissing):
                    down[SERVICE_OF[part]] = part
                snapshot.problems[part] = guard.timed_out.get(part, str(error))
        # Detail calls for suspects only, found in the lists gathered above.
        for part, (collect, find_suspects, note) in SUSPECT_COLLECTORS.items():
            if (parts is not None and part not in parts) or skipped(part):
                continue
            try:
                suspects = find_suspects(snapshot.parts)
                snapshot.parts[part] = collect(conn, suspects)
                snapshot.manifest["parts"][part] = {
                    "origin": "collected",
                    "note": f"suspects only: {note}",
                    "suspects": len(suspects),
                    "requests": requests.counts.get(part, 0),
                }
            except Exception as exc:
                snapshot.problems[part] = guard.timed_out.get(part, str(translate_error(exc, part, cloud, api_timeout)))
    snapshot.manifest["problems"] = dict(snapshot.problems)
    snapshot.manifest["deadline"] = {"seconds": deadline.seconds, "spent": round(deadline.spent(), 1)}
    return snapshot
