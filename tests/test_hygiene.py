"""Hygiene: notebooks stripped and thin, parameters typed and commented, README and __all__ in step."""

import ast
import json
import re
from pathlib import Path

import pytest

import runbook_lib
from runbook_lib.params import declared_parameters

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
LOGIC = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.For,
    ast.While,
    ast.Try,
    ast.Lambda,
    ast.With,
)


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stripped(path):
    nb = json.loads(path.read_text())
    assert "papermill" not in nb["metadata"]
    for cell in nb["cells"]:
        assert "papermill" not in cell.get("metadata", {})
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
        assert "injected-parameters" not in cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_parameters_cell_typed_and_commented(path):
    nb = json.loads(path.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    params = declared_parameters(path)
    assert params and all(p.help for p in params.values()), "every parameter needs a # comment"
    assert {"cloud", "snapshot"} <= set(params), "every runbook reads a live cloud or a snapshot"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_logic_in_notebook_cells(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            assert not isinstance(node, LOGIC), f"cell {i} has {type(node).__name__}: move it to runbook_lib"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_publishes_findings_last_and_imports_only_the_public_api(path):
    nb = json.loads(path.read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[1] == "import runbook_lib as rb"
    assert code[-1].startswith(f'rb.publish_findings("{path.stem}"')
    used = set(re.findall(r"\brb\.(\w+)", "\n".join(code)))
    assert used <= set(runbook_lib.__all__), f"not exported: {used - set(runbook_lib.__all__)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_runbook_is_listed_in_the_readme_and_has_its_module_and_tests(path):
    assert f"[`{path.stem}`](notebooks/{path.name})" in (REPO / "README.md").read_text()
    assert (REPO / "runbook_lib" / f"{path.stem}.py").exists()
    assert (REPO / "tests" / f"test_{path.stem}.py").exists()


def test_all_is_sorted_and_exported():
    assert runbook_lib.__all__ == sorted(runbook_lib.__all__)
    assert all(hasattr(runbook_lib, name) for name in runbook_lib.__all__)


def test_public_names_are_documented():
    undocumented = [n for n in runbook_lib.__all__ if not (getattr(runbook_lib, n).__doc__ or "").strip()]
    assert not undocumented


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    first_screen = readme.split("## Runbooks")[0]
    assert re.findall(r"^make \w+", first_screen, re.M) == ["make demo", "make test"]
    assert "make test" in (REPO / ".ci" / "run").read_text()
