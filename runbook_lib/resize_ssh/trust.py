"""The SSH trust matrix between compute hosts: what nova's ssh says for every source → destination pair,
the host facts behind it, the fixes, and how it explains the failed migrations (pure functions).

Input: the records of :func:`runbook_lib.sources.hosts.probe_ssh_trust` (one per source host, stored in
the snapshot part ``hosts/ssh_trust``)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from runbook_lib.findings import Finding
from runbook_lib.records import Records, comma_list
from runbook_lib.resize_ssh.fixes import (
    _SOURCE_SIDE,
    TrustFix,
    _file_problems,
    fix_records,
    plan_trust_fixes,
    tabulate_fixes,
)
from runbook_lib.resize_ssh.probe import NOT_PROBED, OK, TrustProbe
from runbook_lib.resize_ssh.ssh_errors import classify_ssh_failure
from runbook_lib.snapshot import Snapshot

RUNBOOK = "resize_ssh"


TRUST_PART = "hosts/ssh_trust"  # one record per source host, probed as nova


def tabulate_trust(records: Records) -> pd.DataFrame:
    """One row per probed source → destination pair, classified; unreached sources as not-probed."""
    rows = []
    destinations = sorted({(p["dest"], p["dest_address"]) for r in records for p in r.get("probes", [])})
    for record in records:
        if not record.get("reached"):
            for dest, address in destinations:
                if dest != record["host"]:
                    rows.append(
                        {
                            "source": record["host"],
                            "dest": dest,
                            "dest_address": address,
                            "outcome": NOT_PROBED,
                            "exit_code": None,
                            "known_host": None,
                            "stderr": record.get("error", ""),
                            "explanation": "the operator could not log in to the source",
                            "fix": "",
                        }
                    )
            continue
        for probe in record["probes"]:
            if probe["exit_code"] == 0:
                outcome, explanation, fix = OK, "", ""
            else:
                cause = classify_ssh_failure(probe["stderr"], probe["dest_address"])
                outcome, explanation, fix = cause.cause, cause.explanation, cause.fix
            rows.append(
                {
                    "source": record["host"],
                    "dest": probe["dest"],
                    "dest_address": probe["dest_address"],
                    "outcome": outcome,
                    "exit_code": probe["exit_code"],
                    "known_host": probe["known_host"],
                    "stderr": _last_words(probe["stderr"]),
                    "explanation": explanation,
                    "fix": fix,
                }
            )
    columns = [
        "source",
        "dest",
        "dest_address",
        "outcome",
        "exit_code",
        "known_host",
        "stderr",
        "explanation",
        "fix",
    ]
    return pd.DataFrame(rows, columns=columns).astype({"exit_code": "Int64"})


def _last_words(stderr: str) -> str:
    """ssh's own message lines, without the '@@@@' banner and its explanation."""
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("@")]
    return " ".join(lines[-3:])[:300]


def trust_pivot(matrix: pd.DataFrame) -> pd.DataFrame:
    """Source × destination, each cell the outcome ('—' on the diagonal: nova never SSHes to itself)."""
    if matrix.empty:
        return pd.DataFrame()
    hosts = sorted(set(matrix["source"]) | set(matrix["dest"]))
    pivot = matrix.pivot_table(index="source", columns="dest", values="outcome", aggfunc="first")
    pivot = pivot.reindex(index=sorted(set(matrix["source"])), columns=hosts).astype(object)
    for host in pivot.index:
        if host in pivot.columns:
            pivot.loc[host, host] = "—"
    return pivot.fillna("")


def host_facts(records: Records) -> pd.DataFrame:
    """Per host: the nova user's shell, key files and their modes, and what is wrong with them."""
    rows = []
    for record in records:
        account = record.get("account") or {}
        files = {f["path"]: f for f in record.get("files", [])}
        home = account.get("home", "")
        private = [f for p, f in files.items() if p.startswith(f"{home}/.ssh/id_") and not p.endswith(".pub")]
        problems = _file_problems(account, files, private, record)
        rows.append(
            {
                "host": record["host"],
                "reached": bool(record.get("reached")),
                "user": account.get("user", ""),
                "shell": account.get("shell", ""),
                "ssh_dir_mode": (files.get(f"{home}/.ssh") or {}).get("mode", ""),
                "private_keys": ", ".join(f"{f['path'].rsplit('/', 1)[1]} ({f['mode']})" for f in private),
                "key_fingerprints": ", ".join(k["fingerprint"] for k in record.get("pubkeys", [])),
                "authorized_keys": len(record.get("authorized", [])),
                "problems": "; ".join(problems) if record.get("reached") else f"not reached: {record.get('error', '')}",
            }
        )
    return pd.DataFrame(rows)


def check_trust(matrix: pd.DataFrame, records: Records) -> list[Finding]:
    """One finding per host at fault and cause (a nologin destination is one finding, not N-1)."""
    findings: list[Finding] = []
    for record in records:
        if not record.get("reached"):
            findings.append(
                Finding(
                    RUNBOOK,
                    "trust-host-unreached",
                    "error",
                    f"host {record['host']}",
                    f"the operator could not run the probe on {record['host']}: {record.get('error', '')}",
                    "check ssh_user / ssh_config / sudo, then run again",
                )
            )
    broken = matrix[~matrix["outcome"].isin([OK, NOT_PROBED])]
    for outcome, group in broken.groupby("outcome", sort=True):
        side = "source" if outcome in _SOURCE_SIDE else "dest"
        for host, pairs in group.groupby(side, sort=True):
            others = pairs["dest" if side == "source" else "source"].tolist()
            first = pairs.iloc[0]
            what = (
                f"nova on {host} cannot reach {len(others)} host(s)"
                if side == "source"
                else f"{len(others)} host(s) cannot reach {host} ({first['dest_address']}) as nova"
            )
            findings.append(
                Finding(
                    RUNBOOK,
                    f"trust-{outcome}",
                    "crit",
                    f"nova ssh {'from' if side == 'source' else 'to'} {host}",
                    f"{what}: {first['explanation']} ({', '.join(others)}); ssh says: {first['stderr']!r}",
                    first["fix"],
                    {"pairs": [f"{s}→{d}" for s, d in zip(pairs["source"], pairs["dest"], strict=True)]},
                )
            )
    probed = matrix[matrix["outcome"] != NOT_PROBED]
    if not probed.empty and broken.empty:
        findings.append(
            Finding(
                RUNBOOK,
                "trust-ok",
                "ok",
                "nova ssh between computes",
                f"all {len(probed)} probed source → destination pairs work",
                "",
            )
        )
    return findings


