"""One version number: pyproject.toml's, the library's VERSION, ``__version__`` and what a snapshot records."""

import re
import tomllib
from pathlib import Path

import runbook_lib
from runbook_lib.version import VERSION

REPO = Path(__file__).resolve().parent.parent


def test_the_version_is_pyprojects():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["version"] == VERSION
    assert runbook_lib.__version__ == VERSION


def test_the_version_is_a_release_number():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)


def test_the_installed_distribution_reports_the_same_version():
    from importlib.metadata import version

    assert version("stack-runbooks") == VERSION
