"""The runbooks found by their packages' own declarations (RUNBOOK, READS), and the parts a collection reads."""

import importlib

import pytest

from runbook_lib.headless.runbooks import NOT_RUNBOOKS, parts_read, runbook_packages
from runbook_lib.headless.runner import available_runbooks

NAMES = ["ceph_capacity", "cpu_topology", "resize_ssh", "vif_plugging"]


def test_the_four_runbook_packages_are_found_sorted_and_nothing_else():
    packages = runbook_packages()
    assert list(packages) == NAMES
    for name, package in packages.items():
        assert package is importlib.import_module(f"runbook_lib.{name}")
        assert name == package.RUNBOOK and package.READS
    assert not set(packages) & NOT_RUNBOOKS


def test_every_runbook_package_has_its_notebook():
    assert list(available_runbooks()) == list(runbook_packages())


@pytest.mark.parametrize("name", NAMES)
def test_one_runbooks_parts_are_exactly_what_its_package_reads(name):
    package = importlib.import_module(f"runbook_lib.{name}")
    assert parts_read([name]) == list(dict.fromkeys(package.READS))


def test_every_part_is_read_once_in_the_order_the_runbooks_declare_it():
    everything = parts_read()
    assert len(everything) == len(set(everything))
    declared = [part for package in runbook_packages().values() for part in package.READS]
    assert everything == list(dict.fromkeys(declared))
    assert parts_read(None) == parts_read([]) == everything  # no names: every runbook


def test_two_runbooks_share_their_common_parts():
    both = parts_read(["cpu_topology", "ceph_capacity"])
    assert set(both) == set(parts_read(["cpu_topology"])) | set(parts_read(["ceph_capacity"]))
    assert both[: len(parts_read(["cpu_topology"]))] == parts_read(["cpu_topology"])
    assert "openstack/images" in parts_read(["cpu_topology"]) and "openstack/images" in parts_read(["ceph_capacity"])
    assert both.count("openstack/images") == 1
