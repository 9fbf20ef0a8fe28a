"""The names Nova knows (nova 34), against the keys the topology code reads and the demo cloud's own keys."""

import pytest

from runbook_lib.cpu_topology.nova_names import FLAVOR_HW_EXTRA_SPECS, IMAGE_HW_PROPERTIES
from runbook_lib.cpu_topology.topology import DIMENSIONS


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_every_topology_key_the_algorithm_reads_is_a_known_name(dimension):
    """best_topology reads hw_cpu_[max_]<d> and hw:cpu_[max_]<d>: none of them may be reported as a typo."""
    assert {f"hw_cpu_{dimension}", f"hw_cpu_max_{dimension}"} <= IMAGE_HW_PROPERTIES
    assert {f"hw:cpu_{dimension}", f"hw:cpu_max_{dimension}"} <= FLAVOR_HW_EXTRA_SPECS


@pytest.mark.parametrize(
    "name", ["hw_max_sockets", "hw_sockets", "hw:max_sockets", "hw:cpu_maxthreads", "hw_cpu_max_socket"]
)
def test_misspellings_seen_in_the_field_are_not_known(name):
    assert name not in IMAGE_HW_PROPERTIES | FLAVOR_HW_EXTRA_SPECS


def test_the_demo_clouds_keys_are_known_except_its_two_typos(demo_snapshot):
    """Real Glance and Nova records: every hw key the seeded cloud holds is a Nova name but the typos."""
    image_keys = {k for i in demo_snapshot.get("openstack/images") for k in i if k.startswith("hw_")}
    flavor_keys = {
        k for f in demo_snapshot.get("openstack/flavors") for k in f.get("extra_specs") or {} if k.startswith("hw:")
    }
    assert image_keys - IMAGE_HW_PROPERTIES == {"hw_max_sockets"}
    assert image_keys & IMAGE_HW_PROPERTIES == {"hw_cpu_max_sockets", "hw_disk_bus"}
    assert flavor_keys - FLAVOR_HW_EXTRA_SPECS == {"hw:max_sockets"}


def test_each_set_has_one_prefix_and_only_numa_keys_are_indexed():
    assert all(k.startswith("hw_") for k in IMAGE_HW_PROPERTIES)
    assert all(k.startswith("hw:") for k in FLAVOR_HW_EXTRA_SPECS)
    assert {k for k in FLAVOR_HW_EXTRA_SPECS if "{" in k} == {"hw:numa_cpus.{num}", "hw:numa_mem.{num}"}
    assert {"hw_numa_cpus", "hw_numa_mem"} <= IMAGE_HW_PROPERTIES  # the image's list forms carry .N as well
