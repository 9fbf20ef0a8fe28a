"""Canary boots: a plan (the exact openstack commands) unless asked, refused without a live cloud, and what
each canary that ran says. The real boots on the mini cloud are in test_live.py."""

import pytest

from runbook_lib.errors import ParameterError
from runbook_lib.vif_plugging.analysis import analyse_vif_plugging
from runbook_lib.vif_plugging.canary import Canaries, boot_canaries, canary_plan, check_canaries, tabulate_canaries


@pytest.fixture(scope="module")
def diagnosis(demo_snapshot):
    return analyse_vif_plugging(demo_snapshot).diagnosis


def _booted(host: str, status: str, elapsed: float, fault: str = "", ports=()) -> dict:
    """A canary record in the shape runbook_lib.sources.openstack_writes.boot_canary returns."""
    return {
        "host": host,
        "server_id": "4f5e6d7c-8b9a-4c0d-9e1f-2a3b4c5d6e7f",
        "name": f"stack-runbooks-canary-{host}",
        "status": status,
        "elapsed_s": elapsed,
        "fault": fault,
        "built_on": host if status == "ACTIVE" else None,
        "ports": list(ports),
        "deleted": True,
    }


def test_canary_plan_findings_and_table():
    plan = canary_plan(["cmp 1;rm"], "cirros", "m1.tiny", "net1")
    assert (
        plan["command"].iloc[0].count("'nova:cmp 1;rm'") == 1
        and "'stack-runbooks-canary-cmp 1;rm'" in plan["command"].iloc[0]
    )
    records = [
        {
            "host": "a",
            "status": "ACTIVE",
            "elapsed_s": 4.9,
            "fault": "",
            "deleted": True,
            "ports": [{"id": "p", "status": "ACTIVE", "vif_type": "ovs"}],
        },
        {
            "host": "b",
            "status": "ERROR",
            "elapsed_s": 12.1,
            "deleted": True,
            "ports": [],
            "fault": "Build of instance x aborted: Failed to allocate the network(s), not rescheduling.",
        },
    ]
    kinds = [(f.kind, f.severity, f.subject) for f in check_canaries(records)]
    assert kinds == [("canary-booted", "info", "host a"), ("canary-failed", "crit", "host b")]
    assert tabulate_canaries(records)["ports_active"].tolist() == ["1/1", "0/0"]


def test_dry_run_returns_the_exact_commands_and_boots_nothing(diagnosis, capsys):
    canaries = boot_canaries("", diagnosis, "vif-down-1, vif-late-1", False, "cirros", "m1.tiny", "private")
    assert (
        capsys.readouterr().out == "dry run: no canary booted; set canary_boot=True to boot on vif-down-1, vif-late-1\n"
    )
    assert canaries.plan.values.tolist() == [
        [
            "vif-down-1",
            "stack-runbooks-canary-vif-down-1",
            "openstack server create --image cirros --flavor m1.tiny --network private "
            "--availability-zone nova:vif-down-1 --wait stack-runbooks-canary-vif-down-1; "
            "openstack server delete --wait stack-runbooks-canary-vif-down-1",
        ],
        [
            "vif-late-1",
            "stack-runbooks-canary-vif-late-1",
            "openstack server create --image cirros --flavor m1.tiny --network private "
            "--availability-zone nova:vif-late-1 --wait stack-runbooks-canary-vif-late-1; "
            "openstack server delete --wait stack-runbooks-canary-vif-late-1",
        ],
    ]
    assert canaries.records == [] and canaries.findings == [] and canaries.table.empty


def test_names_with_spaces_are_quoted_and_missing_ones_stay_visible(diagnosis):
    canaries = boot_canaries("", diagnosis, "vif-down-1", False, "Cirros 0.6 (raw)", "", "")
    assert canaries.plan["command"].iloc[0] == (
        "openstack server create --image 'Cirros 0.6 (raw)' --flavor '<flavor>' --network '<network>' "
        "--availability-zone nova:vif-down-1 --wait stack-runbooks-canary-vif-down-1; "
        "openstack server delete --wait stack-runbooks-canary-vif-down-1"
    )


