"""The one place that talks to OpenStack (through openstacksdk).

Reads use list calls only (paginated by the SDK, ``all_projects`` where the API has it), so the cost
is a handful of requests whatever the size of the cloud. Records are kept in the API's wire format.
Writes (``set_*``/``remove_*``) are called only by a plan's ``apply`` and always re-read to verify.
Every failure becomes one of the :mod:`runbook_lib.errors` classes with a message that says what
failed and what to do.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from runbook_lib import __version__
from runbook_lib.errors import (
    AuthenticationFailed,
    ConfigError,
    PermissionDenied,
    ServiceMissing,
    SourceError,
    SourceUnreachable,
)
from runbook_lib.snapshot import Snapshot, new_manifest

API_TIMEOUT_S = 30  # a hung endpoint must not hang a scheduled report


def _wire(resource: Any) -> dict[str, Any]:
    """The record as the API sent it (openstacksdk 4.22 keeps known keys raw in ``_body``).

    Glance custom properties are top-level keys in the API; the SDK moves them into
    ``properties``, so they are put back where Glance had them.
    """
    record = dict(resource._body.attributes)
    extra = record.pop("properties", None)
    if isinstance(extra, dict) and resource.__class__.__module__.startswith("openstack.image"):
        record.update(extra)
    elif extra is not None:
        record["properties"] = extra
    return record


def known_clouds() -> tuple[list[str], list[str]]:
    """(cloud names, clouds.yaml files looked at)."""
    from openstack.config import loader

    config = loader.OpenStackConfig()
    files = [f for f in getattr(config, "_config_files", []) if os.path.exists(f)]
    return sorted(set(config.get_cloud_names()) - {"envvars", "defaults"}), files


def connect(cloud: str) -> Any:
    """An authenticated connection to the clouds.yaml entry ``cloud``.

    Credentials come only from clouds.yaml / secure.yaml / OS_* variables, never from parameters.
    """
    import openstack
    from openstack import exceptions as sdk_exc

    try:
        conn = openstack.connect(cloud=cloud, api_timeout=API_TIMEOUT_S)
    except sdk_exc.ConfigException:
        names, files = known_clouds()
        looked = ", ".join(files) or "no clouds.yaml found (~/.config/openstack/, /etc/openstack/, ./)"
        raise ConfigError(
            f"cloud {cloud!r} not found in clouds.yaml (looked in: {looked}); known clouds: "
            f"{', '.join(names) or 'none'}; pass --cloud NAME with one of them or set OS_CLOUD"
        ) from None
    except Exception as exc:  # a malformed clouds.yaml fails deep inside the SDK's loader
        raise ConfigError(
            f"cannot load the configuration of cloud {cloud!r} ({type(exc).__name__}: {exc}); "
            "check clouds.yaml / secure.yaml (OS_CLIENT_CONFIG_FILE points at another file)"
        ) from None
    try:
        conn.authorize()
    except Exception as exc:
        raise translate_error(exc, "keystone authentication", cloud) from None
    return conn


def translate_error(exc: BaseException, part: str, cloud: str) -> SourceError:
    """One readable SourceError for whatever keystoneauth or openstacksdk raised."""
    from keystoneauth1 import exceptions as ksa_exc
    from openstack import exceptions as sdk_exc

    # openstacksdk wraps keystoneauth's errors (e.g. in authorize()); look at the whole chain.
    chain = [exc]
    while chain[-1].__cause__ or chain[-1].__context__:
        chain.append(chain[-1].__cause__ or chain[-1].__context__)
    status = next(
        (
            getattr(e, "status_code", None) or getattr(e, "http_status", None)
            for e in chain
            if getattr(e, "status_code", None) or getattr(e, "http_status", None)
        ),
        None,
    )
    text = str(exc)
    detail = str(getattr(exc, "details", "") or exc).strip().splitlines()[0][:300]

    def caused_by(*classes: type) -> bool:
        return any(isinstance(e, classes) for e in chain)

    unreachable = caused_by(ksa_exc.ConnectFailure, ksa_exc.ConnectTimeout, ksa_exc.UnknownConnectionError)
    unreachable = unreachable or "Unable to establish connection" in text
    if not unreachable and (
        caused_by(ksa_exc.EndpointNotFound, ksa_exc.EmptyCatalog)
        or (isinstance(exc, sdk_exc.SDKException) and "catalog" in text.lower() and status is None)
    ):
        return ServiceMissing(
            f"{part}: the service is not in cloud {cloud!r}'s catalog ({detail}); "
            "this part was skipped — check 'openstack catalog list'",
            part=part,
        )
    # An endpoint that is down during version discovery surfaces as NotSupported ("does not have any
    # supported versions") in openstacksdk 4.22.
    if unreachable or "does not have any supported versions" in text:
        return SourceUnreachable(
            f"{part}: cannot reach the endpoint of cloud {cloud!r} ({detail}); is the service up "
            f"and the auth_url/endpoint right? (timeout {API_TIMEOUT_S} s)",
            part=part,
        )
    if caused_by(ksa_exc.Unauthorized) or status == 401 or "(HTTP 401)" in text:
        return AuthenticationFailed(
            f"{part}: cloud {cloud!r} refused the credentials (HTTP 401); check the username, password "
            "and project in clouds.yaml / secure.yaml",
            part=part,
        )
    if caused_by(ksa_exc.Forbidden) or status == 403:
        return PermissionDenied(
            f"{part}: cloud {cloud!r} answered HTTP 403 — listing across all projects needs the admin "
            "role and this user does not have it; this part was skipped, run with an admin cloud entry",
            part=part,
        )
    if caused_by(ksa_exc.RequestTimeout, TimeoutError):
        return SourceUnreachable(f"{part}: cloud {cloud!r} did not answer in time ({detail})", part=part)
    kind = f"HTTP {status}" if status else type(exc).__name__
    return SourceError(f"{part}: cloud {cloud!r} failed ({kind}: {detail})", part=part)


# --- collectors: each returns wire records from list calls only --------------------------------


def _collect_flavors(conn: Any) -> list[dict[str, Any]]:
    # Flavor's max microversion is 2.61, where extra_specs come inline with the list.
    return [_wire(f) for f in conn.compute.flavors(details=True, get_extra_specs=True)]


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
    import datetime as dt

    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=MIGRATION_HISTORY_DAYS)
    # os-migrations is admin-only and covers every project; paginated by marker from microversion 2.59.
    return [_wire(m) for m in conn.compute.migrations(changes_since=since.strftime("%Y-%m-%dT%H:%M:%SZ"))]


def _collect_compute_services(conn: Any) -> list[dict[str, Any]]:
    return [_wire(s) for s in conn.compute.services(binary="nova-compute")]


def _collect_hypervisors(conn: Any) -> list[dict[str, Any]]:
    return [_wire(h) for h in conn.compute.hypervisors(details=True)]


def _collect_ports(conn: Any) -> list[dict[str, Any]]:
    # One paginated list, joined to servers in pandas: never a call per server. Compute ports are
    # "compute:<az>" (Neutron filters only exact values), and a failed build leaves its port unowned.
    return [
        _wire(p)
        for p in conn.network.ports()
        if (p.device_owner or "").startswith("compute:") or not p.device_owner
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
    return sorted({p["network_id"] for p in parts.get("openstack/ports", [])
                   if p.get("status") != "ACTIVE" and p.get("network_id")})  # fmt: skip


def collect_dhcp_hosting(conn: Any, network_ids: list[str]) -> list[dict[str, Any]]:
    """The DHCP agents hosting each suspect network (one call per suspect network, none otherwise)."""
    return [{"network_id": n, "agents": [{"id": a.id, "host": a.host, "alive": a.is_alive,
                                          "admin_state_up": a.is_admin_state_up}
                                         for a in conn.network.network_hosting_dhcp_agents(n)]}
            for n in network_ids]  # fmt: skip


def suspect_servers(parts: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Servers worth a per-server call: a failed migration, or status ERROR. Never the healthy ones."""
    suspects = {
        m.get("instance_uuid")
        for m in parts.get("openstack/migrations", [])
        if m.get("status") in ("error", "failed")
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
    "openstack/instance_actions": (collect_instance_actions, suspect_servers,
                                   "servers with a failed migration or in ERROR"),
    "openstack/dhcp_hosting": (collect_dhcp_hosting, suspect_networks, "networks of ports that are not ACTIVE"),
}  # fmt: skip


