"""Names for the shapes that cross the edge, which are dynamic by nature (every release adds keys).

A runbook's modules may not write ``Any`` (mypy's ``disallow_any_explicit`` on them): what the sources
hand over is a :data:`Record` (one JSON object exactly as the API or CLI printed it), a list of them, or a
:data:`Connection`; everything the runbook builds from them is a DataFrame, a dataclass or a plain type.
"""

from __future__ import annotations

from typing import Any, TypeAlias

Record: TypeAlias = dict[str, Any]  # one JSON object in the service's own wire format
Records: TypeAlias = list[Record]
JSON: TypeAlias = Any  # a value inside a record: a string, number, list, object or null
Connection: TypeAlias = Any  # an openstack.connection.Connection (openstacksdk ships incomplete types)


def comma_list(text: str) -> list[str]:
    """The names of a comma-separated parameter ("cmp1, cmp2,"), blanks and surrounding spaces dropped."""
    return [word.strip() for word in text.split(",") if word.strip()]
