"""Resize / cold migration fails because nova cannot SSH to the destination compute (pure functions).

Nova's source compute runs ``ssh -o BatchMode=yes <migration.dest_host> mkdir -p <instance dir>`` as the
nova user, even with Ceph-backed disks. When that fails the server rolls back to ACTIVE with no fault;
only the migration (status ``error``) and the instance action event ``compute_resize_instance``
(result ``Error``) say what happened, and the event's ``details`` are cut at 255 characters, so the
full stderr is only in the source's nova-compute log.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from runbook_lib.findings import Finding, collection_findings
from runbook_lib.oslo_log import tabulate_logs
from runbook_lib.records import Record, Records
from runbook_lib.resize_ssh.ssh_errors import OVER_SSH, SshCause, classify_ssh_failure, over_ssh, parse_ssh_error
from runbook_lib.snapshot import Snapshot

RUNBOOK = "resize_ssh"
# What this runbook reads; a live run collects only these.
PARTS = (
    "openstack/migrations",
    "openstack/instance_actions",
    "openstack/compute_services",
    "openstack/hypervisors",
)
MIGRATION_TYPES = ("resize", "migration", "live-migration", "evacuation")


def tabulate_migrations(migrations: Records) -> pd.DataFrame:
    columns = [
        "uuid",
        "server_id",
        "project_id",
        "migration_type",
        "status",
        "source_compute",
        "dest_compute",
        "dest_host",
        "created_at",
        "updated_at",
    ]
    rows = [{**m, "server_id": m.get("instance_uuid") or m.get("server_id")} for m in migrations]
    frame = pd.DataFrame(rows).reindex(columns=columns)
    for column in ("created_at", "updated_at"):
        frame[column] = pd.to_datetime(frame[column], errors="coerce")
    return frame


def find_failed_migrations(migrations: pd.DataFrame, since: pd.Timestamp | None = None) -> pd.DataFrame:
    failed = migrations[migrations["status"].isin(["error", "failed"])]
    if since is not None:
        failed = failed[failed["updated_at"] >= since]
    return failed.sort_values("updated_at", ascending=False)


def _failed_event(actions: Records, server_id: str, after: object) -> Record | None:
    """The Error event of the server's resize/migrate action closest after the migration started."""
    candidates = []
    for action in actions:
        if action.get("instance_uuid") != server_id or action.get("action") not in (
            "resize",
            "migrate",
            "live-migration",
            "evacuate",
        ):
            continue
        for event in action.get("events") or []:
            if event.get("result") == "Error":
                candidates.append(
                    {
                        **event,
                        "action": action.get("action"),
                        "request_id": action.get("request_id"),
                        "action_start": action.get("start_time"),
                    }
                )
    if not candidates:
        return None
    start = pd.to_datetime(after, errors="coerce") if after is not None else pd.NaT
    later = [
        c
        for c in candidates
        if pd.isna(start) or pd.to_datetime(c["action_start"], errors="coerce") >= start - pd.Timedelta(seconds=5)
    ]
    return min(later or candidates, key=lambda c: c.get("start_time") or "")


