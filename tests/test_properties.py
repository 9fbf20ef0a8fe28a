"""Property tests (Hypothesis): every parser and loader of data from outside (log lines, probe and ps output,
sos command files, snapshot manifests and parts, tarballs) either reads what it is given or says why in one
of the library's own errors; nothing else escapes, whatever the bytes."""

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbook_lib.errors import RunbookError
from runbook_lib.oslo_log import parse_oslo_log
from runbook_lib.resize_ssh.ssh_errors import classify_ssh_failure, parse_ssh_error
from runbook_lib.snapshot import load_snapshot
from runbook_lib.sos_parts import command_json, conf_lines, pg_stats, ps_processes
from runbook_lib.sources.hosts import parse_trust_probe
from runbook_lib.vif_plugging.host_facts import parse_host_facts, tabulate_host_facts
from runbook_lib.vif_plugging.neutron_events import notifier_events

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# text as logs and command outputs have it: printable, with the tags and separators the parsers look for
TOKENS = st.sampled_from(["@proc", "@conf", "@line", "@account", "@probe", "{", "}", "[", "]", ":", "=", " ", "\n"])
TEXT = st.lists(st.one_of(st.text(string.printable, max_size=12), st.text(max_size=6), TOKENS), max_size=40).map(
    "".join
)
LINES = st.lists(TEXT, max_size=20)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@PROPERTY
@given(LINES)
def test_oslo_log_lines_of_any_shape_parse_or_are_kept_as_text(lines):
    records = parse_oslo_log(lines, "cmp1")
    assert len(records) <= len(lines)


@PROPERTY
@given(LINES)
def test_neutron_notifier_lines_of_any_shape(lines):
    logs = parse_oslo_log([f"2026-11-23 20:00:01.000 1 INFO neutron.notifiers.nova [-] {x}" for x in lines], "c")
    assert len(notifier_events(logs.assign(service="neutron-server"))) >= 0


@PROPERTY
@given(TEXT)
def test_a_trust_probe_s_output_of_any_shape(stdout):
    assert set(parse_trust_probe(stdout)) >= {"account", "probes"}


@PROPERTY
@given(TEXT)
def test_ssh_stderr_of_any_shape_is_classified(text):
    assert classify_ssh_failure(text).cause and isinstance(parse_ssh_error(text), dict)


@PROPERTY
@given(LINES)
def test_host_facts_of_any_shape_are_read_or_their_bad_lines_left_out(lines):
    facts = parse_host_facts({"host": "cmp1", "lines": lines})
    assert all(isinstance(p["pid"], int) for p in facts["processes"])
    assert len(tabulate_host_facts([{"host": "cmp1", "reached": True, "lines": lines}])) == 1


@PROPERTY
@given(TEXT)
def test_sos_command_files_and_ps_of_any_shape(text):
    value, why = command_json(text)
    assert (value is None) == bool(why)
    assert all(line.startswith("@proc ") for line in ps_processes(text))
    assert conf_lines("/etc/nova/nova.conf", 0, text)[0] == "@conf 0 /etc/nova/nova.conf"


@PROPERTY
@given(JSON)
def test_a_pg_dump_of_any_shape_gives_a_list_of_pgs(value):
    assert isinstance(pg_stats(value)[0]["pg_stats"], list)


@PROPERTY
@given(manifest=JSON, part=JSON)
def test_a_snapshot_of_any_json_loads_or_is_one_clear_error(tmp_path_factory, manifest, part):
    root = tmp_path_factory.mktemp("snap")
    (root / "manifest.json").write_text(json.dumps(manifest))
    (root / "openstack").mkdir()
    (root / "openstack" / "servers.json").write_text(json.dumps(part))
    try:
        load_snapshot(root)
    except RunbookError as exc:
        assert str(exc) and "\n" not in str(exc)


@PROPERTY
@given(st.binary(max_size=2048))
def test_any_bytes_as_a_tarball_load_or_are_one_clear_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("tar") / "snap.tar.gz"
    path.write_bytes(data)
    with pytest.raises(RunbookError):
        load_snapshot(path)
