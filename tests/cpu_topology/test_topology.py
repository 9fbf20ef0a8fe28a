"""Nova's CPU topology algorithm, Windows detection and guest-visible vCPUs."""

import pytest

from runbook_lib.cpu_topology.topology import Topology, best_topology, detect_windows, visible_vcpus
from runbook_lib.errors import InvalidTopology

# The worked examples of the reference (each verified against nova/virt/hardware.py), as (s, c, t).
WORKED_EXAMPLES = [
    (4, {}, {}, (4, 1, 1)),
    (4, {}, {"hw_cpu_max_sockets": "2"}, (2, 2, 1)),
    (8, {}, {"hw_cpu_max_sockets": "2"}, (2, 4, 1)),
    (16, {}, {"hw_cpu_max_sockets": "2"}, (2, 8, 1)),
    (6, {}, {"hw_cpu_max_sockets": "4"}, (3, 2, 1)),
    (6, {}, {"hw_cpu_max_sockets": "2"}, (2, 3, 1)),
    (5, {}, {"hw_cpu_max_sockets": "2"}, (1, 5, 1)),
    (7, {}, {"hw_cpu_max_sockets": "2"}, (1, 7, 1)),
    (4, {}, {"hw_cpu_sockets": "1"}, (1, 4, 1)),
    (4, {}, {"hw_cpu_sockets": "2"}, (2, 2, 1)),
    (4, {}, {"hw_cpu_sockets": "1", "hw_cpu_cores": "2"}, (1, 2, 2)),
    (4, {"hw:cpu_max_sockets": "2"}, {}, (2, 2, 1)),
    (4, {"hw:cpu_max_sockets": "4"}, {"hw_cpu_max_sockets": "2"}, (2, 2, 1)),
    (4, {"hw:cpu_sockets": "4"}, {"hw_cpu_max_sockets": "2"}, (2, 2, 1)),
    (8, {}, {"hw_cpu_max_sockets": "2", "hw_cpu_threads": "2"}, (2, 2, 2)),
    (4, {}, {"hw_max_sockets": "2"}, (4, 1, 1)),  # the typo: ignored, as if unset
]

# nova/tests/unit/virt/test_hardware.py VCPUTopologyTest.test_best_config (vcpus 16), with allow_threads.
UPSTREAM_BEST_CONFIG = [
    ({"hw:cpu_sockets": "8", "hw:cpu_cores": "2", "hw:cpu_threads": "1"}, {}, True, (8, 2, 1)),
    (
        {"hw:cpu_sockets": "8", "hw:cpu_cores": "2", "hw:cpu_threads": "1", "hw:cpu_maxthreads": "2"},
        {"hw_cpu_sockets": "4", "hw_cpu_cores": "2", "hw_cpu_threads": "2"},
        True,
        (4, 2, 2),
    ),
    (
        {"hw:cpu_sockets": "8", "hw:cpu_cores": "2", "hw:cpu_threads": "1", "hw:cpu_maxthreads": "2"},
        {"hw_cpu_sockets": "4", "hw_cpu_cores": "2", "hw_cpu_threads": "2"},
        False,
        (8, 2, 1),
    ),
    (
        {"hw:cpu_sockets": "8", "hw:cpu_cores": "2", "hw:cpu_threads": "1"},
        {"hw_cpu_sockets": "2"},
        True,
        (2, 8, 1),
    ),
    ({"hw:cpu_max_threads": "1"}, {}, True, (16, 1, 1)),
    ({"hw:cpu_max_cores": "8", "hw:cpu_max_threads": "1"}, {}, True, (16, 1, 1)),
    (
        {"hw:cpu_max_sockets": "8", "hw:cpu_max_cores": "8", "hw:cpu_max_threads": "1"},
        {"hw_cpu_max_sockets": 4},
        True,
        (4, 4, 1),
    ),
    (
        {"hw:cpu_sockets": "2", "hw:cpu_cores": "8", "hw:cpu_threads": "1"},
        {"hw_cpu_max_cores": 4},
        True,
        (16, 1, 1),
    ),
]


@pytest.mark.parametrize(("vcpus", "specs", "props", "expected"), WORKED_EXAMPLES)
def test_worked_examples(vcpus, specs, props, expected):
    assert best_topology(vcpus, specs, props) == Topology(*expected)


@pytest.mark.parametrize(("specs", "props", "allow_threads", "expected"), UPSTREAM_BEST_CONFIG)
def test_upstream_best_config(specs, props, allow_threads, expected):
    assert best_topology(16, specs, props, allow_threads=allow_threads) == Topology(*expected)


