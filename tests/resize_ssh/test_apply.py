"""Applying the trust fixes: a dry run says what would run on which host as whom and changes nothing; a
real apply needs the matrix probed live. The real apply on the SSH lab is in test_trust_live.py."""

import copy
import json

import pandas as pd
import pytest
from conftest import FIXTURES

from resize_ssh.test_trust import AS_ROOT, BECOME
from runbook_lib.errors import ParameterError
from runbook_lib.resize_ssh.apply import APPLIED_COLUMNS, apply_trust_fixes, final_findings
from runbook_lib.resize_ssh.migrations import analyse_resize_ssh
from runbook_lib.resize_ssh.probe import trust_probe
from runbook_lib.resize_ssh.trust import analyse_ssh_trust, check_ssh_trust
from runbook_lib.sources.ssh import HostAccess

NO_FAILURES = pd.DataFrame()


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return json.loads((FIXTURES / "ssh-trust-lab" / "records.json").read_text())


@pytest.fixture
def probe():
    return trust_probe(access=HostAccess())


def test_dry_run_prints_each_fix_and_changes_nothing(demo_snapshot, records, probe, capsys):
    trust = analyse_ssh_trust(records, NO_FAILURES, BECOME, AS_ROOT)
    before = copy.deepcopy(demo_snapshot.parts)
    outcome = apply_trust_fixes(demo_snapshot, probe, trust, NO_FAILURES, apply=False)
    assert capsys.readouterr().out.splitlines() == [
        "would apply on compute-05 as nova: chmod-private-key (2 pair(s))",
        "would apply on compute-02 as nova: authorize-keys (5 pair(s))",
        "would apply on compute-01 as nova: trust-host-keys (1 pair(s))",
        "would apply on compute-02 as nova: trust-host-keys (1 pair(s))",
        "would apply on compute-04 as nova: trust-host-keys (1 pair(s))",
        "would apply on compute-05 as nova: trust-host-keys (1 pair(s))",
        "would apply on compute-06 as nova: trust-host-keys (1 pair(s))",
        "would apply on compute-04 as root: login-shell (4 pair(s))",
        "dry run: nothing changed (apply=True applies these, then probes the matrix again)",
    ]  # the manual fix (compute-06's closed port) is not among them
    assert outcome.trust is trust and not outcome.reprobed
    assert outcome.applied.empty and list(outcome.applied.columns) == APPLIED_COLUMNS
    assert demo_snapshot.parts == before


def test_apply_without_trust_hosts_is_a_parameter_error(demo_snapshot, records, probe, capsys):
    trust = analyse_ssh_trust(records, NO_FAILURES, BECOME, AS_ROOT)
    with pytest.raises(ParameterError) as err:
        apply_trust_fixes(demo_snapshot, probe, trust, NO_FAILURES, apply=True)
    assert str(err.value) == "apply=True changes hosts: pass trust_hosts so the matrix is probed live first"
    assert capsys.readouterr().out == ""  # refused before saying it applies anything


def test_only_manual_fixes_is_nothing_to_apply_even_with_apply(demo_snapshot, records, probe, capsys):
    """Only compute-06's sshd is down: that fix is the operator's, so apply=True has nothing to run (and needs
    no trust_hosts)."""
    port_closed = [
        {**r, "probes": [p if p["dest"] == "compute-06" else {**p, "exit_code": 0, "stderr": ""} for p in r["probes"]]}
        for r in records
    ]
    trust = analyse_ssh_trust(port_closed, NO_FAILURES, BECOME, AS_ROOT)
    assert [(f.action, f.automatic) for f in trust.fixes] == [("manual-connection-refused", False)]
    outcome = apply_trust_fixes(demo_snapshot, probe, trust, NO_FAILURES, apply=True)
    assert capsys.readouterr().out == "nothing to apply automatically\n"
    assert outcome.trust is trust and not outcome.reprobed and outcome.applied.empty


def test_final_findings_are_one_per_problem_the_matrix_carrying_the_migrations_it_failed(demo_snapshot, probe, capsys):
    """On the demo: the failed resize ssh-src → ssh-dst-bad and the matrix's unknown host key of ssh-dst-bad
    are one problem, so one CRIT: the matrix's finding (its fix is what to do now) names the migration."""
    analysis = analyse_resize_ssh(demo_snapshot)
    trust = check_ssh_trust(demo_snapshot, probe, analysis.explained)
    outcome = apply_trust_fixes(demo_snapshot, probe, trust, analysis.explained, apply=False)
    assert capsys.readouterr().out.endswith(
        "dry run: nothing changed (apply=True applies these, then probes the matrix again)\n"
    )
    final = final_findings(analysis, outcome)
    host_key = [f for f in final if f.kind in ("ssh-host-key-unknown", "trust-host-key-unknown")]
    assert [(f.kind, f.subject, f.severity) for f in host_key] == [
        ("trust-host-key-unknown", "nova ssh to ssh-dst-bad", "crit")
    ]
    migration = next(f for f in analysis.findings if f.kind == "ssh-host-key-unknown")
    assert host_key[0].evidence["migrations"] == migration.evidence["migrations"]
    assert host_key[0].evidence["servers"] == migration.evidence["servers"]
    assert migration.message in host_key[0].message
    matrix_finding = next(f for f in trust.findings if f.kind == "trust-host-key-unknown")
    assert host_key[0].remediation == matrix_finding.remediation
    assert len(final) == len(analysis.findings) + len(trust.findings) - 1


def test_a_failed_pair_that_works_now_is_a_warning_to_retry(demo_snapshot, probe):
    """The matrix probed after the failure finds ssh-src → ssh-dst-bad working: the migration's finding stays
    (it did fail) but is no longer critical, and says to retry."""
    analysis = analyse_resize_ssh(demo_snapshot)
    recorded = demo_snapshot.get("hosts/ssh_trust")
    healed = [
        {**r, "probes": [{**p, "exit_code": 0, "stderr": ""} for p in r["probes"]]} for r in copy.deepcopy(recorded)
    ]
    trust = analyse_ssh_trust(healed, analysis.explained, BECOME, AS_ROOT)
    outcome = apply_trust_fixes(demo_snapshot, probe, trust, analysis.explained, apply=False)
    final = final_findings(analysis, outcome)
    migration = next(f for f in final if f.kind == "ssh-host-key-unknown")
    assert migration.severity == "warn" and migration.message.endswith("the pair works now (probed in this run)")
    assert migration.remediation.startswith("retry the migration of " + migration.evidence["servers"][0])
    assert not [f for f in final if f.severity == "crit"]
