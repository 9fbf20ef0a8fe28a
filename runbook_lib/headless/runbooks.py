"""The runbooks this library holds, found by their packages' own declarations (no registry to keep).

A runbook package is a subpackage of ``runbook_lib`` that declares ``RUNBOOK`` (its notebook's name) and
``READS`` (the snapshot parts a live run collects for it); ``HOST_READS`` are the parts it reads from the
hosts over SSH when asked.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import runbook_lib

NOT_RUNBOOKS = {"sources", "headless", "demo"}


def runbook_packages() -> dict[str, ModuleType]:
    """Runbook name → its package, for every subpackage that declares itself a runbook."""
    found = {}
    for info in pkgutil.iter_modules(runbook_lib.__path__):
        if not info.ispkg or info.name in NOT_RUNBOOKS:
            continue
        package = importlib.import_module(f"runbook_lib.{info.name}")
        if hasattr(package, "RUNBOOK") and hasattr(package, "READS"):
            found[package.RUNBOOK] = package
    return dict(sorted(found.items()))


def parts_read(names: list[str] | None = None) -> list[str]:
    """Every part the named runbooks (None: all) read from the APIs and Ceph, in a stable order."""
    packages = runbook_packages()
    chosen = [packages[n] for n in names] if names else list(packages.values())
    return list(dict.fromkeys(part for package in chosen for part in package.READS))
