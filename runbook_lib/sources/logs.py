"""Log files: collected to a directory, or read over SSH from the hosts (tail of the file, else the journal).

Log records are ``{"source": <host>, "service": <service>, "path": <path>, "lines": [...]}`` (and
``first_line``, the file's line number of ``lines[0]``, where the whole file was read), stored in a
snapshot part per service (``logs/nova-compute``, ``logs/neutron-server``) and parsed later by
:mod:`runbook_lib.oslo_log`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runbook_lib.errors import ParameterError
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.ssh import HostAccess, check_host_name, run_on_hosts

MAX_LINES_PER_FILE = 200_000  # the tail of a huge log is what matters; a report must not hang on it


def read_log_dir(path: str | Path, pattern: str = "*.log") -> list[dict[str, Any]]:
    """Every file matching ``pattern`` under ``path`` (Kolla's /var/log/kolla/nova/ layout works as is)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ParameterError(f"log_dir {str(path)!r} is not a directory; pass a directory of collected logs or ''")
    records = []
    for file in sorted(root.rglob(pattern)):
        lines, first = tail(file.read_text(errors="replace"))
        records.append(
            {
                "source": log_host(file),
                "service": log_service(file),
                "path": str(file),
                "lines": lines,
                "first_line": first,
            }
        )
    return records


def tail(text: str) -> tuple[list[str], int]:
    """The last MAX_LINES_PER_FILE lines of a whole file's text, and the file's line number of the first."""
    lines = text.splitlines()
    return lines[-MAX_LINES_PER_FILE:], max(1, len(lines) - MAX_LINES_PER_FILE + 1)


SERVICES = (
    "nova-compute",
    "neutron-server",
    "neutron-openvswitch-agent",
    "neutron-linuxbridge-agent",
    "neutron-dhcp-agent",
)


def log_service(file: Path) -> str:
    """The service a collected log is of, from its name; a file named after its host counts as nova-compute."""
    return next((s for s in SERVICES if file.stem == s or file.stem.startswith(f"{s}-")), "nova-compute")


def log_host(file: Path) -> str:
    """The host a collected log belongs to: <dir>/<host>/nova-compute.log or nova-compute-<host>.log."""
    for service in SERVICES:
        if file.stem == service:
            return file.parent.name
        if file.stem.startswith(f"{service}-"):
            return file.stem.removeprefix(f"{service}-")
    return file.stem


# Log files in the usual places (packages, Kolla, TripleO), else the journal of the unit. Run as root;
# the service's unit, the line budget and the candidate paths arrive as arguments.
READ_LOG_SCRIPT = r"""
unit=$1; lines=$2; shift 2
for f in "$@"; do
  if [ -r "$f" ]; then echo "@file $f"; tail -n "$lines" "$f"; exit 0; fi
done
if command -v journalctl >/dev/null 2>&1; then
  echo "@journal $unit"; journalctl -u "$unit" -o short --no-pager -n "$lines"; exit 0
fi
echo "@none"
"""
LOG_PATHS = {
    "nova-compute": (
        "/var/log/nova/nova-compute.log",
        "/var/log/kolla/nova/nova-compute.log",
        "/var/log/containers/nova/nova-compute.log",
    ),
    "neutron-server": (
        "/var/log/neutron/neutron-server.log",
        "/var/log/neutron/server.log",
        "/var/log/kolla/neutron/neutron-server.log",
        "/var/log/containers/neutron/server.log",
    ),
}


def read_remote_logs(
    access: HostAccess,
    hosts: list[str],
    service: str = "nova-compute",
    lines: int = 20_000,
    parallel: int = 8,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The tail of ``service``'s log on each host over SSH: (log records, host → why nothing was read)."""
    argv = [
        *access.as_root(),
        "sh",
        "-c",
        READ_LOG_SCRIPT,
        "read-log",
        service,
        str(lines),
        *LOG_PATHS[service],
    ]
    results = run_on_hosts(access, {check_host_name(h): (argv, "") for h in hosts}, parallel, timeout=120)
    records, missing = [], {}
    for host in hosts:
        result = results[host]
        header, _, body = result.stdout.partition("\n")
        if not result.ok or not header.startswith(("@file", "@journal")):
            missing[host] = (result.stderr.strip() or "no log file and no journal found")[-300:]
            continue
        records.append(
            {"source": host, "service": service, "path": header.split(" ", 1)[1], "lines": body.splitlines()}
        )
    return records, missing


def open_logs(log_dir: str = "") -> list[dict[str, Any]]:
    """Log files collected to ``log_dir`` (nothing when it is empty)."""
    return read_log_dir(log_dir) if log_dir else []


def with_logs(snapshot: Snapshot, records: list[dict[str, Any]], origin: str) -> Snapshot:
    """A new snapshot whose ``logs/<service>`` parts also hold ``records`` (nothing changes when empty)."""
    by_part: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_part.setdefault(f"logs/{record.get('service') or 'nova-compute'}", []).append(record)
    return snapshot.with_parts({part: snapshot.get(part) + new for part, new in by_part.items()}, origin)
