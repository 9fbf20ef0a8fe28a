"""Parse OpenStack service logs (oslo.log format) into a table, tolerant of several releases' layouts.

    2026-11-23 20:03:50.976 31203 INFO nova.compute.manager [None req-… user project - - default default]
        [instance: <uuid>] message                                                   (one line in the log)
    2019-05-02 10:01:02.123 4242 WARNING nova.virt.libvirt.driver [req-… - - -] [instance: <uuid>] message
                                                                                     (≤ Stein: no "None")
    Nov 23 20:03:50 cmp1 nova-compute[31203]: 2026-11-23 20:03:50.976 31203 INFO …   (journald / syslog prefix)

Lines without the oslo prefix (the Command/Exit code/Stdout/Stderr block of a ProcessExecutionError, for
instance) belong to the record above them and are appended to its message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

_SYSLOG_PREFIX = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [\w.@-]+(?:\[\d+\])?: ")
_OSLO = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?) +(?P<pid>\d+) +(?P<level>[A-Z]+) +(?P<module>\S+)"
    r"(?: \[(?P<context>[^\]]*)\])?(?: \[instance: (?P<instance>[0-9a-f-]{36})\])? ?(?P<message>.*)$"
)
_REQUEST = re.compile(r"\breq-[0-9a-f-]{36}\b")
COLUMNS = ["time", "pid", "level", "module", "request_id", "instance", "message", "source", "service"]


def parse_oslo_log(lines: Iterable[str], source: str = "", service: str = "nova-compute") -> pd.DataFrame:
    """One row per log record; ``source`` names the file or host the lines came from, ``service`` whose log."""
    records: list[dict] = []
    for raw in lines:
        line = _SYSLOG_PREFIX.sub("", raw.rstrip("\n"))
        match = _OSLO.match(line)
        if match:
            fields = match.groupdict()
            request = _REQUEST.search(fields.pop("context") or "")
            records.append(
                {
                    **fields,
                    "pid": int(fields["pid"]),
                    "request_id": request.group(0) if request else None,
                    "source": source,
                    "service": service,
                }
            )
        elif records and line.strip():
            records[-1]["message"] += "\n" + line
    frame = pd.DataFrame(records, columns=COLUMNS)
    frame["time"] = pd.to_datetime(frame["time"], errors="coerce")
    return frame


def tabulate_logs(records: list[dict], service: str = "") -> pd.DataFrame:
    """Log records as stored in a snapshot (``{"source", "service", "lines"}``) → one table; only the
    records of ``service`` when given (records without one are nova-compute's)."""
    records = [r for r in records if not service or (r.get("service") or "nova-compute") == service]
    frames = [
        parse_oslo_log(r.get("lines", []), r.get("source", ""), r.get("service") or "nova-compute") for r in records
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