def explain_failures(failed: pd.DataFrame, actions: Records, logs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per failed migration: the failing event, the SSH error (whole from the log when it has it)."""
    rows = []
    for m in failed.itertuples():
        event = _failed_event(actions, m.server_id, m.created_at)
        details = (event or {}).get("details") or ""
        text, from_log = details, False
        # a failed disk copy (scp/rsync) is not wrapped: from Queens the fault is the bare class name
        copy_failed = "ProcessExecutionError" in details and "Command:" not in details
        if logs is not None and not logs.empty and (over_ssh(details) or copy_failed):
            # the whole error: the log record of this server that carries ssh's stderr or libvirt's words
            mine = logs[logs["instance"] == m.server_id]
            hits = mine[mine["message"].str.contains(r"Stderr:|qemu\+ssh://|Live Migration failure", regex=True)]
            if copy_failed:
                hits = hits[hits["message"].str.contains(r"Command: (?:scp|rsync|ssh)\b", regex=True)]
            if not hits.empty:
                text, from_log = hits.iloc[-1]["message"], True
        ssh = over_ssh(text)
        parsed = parse_ssh_error(text)
        cause = classify_ssh_failure(text, m.dest_host) if ssh else SshCause("not-ssh", "", "")
        rows.append(
            {
                "server_id": m.server_id,
                "migration": m.uuid,
                "type": m.migration_type,
                "source": m.source_compute,
                "dest_host": m.dest_host,
                "failed_at": m.updated_at,
                "dest": m.dest_compute if isinstance(m.dest_compute, str) else "(none: scheduling failed)",
                "event": (event or {}).get("event"),
                "event_host": (event or {}).get("host"),
                "reason": details.split("\n")[0][:160],
                "ssh": ssh,
                "cause": cause.cause,
                "exit_code": parsed["exit_code"],
                "stderr": parsed["stderr"],
                # nologin answers on stdout, ssh itself on stderr: quote the one that speaks
                "said": f"stdout: {parsed['stdout']!r}"
                if parsed["stdout"] and not parsed["stderr"]
                else f"stderr: {parsed['stderr']!r}",
                "stderr_truncated": parsed["truncated"] and not from_log,
                "evidence": "log" if from_log else ("event" if event else "none"),
                "explanation": cause.explanation,
                "fix": cause.fix,
            }
        )
    return pd.DataFrame(rows)


def check_resize_ssh(explained: pd.DataFrame, problems: dict[str, str] | None = None) -> list[Finding]:
    """One finding per broken source → destination pair (its failures as evidence), one per other failure."""
    findings = collection_findings(RUNBOOK, problems or {})
    if explained.empty:
        return findings
    for row in explained[~explained["ssh"]].itertuples():
        findings.append(
            Finding(
                RUNBOOK,
                "migration-failed",
                "warn",
                f"migration {row.migration} ({row.source} → {row.dest})",
                f"{row.type} of server {row.server_id} failed at {row.event or 'an unknown step'}, not over "
                f"SSH: {row.reason or 'no event details (need admin and microversion 2.84)'}",
                "see the instance action events and the compute logs",
                {"server": row.server_id},
            )
        )
    ssh = explained[explained["ssh"]]
    for (source, dest, dest_host, cause), group in ssh.groupby(["source", "dest", "dest_host", "cause"], dropna=False):
        first = group.iloc[0]
        whole = group[~group["stderr_truncated"]]
        said = (whole.iloc[0] if not whole.empty else first)["said"]
        cut = (
            "" if not whole.empty else " (cut at 255 characters in the API; the source's nova-compute log has it whole)"
        )
        findings.append(
            Finding(
                RUNBOOK,
                f"ssh-{cause}",
                "crit",
                f"nova ssh {source} → {dest} ({dest_host})",
                f"{len(group)} migration(s) failed because nova on {source} cannot SSH to {dest_host}: "
                f"{first['explanation']}; {said}{cut}",
                first["fix"],
                {
                    "pair": f"{source}→{dest}",
                    "migrations": group["migration"].tolist(),
                    "servers": group["server_id"].tolist(),
                    "exit_code": None if pd.isna(first["exit_code"]) else int(first["exit_code"]),
                },
            )
        )
    return findings


def find_broken_pairs(explained: pd.DataFrame) -> pd.DataFrame:
    """Source → destination pairs whose SSH failed, with how many failures each explains."""
    columns = ["source", "dest", "dest_host", "cause", "failures", "fix"]
    ssh = explained[explained["ssh"]] if not explained.empty else explained
    if ssh.empty:
        return pd.DataFrame(columns=columns)
    grouped = ssh.groupby(["source", "dest", "dest_host", "cause", "fix"], dropna=False).size()
    return grouped.rename("failures").reset_index()[columns].sort_values("failures", ascending=False)


def before_traceback(message: str) -> str:
    """A log record's message up to its traceback: the error and ssh's Command / Exit code / Stderr lines
    (the frames after it are the same in every such record and bury the one line that says why)."""
    head, _, _ = message.partition("\nTraceback (most recent call last):")
    return head


@dataclasses.dataclass
class ResizeSshAnalysis:
    migrations: pd.DataFrame
    failed: pd.DataFrame
    explained: pd.DataFrame
    broken_pairs: pd.DataFrame
    logs: pd.DataFrame
    findings: list[Finding]
    window: str

    @property
    def failures_table(self) -> pd.DataFrame:
        columns = [
            "failed_at",
            "type",
            "server_id",
            "source",
            "dest",
            "dest_host",
            "event",
            "cause",
            "exit_code",
            "stderr",
            "reason",
            "evidence",
        ]
        return self.explained.reindex(columns=columns).astype({"exit_code": "Int64"}).fillna({"dest_host": ""})

    @property
    def ssh_log_lines(self) -> pd.DataFrame:
        """The nova-compute log records that carry an SSH error (the whole stderr lives here)."""
        if self.logs.empty:
            return self.logs
        hits = self.logs[self.logs["message"].str.contains(OVER_SSH.pattern, regex=True)]
        return hits[["time", "source", "level", "instance"]].assign(message=hits["message"].map(before_traceback))

    @property
    def summary(self) -> str:
        ssh = int(self.explained["ssh"].sum()) if not self.explained.empty else 0
        return (
            f"{len(self.failed)} failed migration(s) {self.window}; {ssh} of them failed over SSH, "
            f"explained by {len(self.broken_pairs)} broken source → destination pair(s)"
        )


def _window(snapshot: Snapshot, since_hours: float) -> tuple[pd.Timestamp, pd.Timestamp]:
    end = pd.Timestamp(snapshot.manifest.get("collected_at")).tz_localize(None)
    return end - pd.Timedelta(hours=since_hours), end


def ssh_failure_sources(snapshot: Snapshot, since_hours: float) -> list[str]:
    """The source hosts of migrations in the window that failed over SSH (from the API alone): the only
    hosts whose nova-compute log is worth reading for the whole stderr."""
    since, _ = _window(snapshot, since_hours)
    failed = find_failed_migrations(tabulate_migrations(snapshot.get("openstack/migrations")), since)
    explained = explain_failures(failed, snapshot.get("openstack/instance_actions"))
    return sorted(set(explained.loc[explained["ssh"], "source"].dropna())) if not explained.empty else []


def analyse_resize_ssh(
    snapshot: Snapshot, since_hours: float = 168.0, extra_logs: Records | None = None
) -> ResizeSshAnalysis:
    """Failed migrations in the window before the snapshot was taken, their SSH causes and the pairs."""
    migrations = tabulate_migrations(snapshot.get("openstack/migrations"))
    since, end = _window(snapshot, since_hours)
    failed = find_failed_migrations(migrations, since)
    logs = tabulate_logs(snapshot.get("logs/nova-compute") + list(extra_logs or []), "nova-compute")
    explained = explain_failures(failed, snapshot.get("openstack/instance_actions"), logs)
    # Services and hypervisors are collected for the trust matrix to come; the analysis needs these two.
    findings = check_resize_ssh(
        explained, snapshot.problems_for(("openstack/migrations", "openstack/instance_actions"))
    )
    window = f"in the {since_hours:g} h before {end:%Y-%m-%d %H:%M} UTC"
    return ResizeSshAnalysis(migrations, failed, explained, find_broken_pairs(explained), logs, findings, window)
