"""Ceph's JSON as its releases really print it: bare ``nan``, ``-nan`` and ``inf`` tokens, which are not JSON.

Jewel printed ``-nan`` into ``osd df`` (0/0 for an OSD without statistics); Reef before 18.2.5 printed ``inf``
into ``osd dump`` (the read balancer's scores, tracker 66215). Such a value is no number anyone can compute
with: it is read as null (``None``), as are ``NaN``/``Infinity`` (Python's own extension), outside strings only (a
string's contents are never changed). Every reader of Ceph's parts already treats null as unknown (an OSD with a
null use is an error finding, never 0 %), and what is saved stays plain JSON (``jq`` reads it). Both the live
reader (:mod:`runbook_lib.sources.ceph`) and the snapshot loader (for ``ceph/`` parts) read through it.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A whole JSON string (skipped as it is), or a bare token that is not part of a longer word or number.
_STRING_OR_BARE = re.compile(r'"(?:[^"\\]|\\.)*"|(?<![\w.])(-?)(nan|inf|infinity)(?![\w.])', re.IGNORECASE)


def _as_json_constant(match: re.Match[str]) -> str:
    if match.group(2) is None:
        return match.group(0)  # a string: left exactly as it was
    return "NaN"  # -nan, inf, -inf: read as null below, like NaN


def _no_number(constant: str) -> None:
    """NaN, Infinity, -Infinity: no number to compute with, so unknown (null)."""
    return None


def loads_ceph_json(text: str) -> Any:
    """``json.loads`` that also reads bare nan / -nan / inf / -inf, and NaN / ±Infinity, as null.

    >>> loads_ceph_json('{"kb_used": -nan, "score": inf, "note": "nan, inf"}')
    {'kb_used': None, 'score': None, 'note': 'nan, inf'}

    Raises ``json.JSONDecodeError`` for anything else that is not JSON (its line is the line in ``text``: only
    tokens within a line were rewritten)."""
    try:
        return json.loads(text, parse_constant=_no_number)  # valid JSON (almost every output): no rewriting
    except json.JSONDecodeError:
        fixed = _STRING_OR_BARE.sub(_as_json_constant, text)
        if fixed == text:
            raise
        return json.loads(fixed, parse_constant=_no_number)