def collect_openstack(conn: Any, cloud: str, parts: list[str] | None = None) -> Snapshot:
    """Gather every part; a part that fails is recorded in ``problems`` and the rest still gathered."""
    import openstack.version

    wanted = [p for p in (parts or list(COLLECTORS)) if p in COLLECTORS]
    snapshot = Snapshot(
        manifest=new_manifest(
            cloud, {"runbook_lib": __version__, "openstacksdk": openstack.version.__version__}
        ),
        parts={},
    )
    for part in wanted:
        try:
            snapshot.parts[part] = COLLECTORS[part](conn)
            snapshot.manifest["parts"][part] = {"origin": "collected"}
        except Exception as exc:
            error = translate_error(exc, part, cloud)
            if isinstance(error, AuthenticationFailed):
                raise error from None  # nothing else can work either: say it once
            snapshot.problems[part] = str(error)
    # Detail calls for suspects only, found in the lists gathered above.
    for part, (collect, find_suspects, note) in SUSPECT_COLLECTORS.items():
        if parts is not None and part not in parts:
            continue
        try:
            snapshot.parts[part] = collect(conn, find_suspects(snapshot.parts))
            snapshot.manifest["parts"][part] = {"origin": "collected", "note": f"suspects only: {note}"}
        except Exception as exc:
            snapshot.problems[part] = str(translate_error(exc, part, cloud))
    snapshot.manifest["problems"] = dict(snapshot.problems)
    return snapshot


