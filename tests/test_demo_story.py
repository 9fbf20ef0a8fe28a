"""Each runbook's notebook points at its story in the embedded demo ("**In the demo:**"), and every name or
message it quotes there is in the demo's data: rebuilding the demo cannot leave the narrative pointing at
servers, hosts or lines that are gone."""

import json
import re

import nbformat
import pytest

from runbook_lib.headless.runner import NOTEBOOKS_DIR as NOTEBOOKS
from runbook_lib.snapshot import DEMO_SNAPSHOT, load_snapshot

MARK = "**In the demo:**"


def _pointers(notebook) -> list[str]:
    cells = nbformat.read(notebook, as_version=4).cells
    return [c.source.split(MARK, 1)[1] for c in cells if c.cell_type == "markdown" and MARK in c.source]


def _quoted(paragraph: str) -> list[str]:
    """Backticked words, a pair 'a → b' as its two hosts."""
    return [part for token in re.findall(r"`([^`]+)`", paragraph) for part in token.split(" → ")]


def _in_demo(token: str, data: str) -> bool:
    key, sep, value = token.partition("=")
    if sep and " " not in key:  # a property as Glance or Nova stores it
        return f'"{key}": "{value}"' in data
    return token in data


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_story_points_at_demo_evidence_that_exists(notebook):
    data = json.dumps(load_snapshot(DEMO_SNAPSHOT).parts, ensure_ascii=False)
    pointers = _pointers(notebook)
    assert pointers, f"{notebook.name} has no '{MARK}' paragraph"
    quoted = [t for p in pointers for t in _quoted(p)]
    assert len(quoted) >= 2, quoted
    assert [t for t in quoted if not _in_demo(t, data)] == []


def test_a_quote_the_demo_does_not_hold_is_caught():
    data = json.dumps({"images": [{"hw_max_sockets": "2", "name": "win"}]})
    assert _in_demo("hw_max_sockets=2", data) and not _in_demo("hw_max_sockets=4", data)
    assert _quoted("`a → b` and `c`") == ["a", "b", "c"] and not _in_demo("win-gone", data)
