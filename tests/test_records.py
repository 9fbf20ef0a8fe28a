"""The wire-record aliases, and the rule they exist for: no runbook package writes ``Any`` itself."""

import ast
import re
import tomllib
import typing
from pathlib import Path

import pytest

from runbook_lib import records
from runbook_lib.records import JSON, Connection, Record, Records

REPO = Path(__file__).resolve().parent.parent
RUNBOOK_PACKAGES = ("cpu_topology", "resize_ssh", "vif_plugging", "ceph_capacity")
RUNBOOK_MODULES = sorted(p for name in RUNBOOK_PACKAGES for p in (REPO / "runbook_lib" / name).glob("*.py"))


def explicit_any(path: Path) -> list[str]:
    """Every place a module names ``Any``: imported, as a name, as ``typing.Any``, or in a string annotation."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and any(a.name == "Any" for a in node.names):
            found.append(f"line {node.lineno}: from {node.module} import Any")
        elif isinstance(node, ast.Name) and node.id == "Any":
            found.append(f"line {node.lineno}: Any")
        elif isinstance(node, ast.Attribute) and node.attr == "Any":
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.arg | ast.AnnAssign) and isinstance(node.annotation, ast.Constant):
            words = re.findall(r"\w+", str(node.annotation.value))
            if "Any" in words:
                found.append(f"line {node.lineno}: annotation {node.annotation.value!r}")
    return found


def test_the_aliases_are_the_shapes_their_comments_say():
    assert Record == dict[str, typing.Any]
    assert Records == list[Record]
    assert JSON is typing.Any and Connection is typing.Any


def test_the_runbook_packages_are_the_ones_mypy_holds_to_no_explicit_any():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    strict = [o for o in config if o.get("disallow_any_explicit")]
    assert [sorted(o["module"]) for o in strict] == [sorted(f"runbook_lib.{name}.*" for name in RUNBOOK_PACKAGES)]
    found = sorted(p.parent.name for p in (REPO / "runbook_lib").glob("*/__init__.py"))
    assert set(found) - {"sources", "headless"} == set(RUNBOOK_PACKAGES)
    assert {p.parent.name for p in RUNBOOK_MODULES} == set(RUNBOOK_PACKAGES)


@pytest.mark.parametrize("path", RUNBOOK_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_runbook_module_writes_any(path):
    assert explicit_any(path) == [], f"use runbook_lib.records' Record/Records/JSON/Connection in {path.name}"


def test_the_check_sees_every_way_of_writing_any(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import Any\nimport typing\n"
        "def f(a: Any, b: typing.Any, c: 'dict[str, Any]') -> None: ...\n"
        "x: 'Any' = 1\n"
    )
    assert sorted(explicit_any(sample)) == [
        "line 1: from typing import Any",
        "line 3: Any",
        "line 3: annotation 'dict[str, Any]'",
        "line 3: typing.Any",
        "line 4: annotation 'Any'",
    ]


def test_the_check_finds_any_where_it_is_allowed_the_alias_module():
    assert "line 10: from typing import Any" in explicit_any(Path(records.__file__))


def test_a_comma_list_drops_blanks_and_spaces():
    from runbook_lib.records import comma_list

    assert (
        comma_list(" cmp1, cmp2,,cmp3 ,") == ["cmp1", "cmp2", "cmp3"]
        and comma_list("") == []
        and comma_list(" , ") == []
    )
