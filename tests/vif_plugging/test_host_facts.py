"""Duplicate nova-compute processes and effective vif_plugging options, from what real hosts return
(tests/fixtures/host-facts), and their place in the vif-plugging diagnosis."""

import copy
import json

from conftest import FIXTURES

from runbook_lib.findings import Finding
from runbook_lib.vif_plugging.analysis import analyse_vif_plugging
from runbook_lib.vif_plugging.evidence import HOST_FACTS_PART
from runbook_lib.vif_plugging.host_facts import (
    DUPLICATE_KIND,
    check_host_facts,
    effective_options,
    is_nova_compute,
    merge_duplicate_findings,
    parse_host_facts,
    tabulate_host_facts,
    top_level_processes,
)

RECORDED = json.loads((FIXTURES / "host-facts" / "duplicate-and-workaround.json").read_text())


def test_only_the_program_counts_and_its_workers_are_not_duplicates():
    facts = parse_host_facts(RECORDED[0])
    assert len(facts["processes"]) == 6  # ps matched the probe's own ssh/sh lines too
    top = top_level_processes(facts["processes"])
    assert [p["args"].split()[0] for p in top] == ["/usr/bin/nova-compute", "/usr/bin/python3"]
    assert not is_nova_compute("ssh -o BatchMode=yes compute-01 sh -c 'ps … nova-compute'")
    assert not is_nova_compute("grep nova-compute")
    assert is_nova_compute("/usr/bin/python3 /usr/bin/nova-compute --config-file /etc/nova/nova.conf")


def test_the_last_config_file_wins_and_no_other_line_is_read():
    facts = parse_host_facts(RECORDED[0])
    assert effective_options(facts["options"]) == {
        "vif_plugging_is_fatal": ("false", "/etc/nova/nova.conf.d/50-workaround.conf"),
        "vif_plugging_timeout": ("600", "/etc/nova/nova.conf.d/50-workaround.conf"),
    }
    assert "s3cr3t" not in json.dumps(RECORDED)  # the [database] line never left the host
    assert effective_options([]) == {
        "vif_plugging_is_fatal": ("true", "Nova's default"),
        "vif_plugging_timeout": ("300", "Nova's default"),
    }


def test_findings_for_the_duplicate_and_the_workaround():
    kinds = {(f.kind, f.severity) for f in check_host_facts(tabulate_host_facts(RECORDED))}
    assert {("duplicate-nova-compute-process", "crit"), ("vif-plugging-not-fatal", "warn")} <= kinds
    unreached = tabulate_host_facts(
        [
            {
                "host": "c9",
                "reached": False,
                "error": "ssh: connect to host c9 port 22: No route to host",
                "lines": [],
            }
        ]
    )
    assert [(f.kind, f.severity) for f in check_host_facts(unreached)] == [("host-unreached", "error")]


def test_a_duplicate_read_on_the_host_becomes_the_cause_of_its_failed_build(demo_snapshot):
    snapshot = copy.deepcopy(demo_snapshot)
    before = analyse_vif_plugging(snapshot).diagnosis
    host = before[before["outcome"] == "build aborted"].iloc[0]["host"]
    snapshot.parts[HOST_FACTS_PART] = [{**RECORDED[0], "host": host}]
    after = analyse_vif_plugging(snapshot)
    row = after.diagnosis[after.diagnosis["host"] == host].iloc[0]
    assert row["cause"] == "duplicate-nova-compute" and "read on the host" in row["evidence"][-1]
    assert not after.host_facts_table.empty


def test_services_with_different_configs_on_one_machine_are_not_duplicates():
    from runbook_lib.vif_plugging.host_facts import duplicate_groups

    one = {
        "pid": 10,
        "ppid": 1,
        "started": 0,
        "args": "/venv/bin/python3 /venv/bin/nova-compute --config-file /etc/nova/a.conf",
    }
    other = {
        "pid": 11,
        "ppid": 1,
        "started": 0,
        "args": "/venv/bin/python3 /venv/bin/nova-compute --config-file=/etc/nova/b.conf",
    }
    again = {**one, "pid": 12}
    assert duplicate_groups([one, other]) == []
    assert [[p["pid"] for p in g] for g in duplicate_groups([one, other, again])] == [[10, 12]]


def _finding(kind, subject, message, evidence):
    return Finding("vif_plugging", kind, "crit", subject, message, "", evidence)


def test_a_duplicate_read_on_the_host_and_the_builds_it_failed_there_are_one_finding():
    stray = _finding(DUPLICATE_KIND, "host cmp-1", "2 separate nova-compute processes", {"pids": [7, 9]})
    failed = [
        _finding("vif-duplicate-nova-compute", "server a (1)", "build of a aborted", {"host": "cmp-1"}),
        _finding("vif-duplicate-nova-compute", "server b (2)", "build of b aborted", {"host": "cmp-1"}),
        _finding("vif-duplicate-nova-compute", "server c (3)", "build of c aborted", {"host": "cmp-2"}),  # not read
        _finding("vif-l2-agent-dead", "server d (4)", "build of d aborted", {"host": "cmp-1"}),  # another cause
    ]
    merged = merge_duplicate_findings(failed, [stray])
    assert [f.subject for f in merged] == ["server c (3)", "server d (4)", "host cmp-1"]
    host = merged[-1]
    assert host.message == "2 separate nova-compute processes; it failed the build of server a (1), server b (2)"
    assert host.evidence == {"pids": [7, 9], "builds": ["server a (1)", "server b (2)"]}
    assert merge_duplicate_findings(failed, []) == failed  # no host read: each build keeps its own finding


def test_the_demo_s_stray_is_one_crit_naming_the_build_it_failed(demo_snapshot):
    """On the demo, vif-late-2's host facts show the stray that the seed ran for real, and vif-dup-1's build is
    the one it failed: one finding, the host's, whose remediation is to stop the stray."""
    findings = analyse_vif_plugging(demo_snapshot).findings
    duplicates = [f for f in findings if "duplicate" in f.kind]
    assert [(f.kind, f.subject) for f in duplicates] == [(DUPLICATE_KIND, "host vif-late-2")]
    assert duplicates[0].evidence["builds"][0].startswith("server vif-dup-1 (")
    assert "systemctl status nova-compute" in duplicates[0].remediation
