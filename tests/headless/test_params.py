"""Parameter declarations and validation (before any kernel starts)."""

import pytest
from conftest import make_notebook

from runbook_lib.errors import ParameterError
from runbook_lib.headless.params import declared_parameters, validate_parameters

DECLARATIONS = """threshold: float = 85.0  # nearfull alarm in percent [range 50..99]
steps: int = 3  # reweight steps to plan [range 1..20]
mode: str = "image"  # where the fix goes [one of: image, flavor]
pools: list = ["volumes", "images"]  # pools to look at
dry: bool = True  # plan only"""


@pytest.fixture
def notebook(tmp_path):
    return make_notebook(tmp_path, "params", "x = 1", parameters=DECLARATIONS)


def test_declarations_are_read_with_types_defaults_and_help(notebook):
    params = declared_parameters(notebook)
    assert [(p.name, p.type_name, p.default) for p in params.values()] == [
        ("threshold", "float", 85.0),
        ("steps", "int", 3),
        ("mode", "str", "image"),
        ("pools", "list", ["volumes", "images"]),
        ("dry", "bool", True),
    ]
    assert params["threshold"].range == (50.0, 99.0) and params["mode"].choices == ["image", "flavor"]


def test_an_int_given_for_a_float_becomes_a_float(notebook):
    # papermill's -p threshold 90 would hand the notebook an int.
    assert validate_parameters(notebook, {"threshold": "90"}) == {"threshold": 90.0}
    assert isinstance(validate_parameters(notebook, {"threshold": "90"})["threshold"], float)


def test_lists_and_booleans_parse(notebook):
    typed = validate_parameters(notebook, {"pools": "[vms, backups]", "dry": "false", "steps": "5"})
    assert typed == {"pools": ["vms", "backups"], "dry": False, "steps": 5}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"threshold": "100"}, "parameter threshold=100.0 is out of range 50..99"),
        ({"threshold": "high"}, "parameter threshold must be float, got 'high'"),
        ({"steps": "2.5"}, "parameter steps must be int, got '2.5'"),
        ({"steps": "0"}, "parameter steps=0 is out of range 1..20"),
        ({"mode": "both"}, "parameter mode='both' must be one of: image, flavor"),
        ({"pools": "{a: 1}"}, "parameter pools must be list, got dict"),
        ({"dry": "yes please"}, "parameter dry must be true or false"),
        (
            {"thresold": "90"},
            "params has no parameter 'thresold'; its parameters are: dry, mode, pools, steps, threshold",
        ),
    ],
)
def test_bad_values_are_refused_with_the_reason(notebook, given, message):
    with pytest.raises(ParameterError) as err:
        validate_parameters(notebook, given)
    assert message in str(err.value)


def test_an_untyped_parameter_is_refused(tmp_path):
    nb = make_notebook(tmp_path, "untyped", "x = 1", parameters="threshold = 85.0  # no annotation")
    with pytest.raises(ParameterError, match="every parameter needs 'name: type = default  # help'"):
        declared_parameters(nb)