def test_failing_means_the_hosts_of_the_diagnosed_failures(diagnosis):
    canaries = boot_canaries("", diagnosis, "failing", False, "cirros", "m1.tiny", "private")
    hosts = ["fail-bind-1", "vif-dhcp-1", "vif-down-1", "vif-down-2", "vif-fail-1", "vif-late-2"]
    assert canaries.plan["host"].tolist() == hosts


def test_no_host_is_nothing_to_boot_even_when_asked(diagnosis, capsys):
    canaries = boot_canaries("", diagnosis, "", True, "", "", "")
    assert capsys.readouterr().out == "no canary host (canary_hosts is empty, or no failure has a host)\n"
    assert canaries.plan.empty and canaries.records == []
    assert boot_canaries("", diagnosis.iloc[0:0], "failing", True, "", "", "").plan.empty


def test_booting_without_a_live_cloud_is_a_parameter_error(diagnosis):
    with pytest.raises(ParameterError) as err:
        boot_canaries("", diagnosis, "vif-down-1", True, "cirros", "m1.tiny", "private")
    assert str(err.value) == "canary_boot=True boots a server on a live cloud: pass cloud, not a snapshot"


@pytest.mark.parametrize(
    ("image", "flavor", "network"), [("", "m1.tiny", "private"), ("cirros", "", "private"), ("cirros", "m1.tiny", "")]
)
def test_booting_without_image_flavor_and_network_is_a_parameter_error(diagnosis, image, flavor, network):
    with pytest.raises(ParameterError) as err:
        boot_canaries("minicloud", diagnosis, "vif-down-1", True, image, flavor, network)
    assert str(err.value) == "canary_boot=True needs canary_image, canary_flavor and canary_network"


def test_what_the_canaries_did_becomes_findings_and_a_table(demo_snapshot):
    """vif-late-1 builds; vif-down-1 fails as its real build did (the demo's vif-timeout fault)."""
    fault = next(s for s in demo_snapshot.get("openstack/servers") if s["name"] == "vif-timeout")["fault"]["message"]
    records = [
        _booted("vif-late-1", "ACTIVE", 4.9, ports=[{"id": "p1", "status": "ACTIVE", "vif_type": "ovs"}]),
        _booted("vif-down-1", "ERROR", 12.1, fault, [{"id": "p2", "status": "DOWN", "vif_type": "unbound"}]),
        _booted("vif-dhcp-1", "BUILD", 600.0),  # timed out before ACTIVE or ERROR
    ]
    canaries = Canaries(
        canary_plan(["vif-late-1", "vif-down-1", "vif-dhcp-1"], "cirros", "m1.tiny", "private"), records
    )
    booted, failed, stuck = canaries.findings
    assert (booted.kind, booted.severity, booted.subject) == ("canary-booted", "info", "host vif-late-1")
    assert booted.message == (
        "a canary server went ACTIVE on vif-late-1 in 4.9 s: the host builds with its network now"
    )
    assert (failed.kind, failed.severity, failed.subject) == ("canary-failed", "crit", "host vif-down-1")
    assert failed.message == f"a canary server did not build on vif-down-1: {fault}"
    assert failed.remediation == "the cause above is not fixed yet: fix it, then boot the canary again"
    assert stuck.message == "a canary server did not build on vif-dhcp-1: still BUILD after 600.0 s"
    assert canaries.table.values.tolist() == [
        ["vif-late-1", "ACTIVE", 4.9, "1/1", "", True],
        ["vif-down-1", "ERROR", 12.1, "0/1", fault, True],
        ["vif-dhcp-1", "BUILD", 600.0, "0/0", "", True],
    ]
    assert failed.evidence["canary"] is records[1]


def test_a_canary_host_that_is_not_a_host_name_is_refused_before_it_reaches_a_command(diagnosis):
    with pytest.raises(ParameterError, match="is not a host name or address"):
        boot_canaries("", diagnosis, "cmp1 && touch /tmp/x", False, "cirros", "m1.tiny", "private")
