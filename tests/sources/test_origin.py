"""Where a runbook's data comes from: a saved snapshot (the embedded demo by default) or a live cloud, and a
connection only when changes are to be applied. The live branches run against the mini cloud in
tests/sources/test_openstack.py and the runbooks' live tests."""

import pytest

from runbook_lib.errors import ConfigError, ParameterError, SnapshotError, SourceUnreachable
from runbook_lib.snapshot import write_snapshot
from runbook_lib.sources.origin import connect_for_apply, open_snapshot


def test_without_a_cloud_the_demo_is_loaded_whole(demo_snapshot):
    snapshot = open_snapshot()
    assert snapshot.parts == demo_snapshot.parts and not snapshot.live
    collected = demo_snapshot.manifest["collected_at"]
    assert snapshot.label == f"minicloud (seeded: cpu-topology, failures) at {collected}" and collected.endswith("Z")


def test_parts_only_choose_what_a_live_cloud_collects_a_snapshot_is_read_as_saved(demo_snapshot):
    snapshot = open_snapshot(snapshot="demo", parts=["openstack/servers"])
    assert set(snapshot.parts) == set(demo_snapshot.parts)


def test_a_saved_snapshot_directory_is_loaded(tmp_path, demo_snapshot):
    saved = write_snapshot(demo_snapshot, tmp_path / "snap")
    assert open_snapshot(snapshot=str(saved)).parts == demo_snapshot.parts
    with pytest.raises(SnapshotError, match="not found"):
        open_snapshot(snapshot=str(tmp_path / "missing"))


def test_neither_a_cloud_nor_a_snapshot_is_a_parameter_error_saying_both_choices():
    with pytest.raises(ParameterError) as err:
        open_snapshot(cloud="", snapshot="")
    assert str(err.value) == "give either cloud (a clouds.yaml entry) or snapshot (a directory, or 'demo')"


def test_a_dry_run_needs_no_connection():
    assert connect_for_apply("", False) is None
    assert connect_for_apply("prod", False) is None  # not even to a named cloud


def test_applying_without_a_cloud_says_a_snapshot_cannot_be_changed():
    with pytest.raises(ParameterError) as err:
        connect_for_apply("", True)
    assert str(err.value) == ("apply=True changes a live cloud: pass cloud (a clouds.yaml entry), not a snapshot")


ENTRY = (
    "{auth: {auth_url: 'http://127.0.0.1:9/v3', username: u, password: p, project_name: x, "
    "user_domain_name: Default, project_domain_name: Default}, region_name: RegionOne}"
)


@pytest.fixture
def clouds_yaml(tmp_path, monkeypatch):
    path = tmp_path / "clouds.yaml"
    path.write_text(f"clouds: {{alpha: {ENTRY}, beta: {ENTRY}}}\n")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    return path


def test_a_cloud_not_in_clouds_yaml_is_named_with_the_known_ones_before_anything_is_read(clouds_yaml):
    for call in (lambda: open_snapshot(cloud="prod"), lambda: connect_for_apply("prod", True)):
        with pytest.raises(ConfigError) as err:
            call()
        assert f"cloud 'prod' not found in clouds.yaml (looked in: {clouds_yaml})" in str(err.value)
        assert "known clouds: alpha, beta" in str(err.value)


def test_a_cloud_whose_keystone_does_not_answer_is_unreachable(clouds_yaml):
    with pytest.raises(SourceUnreachable, match="cannot reach the endpoint of cloud 'alpha'"):
        open_snapshot(cloud="alpha")
