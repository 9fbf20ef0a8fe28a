"""Ceph's JSON as its releases really print it: bare ``nan``, ``-nan`` and ``inf`` tokens, which are not JSON.

Jewel printed ``-nan`` into ``osd df`` (0/0 for an OSD without statistics); Reef before 18.2.5 printed ``inf``
into ``osd dump`` (the read balancer's scores, tracker 66215). Python's ``json`` already reads ``NaN``,
``Infinity`` and ``-Infinity``; this reads the lowercase forms as the same floats, outside strings only (a
string's contents are never changed). Both the live reader (:mod:`runbook_lib.sources.ceph`) and the snapshot
loader (for ``ceph/`` parts) read through it, so a snapshot replays what the cluster printed.
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
    if match.group(2).lower() == "nan":
        return "NaN"  # -nan is NaN: a sign on NaN means nothing to a reader
    return "-Infinity" if match.group(1) else "Infinity"


def loads_ceph_json(text: str) -> Any:
    """``json.loads`` that also reads bare nan / -nan / inf / -inf as float NaN and ±inf.

    >>> loads_ceph_json('{"kb_used": -nan, "score": inf, "note": "nan, inf"}')
    {'kb_used': nan, 'score': inf, 'note': 'nan, inf'}

    Raises ``json.JSONDecodeError`` for anything else that is not JSON (its line is the line in ``text``: only
    tokens within a line were rewritten)."""
    try:
        return json.loads(text)  # valid JSON (almost every output): no rewriting
    except json.JSONDecodeError:
        fixed = _STRING_OR_BARE.sub(_as_json_constant, text)
        if fixed == text:
            raise
        return json.loads(fixed)
