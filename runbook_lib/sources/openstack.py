"""The connection to OpenStack (through openstacksdk) and the translation of its errors.

Reads live in :mod:`runbook_lib.sources.openstack_lists`, writes in :mod:`runbook_lib.sources.openstack_writes`;
every failure becomes one of the :mod:`runbook_lib.errors` classes with a message that says what failed and
what to do.
"""

from __future__ import annotations

import os
from typing import Any

from runbook_lib.errors import (
    AuthenticationFailed,
    ConfigError,
    PermissionDenied,
    ServiceMissing,
    SourceError,
    SourceUnreachable,
)
from runbook_lib.sources.deadline import API_TIMEOUT_S, COLLECTION_DEADLINE_S, Deadline, RequestGuard
from runbook_lib.sources.pages import Page, page_of


def wire(resource: Any) -> dict[str, Any]:
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

    try:
        config = loader.OpenStackConfig()
    except Exception as exc:  # the SDK's loader refuses a clouds.yaml that is not a mapping, deep inside
        where = os.environ.get("OS_CLIENT_CONFIG_FILE", "clouds.yaml")
        raise ConfigError(f"cannot read {where}: {exc}; it must map 'clouds:' to named entries") from None
    files = [f for f in getattr(config, "_config_files", []) if os.path.exists(f)]
    return sorted(set(config.get_cloud_names()) - {"envvars", "defaults"}), files


def connect(cloud: str, api_timeout: float = API_TIMEOUT_S) -> Any:
    """An authenticated connection to the clouds.yaml entry ``cloud``.

    Credentials come only from clouds.yaml / secure.yaml / OS_* variables, never from parameters.
    """
    import openstack
    from openstack import exceptions as sdk_exc

    try:
        conn = openstack.connect(cloud=cloud, api_timeout=api_timeout)
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
    part = "keystone authentication"
    with RequestGuard(conn.session, Deadline(COLLECTION_DEADLINE_S), api_timeout) as guard:  # a hung keystone: one wait
        guard.part(part)
        try:
            conn.authorize()
        except Exception as exc:
            if part in guard.timed_out:
                raise SourceUnreachable(guard.timed_out[part], part=part) from None
            raise translate_error(exc, part, cloud) from None
    return conn


def translate_error(exc: BaseException, part: str, cloud: str) -> SourceError:
    """One readable SourceError for whatever keystoneauth or openstacksdk raised."""
    from keystoneauth1 import exceptions as ksa_exc
    from openstack import exceptions as sdk_exc

    # openstacksdk wraps keystoneauth's errors (e.g. in authorize()); look at the whole chain.
    chain = [exc]
    while (cause := chain[-1].__cause__ or chain[-1].__context__) is not None:
        chain.append(cause)
    ours = next((e for e in chain if isinstance(e, SourceError)), None)
    if ours is not None:  # the deadline's own refusal, already in words
        return ours
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


class RequestCounter:
    """Counts the API requests made through ``conn`` (its keystoneauth session) while in use, per label: what
    a collection costs, part by part. Token and version-discovery requests (unauthenticated, made once by
    the session) are not counted."""

    def __init__(self, conn: Any) -> None:
        self.counts: dict[str, int] = {}
        self.pages: dict[str, list[Page]] = {}  # per label, the list pages its GETs returned, in order
        self.label = ""
        self._session = conn.session
        self._original = self._session.request

    def __enter__(self) -> RequestCounter:
        original = self._original

        def counted(url: str, method: str, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("authenticated") is not False:
                self.counts[self.label] = self.counts.get(self.label, 0) + 1
            response = original(url, method, *args, **kwargs)
            if method == "GET" and kwargs.get("authenticated") is not False:
                self._read_page(response)
            return response

        self._session.request = counted
        return self

    def __exit__(self, *exc: object) -> None:
        self._session.request = self._original

    def _read_page(self, response: Any) -> None:
        try:
            page = page_of(response.json(), "next" in (getattr(response, "links", None) or {}))
        except (ValueError, AttributeError):  # not JSON (an error page, no body): not a list page
            return
        if page is not None:
            self.pages.setdefault(self.label, []).append(page)

    def count(self, label: str) -> None:
        """Count what follows under ``label`` (until the next call)."""
        self.label = label
