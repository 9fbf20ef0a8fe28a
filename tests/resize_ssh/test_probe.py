"""The trust probe: the runbook's parameters checked before any ssh runs, and how the operator becomes nova."""

import json

import pytest
from conftest import FIXTURES

from runbook_lib.errors import ParameterError
from runbook_lib.resize_ssh.probe import NOT_PROBED, OK, trust_probe
from runbook_lib.resize_ssh.trust import tabulate_trust
from runbook_lib.sources.ssh import HostAccess


def test_the_defaults_probe_nothing_and_become_nova_with_sudo():
    probe = trust_probe()
    assert (probe.trust_hosts, probe.trust_sources, probe.migration_addresses, probe.nova_user, probe.parallel) == (
        "",
        "",
        {},
        "nova",
        8,
    )
    assert probe.access == HostAccess()
    assert probe.become == ["sudo", "-n", "-u", "nova", "--"]


def test_logged_in_as_root_the_probe_becomes_nova_with_runuser():
    probe = trust_probe("all", nova_user="stackrb-lab-nova", access=HostAccess(sudo=""))
    assert probe.trust_hosts == "all" and probe.become == ["runuser", "-u", "stackrb-lab-nova", "--"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nova_user": "nova; reboot"}, "'nova; reboot' is not a user name"),
        ({"nova_user": ""}, "'' is not a user name"),
        (
            {"migration_addresses": {"compute-01": "-oProxyCommand=touch /tmp/x"}},
            "'-oProxyCommand=touch /tmp/x' is not a host name or address",
        ),
        (
            {"migration_addresses": {"compute-01": "10.0.0.1 10.0.0.2"}},
            "'10.0.0.1 10.0.0.2' is not a host name or address",
        ),
    ],
)
def test_a_name_that_could_reach_a_shell_is_refused_before_anything_runs(kwargs, message):
    with pytest.raises(ParameterError) as err:
        trust_probe("compute-01,compute-02", **kwargs)
    assert str(err.value) == message


def test_the_migration_addresses_are_copied_not_shared():
    addresses = {"compute-01": "127.0.10.1"}
    probe = trust_probe("compute-01,compute-02", migration_addresses=addresses)
    addresses["compute-01"] = "10.9.9.9"
    assert probe.migration_addresses == {"compute-01": "127.0.10.1"}


def test_the_matrix_marks_working_and_unprobed_pairs_with_the_probe_s_outcomes():
    records = json.loads((FIXTURES / "ssh-trust-lab" / "records.json").read_text())
    records[1] = {**records[1], "reached": False, "error": "Permission denied (publickey)", "probes": []}
    matrix = tabulate_trust(records).set_index(["source", "dest"])["outcome"]
    assert matrix[("compute-01", "compute-05")] == OK == "ok"  # compute-05 is healthy as a destination
    assert set(matrix["compute-02"]) == {NOT_PROBED} and NOT_PROBED == "not-probed"
