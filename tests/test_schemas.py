"""One malformed record is named and skipped, never fatal to its part nor to the analysis: the fields each
analysis reads, checked where every snapshot is made (cases that crashed an analysis before)."""

import copy

import pytest

import runbook_lib.ceph_capacity as ceph
import runbook_lib.cpu_topology as cpu
import runbook_lib.resize_ssh as resize
import runbook_lib.vif_plugging as vif
from runbook_lib.schemas import screen_parts
from runbook_lib.snapshot import Snapshot


def test_a_wrong_type_is_skipped_and_named_a_null_optional_field_is_absent():
    parts = {
        "openstack/servers": [
            {"id": "a", "name": "web-1", "flavor": "m1.small"},  # a flavor must be an object
            {"id": "b", "name": "web-2", "fault": None},
            {"id": ["c"], "name": "web-3"},
        ],
        "something/else": [{"id": 1}],
    }
    clean, skipped = screen_parts(copy.deepcopy(parts))
    assert clean["openstack/servers"] == [{"id": "b", "name": "web-2"}] and clean["something/else"] == [{"id": 1}]
    assert skipped == {
        "openstack/servers": "openstack/servers: 2 of 3 record(s) skipped as unreadable; the first (name web-1): "
        "field 'flavor' is str ('m1.small'), not dict"
    }


def test_a_required_field_null_skips_the_record_and_a_bool_is_not_a_number():
    clean, skipped = screen_parts({"openstack/flavors": [{"id": None}, {"id": "f", "vcpus": True}]})
    assert clean["openstack/flavors"] == [] and "2 of 2 record(s)" in skipped["openstack/flavors"]
    assert "field 'id' is missing or null" in skipped["openstack/flavors"]


def _analyse(runbook, snapshot):
    if runbook == "cpu":
        return cpu.final_findings(
            cpu.analyse_cpu_topology(snapshot), cpu.plan_cpu_topology(cpu.analyse_cpu_topology(snapshot))
        )
    if runbook == "vif":
        return vif.analyse_vif_plugging(snapshot).findings
    if runbook == "resize":
        return resize.analyse_resize_ssh(snapshot, 24 * 3650).findings
    return ceph.analyse_ceph_capacity(snapshot).findings


# (runbook, part, field, a value no release writes): each crashed its analysis before the check
CASES = [
    ("cpu", "openstack/servers", "flavor", "x"),
    ("cpu", "openstack/flavors", "extra_specs", "x"),
    ("cpu", "openstack/flavors", "vcpus", "x"),
    ("cpu", "openstack/images", "id", []),
    ("cpu", "openstack/volumes", "volume_image_metadata", "x"),
    ("vif", "openstack/servers", "fault", "x"),
    ("vif", "openstack/network_agents", "host", None),
    ("vif", "openstack/dhcp_hosting", "agents", "x"),
    ("resize", "openstack/migrations", "source_compute", []),
    ("resize", "openstack/instance_actions", "events", "x"),
    ("ceph", "ceph/rbd", "du", "x"),
    ("ceph", "ceph/osd_df_tree", "nodes", None),
]


@pytest.mark.parametrize(("runbook", "part", "field", "bad"), CASES, ids=[f"{c[1]}.{c[2]}" for c in CASES])
def test_a_malformed_record_is_a_finding_that_names_it_and_the_analysis_goes_on(
    demo_snapshot, runbook, part, field, bad
):
    parts = copy.deepcopy(demo_snapshot.parts)
    assert parts[part], part
    parts[part][0][field] = bad
    findings = _analyse(runbook, Snapshot(demo_snapshot.manifest, parts, dict(demo_snapshot.problems)))
    named = [f for f in findings if f.kind == "collection-problem" and f.subject == part]
    assert len(named) == 1 and f"field {field!r}" in named[0].message and "skipped as unreadable" in named[0].message