def test_int_and_string_properties_are_the_same():
    assert best_topology(8, {}, {"hw_cpu_max_sockets": 2}) == best_topology(8, {}, {"hw_cpu_max_sockets": "2"})


def test_image_limit_above_flavor_limit_is_refused_with_novas_message():
    with pytest.raises(InvalidTopology) as err:
        best_topology(4, {"hw:cpu_max_sockets": "2"}, {"hw_cpu_max_sockets": "4"})
    assert err.value.kind == "ImageVCPULimitsRangeExceeded"
    assert str(err.value) == (
        "Image vCPU topology limits (sockets=4, cores=0, threads=0) exceeds the limits of the flavor "
        "(sockets=2, cores=0, threads=0)"
    )


def test_image_preference_above_limit_is_refused():
    with pytest.raises(InvalidTopology) as err:
        best_topology(4, {}, {"hw_cpu_sockets": "2", "hw_cpu_max_sockets": "1"})
    assert err.value.kind == "ImageVCPUTopologyRangeExceeded"
    assert str(err.value) == (
        "Image vCPU topology (sockets=2, cores=0, threads=0) exceeds the limits of the flavor or image "
        "(sockets=1, cores=65536, threads=65536)"
    )


def test_impossible_limits_are_refused():
    with pytest.raises(InvalidTopology) as err:
        best_topology(6, {"hw:cpu_max_sockets": "1", "hw:cpu_max_cores": "2", "hw:cpu_max_threads": "2"}, {})
    assert err.value.kind == "ImageVCPULimitsRangeImpossible"
    assert str(err.value) == "Requested vCPU limits 1:2:2 are impossible to satisfy for vcpus count 6"


def test_non_integer_flavor_spec_is_novas_invalid_request():
    with pytest.raises(InvalidTopology) as err:
        best_topology(4, {"hw:cpu_max_sockets": "two"}, {})
    assert err.value.kind == "InvalidRequest"
    assert str(err.value).startswith("Invalid flavor extra spec. Error: invalid literal for int()")


def test_unknown_keys_are_ignored():
    assert best_topology(4, {"hw:max_sockets": "2", "foo": "bar"}, {"hw_sockets": "1", "x": "y"}) == Topology(4, 1, 1)


@pytest.mark.parametrize(
    ("name", "props", "how", "limit"),
    [
        ("Windows 7 Professional SP1", {"os_type": "windows"}, "os_type", 2),
        ("desktop", {"os_type": "Windows"}, "os_type", 2),  # nova's OSType lower-cases the value
        ("Windows 10 Home 22H2", {"os_distro": "win10"}, "os_distro", 1),
        ("w7-starter", {"os_distro": "win7"}, "os_distro", 1),
        ("Win11 Pro for Workstations", {}, "name heuristic", 4),
        ("Windows Server 2019 Datacenter", {"os_type": "windows", "os_version": "2019"}, "os_type", 64),
        ("gold", {"os_type": "windows", "os_version": "2022"}, "os_type", 64),
        ("w2k8r2 standard", {}, "name heuristic", 4),
        ("Windows Server 2008 R2 Enterprise", {}, "name heuristic", 8),
        ("win10-enterprise-ltsc", {}, "name heuristic", 2),
        ("windows-10", {"os_type": "windows"}, "os_type", 2),  # edition unknown: assume Pro
    ],
)
def test_windows_detection(name, props, how, limit):
    info = detect_windows(name, props)
    assert (info.is_windows, info.recognised_by, info.socket_limit) == (True, how, limit)


def test_linux_is_not_windows_and_keeps_all_cpus():
    info = detect_windows("Ubuntu 24.04", {"os_type": "linux", "os_distro": "ubuntu"})
    assert not info.is_windows and info.socket_limit is None
    assert visible_vcpus(Topology(8, 1, 1), info.socket_limit) == 8


def test_operator_override_wins_and_is_reported():
    info = detect_windows("Windows 10 Pro", {"os_type": "windows"}, override_limit=1)
    assert (info.socket_limit, info.limit_source) == (1, "operator override")


def test_visible_vcpus_follows_the_socket_limit():
    assert visible_vcpus(Topology(8, 1, 1), 2) == 2
    assert visible_vcpus(Topology(2, 4, 1), 2) == 8
    assert visible_vcpus(Topology(4, 1, 2), 1) == 2
