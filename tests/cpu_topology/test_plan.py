"""The remediation plan: what it proposes on the demo, how it quotes, and its guards."""

import pytest

from runbook_lib.cpu_topology.checks import analyse_cpu_topology
from runbook_lib.cpu_topology.plan import PlanStep, final_findings, plan_cpu_topology, tabulate_plan
from runbook_lib.cpu_topology.simulate import new_refusals
from runbook_lib.errors import ParameterError


def _steps(plan):
    return {(s.target, s.target_name, s.action, s.key, s.value) for s in plan.steps}


def test_image_plan_on_the_demo(demo_analysis):
    plan = plan_cpu_topology(demo_analysis)
    assert _steps(plan) == {
        ("image", "Windows 7 Professional SP1", "set", "hw_cpu_max_sockets", "2"),
        ("image", "Windows 10 Home 22H2", "set", "hw_cpu_max_sockets", "1"),
        ("image", "Windows 10 Pro 22H2", "set", "hw_cpu_max_sockets", "2"),
        ("image", "win10-enterprise-ltsc-gold", "set", "hw_cpu_max_sockets", "2"),
        ("image", "Windows 10 Pro 22H2", "unset", "hw_max_sockets", None),
        ("flavor", "m1.legacy", "unset", "hw:max_sockets", None),
        ("volume", "boot volume of vdi-home-bfv", "set", "hw_cpu_max_sockets", "1"),
    }
    home = next(s for s in plan.steps if s.target_name == "Windows 10 Home 22H2")
    assert home.effect == "flavors losing vCPUs: 6 → 0; newly refused: 0"
    # What the misspelled hw:max_sockets=2 meant would make Nova refuse the Rocky image (its own limit is 4):
    # the typo is removed, the cap it meant is not set, and the plan says why.
    [skipped] = plan.not_planned
    assert skipped["target_name"] == "m1.legacy" and "Nova would refuse Rocky 9 (pinned 4 sockets)" in skipped["why"]
    assert new_refusals(plan.effects).empty


def test_image_value_never_exceeds_a_flavor_cap(demo_copy):
    # A public flavor capped at 1 socket: an image value of 2 would make Nova refuse that pair (HTTP 400).
    flavor = next(f for f in demo_copy.parts["openstack/flavors"] if f["name"] == "w1.large")
    flavor["extra_specs"]["hw:cpu_max_sockets"] = "1"
    plan = plan_cpu_topology(analyse_cpu_topology(demo_copy))
    values = {s.value for s in plan.steps if s.target == "image" and s.action == "set"}
    assert values == {"1"}
    assert all("newly refused: 0" in s.effect for s in plan.steps if s.target == "image" and s.action == "set")
    assert new_refusals(plan.effects).empty


def test_flavor_plan_never_makes_an_image_unbootable(demo_analysis):
    """On the demo every flavor cap would make Nova refuse the Rocky image pinned to 4 sockets: none is planned,
    each is listed with that reason, and the findings fall back to the image fix."""
    plan = plan_cpu_topology(demo_analysis, fix_via="flavor")
    assert not [s for s in plan.steps if s.key == "hw:cpu_max_sockets"]
    assert {n["target_name"] for n in plan.not_planned} == {"m1.small", "m1.medium", "m1.large", "m1.legacy"}
    assert all("Rocky 9 (pinned 4 sockets)" in n["why"] and "fix_via image" in n["why"] for n in plan.not_planned)
    assert new_refusals(plan.effects).empty
    risk = [f for f in final_findings(demo_analysis, plan) if f.kind == "image-flavor-risk"]
    assert risk and all("no flavor cap can be planned" in f.remediation for f in risk)


def test_flavor_caps_come_from_the_windows_images_booted_with_each_flavor(demo_copy):
    """Without the 4-socket Linux image, each lossy flavor is capped at the lowest limit among the Windows
    images booted with it (m1.medium: Home 1; m1.large: Pro/Enterprise 2), the Windows image that carries a
    larger limit of its own is lowered in the same plan, and no pair becomes refused."""
    demo_copy.parts["openstack/images"] = [
        i for i in demo_copy.parts["openstack/images"] if i["name"] != "Rocky 9 (pinned 4 sockets)"
    ]
    analysis = analyse_cpu_topology(demo_copy)
    plan = plan_cpu_topology(analysis, fix_via="flavor")
    caps = {s.target_name: s.value for s in plan.steps if s.key == "hw:cpu_max_sockets"}
    assert caps["m1.medium"] == "1" and caps["m1.large"] == "2"
    assert new_refusals(plan.effects).empty
    medium = next(s for s in plan.steps if s.target_name == "m1.medium" and s.key == "hw:cpu_max_sockets")
    assert "Windows 10 Home 22H2" in medium.reason and "newly refused: 0" in medium.effect
    lowered = [s for s in plan.steps if s.target == "image" and "so that Nova still boots it" in s.reason]
    assert lowered, "a Windows image limit above a planned cap is lowered by the same plan"
    risk = {f.subject: f.remediation for f in final_findings(analysis, plan) if f.kind == "image-flavor-risk"}
    assert any("openstack flavor set --property hw:cpu_max_sockets=1" in r for r in risk.values())


def test_unknown_fix_via_is_a_parameter_error(demo_analysis):
    with pytest.raises(ParameterError, match="fix_via='glance' is not one of image, flavor"):
        plan_cpu_topology(demo_analysis, fix_via="glance")


def test_cli_equivalents_quote_untrusted_names():
    step = PlanStep("image", "id; rm -rf /", "x", "set", "hw_cpu_max_sockets", "2", "", "")
    assert step.cli == "openstack image set --property hw_cpu_max_sockets=2 'id; rm -rf /'"
    unset = PlanStep("flavor", "f1", "x", "unset", "hw:max_sockets", None, "", "")
    assert unset.cli == "openstack flavor unset --property hw:max_sockets f1"


def test_plan_table_has_the_cli_column(demo_analysis):
    table = tabulate_plan(plan_cpu_topology(demo_analysis))
    planned = table[table["action"] != "NOT PLANNED"]
    assert list(table.columns)[-1] == "cli" and planned["cli"].str.startswith("openstack ").all()
    assert (table[table["action"] == "NOT PLANNED"]["reason"].str.startswith("Nova would refuse")).all()


def test_the_plan_is_machine_readable_with_exact_argv(demo_analysis):
    """What summary.json carries: each step's argv is the CLI call without a shell, and cli is that argv
    quoted for one; the change not proposed is there too, with its reason and no argv."""
    records = plan_cpu_topology(demo_analysis).records()
    home = next(r for r in records if r["target_name"] == "Windows 10 Home 22H2")
    assert home["argv"] == ["openstack", "image", "set", "--property", "hw_cpu_max_sockets=1", home["target_id"]]
    assert home["cli"] == " ".join(home["argv"]) and home["risk"].startswith("new boots only")
    skipped = [r for r in records if r["action"] == "not-planned"]
    assert skipped and skipped[0]["argv"] == [] and skipped[0]["why"].startswith("Nova would refuse")
