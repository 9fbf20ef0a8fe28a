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


REMOTE = """ceph_command: str = "ceph"  # how to run ceph
ceph_conf: str = ""  # the cluster's ceph.conf [file on the host of ceph_command]
limits: dict = {}  # sockets per image [each: int 1..64]"""


@pytest.fixture
def remote(tmp_path):
    return make_notebook(tmp_path, "remote", "x = 1", parameters=REMOTE)


def test_a_file_on_the_host_of_a_local_command_is_resolved_here_and_must_exist(remote, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.conf").write_text("[global]\n")
    assert validate_parameters(remote, {"ceph_conf": "c.conf"}) == {"ceph_conf": str(tmp_path / "c.conf")}
    with pytest.raises(ParameterError) as err:
        validate_parameters(remote, {"ceph_conf": "gone.conf", "ceph_command": "sudo ceph"})
    assert str(err.value) == (
        f"parameter ceph_conf='gone.conf': {tmp_path / 'gone.conf'} is not a file "
        "(the cluster's ceph.conf; ceph_command runs here, so the file must be here)"
    )


@pytest.mark.parametrize("command", ["ssh mon1 ceph", "timeout 60 ssh -p 2222 admin@mon1 sudo ceph", "env A=1 ssh m c"])
def test_a_file_on_the_host_a_command_reaches_over_ssh_is_left_for_that_host(remote, command):
    # the remote side resolves it: checking or resolving it here would name a file on the wrong machine
    typed = validate_parameters(remote, {"ceph_conf": "etc/gone.conf", "ceph_command": command})
    assert typed["ceph_conf"] == "etc/gone.conf"


@pytest.mark.parametrize(
    ("value", "words"),
    [('{"w": "abc"}', "limits['w'] = 'abc'"), ('{"w": 0}', "limits['w'] = 0"), ('{"w": true}', "= True")],
)
def test_each_value_of_a_dict_is_checked_against_its_range(remote, value, words):
    with pytest.raises(ParameterError) as err:
        validate_parameters(remote, {"limits": value})
    assert words in str(err.value) and "must be a whole number 1..64 (sockets per image)" in str(err.value)
    assert validate_parameters(remote, {"limits": '{"w": 2, "v": 64}'}) == {"limits": {"w": 2, "v": 64}}
