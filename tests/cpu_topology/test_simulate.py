"""A plan tried on paper: every image × public flavor before and after."""

from runbook_lib.cpu_topology.plan import PlanStep
from runbook_lib.cpu_topology.simulate import describe_image, new_refusals, simulate, still_losing


def _image(analysis, name):
    return analysis.images.set_index("image").loc[name]


def test_no_step_changes_nothing(demo_analysis):
    effects = simulate(demo_analysis.images, demo_analysis.flavors, [])
    assert (effects["topology_before"].fillna("") == effects["topology_after"].fillna("")).all()
    assert new_refusals(effects).empty
    public = demo_analysis.flavors["is_public"].sum()
    assert len(effects) == len(demo_analysis.images[demo_analysis.images["status"] == "active"]) * public


def test_a_flavor_cap_below_an_image_limit_is_a_new_refusal(demo_analysis):
    medium = demo_analysis.flavors.set_index("flavor").at["m1.medium", "flavor_id"]
    cap = PlanStep("flavor", medium, "m1.medium", "set", "hw:cpu_max_sockets", "1", "", "")
    refused = new_refusals(simulate(demo_analysis.images, demo_analysis.flavors, [cap]))
    assert set(refused["image"]) == {"Rocky 9 (pinned 4 sockets)", "Windows 11 Pro (fixed)"}
    assert refused["refused_after"].str.startswith("ImageVCPULimitsRangeExceeded").all()


def test_an_image_cap_fixes_its_flavors_and_is_described(demo_analysis):
    home = _image(demo_analysis, "Windows 10 Home 22H2")
    step = PlanStep("image", home["image_id"], "Windows 10 Home 22H2", "set", "hw_cpu_max_sockets", "1", "", "")
    effects = simulate(demo_analysis.images, demo_analysis.flavors, [step])
    assert still_losing(effects[effects["image_id"] == home["image_id"]]).empty
    assert describe_image(effects, home["image_id"]) == "flavors losing vCPUs: 6 → 0; newly refused: 0"
