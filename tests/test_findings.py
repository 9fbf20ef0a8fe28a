"""Findings as data: severities, the verdict, counts, the worst-first table and the bundle the runner reads."""

import json

import pytest

from runbook_lib.findings import (
    SEVERITIES,
    Finding,
    collection_findings,
    count_by_severity,
    dumps,
    finding_id,
    findings_bundle,
    findings_from_bundle,
    severity_rank,
    tabulate_findings,
    verdict,
)


def finding(severity: str, kind: str = "k", subject: str = "s", **extra) -> Finding:
    return Finding("cpu_topology", kind, severity, subject, f"{kind} on {subject}", **extra)


def test_severities_rank_from_harmless_to_worst():
    assert [severity_rank(s) for s in ("ok", "info", "warn", "crit", "error")] == [0, 1, 2, 3, 4]
    assert sorted(["crit", "ok", "error", "warn", "info"], key=severity_rank) == list(SEVERITIES)


@pytest.mark.parametrize(
    ("severities", "expected"),
    [
        ([], "OK"),
        (["ok"], "OK"),
        (["info", "ok"], "OK"),  # info needs no attention
        (["info", "warn"], "WARN"),
        (["warn", "crit", "info"], "CRIT"),
        (["crit", "error"], "ERROR"),  # could not look beats anything seen
    ],
)
def test_the_verdict_is_the_worst_severity(severities, expected):
    assert verdict(finding(s, subject=str(i)) for i, s in enumerate(severities)) == expected


def test_an_unknown_severity_is_refused_with_the_allowed_ones():
    with pytest.raises(ValueError, match=r"severity 'critical' is not one of ok, info, warn, crit, error"):
        finding("critical")


def test_counts_cover_every_severity_but_ok():
    findings = [finding("warn", subject="a"), finding("warn", subject="b"), finding("crit"), finding("ok")]
    assert count_by_severity(findings) == {"info": 0, "warn": 2, "crit": 1, "error": 0}
    assert count_by_severity([]) == {"info": 0, "warn": 0, "crit": 0, "error": 0}


def test_the_table_puts_the_worst_first_then_kind_and_subject():
    findings = [
        finding("info", "b-kind", "z"),
        finding("crit", "b-kind", "y"),
        finding("warn", "a-kind", "x"),
        finding("crit", "a-kind", "w"),
        finding("crit", "a-kind", "v"),
        finding("error", "c-kind", "u"),
    ]
    table = tabulate_findings(findings)
    assert list(table.columns) == ["severity", "kind", "subject", "message", "remediation", "id"]
    assert table["id"].iloc[0] == finding_id("cpu_topology", "c-kind", "u") == findings[-1].id
    assert list(zip(table["severity"], table["kind"], table["subject"], strict=True)) == [
        ("error", "c-kind", "u"),
        ("crit", "a-kind", "v"),
        ("crit", "a-kind", "w"),
        ("crit", "b-kind", "y"),
        ("warn", "a-kind", "x"),
        ("info", "b-kind", "z"),
    ]
    assert list(table.index) == [0, 1, 2, 3, 4, 5]
    empty = tabulate_findings([])
    assert empty.empty and list(empty.columns) == ["severity", "kind", "subject", "message", "remediation", "id"]


def test_every_part_that_could_not_be_read_is_an_error_finding_with_its_reason():
    problems = {"openstack/servers": "HTTP 403: needs the admin role", "ceph/osd_dump": "no monitor answered"}
    found = collection_findings("ceph_capacity", problems)
    assert [(f.runbook, f.kind, f.severity, f.subject, f.message) for f in found] == [
        ("ceph_capacity", "collection-problem", "error", "openstack/servers", "HTTP 403: needs the admin role"),
        ("ceph_capacity", "collection-problem", "error", "ceph/osd_dump", "no monitor answered"),
    ]
    assert {f.remediation for f in found} == {"fix the access and run again"}
    assert verdict(found) == "ERROR"


def test_the_bundle_round_trips_through_json():
    findings = [
        finding("crit", "server-loses-vcpus", "server web-1", remediation="openstack image set …", evidence={"n": 4}),
        finding("info", "note", "cluster"),
    ]
    plan = [{"step": 1, "argv": ["openstack", "image", "set", "--property", "hw_cpu_max_sockets=2", "img"]}]
    bundle = findings_bundle("cpu_topology", findings, plan)
    assert bundle["runbook"] == "cpu_topology" and bundle["verdict"] == "CRIT"
    assert bundle["counts"] == {"info": 1, "warn": 0, "crit": 1, "error": 0}
    assert bundle["plan"] == plan and bundle["plan"] is not plan
    again = json.loads(dumps(bundle))
    assert again == bundle
    assert findings_from_bundle(again) == findings
    assert findings_from_bundle(again)[0].evidence == {"n": 4}


def test_a_bundle_without_a_plan_has_an_empty_one_and_dumps_sorted_keys():
    bundle = findings_bundle("resize_ssh", [])
    assert bundle["plan"] == [] and bundle["verdict"] == "OK" and findings_from_bundle(bundle) == []
    text = dumps(bundle)
    assert list(json.loads(text)) == ["counts", "findings", "plan", "runbook", "verdict"]
    assert text.index('"counts"') < text.index('"findings"') < text.index('"verdict"')
    assert findings_from_bundle({}) == []


def test_counts_are_said_worst_first():
    from runbook_lib.findings import describe_counts

    assert describe_counts({"info": 1, "warn": 7, "crit": 5, "error": 0}) == "5 crit, 7 warn, 1 info"
    assert describe_counts({"info": 0, "warn": 0, "crit": 0, "error": 0}) == "no findings"


def test_a_server_is_one_subject_in_every_runbook_so_its_finding_id_stays():
    from runbook_lib.findings import Finding, server_subject

    subject = server_subject("desk-win7", "1b0c1e4e")
    assert subject == "server desk-win7 (1b0c1e4e)"
    a = Finding("cpu_topology", "server-loses-vcpus", "crit", subject, "one", "fix")
    b = Finding("cpu_topology", "server-loses-vcpus", "crit", server_subject("desk-win7", "1b0c1e4e"), "two", "fix")
    assert a.id == b.id
