"""Applying the trust fixes on the hosts (only with apply=True), then probing the matrix again."""

from __future__ import annotations

import dataclasses

import pandas as pd

from runbook_lib.errors import ParameterError
from runbook_lib.findings import Finding
from runbook_lib.resize_ssh.collect import collect_ssh_trust
from runbook_lib.resize_ssh.migrations import ResizeSshAnalysis
from runbook_lib.resize_ssh.probe import OK, TrustProbe
from runbook_lib.resize_ssh.trust import TrustAnalysis, check_ssh_trust
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.hosts import apply_host_fixes

APPLIED_COLUMNS = ["host", "action", "ok", "output"]


@dataclasses.dataclass(frozen=True)
class TrustOutcome:
    """What applying did (``applied``: one row per fix run; empty on a dry run) and the matrix as it is
    now (``trust``: probed again after the fixes, else the one they were planned from)."""

    applied: pd.DataFrame
    trust: TrustAnalysis
    reprobed: bool


def apply_trust_fixes(
    snapshot: Snapshot, probe: TrustProbe, trust: TrustAnalysis, explained: pd.DataFrame, apply: bool
) -> TrustOutcome:
    """Dry run: say what would run. apply=True: run the automatic fixes, probe again, and return the
    matrix as it is afterwards, so the verdict is taken from what is true now."""
    nothing = pd.DataFrame(columns=APPLIED_COLUMNS)
    automatic = [f for f in trust.fixes if f.automatic]
    if not automatic:
        print("nothing to apply automatically")
        return TrustOutcome(nothing, trust, False)
    if apply and not probe.trust_hosts:
        raise ParameterError("apply=True changes hosts: pass trust_hosts so the matrix is probed live first")
    verb = "applying" if apply else "would apply"
    for fix in automatic:
        print(f"{verb} on {fix.host} as {fix.run_as}: {fix.action} ({len(fix.pairs)} pair(s))")
    if not apply:
        print("dry run: nothing changed (apply=True applies these, then probes the matrix again)")
        return TrustOutcome(nothing, trust, False)
    results = apply_host_fixes(probe.access, automatic, probe.nova_user)
    for result in results:
        print(f"  {result['host']} {result['action']}: {'done' if result['ok'] else 'FAILED: ' + result['output']}")
    after = check_ssh_trust(collect_ssh_trust(snapshot, probe), probe, explained)
    return TrustOutcome(pd.DataFrame(results, columns=APPLIED_COLUMNS), after, True)


def final_findings(analysis: ResizeSshAnalysis, outcome: TrustOutcome) -> list[Finding]:
    """Every finding of the run, taken once all are known: the failed migrations' and the trust matrix's
    as it stands after any fix (so the banner and the exit code say the same), one finding per problem."""
    return merge_pair_findings(analysis.findings, outcome.trust)


def merge_pair_findings(migration_findings: list[Finding], trust: TrustAnalysis) -> list[Finding]:
    """A pair that failed migrations and is still broken for the same cause is one problem: the matrix's
    finding (what is true now, with its fix) carries the migrations it failed. A failed pair that the matrix
    now finds working is no longer critical: the migration can be retried."""
    matrix_findings = list(trust.findings)
    covering = {
        (f.kind.removeprefix("trust-"), pair): i
        for i, f in enumerate(matrix_findings)
        if f.kind.startswith("trust-")
        for pair in f.evidence.get("pairs", [])
    }
    working = {f"{s}→{d}" for s, d, o in trust.matrix[["source", "dest", "outcome"]].itertuples(index=False) if o == OK}
    kept = []
    for finding in migration_findings:
        pair, cause = finding.evidence.get("pair"), finding.kind.removeprefix("ssh-")
        if not finding.kind.startswith("ssh-") or pair is None:
            kept.append(finding)
        elif (cause, pair) in covering:
            matrix_findings[covering[(cause, pair)]] = _with_migrations(
                matrix_findings[covering[(cause, pair)]], finding
            )
        elif pair in working:
            kept.append(_fixed_since(finding))
        else:
            kept.append(finding)
    return [*kept, *matrix_findings]


def _with_migrations(matrix_finding: Finding, migration_finding: Finding) -> Finding:
    migrations = [*matrix_finding.evidence.get("migrations", []), *migration_finding.evidence["migrations"]]
    servers = [*matrix_finding.evidence.get("servers", []), *migration_finding.evidence["servers"]]
    return dataclasses.replace(
        matrix_finding,
        message=f"{matrix_finding.message}; the migration failure(s) it explains: {migration_finding.message}",
        evidence={**matrix_finding.evidence, "migrations": migrations, "servers": servers},
    )


def _fixed_since(finding: Finding) -> Finding:
    servers = ", ".join(finding.evidence.get("servers", []))
    return dataclasses.replace(
        finding,
        severity="warn",
        message=f"{finding.message}; the pair works now (probed in this run)",
        remediation=f"retry the migration of {servers}: fixed since it failed",
    )
