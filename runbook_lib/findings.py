"""Findings are data: what needs attention, how bad it is, and what to do about it.

Every runbook turns its analysis into a list of :class:`Finding`. The last notebook cell publishes
them (a custom MIME bundle the runner reads back from the executed notebook), which gives the
report its verdict and the scheduler its exit code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

# Ordered from harmless to worst; "error" means the runbook could not look at something.
SEVERITIES = ("ok", "info", "warn", "crit", "error")
VERDICTS = ("OK", "WARN", "CRIT", "ERROR", "TIMEOUT")
FINDINGS_MIMETYPE = "application/vnd.stack-runbooks.findings+json"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing an operator should know. ``kind`` + ``subject`` identify it across runs."""

    runbook: str
    kind: str
    severity: str
    subject: str
    message: str
    remediation: str = ""
    evidence: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {', '.join(SEVERITIES)}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def id(self) -> str:
        return finding_id(self.runbook, self.kind, self.subject)


def finding_id(runbook: str, kind: str, subject: str) -> str:
    """A short stable id for (runbook, kind, subject): the same finding in the next run has the same id, and
    its report's row carries it as the anchor ``finding-<id>`` that the index links to."""
    return hashlib.sha1(f"{runbook}\0{kind}\0{subject}".encode()).hexdigest()[:12]


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def verdict(findings: Iterable[Finding]) -> str:
    """OK, WARN, CRIT or ERROR: the worst severity among the findings."""
    worst = max((severity_rank(f.severity) for f in findings), default=0)
    return {0: "OK", 1: "OK", 2: "WARN", 3: "CRIT", 4: "ERROR"}[worst]


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES[1:], 0)
    for f in findings:
        if f.severity in counts:
            counts[f.severity] += 1
    return counts


def describe_counts(counts: dict[str, int]) -> str:
    """'2 crit, 1 warn': the worst first, the empty ones left out; 'no findings' when there is none."""
    worst_first = [s for s in reversed(SEVERITIES[1:]) if counts.get(s)]
    return ", ".join(f"{counts[s]} {s}" for s in worst_first) or "no findings"


def server_subject(name: object, server_id: object) -> str:
    """A finding's subject for one server, the same in every runbook (its id keeps it stable across renames)."""
    return f"server {name} ({server_id})"


def collection_findings(runbook: str, problems: dict[str, str]) -> list[Finding]:
    """One error finding per part that could not be read: a runbook never reports silently on less."""
    return [
        Finding(runbook, "collection-problem", "error", part, message, "fix the access and run again")
        for part, message in problems.items()
    ]


def tabulate_findings(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a table, worst first (``id`` is the anchor of each row in a report)."""
    rows = [{**f.to_dict(), "id": f.id} for f in findings]
    columns = ["severity", "kind", "subject", "message", "remediation", "id"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    frame["_rank"] = frame["severity"].map(severity_rank)
    frame = frame.sort_values(["_rank", "kind", "subject"], ascending=[False, True, True])
    return frame[columns].reset_index(drop=True)


def findings_bundle(runbook: str, findings: list[Finding], plan: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON the runner reads back from an executed notebook: the findings and, when the runbook plans
    changes, its plan (each step with its exact argv), so a scheduler or a reviewer can diff it."""
    return {
        "runbook": runbook,
        "verdict": verdict(findings),
        "counts": count_by_severity(findings),
        "findings": [f.to_dict() for f in findings],
        "plan": list(plan or []),
    }


def findings_from_bundle(bundle: dict[str, Any]) -> list[Finding]:
    return [Finding(**item) for item in bundle.get("findings", [])]


def dumps(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, indent=2, sort_keys=True, default=str)
