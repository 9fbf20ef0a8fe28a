"""A change needs a live source: parameters that change something are refused on a snapshot, before any
kernel starts (``[needs: …]`` in the parameter's comment)."""

import pytest
from conftest import REPO, run_cli

from runbook_lib.errors import ParameterError
from runbook_lib.headless.params import declared_parameters, validate_parameters

NOTEBOOKS = REPO / "notebooks"


@pytest.mark.parametrize(
    ("runbook", "change", "needs"),
    [
        ("cpu_topology", "apply", ["cloud"]),
        ("ceph_capacity", "apply", ["cloud", "ceph_live"]),
        ("resize_ssh", "apply", ["trust_hosts"]),
        ("vif_plugging", "canary_boot", ["cloud"]),
    ],
)
def test_every_change_declares_what_it_needs(runbook, change, needs):
    assert declared_parameters(NOTEBOOKS / f"{runbook}.ipynb")[change].needs == needs


def test_apply_on_a_snapshot_is_refused_with_the_option_to_pass():
    with pytest.raises(
        ParameterError, match=r"apply=true changes a live system, but this run reads a snapshot; pass --cloud"
    ):
        validate_parameters(NOTEBOOKS / "cpu_topology.ipynb", {"apply": "true", "snapshot": "demo"})
    assert validate_parameters(NOTEBOOKS / "cpu_topology.ipynb", {"apply": "true", "cloud": "prod"})["apply"] is True
    with pytest.raises(ParameterError, match=r"pass --cloud or -p ceph_live …"):
        validate_parameters(NOTEBOOKS / "ceph_capacity.ipynb", {"apply": "true"})
    assert validate_parameters(NOTEBOOKS / "ceph_capacity.ipynb", {"apply": "true", "ceph_live": "true"})


def test_the_cli_refuses_before_a_kernel_starts(tmp_path):
    proc = run_cli("run", "cpu_topology", "--out", str(tmp_path / "r"), "-p", "apply", "true")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "runbook: parameter apply=true changes a live system, but this run reads a snapshot; pass --cloud"
    ]
    assert not (tmp_path / "r").exists()  # nothing ran, nothing was written
