"""One deadline for a whole collection from a source, and one wait per part that gets no answer.

Every request of an OpenStack collection waits at most the API timeout, or what is left of the collection's
deadline when that is less; once the deadline has passed, nothing more is asked. After a request of a part
timed out, that part's next requests are refused at once: openstacksdk's version discovery tries a second
URL on the same hung endpoint, so a hung nova-api cost two waits (63 s on the mini cloud), not one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from runbook_lib.errors import SourceUnreachable

API_TIMEOUT_S = 30  # a hung endpoint must not hang a scheduled report
COLLECTION_DEADLINE_S = 600  # the whole collection from one source: a 10,000-server cloud fits in it


class Deadline:
    """``seconds`` from now, on ``clock`` (monotonic)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = float(seconds)
        self._clock = clock
        self._start = clock()

    def spent(self) -> float:
        return self._clock() - self._start

    def remaining(self) -> float:
        return self.seconds - self.spent()

    def passed(self) -> bool:
        return self.remaining() <= 0

    def said(self) -> str:
        return f"{self.spent():.0f} s of the collection's {self.seconds:g} s deadline spent"

    def not_asked(self, part: str) -> str:
        return f"{part}: not asked: the collection's deadline of {self.seconds:g} s had passed"


class RequestGuard:
    """Bounds every request made through a keystoneauth ``session`` while in use, part by part (``part()``
    names the part that follows). ``timed_out`` maps each part that got no answer to its one-line reason."""

    def __init__(self, session: Any, deadline: Deadline, api_timeout: float = API_TIMEOUT_S) -> None:
        self.deadline = deadline
        self.api_timeout = float(api_timeout)
        self.timed_out: dict[str, str] = {}
        self.label = ""
        self._session = session
        self._original = session.request

    def part(self, label: str) -> None:
        self.label = label

    def __enter__(self) -> RequestGuard:
        from keystoneauth1 import exceptions as ksa_exc

        original = self._original

        def guarded(url: str, method: str, *args: Any, **kwargs: Any) -> Any:
            label = self.label
            if label in self.timed_out:
                raise SourceUnreachable(self.timed_out[label], part=label)
            left = self.deadline.remaining()
            if left <= 0:
                raise SourceUnreachable(self.deadline.not_asked(label), part=label)
            wait = min(self.api_timeout, left)
            kwargs["timeout"] = wait
            try:
                return original(url, method, *args, **kwargs)
            except ksa_exc.ConnectTimeout as exc:  # keystoneauth's name for every requests Timeout
                bound = "the API timeout" if wait == self.api_timeout else "what was left of the deadline"
                self.timed_out[label] = (
                    f"{label}: timed out after {wait:g} s ({bound}) with no answer: {exc}; not waited for "
                    f"again; {self.deadline.said()} — is the service's API process hung?"
                )
                raise

        self._session.request = guarded
        return self

    def __exit__(self, *exc: object) -> None:
        self._session.request = self._original
