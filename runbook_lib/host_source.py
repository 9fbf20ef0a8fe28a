"""The one place that reads hosts and their logs (this increment: log files collected to a directory).

Records are ``{"source": <file or host>, "path": <path>, "lines": [...]}`` so they can be stored in a
snapshot part (``logs/nova-compute``) and parsed later by :mod:`runbook_lib.oslo_log`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runbook_lib.errors import ParameterError

MAX_LINES_PER_FILE = 200_000  # the tail of a huge log is what matters; a report must not hang on it


def read_log_dir(path: str | Path, pattern: str = "*.log") -> list[dict[str, Any]]:
    """Every file matching ``pattern`` under ``path`` (Kolla's /var/log/kolla/nova/ layout works as is)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ParameterError(
            f"log_dir {str(path)!r} is not a directory; pass a directory of collected logs or ''"
        )
    records = []
    for file in sorted(root.rglob(pattern)):
        lines = file.read_text(errors="replace").splitlines()[-MAX_LINES_PER_FILE:]
        records.append({"source": log_host(file), "path": str(file), "lines": lines})
    return records


SERVICES = (
    "nova-compute",
    "neutron-server",
    "neutron-openvswitch-agent",
    "neutron-linuxbridge-agent",
    "neutron-dhcp-agent",
)


def log_host(file: Path) -> str:
    """The host a collected log belongs to: <dir>/<host>/nova-compute.log or nova-compute-<host>.log."""
    for service in SERVICES:
        if file.stem == service:
            return file.parent.name
        if file.stem.startswith(f"{service}-"):
            return file.stem.removeprefix(f"{service}-")
    return file.stem
