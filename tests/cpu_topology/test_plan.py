"""The remediation plan: what it proposes on the demo, how it quotes, and its guards."""

import pytest

from runbook_lib.cpu_topology.checks import analyse_cpu_topology
from runbook_lib.cpu_topology.plan import PlanStep, plan_cpu_topology, plan_running_servers, tabulate_plan
from runbook_lib.errors import ParameterError


def _steps(plan):
    return {(s.target, s.target_name, s.action, s.key, s.value) for s in plan}


def test_image_plan_on_the_demo(demo_analysis):
    plan = plan_cpu_topology(demo_analysis)
    assert _steps(plan) == {
        ("image", "Windows 7 Professional SP1", "set", "hw_cpu_max_sockets", "2"),
        ("image", "Windows 10 Home 22H2", "set", "hw_cpu_max_sockets", "1"),
        ("image", "Windows 10 Pro 22H2", "set", "hw_cpu_max_sockets", "2"),
        ("image", "win10-enterprise-ltsc-gold", "set", "hw_cpu_max_sockets", "2"),
        ("image", "Windows 10 Pro 22H2", "unset", "hw_max_sockets", None),
        ("flavor", "m1.legacy", "set", "hw:cpu_max_sockets", "2"),
        ("flavor", "m1.legacy", "unset", "hw:max_sockets", None),
        ("volume", "boot volume of vdi-home-bfv", "set", "hw_cpu_max_sockets", "1"),
    }
    home = next(s for s in plan if s.target_name == "Windows 10 Home 22H2")
    assert home.effect == "flavors losing vCPUs: 6 → 0; newly refused: 0"


def test_image_value_never_exceeds_a_flavor_cap(demo_copy):
    # A public flavor capped at 1 socket: an image value of 2 would make Nova refuse that pair (HTTP 400).
    flavor = next(f for f in demo_copy.parts["openstack/flavors"] if f["name"] == "w1.large")
    flavor["extra_specs"]["hw:cpu_max_sockets"] = "1"
    plan = plan_cpu_topology(analyse_cpu_topology(demo_copy))
    values = {s.value for s in plan if s.target == "image" and s.action == "set"}
    assert values == {"1"}
    assert all("newly refused: 0" in s.effect for s in plan if s.target == "image" and s.action == "set")


def test_flavor_plan_caps_the_lossy_flavors(demo_analysis):
    plan = [s for s in plan_cpu_topology(demo_analysis, fix_via="flavor") if s.target == "flavor" and s.action == "set"]
    assert {s.target_name for s in plan} >= {"m1.medium", "m1.large", "m1.xlarge"}
    assert {s.value for s in plan if s.key == "hw:cpu_max_sockets" and s.target_name != "m1.legacy"} == {"1"}


def test_unknown_fix_via_is_a_parameter_error(demo_analysis):
    with pytest.raises(ParameterError, match="fix_via='glance' is not one of image, flavor"):
        plan_cpu_topology(demo_analysis, fix_via="glance")


def test_cli_equivalents_quote_untrusted_names():
    step = PlanStep("image", "id; rm -rf /", "x", "set", "hw_cpu_max_sockets", "2", "", "")
    assert step.cli == "openstack image set --property hw_cpu_max_sockets=2 'id; rm -rf /'"
    unset = PlanStep("flavor", "f1", "x", "unset", "hw:max_sockets", None, "", "")
    assert unset.cli == "openstack flavor unset --property hw:max_sockets f1"


def test_running_servers_get_options_not_changes(demo_analysis):
    options = plan_running_servers(demo_analysis)
    assert set(options["server"]) == set(demo_analysis.affected_servers["server"])
    sql = options[(options["server"] == "sql-win7") & (options["option"] == "nova-manage")]["command"].iloc[0]
    assert "nova-manage image_property set" in sql and "--property hw_cpu_max_sockets=2" in sql
    bfv = options[options["server"] == "vdi-home-bfv"]["option"].tolist()
    assert bfv[0] == "volume metadata" and "rebuild" in bfv
    assert "WIPES THE ROOT DISK" in options[options["option"] == "rebuild"]["cost"].iloc[0]


def test_plan_table_has_the_cli_column(demo_analysis):
    table = tabulate_plan(plan_cpu_topology(demo_analysis))
    assert list(table.columns)[-1] == "cli" and table["cli"].str.startswith("openstack ").all()
