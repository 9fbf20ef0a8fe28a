"""The layers the tree promises, checked on every import (top-level and inside functions):
platform ← sources ← runbooks ← headless, no runbook importing another, modules kept small."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LIBRARY = REPO / "runbook_lib"
RUNBOOKS = sorted(p.parent.name for p in LIBRARY.glob("*/__init__.py") if p.parent.name not in ("sources", "headless"))
MODULES = sorted(p for p in LIBRARY.rglob("*.py"))
MAX_LINES = 300  # past this, split by noun (../shared/STYLE.md)


def layer_of(module: str) -> str:
    """platform, sources, a runbook's name, or headless, for a dotted runbook_lib module."""
    parts = module.split(".")
    if parts[-1] == "__main__":
        return "headless"  # `python -m runbook_lib` is the CLI
    if len(parts) < 3 and (len(parts) < 2 or parts[1] not in [*RUNBOOKS, "sources", "headless"]):
        return "platform"
    return parts[1]


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def imports(path: Path) -> set[str]:
    """Every runbook_lib module ``path`` imports, wherever the import statement is."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("runbook_lib"):
            found |= {f"{node.module}.{a.name}" if node.module == "runbook_lib" else node.module for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("runbook_lib")}
    return found


ALLOWED = {"platform": {"platform"}, "sources": {"platform", "sources"}, "headless": None}


def test_the_layers_are_the_ones_the_docstring_draws():
    assert set(RUNBOOKS) == {"cpu_topology", "resize_ssh", "vif_plugging", "ceph_capacity"}
    assert layer_of("runbook_lib.errors") == "platform"
    assert layer_of("runbook_lib.sources.ceph") == "sources"
    assert layer_of("runbook_lib.cpu_topology.plan") == "cpu_topology"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIBRARY)))
def test_imports_point_down_and_never_across_runbooks(path):
    own = layer_of(module_name(path))
    allowed = ALLOWED.get(own, {"platform", "sources", own})
    for target in imports(path):
        layer = layer_of(target)
        if target == "runbook_lib" and module_name(path).startswith("runbook_lib.headless"):
            continue  # the runbook finder walks the package's path
        assert allowed is None or layer in allowed, f"{module_name(path)} ({own}) imports {target} ({layer})"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIBRARY)))
def test_no_module_grows_past_the_size_where_it_should_be_split(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if p.name != "__init__.py" and p.name != "__main__.py"],
    ids=lambda p: str(p.relative_to(LIBRARY)),
)
def test_every_module_has_its_tests_in_the_mirrored_place(path):
    relative = path.relative_to(LIBRARY)
    folder = REPO / "tests" / relative.parent
    assert (folder / f"test_{path.stem}.py").exists(), f"tests/{relative.parent}/test_{path.stem}.py is missing"
