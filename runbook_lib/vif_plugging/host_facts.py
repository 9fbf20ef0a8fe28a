"""What a compute host itself says about vif plugging: duplicate nova-compute processes and the
effective ``vif_plugging_is_fatal`` / ``vif_plugging_timeout`` (pure functions over the lines
:func:`runbook_lib.sources.hosts.read_host_facts` brings back).

A second nova-compute for the same host (a manual start next to the service, a container plus a
package) consumes external events too: the ``network-vif-plugged`` event reaches the process that is
not waiting for it ("Received unexpected event"), and the build times out.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from runbook_lib.findings import Finding
from runbook_lib.records import Record, Records

RUNBOOK = "vif_plugging"
DUPLICATE_KIND = "duplicate-nova-compute-process"
DUPLICATE_CAUSE = "duplicate-nova-compute"  # the build's cause (causes.py) that a duplicate on its host explains
NOVA_DEFAULTS = {"vif_plugging_is_fatal": "true", "vif_plugging_timeout": "300"}  # nova/conf/compute.py


def parse_host_facts(record: Record) -> Record:
    """Processes, config files (with their change time) and the option lines, in file order."""
    processes, files, options = [], [], []
    current = ("", "")
    for line in record.get("lines", []):
        tag, _, rest = line.partition(" ")
        if tag == "@proc":
            pid, ppid, started, args = (rest.split(" ", 3) + [""] * 4)[:4]
            if not (pid.isdecimal() and ppid.isdecimal() and (started or "0").isdecimal()):
                continue  # a line cut or garbled on the way: not a process to reason about
            processes.append({"pid": int(pid), "ppid": int(ppid), "started": int(started or 0), "args": args})
        elif tag == "@conf":
            mtime, _, path = rest.partition(" ")
            files.append({"path": path, "mtime": int(mtime) if mtime.isdecimal() else 0})
            current = (path, "")
        elif tag == "@line":
            text = rest.strip()
            if text.startswith("["):
                current = (current[0], text.strip("[]").strip())
            elif "=" in text and current[1].lower() == "default":
                key, _, value = text.partition("=")
                options.append({"file": current[0], "key": key.strip(), "value": value.split("#")[0].strip()})
    return {"processes": processes, "files": files, "options": options}


def is_nova_compute(args: str) -> bool:
    """The program itself (``/usr/bin/nova-compute …`` or ``python3 /usr/bin/nova-compute …``), not a
    command line that merely mentions it (an ssh, a grep, this runbook's own probe)."""
    words = [w.rsplit("/", 1)[-1] for w in args.split()[:2]]
    if words and words[0].startswith("python") and len(words) > 1:
        words = words[1:]  # python3 /usr/bin/nova-compute, Kolla's venv python likewise
    return bool(words) and words[0].startswith("nova-compute")


def top_level_processes(processes: Records) -> Records:
    """nova-compute processes whose parent is not itself a nova-compute (workers and wrappers are not
    duplicates; two of these are)."""
    nova = [p for p in processes if is_nova_compute(p["args"])]
    pids = {p["pid"] for p in nova}
    return [p for p in nova if p["ppid"] not in pids]


DEFAULT_CONFIG = ("/etc/nova/nova.conf",)  # what oslo.config reads when no --config-file is given


def config_files(args: str) -> tuple[str, ...]:
    """The ``--config-file``s a process was started with (its identity as a service), else the default."""
    words = args.split()
    found = []
    for i, word in enumerate(words):
        if word == "--config-file" and i + 1 < len(words):
            found.append(words[i + 1])
        elif word.startswith("--config-file="):
            found.append(word.split("=", 1)[1])
    return tuple(sorted(found)) or DEFAULT_CONFIG


def duplicate_groups(top: Records) -> list[Records]:
    """Top-level processes started with the same config (so the same [DEFAULT] host): a duplicate. Several
    services with different configs on one machine (one per host name) are not."""
    groups: dict[tuple[str, ...], Records] = {}
    for process in top:
        groups.setdefault(config_files(process["args"]), []).append(process)
    return [group for group in groups.values() if len(group) > 1]


def effective_options(options: Records) -> dict[str, tuple[str, str]]:
    """option → (value, where it comes from): the last file read wins (nova.conf, then nova.conf.d)."""
    effective = {key: (value, "Nova's default") for key, value in NOVA_DEFAULTS.items()}
    for option in options:
        if option["key"] in effective:
            effective[option["key"]] = (option["value"].lower(), option["file"])
    return effective


def tabulate_host_facts(records: Records) -> pd.DataFrame:
    rows = []
    for record in records:
        facts = parse_host_facts(record)
        top = top_level_processes(facts["processes"])
        options = effective_options(facts["options"])
        newest_conf = max((f["mtime"] for f in facts["files"]), default=0)
        stale = [p["pid"] for p in top if p["started"] and newest_conf and p["started"] < newest_conf]
        duplicates = [p["pid"] for group in duplicate_groups(top) for p in group]
        rows.append(
            {
                "host": record["host"],
                "reached": record.get("reached", False),
                "error": record.get("error", ""),
                "nova_compute_pids": [p["pid"] for p in top],
                "duplicate_pids": duplicates,
                "duplicate": bool(duplicates),
                "commands": [p["args"][:160] for p in top],
                "vif_plugging_is_fatal": options["vif_plugging_is_fatal"][0],
                "fatal_from": options["vif_plugging_is_fatal"][1],
                "vif_plugging_timeout": options["vif_plugging_timeout"][0],
                "timeout_from": options["vif_plugging_timeout"][1],
                "started_before_config_change": stale,
            }
        )
    return pd.DataFrame(rows)


def check_host_facts(facts: pd.DataFrame) -> list[Finding]:
    findings = []
    for row in facts.itertuples():
        if not row.reached:
            findings.append(
                Finding(
                    RUNBOOK,
                    "host-unreached",
                    "error",
                    f"host {row.host}",
                    f"could not read {row.host}: {row.error}",
                    "check ssh_user / ssh_config / sudo",
                )
            )
            continue
        if row.duplicate:
            findings.append(
                Finding(
                    RUNBOOK,
                    DUPLICATE_KIND,
                    "crit",
                    f"host {row.host}",
                    f"{len(row.duplicate_pids)} separate nova-compute processes with the same config (pids "
                    f"{', '.join(map(str, row.duplicate_pids))}): the event for a build can reach the "
                    "one that is not waiting for it",
                    f"on {row.host}: keep the service's process (the pid `systemctl status nova-compute` shows), "
                    f"stop the other: kill <pid> after checking `ps -o pid,ppid,lstart,args -p "
                    f"{','.join(map(str, row.duplicate_pids))}`",
                    {"pids": list(row.duplicate_pids), "commands": list(row.commands)},
                )
            )
        if row.vif_plugging_is_fatal in ("false", "0", "no", "off"):
            findings.append(
                Finding(
                    RUNBOOK,
                    "vif-plugging-not-fatal",
                    "warn",
                    f"host {row.host}",
                    f"vif_plugging_is_fatal = False ({row.fatal_from}): a server whose port never comes "
                    "up goes ACTIVE anyway, without network — the failure is hidden, not fixed",
                    "find why the event does not arrive (this runbook's causes), then set it back to "
                    "True and restart nova-compute",
                )
            )
        if row.started_before_config_change:
            findings.append(
                Finding(
                    RUNBOOK,
                    "nova-compute-config-newer",
                    "info",
                    f"host {row.host}",
                    f"nova-compute (pid {row.started_before_config_change[0]}) started before its config "
                    "last changed: the options shown may not be the ones it runs with",
                    f"restart nova-compute on {row.host} when it is safe",
                )
            )
    return findings


def merge_duplicate_findings(build_findings: list[Finding], host_findings: list[Finding]) -> list[Finding]:
    """A second nova-compute read on a host and the builds it failed there are one problem: the host's
    finding (stop the stray) names those builds, which are not listed again on their own."""
    at = {f.subject.removeprefix("host "): i for i, f in enumerate(host_findings) if f.kind == DUPLICATE_KIND}
    merged = list(host_findings)
    kept = []
    for finding in build_findings:
        host = finding.evidence.get("host")
        if finding.kind != f"vif-{DUPLICATE_CAUSE}" or host not in at:
            kept.append(finding)
            continue
        into = merged[at[host]]
        builds = [*into.evidence.get("builds", []), finding.subject]
        merged[at[host]] = dataclasses.replace(
            into,
            message=f"{host_findings[at[host]].message}; it failed the build of {', '.join(builds)}",
            evidence={**into.evidence, "builds": builds},
        )
    return [*kept, *merged]
