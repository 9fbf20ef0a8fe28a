"""environment.yml (conda) and pyproject.toml (pip) list the same packages at the same versions."""

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def _pins(lines):
    return {re.split(r"[=<>]", x, maxsplit=1)[0].lower(): re.split(r"==|=", x, maxsplit=1)[1] for x in lines}


def test_environment_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip = _pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    conda = _pins(
        [d for d in yaml.safe_load((REPO / "environment.yml").read_text())["dependencies"] if isinstance(d, str)]
    )
    conda.pop("python")
    assert conda == pip


def test_the_design_card_packages_are_there():
    deps = {d.split("==")[0] for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]}
    assert {"jupyterlab", "papermill", "pandas", "matplotlib", "openstacksdk"} <= deps
