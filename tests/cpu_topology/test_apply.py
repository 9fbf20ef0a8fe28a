"""Applying the CPU-topology plan: the dry run prints what would change and changes nothing; a real apply
needs a cloud, and re-reads every key it set. The real apply against the mini cloud is in test_live.py."""

import copy
from types import SimpleNamespace

import pytest

from runbook_lib.cpu_topology.apply import apply_cpu_topology_plan, apply_steps
from runbook_lib.cpu_topology.plan import PlanStep, plan_cpu_topology
from runbook_lib.errors import ParameterError, PlanError

IMAGE_PLAN = [  # the image plan of the demo, as an operator would paste it
    "openstack image set --property hw_cpu_max_sockets=2 5c8c0d65-6254-436b-9ed1-702c907f419c",
    "openstack image set --property hw_cpu_max_sockets=2 ef477cd6-c449-4766-a9c4-f13fe492ebb0",
    "openstack image set --property hw_cpu_max_sockets=1 a63d77ee-dc8e-4ce5-bf37-197b54834ae3",
    "openstack image set --property hw_cpu_max_sockets=2 3079e396-2110-44fd-92b1-400673289801",
    "openstack image unset --property hw_max_sockets ef477cd6-c449-4766-a9c4-f13fe492ebb0",
    "openstack flavor unset --property hw:max_sockets a0326636-659e-4496-915b-d2c13d24ea36",
    "openstack volume set --image-property hw_cpu_max_sockets=1 9df85900-e77c-51f6-abbf-deb0c59b01e3",
]
LEGACY = "a0326636-659e-4496-915b-d2c13d24ea36"  # m1.legacy, with the hw:max_sockets typo


def test_dry_run_prints_the_commands_and_changes_nothing(demo_analysis, capsys):
    before = copy.deepcopy(demo_analysis.snapshot.parts)
    result = apply_cpu_topology_plan(plan_cpu_topology(demo_analysis), cloud="", apply=False)
    assert capsys.readouterr().out == (
        "DRY RUN: 7 change(s) planned, none made. To make them: "
        "runbook run cpu_topology --cloud <name> -p fix_via image -p apply true\n"
    )
    assert result["step"].tolist() == IMAGE_PLAN
    assert set(result["outcome"]) == {"planned (dry run)"}
    assert demo_analysis.snapshot.parts == before


def test_the_dry_run_names_the_mode_to_apply_with(demo_analysis, capsys):
    result = apply_cpu_topology_plan(plan_cpu_topology(demo_analysis, fix_via="flavor"), cloud="", apply=False)
    assert capsys.readouterr().out == (
        "DRY RUN: 4 change(s) planned, none made. To make them: "
        "runbook run cpu_topology --cloud <name> -p fix_via flavor -p apply true\n"
    )
    assert result["step"].tolist() == [IMAGE_PLAN[1], *IMAGE_PLAN[4:]]  # no flavor cap: it would break Rocky


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
    return {LEGACY: dict(flavors.at[LEGACY, "extra_specs"])}


def test_each_step_is_applied_re_read_and_not_repeated(demo_analysis, capsys):
    """The plan's typo removal on m1.legacy: applied and verified once, then found already done."""
    [unset] = [s for s in plan_cpu_topology(demo_analysis).steps if s.target == "flavor"]
    conn = SimpleNamespace(compute=FlavorSpecs(_legacy_specs(demo_analysis)))
    first = apply_steps(conn, [unset])
    assert first.values.tolist() == [[IMAGE_PLAN[5], "applied and verified"]]
    assert capsys.readouterr().out == f"applying: {IMAGE_PLAN[5]}\n"
    assert conn.compute.specs == {LEGACY: {}}
    again = apply_steps(conn, [unset])
    assert again.values.tolist() == [[IMAGE_PLAN[5], "already done"]] and capsys.readouterr().out == ""


def test_a_change_the_cloud_did_not_keep_fails_verification(demo_analysis):
    cap = PlanStep("flavor", LEGACY, "m1.legacy", "set", "hw:cpu_max_sockets", "2", "", "")
    conn = SimpleNamespace(compute=FlavorSpecs(_legacy_specs(demo_analysis), ignore_writes=True))
    with pytest.raises(PlanError) as err:
        apply_steps(conn, [cap])
    assert str(err.value) == (
        f"verification failed after 'openstack flavor set --property hw:cpu_max_sockets=2 {LEGACY}': "
        "hw:cpu_max_sockets is None (wanted '2')"
    )
