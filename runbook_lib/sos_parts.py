"""What a sosreport's files say, as the snapshot parts the live sources fill: texts in, records out.

A sosreport is read by path, never by version: sos 4.0 (Debian 12) writes Ceph's outputs under
``sos_commands/ceph/json_output/``, sos 4.3 and later under ``sos_commands/ceph_mon/json_output/`` (the
same file names), and every release keeps ``etc/`` and ``var/log/`` as the host had them. A command's
file is named the way sos names it (:func:`sos_command_file`), with the command's stderr in the same file:
``ceph pg dump`` ends with ``dumped all``, a refused command holds its error instead of JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

# part → the ceph command whose ``--format json-pretty`` output sos's Ceph plugins save
CEPH_OUTPUTS = {
    "ceph/status": "status",
    "ceph/health_detail": "health detail",
    "ceph/osd_df_tree": "osd df tree",
    "ceph/osd_dump": "osd dump",
    "ceph/df_detail": "df detail",
    "ceph/pg_dump_pgs": "pg dump",  # the whole dump: its pg_stats carry every field a plan reads
}
# ceph_mon (sos ≥ 4.5) saves `ceph osd crush dump` beside json_output/, not in it: JSON is its plain format;
# its "rules" are what `osd crush rule dump` lists
CRUSH_DUMP = "ceph osd crush dump"
# parts a sosreport never holds, and how to get each
NOT_IN_SOSREPORT = {
    "ceph/rbd": "sos saves no RBD listing: on a host with the pools' keyring run "
    "'rbd ls -l --format json <pool>' and 'rbd du --format json -p <pool>', or run this runbook live (ceph_live)",
    "ceph/test_reweight": "sos does not ask Ceph for a proposal: run "
    "'ceph osd test-reweight-by-utilization 120 0.05 4 --no-increasing --format json' on a mon",
    "ceph/balancer_status": "sos 4.0 does not save it: run 'ceph balancer status --format json' on a mon",
    "hosts/ssh_trust": "a sosreport cannot probe nova's SSH between computes: run resize_ssh with trust_hosts "
    "from a host that reaches them",
}
PG_FIELDS = ("pgid", "state", "up", "up_primary", "acting", "acting_primary")
# of each PG's stat_sum, what a move carries and Ceph's balancer counts (pg dump is ~2.5 KiB a PG)
PG_STAT_SUM_FIELDS = ("num_bytes", "num_objects", "num_omap_bytes", "num_omap_keys")
# what HOST_FACTS_SCRIPT's grep keeps of nova's config files (runbook_lib.sources.hosts)
_CONF_LINE = re.compile(r"^\s*(\[[^]]+\]|vif_plugging_is_fatal|vif_plugging_timeout)\s*(=|$)")


def sos_command_file(command: str) -> str:
    """The file name sos gives a command's output (sos.report.plugins._mangle_command)."""
    name = re.sub(r"^/(usr/|)(bin|sbin)/", "", command)
    name = re.sub(r"[^\w\-\./]+", "_", name)
    return re.sub(r"/", ".", name).strip(" ._-")


def command_json(text: str) -> tuple[Any, str]:
    """(value, "") from a command's saved output, or (None, why): blank lines and the stderr sos keeps in the
    same file (``dumped all``) around the JSON are not part of it."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith(("{", "["))), None)
    if start is None:
        said = next((line.strip() for line in lines if line.strip()), "")
        return None, f"holds no JSON: {said[:200]!r}" if said else "is empty"
    ends = [i for i, line in enumerate(lines) if line.rstrip().endswith(("}", "]"))]
    end = max(ends) if ends else len(lines) - 1
    try:
        return json.loads("\n".join(lines[start : end + 1])), ""
    except json.JSONDecodeError as exc:
        return None, f"is not whole JSON ({exc.msg} at line {start + exc.lineno})"


def as_record(value: Any) -> dict[str, Any]:
    """A part holds records: a command printing a bare list (``osd crush rule dump``) is kept as ``rules``."""
    return value if isinstance(value, dict) else {"rules": value}


def pg_stats(dump: Any) -> list[dict[str, Any]]:
    """``pg dump pgs`` (or a whole ``pg dump``: Pacific and later nest it under ``pg_map``; Luminous printed
    ``pg dump pgs`` as a bare list) slimmed to each PG's placement and the sizes of PG_STAT_SUM_FIELDS."""
    if isinstance(dump, dict):
        stats = (dump.get("pg_map") or dump).get("pg_stats", [])
    else:
        stats = dump if isinstance(dump, list) else []
    slim = []
    for stat in stats:
        if isinstance(stat, dict):
            record = {k: stat[k] for k in PG_FIELDS if k in stat}
            total = stat.get("stat_sum")
            if isinstance(total, dict):
                record["stat_sum"] = {k: total[k] for k in PG_STAT_SUM_FIELDS if k in total}
            slim.append(record)
        else:
            slim.append(stat)  # kept as read: the analysis names it as unreadable
    return [{"pg_ready": True, "pg_stats": slim}]


def ps_processes(text: str) -> list[str]:
    """``@proc pid ppid start args`` lines (HOST_FACTS_SCRIPT's) from sos's
    ``ps axo flags,state,uid,pid,ppid,pgid,sid,cls,pri,addr,sz,wchan:20,lstart,tty,time,cmd``. Start times
    are the host's local time; read as UTC (a sosreport does not always say the zone)."""
    out = []
    for line in text.splitlines()[1:]:
        fields = line.split(None, 12)
        if len(fields) < 13 or not fields[3].isdecimal() or not fields[4].isdecimal():
            continue
        rest = fields[12].split(None, 7)
        if len(rest) < 8 or "nova-compute" not in rest[7]:
            continue
        try:
            started = dt.datetime.strptime(" ".join(rest[:5]), "%a %b %d %H:%M:%S %Y").replace(tzinfo=dt.UTC)
        except ValueError:
            continue
        out.append(f"@proc {fields[3]} {fields[4]} {int(started.timestamp())} {rest[7]}")
    return out


def conf_lines(path: str, mtime: int, text: str) -> list[str]:
    """``@conf`` and ``@line`` lines (HOST_FACTS_SCRIPT's) for one of nova's config files: only section
    headers and the vif_plugging_* options, as on a live host (no password leaves the file)."""
    kept = [f"@line {line}" for line in text.splitlines() if _CONF_LINE.match(line)]
    return [f"@conf {mtime} {path}", *kept]


def rotation_order(names: list[str]) -> list[str]:
    """Rotated logs oldest first: ``x.log.3.gz``, ``x.log.2.gz``, ``x.log.1``, ``x.log``."""

    def age(name: str) -> int:
        match = re.search(r"\.log\.(\d+)(\.gz)?$", name)
        return int(match.group(1)) if match else 0

    return sorted(names, key=lambda n: (-age(n), n))