# --- writes, used only by plan apply ---------------------------------------------------------


def get_image_properties(conn: Any, image_id: str) -> dict[str, Any]:
    return _wire(conn.image.get_image(image_id))


def set_image_property(conn: Any, image_id: str, key: str, value: str) -> None:
    # update_image_properties on the *fetched* image adds one key; update_image with keyword
    # properties would replace (delete) every other custom property.
    image = conn.image.get_image(image_id)
    conn.image.update_image_properties(image, **{key: str(value)})


def remove_image_property(conn: Any, image_id: str, key: str) -> None:
    # One key per call: the SDK's JSON patch turns a remove plus an add of the same value into a
    # "move", which Glance 33 rejects with HTTP 400.
    image = conn.image.get_image(image_id)
    remaining = {k: v for k, v in image.properties.items() if k != key}
    conn.image.update_image(image, properties=remaining)


def get_flavor_extra_specs(conn: Any, flavor_id: str) -> dict[str, str]:
    return dict(conn.compute.fetch_flavor_extra_specs(flavor_id).extra_specs or {})


def set_flavor_extra_spec(conn: Any, flavor_id: str, key: str, value: str) -> None:
    conn.compute.update_flavor_extra_specs_property(flavor_id, key, str(value))


def set_volume_image_property(conn: Any, volume_id: str, key: str, value: str) -> None:
    conn.block_storage.set_volume_image_metadata(volume_id, **{key: str(value)})


def remove_flavor_extra_spec(conn: Any, flavor_id: str, key: str) -> None:
    conn.compute.delete_flavor_extra_specs_property(flavor_id, key)


def get_volume_image_metadata(conn: Any, volume_id: str) -> dict[str, Any]:
    return dict(conn.block_storage.get_volume(volume_id).volume_image_metadata or {})


def boot_canary(conn: Any, name: str, host: str, image: str, flavor: str, network: str, timeout: int = 600) -> dict[str, Any]:  # fmt: skip
    """Boot one server on ``host`` (``availability_zone=nova:<host>``, admin), wait until it is ACTIVE or
    ERROR (or ``timeout``), read its fault and ports, then delete it whatever happened."""
    import time

    from runbook_lib.errors import ParameterError

    found = {"image": conn.image.find_image(image), "flavor": conn.compute.find_flavor(flavor),
             "network": conn.network.find_network(network)}  # fmt: skip
    missing = [f"{kind} {value!r}" for (kind, value) in (("image", image), ("flavor", flavor), ("network", network))
               if found[kind] is None]  # fmt: skip
    if missing:
        raise ParameterError(f"canary: no {', no '.join(missing)} in this cloud")
    started = time.monotonic()
    server = conn.compute.create_server(name=name, image_id=found["image"].id, flavor_id=found["flavor"].id,
                                        networks=[{"uuid": found["network"].id}], availability_zone=f"nova:{host}")  # fmt: skip
    record: dict[str, Any] = {"host": host, "server_id": server.id, "name": name, "status": "BUILD"}
    try:
        while time.monotonic() - started < timeout:
            server = conn.compute.get_server(server.id)
            if server.status in ("ACTIVE", "ERROR") and server.task_state is None:
                break
            time.sleep(1)
        record.update(status=server.status, elapsed_s=round(time.monotonic() - started, 1),
                      fault=(server.fault or {}).get("message", ""), built_on=server.compute_host)  # fmt: skip
        record["ports"] = [{"id": p.id, "status": p.status, "vif_type": p.binding_vif_type}
                           for p in conn.network.ports(device_id=server.id)]  # fmt: skip
    finally:
        conn.compute.delete_server(server.id, ignore_missing=True)
        conn.compute.wait_for_delete(server, wait=120)
        record["deleted"] = True
    return record
