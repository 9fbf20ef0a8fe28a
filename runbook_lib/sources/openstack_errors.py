"""What keystoneauth and openstacksdk raise, turned into one :mod:`runbook_lib.errors` class with a message a
person can act on.

An unreachable endpoint is said as what the socket met (connection refused, a host name that does not
resolve, no route, no answer in time) at the URL asked, never as the repr of urllib3's exception, which
keystoneauth quotes whole and runs past any cut.
"""

from __future__ import annotations

import socket
from typing import Any

from runbook_lib.errors import (
    AuthenticationFailed,
    PermissionDenied,
    ServiceMissing,
    SourceError,
    SourceUnreachable,
)
from runbook_lib.sources.deadline import API_TIMEOUT_S


def exception_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception behind it: causes, contexts, and urllib3's ``reason`` (MaxRetryError keeps
    the connection error there), each once."""
    chain: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is seen for seen in chain):
            continue
        chain.append(current)
        reason = getattr(current, "reason", None)
        todo += [e for e in (current.__cause__, current.__context__, reason) if isinstance(e, BaseException)]
    return chain


def asked_url(chain: list[BaseException]) -> str:
    """The URL the failed request went to (requests keeps the request on its exceptions), or ""."""
    for e in chain:
        url = getattr(getattr(e, "request", None), "url", None)
        if isinstance(url, str) and url:
            return url
    return ""


def unreachable_reason(chain: list[BaseException], api_timeout: float = API_TIMEOUT_S) -> str:
    """What the connection met, in words, with the URL asked: "connection refused at http://…"."""
    from keystoneauth1 import exceptions as ksa_exc

    url = asked_url(chain)
    at = f" at {url}" if url else ""
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return f"connection refused{at}"
    if any(isinstance(e, socket.gaierror) for e in chain):
        host = next((e for e in chain if isinstance(e, socket.gaierror)), None)
        return f"the host name{' in ' + url if url else ''} does not resolve ({getattr(host, 'strerror', '')})"
    if any(isinstance(e, (ksa_exc.ConnectTimeout, TimeoutError)) for e in chain):
        return f"no answer{at} (timeout {api_timeout:g} s)"
    os_error = next((e for e in reversed(chain) if isinstance(e, OSError) and e.strerror), None)
    if os_error is not None:  # no route to host, network unreachable, connection reset …
        return f"{os_error.strerror}{at}"
    innermost = str(chain[-1]).strip().splitlines()
    return (innermost[0][:200] if innermost else type(chain[-1]).__name__) + at


def translate_error(exc: BaseException, part: str, cloud: str, api_timeout: float = API_TIMEOUT_S) -> SourceError:
    """One readable SourceError for whatever keystoneauth or openstacksdk raised."""
    from keystoneauth1 import exceptions as ksa_exc
    from openstack import exceptions as sdk_exc

    # openstacksdk wraps keystoneauth's errors (e.g. in authorize()); look at the whole chain.
    chain = exception_chain(exc)
    ours = next((e for e in chain if isinstance(e, SourceError)), None)
    if ours is not None:  # the deadline's own refusal, already in words
        return ours
    status = next((_status(e) for e in chain if _status(e)), None)
    text = str(exc)
    detail = (str(getattr(exc, "details", "") or exc).strip().splitlines() or [type(exc).__name__])[0][:300]

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
        reason = unreachable_reason(chain, api_timeout) if unreachable else detail
        return SourceUnreachable(
            f"{part}: cannot reach the endpoint of cloud {cloud!r}: {reason}; is the service up "
            "and the auth_url/endpoint right?",
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


def _status(e: BaseException) -> Any:
    return getattr(e, "status_code", None) or getattr(e, "http_status", None)
