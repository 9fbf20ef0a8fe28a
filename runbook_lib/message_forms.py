"""One wording of one log or fault message, as a release writes it: shared by the runbooks that read
OpenStack's messages, so every form carries its releases and the source it was taken from."""

from __future__ import annotations

import dataclasses
import re


@dataclasses.dataclass(frozen=True)
class MessageForm:
    """One wording of one message: the releases that write it, its pattern, and where it comes from."""

    message: str  # what the message means, the same for every form
    releases: str
    pattern: re.Pattern[str]
    source: str  # the file and the format string as the release writes it


def first_match(forms: tuple[MessageForm, ...], text: str) -> tuple[MessageForm, re.Match[str]] | None:
    """The first form whose pattern is found in ``text``, with its match."""
    for form in forms:
        match = form.pattern.search(text)
        if match:
            return form, match
    return None