def join_failures(explained: pd.DataFrame, matrix: pd.DataFrame) -> pd.DataFrame:
    """Each failed SSH migration next to what the matrix says of its pair now."""
    columns = ["server_id", "source", "dest", "dest_host", "cause", "pair_now", "verdict"]
    if explained.empty or matrix.empty:
        return pd.DataFrame(columns=columns)
    ssh = explained[explained["ssh"]]
    now = matrix.set_index(["source", "dest"])["outcome"]
    rows = []
    for row in ssh.itertuples():
        pair = now.get((row.source, row.dest), None)
        if pair is None:
            verdict = "pair not in the matrix (add both hosts to trust_hosts)"
        elif pair == OK:
            verdict = "works now: fixed since the failure; retry the resize"
        elif pair == NOT_PROBED:
            verdict = "source not reached by the probe"
        else:
            verdict = "still broken" + ("" if pair == row.cause else f" (now {pair})")
        rows.append(
            {
                "server_id": row.server_id,
                "source": row.source,
                "dest": row.dest,
                "dest_host": row.dest_host,
                "cause": row.cause,
                "pair_now": pair or "",
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def trust_targets(
    services: Records,
    hypervisors: Records,
    trust_hosts: str,
    migration_addresses: dict[str, str] | None = None,
) -> dict[str, str]:
    """Host → the address nova SSHes to (``migration.dest_host``): an override, else the hypervisor's
    ``host_ip`` (Nova's my_ip), else the host name. ``trust_hosts``: "all" or a comma list."""
    computes = sorted({s["host"] for s in services if s.get("binary") == "nova-compute"})
    named = comma_list(trust_hosts)
    hosts = computes if trust_hosts.strip() == "all" else named
    host_ip = {
        (h.get("service") or {}).get("host") or h.get("hypervisor_hostname"): h.get("host_ip") for h in hypervisors
    }
    overrides = migration_addresses or {}
    return {h: overrides.get(h) or host_ip.get(h) or h for h in hosts}


@dataclasses.dataclass
class TrustAnalysis:
    records: Records
    matrix: pd.DataFrame
    facts: pd.DataFrame
    fixes: list[TrustFix]
    findings: list[Finding]
    explained_failures: pd.DataFrame

    @property
    def pivot(self) -> pd.DataFrame:
        return trust_pivot(self.matrix)

    @property
    def broken_pairs(self) -> pd.DataFrame:
        broken = self.matrix[~self.matrix["outcome"].isin([OK, NOT_PROBED])]
        return broken[["source", "dest", "dest_address", "outcome", "known_host", "stderr"]]

    @property
    def fixes_table(self) -> pd.DataFrame:
        return tabulate_fixes(self.fixes)

    def plan_records(self) -> list[dict[str, object]]:
        """The plan as summary.json carries it."""
        return fix_records(self.fixes)

    @property
    def summary(self) -> str:
        if self.matrix.empty:
            return "no SSH trust matrix: pass trust_hosts to probe the computes"
        probed = self.matrix[self.matrix["outcome"] != NOT_PROBED]
        broken = probed[probed["outcome"] != OK]
        still = (self.explained_failures["verdict"].str.startswith("still broken")).sum()
        return (
            f"{len(probed)} source → destination pair(s) probed, {len(broken)} broken; "
            f"{len(self.fixes)} fix(es) planned, {sum(f.automatic for f in self.fixes)} of them automatic; "
            f"{still} of {len(self.explained_failures)} failed migration(s) explained by a pair still broken"
        )


def analyse_ssh_trust(
    records: Records, explained: pd.DataFrame, become: list[str], as_root: list[str]
) -> TrustAnalysis:
    matrix = tabulate_trust(records)
    return TrustAnalysis(
        records,
        matrix,
        host_facts(records),
        plan_trust_fixes(matrix, records, become, as_root),
        check_trust(matrix, records),
        join_failures(explained, matrix),
    )


def probed_account(records: Records, default: str) -> str:
    """The nova user the matrix was probed as (every reached host says it): a recorded matrix's fixes name
    that account, not the parameter's default."""
    users = {(r.get("account") or {}).get("user") for r in records if r.get("reached")} - {None, ""}
    return str(users.pop()) if len(users) == 1 else default


def check_ssh_trust(snapshot: Snapshot, probe: TrustProbe, explained: pd.DataFrame) -> TrustAnalysis:
    """The trust matrix the snapshot holds (probed in this run, or recorded), analysed and joined with the
    failed migrations; the fixes say how ``probe``'s operator becomes that nova user or root."""
    records = snapshot.get(TRUST_PART)
    become = probe.access.become(probed_account(records, probe.nova_user))
    return analyse_ssh_trust(records, explained, become, probe.access.as_root())
