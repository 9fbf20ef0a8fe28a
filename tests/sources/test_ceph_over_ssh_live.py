"""A hostile value behind every wrapper that can precede ssh in ceph_command, against a real sshd of the SSH lab:
what reaches the remote shell is inert (quoted for it), whether the wrapper is timeout, sudo or env."""

import shlex
import subprocess

import pytest

from runbook_lib.errors import ParameterError, RunbookError
from runbook_lib.sources.ceph import CephAccess, goes_through_ssh, run_ceph

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("wrapper", ["", "timeout 30", "sudo -n", "env LC_ALL=C"])
def test_a_hostile_ceph_conf_is_inert_behind_any_wrapper(sshlab, tmp_path, wrapper):
    marker = tmp_path / "pwned"
    ssh = f"ssh -F {shlex.quote(sshlab['ssh_config'])} -o BatchMode=yes compute-01"
    access = CephAccess(command=f"{wrapper} {ssh} ceph".strip(), conf=f"x; touch {marker}", timeout=5)
    assert goes_through_ssh(shlex.split(access.command)[:-1])
    with pytest.raises(RunbookError):  # ceph on the far side refuses the odd path (or is not there)
        run_ceph(access, "ceph", ["osd", "dump"])
    assert not marker.exists()
    # the same value unquoted would have run: the remote shell splits it at the ';'
    unquoted = [*shlex.split(access.command)[:-1], "true", "--conf", access.conf]
    subprocess.run(unquoted, capture_output=True, timeout=30, check=False)
    assert marker.exists()


def test_an_unbalanced_quote_in_ceph_command_is_one_clear_line():
    with pytest.raises(ParameterError, match=r"ceph_command 'ssh mon1 \"ceph' cannot be split into words"):
        CephAccess(command='ssh mon1 "ceph')
