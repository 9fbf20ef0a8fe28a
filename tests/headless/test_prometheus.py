"""The Prometheus textfile for node_exporter, parsed back with prometheus_client's own parser: every sample
with its labels and value, and a file that only ever appears whole."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from runbook_lib.headless.history import compare_runs
from runbook_lib.headless.prometheus import render_textfile, write_textfile

from .summaries import A, B, C, _summary


def samples_of(text: str) -> dict:
    """(metric name, sorted labels) → value, for every sample in the exposition text."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_prometheus_textfile_parses_and_carries_the_counts(tmp_path):
    summary = _summary([("ceph_capacity", "WARN", [A, B]), ("vif_plugging", "OK", [])])
    summary["runbooks"][0]["counts"] = {"info": 1, "warn": 2, "crit": 0, "error": 0}
    summary["changes"] = compare_runs(summary, _summary([("ceph_capacity", "WARN", [A])]))
    text = render_textfile(summary, 'we"ird\\source', 1795000000.0)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    label = ("source", 'we"ird\\source')
    assert samples[("stack_runbooks_findings", (("runbook", "ceph_capacity"), ("severity", "warn"), label))] == 2
    assert samples[("stack_runbooks_findings", (("runbook", "ceph_capacity"), ("severity", "info"), label))] == 1
    assert samples[("stack_runbooks_findings_new", (("runbook", "ceph_capacity"), label))] == 1
    # vif_plugging did not run before: not compared, so no count of new findings (not a zero)
    assert ("stack_runbooks_findings_new", (("runbook", "vif_plugging"), label)) not in samples
    assert samples[("stack_runbooks_run_exit_code", (label,))] == 1
    assert samples[("stack_runbooks_last_run_timestamp_seconds", (label,))] == 1795000000.0
    assert all(f.type == "gauge" for f in families.values())
    target = write_textfile(tmp_path / "node" / "stack_runbooks_prod.prom", text)
    assert target.read_text() == text and [p.name for p in target.parent.iterdir()] == [target.name]
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_every_runbook_gets_a_sample_per_severity_its_exit_code_and_its_duration():
    summary = _summary([("ceph_capacity", "WARN", [A, B]), ("resize_ssh", "CRIT", [C])])
    summary["runbooks"][1].update(counts={"info": 0, "warn": 0, "crit": 1, "error": 0}, exit_code=1, duration_s=7.25)
    summary["runbooks"][0]["exit_code"] = 0
    samples = samples_of(render_textfile(summary, "prod", 1795000000.0))
    source = ("source", "prod")
    findings = {
        (runbook, severity): samples[
            ("stack_runbooks_findings", (("runbook", runbook), ("severity", severity), source))
        ]
        for runbook in ("ceph_capacity", "resize_ssh")
        for severity in ("info", "warn", "crit", "error")
    }
    assert findings == {
        ("ceph_capacity", "info"): 0,
        ("ceph_capacity", "warn"): 2,
        ("ceph_capacity", "crit"): 0,
        ("ceph_capacity", "error"): 0,
        ("resize_ssh", "info"): 0,
        ("resize_ssh", "warn"): 0,
        ("resize_ssh", "crit"): 1,
        ("resize_ssh", "error"): 0,
    }
    assert samples[("stack_runbooks_runbook_exit_code", (("runbook", "ceph_capacity"), source))] == 0
    assert samples[("stack_runbooks_runbook_exit_code", (("runbook", "resize_ssh"), source))] == 1
    assert samples[("stack_runbooks_runbook_duration_seconds", (("runbook", "ceph_capacity"), source))] == 3.0
    assert samples[("stack_runbooks_runbook_duration_seconds", (("runbook", "resize_ssh"), source))] == 7.25
    assert samples[("stack_runbooks_run_duration_seconds", (source,))] == 12.5
    assert len(samples) == 8 + 2 + 2 + 3  # no "ok" severity, and no new/resolved without a previous run


def test_new_and_resolved_counts_appear_only_once_there_is_a_previous_run():
    previous = _summary([("ceph_capacity", "WARN", [A, B])])
    current = _summary([("ceph_capacity", "WARN", [A]), ("vif_plugging", "WARN", [C])])
    first = render_textfile({**current, "changes": compare_runs(current, None)}, "prod", 0)
    assert "stack_runbooks_findings_new" not in first and "stack_runbooks_findings_resolved" not in first
    samples = samples_of(render_textfile({**current, "changes": compare_runs(current, previous)}, "prod", 0))
    source = ("source", "prod")
    assert samples[("stack_runbooks_findings_resolved", (("runbook", "ceph_capacity"), source))] == 1  # B
    assert samples[("stack_runbooks_findings_new", (("runbook", "ceph_capacity"), source))] == 0
    assert ("stack_runbooks_findings_new", (("runbook", "vif_plugging"), source)) not in samples  # not compared


def test_every_metric_has_help_and_type_lines():
    text = render_textfile(_summary([("ceph_capacity", "OK", [])]), "prod", 0)
    names = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert names == [
        "stack_runbooks_findings",
        "stack_runbooks_runbook_exit_code",
        "stack_runbooks_runbook_duration_seconds",
        "stack_runbooks_run_exit_code",
        "stack_runbooks_run_duration_seconds",
        "stack_runbooks_last_run_timestamp_seconds",
    ]
    assert all(f"# HELP {name} " in text for name in names) and text.endswith("\n")


def test_a_run_without_runbooks_still_says_when_it_ran_and_how_it_ended():
    samples = samples_of(render_textfile({"exit_code": 2}, "prod", 1795000000.0))
    assert samples == {
        ("stack_runbooks_run_exit_code", (("source", "prod"),)): 2,
        ("stack_runbooks_run_duration_seconds", (("source", "prod"),)): 0,
        ("stack_runbooks_last_run_timestamp_seconds", (("source", "prod"),)): 1795000000.0,
    }


def test_a_source_with_a_newline_stays_one_label_value():
    samples = samples_of(render_textfile({"exit_code": 0}, "cloud\nprod", 0))
    assert ("stack_runbooks_run_exit_code", (("source", "cloud\nprod"),)) in samples


def test_rewriting_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "stack_runbooks_prod.prom"
    target.write_text("old content that is longer than the new one\n" * 10)
    inode = target.stat().st_ino
    text = render_textfile({"exit_code": 0}, "prod", 0)
    assert write_textfile(target, text) == target
    assert target.read_text() == text and target.stat().st_ino != inode  # renamed over, never truncated
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "stack_runbooks_prod.prom"
    target.write_text("previous\n")
    with pytest.raises(TypeError):
        write_textfile(target, b"not text")  # fails while writing the temporary file
    assert target.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_timestamp_is_written_exactly():
    """``:g`` kept six significant digits: 1795163688.123 became 1.79516e+09, an hour off a staleness alert."""
    from runbook_lib.headless.prometheus import _number

    assert _number(1795163688.123) == "1795163688.123" and _number(3.0) == "3" and _number(0.25) == "0.25"
