"""The connection to OpenStack (through openstacksdk).

Reads live in :mod:`runbook_lib.sources.openstack_lists`, writes in :mod:`runbook_lib.sources.openstack_writes`;
clouds.yaml is checked in :mod:`runbook_lib.sources.openstack_config`, and every failure becomes one of the
:mod:`runbook_lib.errors` classes in :mod:`runbook_lib.sources.openstack_errors`, with a message that says what
failed and what to do.
"""

from __future__ import annotations

import logging
from typing import Any

from runbook_lib.errors import ConfigError, SourceUnreachable
from runbook_lib.sources.deadline import API_TIMEOUT_S, COLLECTION_DEADLINE_S, Deadline, RequestGuard
from runbook_lib.sources.openstack_config import check_auth_url, check_config_files, known_clouds
from runbook_lib.sources.openstack_errors import translate_error
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


def connect(cloud: str, api_timeout: float = API_TIMEOUT_S) -> Any:
    """An authenticated connection to the clouds.yaml entry ``cloud``.

    Credentials come only from clouds.yaml / secure.yaml / OS_* variables, never from parameters.
    """
    import openstack
    from openstack import exceptions as sdk_exc

    quiet_library_logs()
    clouds_file = check_config_files()  # the SDK would skip a clouds.yaml it cannot parse, silently
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
    check_auth_url(cloud, (conn.config.config.get("auth") or {}).get("auth_url"), clouds_file)
    part = "keystone authentication"
    with RequestGuard(conn.session, Deadline(COLLECTION_DEADLINE_S), api_timeout) as guard:  # a hung keystone: one wait
        guard.part(part)
        try:
            conn.authorize()
        except Exception as exc:
            if part in guard.timed_out:
                raise SourceUnreachable(guard.timed_out[part], part=part) from None
            raise translate_error(exc, part, cloud, api_timeout) from None
    return conn


def quiet_library_logs() -> None:
    """keystoneauth logs its failed version discovery as a warning with no handler of its own, so Python's
    last-resort handler prints it on stderr beside the one line that already says it; a NullHandler keeps it
    for whoever configures logging, and off stderr otherwise (openstacksdk and urllib3 do the same)."""
    logger = logging.getLogger("keystoneauth")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


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
