"""Hygiene: notebooks stripped and thin, parameters typed and commented, README and __all__ in step."""

import ast
import importlib
import json
import re
import warnings
from pathlib import Path

import nbformat
import pytest

from runbook_lib.headless.params import declared_parameters

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
# As strict as ../shared/tools/notebook_hygiene.py, and `with` too: a cell holds calls and displays only.
LOGIC = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.For,
    ast.While,
    ast.Try,
    ast.Lambda,
    ast.With,
    ast.If,
    ast.IfExp,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.Match,
    ast.BoolOp,
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
def test_notebook_is_valid_nbformat_without_warnings(path):
    # A cell added without an id made nbformat warn on every run's stderr: the one-line promise broken.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nbformat.validate(nbformat.reads(path.read_text(), as_version=4))
    ids = [cell.get("id") for cell in json.loads(path.read_text())["cells"]]
    assert None not in ids and len(set(ids)) == len(ids)


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


def _code_cells(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_imports_its_runbook_and_uses_exactly_its_public_api(path):
    code = _code_cells(path)
    assert code[1] == f"import runbook_lib.{path.stem} as rb"
    assert code[-1].startswith(f'rb.publish_findings("{path.stem}"')
    package = importlib.import_module(f"runbook_lib.{path.stem}")
    used = set(re.findall(r"\brb\.(\w+)", "\n".join(code)))
    assert used <= set(package.__all__), f"not exported: {used - set(package.__all__)}"
    assert set(package.__all__) <= used, f"exported but unused (keep the API tiny): {set(package.__all__) - used}"


def _verdict_and_published(path: Path) -> tuple[str, str, list[ast.stmt]]:
    tree = ast.parse("\n".join(_code_cells(path)[1:]))
    calls = {
        node.func.attr: node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
    }
    shown, published = calls["show_verdict"].args[1], calls["publish_findings"].args[1]
    return ast.unparse(shown), ast.unparse(published), tree.body


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_banner_and_exit_code_come_from_one_final_list_of_findings(path):
    """The verdict banner and the published findings (the exit code) are the same name, and nothing after
    the banner adds to it or rebinds it: a finding that appears late would otherwise sit under an OK banner."""
    shown, published, body = _verdict_and_published(path)
    assert shown == published, f"banner shows {shown}, exit code from {published}"
    after_banner = False
    for statement in body:
        text = ast.unparse(statement)
        if "show_verdict(" in text:
            after_banner = True
            continue
        if not after_banner:
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                bound = {ast.unparse(t) for t in targets}
                root = shown.split(".")[0]
                assert not bound & {shown, root}, f"{text!r} rebinds {shown} after the banner"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert not (
                    node.func.attr in ("extend", "append", "insert") and shown in ast.unparse(node.func.value)
                ), f"{text!r} adds to {shown} after the banner"


SHARED_SSH = (
    "ssh_user",
    "ssh_config",
    "ssh_identity",
    "ssh_jump",
    "ssh_port",
    "sudo",
    "ssh_timeout",
    "check_host_keys",
)


def test_parameters_shared_by_runbooks_are_declared_the_same_way():
    """Every runbook that reaches hosts declares the operator's SSH access with the same names, types and
    defaults, so one `-p ssh_user …` means the same in each (`runbook run all` hands it to all)."""
    declared = {path.stem: declared_parameters(path) for path in NOTEBOOKS}
    reaching = {name: params for name, params in declared.items() if "ssh_user" in params}
    assert len(reaching) >= 2
    for key in SHARED_SSH:
        shapes = {
            name: (params[key].type_name, params[key].default, params[key].range) for name, params in reaching.items()
        }
        assert len(set(shapes.values())) == 1, f"{key} differs: {shapes}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_runbook_is_listed_in_the_readme_and_has_its_package_and_tests(path):
    assert f"[`{path.stem}`](notebooks/{path.name})" in (REPO / "README.md").read_text()
    assert (REPO / "runbook_lib" / path.stem / "__init__.py").exists()
    assert list((REPO / "tests" / path.stem).glob("test_*.py"))


@pytest.mark.parametrize("stem", [p.stem for p in NOTEBOOKS])
def test_all_is_sorted_exported_and_documented(stem):
    package = importlib.import_module(f"runbook_lib.{stem}")
    assert package.__all__ == sorted(package.__all__)
    assert all(hasattr(package, name) for name in package.__all__)
    undocumented = [n for n in package.__all__ if not (getattr(package, n).__doc__ or "").strip()]
    assert not undocumented
    assert stem == package.RUNBOOK and package.READS, "each runbook declares what it reads"


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    first_screen = readme.split("## Runbooks")[0]
    assert re.findall(r"^make \w+", first_screen, re.M) == ["make demo", "make test"]
    assert "make test" in (REPO / ".ci" / "run").read_text()
