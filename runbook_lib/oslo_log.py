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

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

# journald / syslog: "Nov 23 20:03:50 cmp1 nova-compute[31203]: " (its time and pid stand in when the line has none)
_SYSLOG_PREFIX = re.compile(r"^(?P<stamp>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) \S+ [\w.@/-]+(?:\[(?P<pid>\d+)\])?: ")
_OSLO = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?) +(?P<pid>\d+) +(?P<level>[A-Z]+) +(?P<module>\S+)"
    # the request context is optional, and never the instance (both are in square brackets)
    r"(?: \[(?!instance: )(?P<context>[^\]]*)\])?(?: \[instance: (?P<instance>[0-9a-f-]{36})\])? ?(?P<message>.*)$"
)
# devstack's journal and other handlers without time and pid: "INFO nova.compute.manager [ctx] [instance: …] msg"
_BARE = re.compile(
    r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL|TRACE|AUDIT) +(?P<module>[a-z_][\w.]*)"
    r"(?: \[(?!instance: )(?P<context>[^\]]*)\])?(?: \[instance: (?P<instance>[0-9a-f-]{36})\])? ?(?P<message>.*)$"
)
_REQUEST = re.compile(r"\breq-[0-9a-f-]{36}\b")


def request_id(context: str) -> str | None:
    """The request id of a context ``[…]``: oslo.log writes "%(global_request_id)s %(request_id)s …" (Pike and
    later; "None" when no global id came), before that "%(request_id)s …": of two ids, the second is the request's."""
    words = context.split()
    if len(words) >= 2 and _REQUEST.fullmatch(words[0]) and _REQUEST.fullmatch(words[1]):
        return words[1]
    found = _REQUEST.search(context)
    return found.group(0) if found else None


# line: where the record starts among the lines given (1-based); tabulate_logs makes it a line of the file
COLUMNS = ["time", "pid", "level", "module", "request_id", "instance", "message", "source", "service", "line"]


_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # devstack colours its journal lines (%(color)s in its formats)


def _unwrap(raw: str) -> str:
    """A Docker json-file line (``{"log": "…\n", "stream": …, "time": …}``, Kolla without its log files) holds
    the service's own line in ``log``; anything else is the line itself."""
    if raw.startswith('{"log"'):
        with contextlib.suppress(ValueError, KeyError, TypeError):  # not Docker's after all: the line as it is
            raw = str(json.loads(raw)["log"])
    return _ANSI.sub("", raw)


def _syslog_time(stamp: str, year: int) -> str:
    """A syslog stamp has no year: the given one (the year the logs were collected)."""
    return pd.to_datetime(f"{year} {stamp}", format="%Y %b %d %H:%M:%S", errors="coerce").isoformat()


def _record(line: str, source: str, service: str, year: int) -> dict[str, Any] | None:
    prefix = _SYSLOG_PREFIX.match(line)
    body = line[prefix.end() :] if prefix else line
    match = _OSLO.match(body)
    if match:
        fields = match.groupdict()
    elif prefix and (bare := _BARE.match(body)):
        fields = {**bare.groupdict(), "time": _syslog_time(prefix["stamp"], year), "pid": prefix["pid"] or 0}
    else:
        return None
    return {
        **fields,
        "pid": int(fields["pid"]),
        "request_id": request_id(fields.pop("context") or ""),
        "source": source,
        "service": service,
    }


def _continues(record: dict[str, Any], previous: dict[str, Any]) -> bool:
    """oslo.log writes every line of a traceback (and of a multi-line exception message) with its own
    exception prefix (``… ERROR <module> [instance: <uuid>] ``): same time, pid, level and module, no request
    context, the same instance or none. Those lines belong to the record above."""
    same = all(record[k] == previous[k] for k in ("time", "pid", "level", "module"))
    return same and record["request_id"] is None and record["instance"] in (None, previous["instance"])


def parse_oslo_log(
    lines: Iterable[str], source: str = "", service: str = "nova-compute", year: int | None = None
) -> pd.DataFrame:
    """One row per log record; ``source`` names the file or host the lines came from, ``service`` whose log;
    ``year`` dates syslog stamps that carry none (default: this year)."""
    year = year or dt.datetime.now(dt.UTC).year
    records: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, start=1):
        line = _unwrap(raw).rstrip("\n")
        record = _record(line, source, service, year)
        if record and records and _continues(record, records[-1]):
            records[-1]["message"] += "\n" + record["message"]
        elif record:
            records.append({**record, "line": number})
        elif records and line.strip():
            body = _SYSLOG_PREFIX.sub("", line)
            records[-1]["message"] += "\n" + body
    frame = pd.DataFrame(records, columns=COLUMNS)
    frame["time"] = pd.to_datetime(frame["time"], errors="coerce", format="mixed")
    return frame


def _cited(frame: pd.DataFrame, record: dict[str, Any]) -> pd.DataFrame:
    """Where each log record was read, for a finding to cite: ``path:line`` when the whole file was read
    (``first_line`` says where its kept tail starts), else the path alone (a tail over SSH, the journal)."""
    path, first = record.get("path") or "", record.get("first_line")
    if not path or not isinstance(first, int):
        return frame.assign(file=path)
    return frame.assign(file=[f"{path}:{first + line - 1}" for line in frame["line"]])


def tabulate_logs(records: list[dict[str, Any]], service: str = "") -> pd.DataFrame:
    """Log records as stored in a snapshot (``{"source", "service", "lines"}``) → one table; only the
    records of ``service`` when given (records without one are nova-compute's)."""
    records = [r for r in records if not service or (r.get("service") or "nova-compute") == service]
    frames = [
        _cited(parse_oslo_log(r.get("lines", []), r.get("source", ""), r.get("service") or "nova-compute"), r)
        for r in records
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*COLUMNS, "file"])
