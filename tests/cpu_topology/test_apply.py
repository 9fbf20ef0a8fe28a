"""Applying the CPU-topology plan: the dry run prints what would change and changes nothing; a real apply
needs a cloud, and re-reads every key it set. The real apply against the mini cloud is in test_live.py."""

import copy
from types import SimpleNamespace

import pytest

from runbook_lib.cpu_topology.apply import apply_cpu_topology_plan, apply_steps
from runbook_lib.cpu_topology.plan import PlanStep, plan_cpu_topology
from runbook_lib.errors import ParameterError, PlanError


def image_plan(snapshot) -> list[str]:
    """The image plan of the demo, as an operator would paste it (ids looked up by name)."""
    image = {i["name"]: i["id"] for i in snapshot.get("openstack/images")}
    legacy = next(f["id"] for f in snapshot.get("openstack/flavors") if f["name"] == "m1.legacy")
    root = next(v["id"] for v in snapshot.get("openstack/volumes") if v["name"] == "vdi-home-root")
    return [
        f"openstack image set --property hw_cpu_max_sockets=2 {image['win10-enterprise-ltsc-gold']}",
        f"openstack image set --property hw_cpu_max_sockets=2 {image['Windows 10 Pro 22H2']}",
        f"openstack image set --property hw_cpu_max_sockets=1 {image['Windows 10 Home 22H2']}",
        f"openstack image set --property hw_cpu_max_sockets=2 {image['Windows 7 Professional SP1']}",
        f"openstack image unset --property hw_max_sockets {image['Windows 10 Pro 22H2']}",
        f"openstack flavor unset --property hw:max_sockets {legacy}",
        f"openstack volume set --image-property hw_cpu_max_sockets=1 {root}",
    ]


def legacy_flavor(snapshot) -> str:
    """m1.legacy, with the hw:max_sockets typo."""
    return next(f["id"] for f in snapshot.get("openstack/flavors") if f["name"] == "m1.legacy")


def test_dry_run_prints_the_commands_and_changes_nothing(demo_analysis, capsys):
    before = copy.deepcopy(demo_analysis.snapshot.parts)
    result = apply_cpu_topology_plan(plan_cpu_topology(demo_analysis), cloud="", apply=False)
    assert capsys.readouterr().out == (
        "DRY RUN: 7 change(s) planned, none made. To make them: "
        "runbook run cpu_topology --cloud <name> -p fix_via image -p apply true\n"
    )
    assert result["step"].tolist() == image_plan(demo_analysis.snapshot)
    assert set(result["outcome"]) == {"planned (dry run)"}
    assert demo_analysis.snapshot.parts == before


def test_the_dry_run_names_the_mode_to_apply_with(demo_analysis, capsys):
    result = apply_cpu_topology_plan(plan_cpu_topology(demo_analysis, fix_via="flavor"), cloud="", apply=False)
    assert capsys.readouterr().out == (
        "DRY RUN: 4 change(s) planned, none made. To make them: "
        "runbook run cpu_topology --cloud <name> -p fix_via flavor -p apply true\n"
    )
    plan = image_plan(demo_analysis.snapshot)
    assert result["step"].tolist() == [plan[1], *plan[4:]]  # no flavor cap: it would break Rocky


def test_apply_without_a_cloud_is_a_parameter_error(demo_analysis):
    with pytest.raises(ParameterError) as err:
        apply_cpu_topology_plan(plan_cpu_topology(demo_analysis), cloud="", apply=True)
    assert str(err.value) == "apply=True changes a live cloud: pass cloud (a clouds.yaml entry), not a snapshot"


class FlavorSpecs:
    """Nova's flavor extra-specs calls (openstacksdk's compute proxy), on specs held in memory: the seam
    apply_steps talks through. ``ignore_writes`` is a Nova that answers 200 and keeps nothing."""

    def __init__(self, specs: dict[str, dict[str, str]], ignore_writes: bool = False) -> None:
        self.specs, self.ignore_writes = specs, ignore_writes

    def fetch_flavor_extra_specs(self, flavor_id):
        return SimpleNamespace(extra_specs=dict(self.specs[flavor_id]))

    def update_flavor_extra_specs_property(self, flavor_id, key, value):
        if not self.ignore_writes:
            self.specs[flavor_id][key] = value

    def delete_flavor_extra_specs_property(self, flavor_id, key):
        if not self.ignore_writes:
            del self.specs[flavor_id][key]


def _legacy_specs(analysis):
    flavors = analysis.flavors.set_index("flavor_id")
    legacy = legacy_flavor(analysis.snapshot)
    return {legacy: dict(flavors.at[legacy, "extra_specs"])}


def test_each_step_is_applied_re_read_and_not_repeated(demo_analysis, capsys):
    """The plan's typo removal on m1.legacy: applied and verified once, then found already done."""
    [unset] = [s for s in plan_cpu_topology(demo_analysis).steps if s.target == "flavor"]
    conn = SimpleNamespace(compute=FlavorSpecs(_legacy_specs(demo_analysis)))
    command = image_plan(demo_analysis.snapshot)[5]
    first = apply_steps(conn, [unset])
    assert first.values.tolist() == [[command, "applied and verified"]]
    assert capsys.readouterr().out == f"applying: {command}\n"
    assert conn.compute.specs == {legacy_flavor(demo_analysis.snapshot): {}}
    again = apply_steps(conn, [unset])
    assert again.values.tolist() == [[command, "already done"]] and capsys.readouterr().out == ""


def test_a_change_the_cloud_did_not_keep_fails_verification(demo_analysis):
    legacy = legacy_flavor(demo_analysis.snapshot)
    cap = PlanStep("flavor", legacy, "m1.legacy", "set", "hw:cpu_max_sockets", "2", "", "")
    conn = SimpleNamespace(compute=FlavorSpecs(_legacy_specs(demo_analysis), ignore_writes=True))
    with pytest.raises(PlanError) as err:
        apply_steps(conn, [cap])
    assert str(err.value) == (
        f"verification failed after 'openstack flavor set --property hw:cpu_max_sockets=2 {legacy}': "
        "hw:cpu_max_sockets is None (wanted '2')"
    )
