"""The one exception tree (runbook_lib.errors): the shape its docstring draws, and what each error carries."""

import inspect
import re

import pytest

import runbook_lib
from runbook_lib import errors
from runbook_lib.errors import (
    AuthenticationFailed,
    ConfigError,
    InvalidTopology,
    ParameterError,
    PermissionDenied,
    PlanError,
    RunbookError,
    ServiceMissing,
    SnapshotError,
    SourceError,
    SourceUnreachable,
)

# child → parent, as the module docstring draws the tree
TREE = {
    ConfigError: RunbookError,
    ParameterError: RunbookError,
    SnapshotError: RunbookError,
    SourceError: RunbookError,
    SourceUnreachable: SourceError,
    AuthenticationFailed: SourceError,
    PermissionDenied: SourceError,
    ServiceMissing: SourceError,
    PlanError: RunbookError,
    InvalidTopology: RunbookError,
}


def test_every_class_of_the_module_is_in_the_drawn_tree_with_its_drawn_parent():
    classes = {c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__}
    assert classes == set(TREE) | {RunbookError}
    for child, parent in TREE.items():
        assert child.__bases__ == (parent,), child.__name__
    assert RunbookError.__bases__ == (Exception,)


def test_the_docstring_draws_each_class_under_its_parent():
    """The drawn tree is what operators read: each name's parent is the nearest line above it drawn further left."""
    names = {c.__name__ for c in [*TREE, RunbookError]}
    drawn: list[tuple[int, str]] = []  # (column, class name) in the docstring's order
    for line in errors.__doc__.splitlines():
        match = re.search(r"\b(\w+)\s{2,}", line)
        if match and match.group(1) in names:
            drawn.append((match.start(1), match.group(1)))
    parents = {}
    for i, (column, name) in enumerate(drawn):
        above = [n for c, n in drawn[:i] if c < column]
        parents[name] = above[-1] if above else None
    assert parents == {c.__name__: p.__name__ for c, p in TREE.items()} | {"RunbookError": None}


def test_only_source_errors_catch_source_failures():
    with pytest.raises(SourceError):
        raise PermissionDenied("HTTP 403")
    for unrelated in (ConfigError, ParameterError, SnapshotError, PlanError):
        assert not issubclass(unrelated, SourceError)
        assert not issubclass(SourceUnreachable, unrelated)


def test_a_source_error_names_the_part_it_could_not_read():
    err = SourceUnreachable("openstack/servers: cannot reach the endpoint", part="openstack/servers")
    assert err.part == "openstack/servers" and str(err) == "openstack/servers: cannot reach the endpoint"
    assert SourceError("no part").part is None
    with pytest.raises(TypeError):
        SourceError("the part is keyword-only", "openstack/servers")


def test_invalid_topology_keeps_novas_exception_class_name():
    err = InvalidTopology("ImageVCPULimitsRangeExceeded", "image vCPU limits 4 exceed flavor limits 2")
    assert err.kind == "ImageVCPULimitsRangeExceeded"
    assert str(err) == "image vCPU limits 4 exceed flavor limits 2"
    assert isinstance(err, RunbookError) and not isinstance(err, SourceError)


def test_the_package_exports_the_base_class():
    assert runbook_lib.RunbookError is RunbookError
