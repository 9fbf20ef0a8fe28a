"""Whether Ceph's outputs can be computed with: every OSD's numbers readable, and ``osd df``, ``osd dump`` and
``pg dump`` neither empty nor naming different OSDs.

What cannot be read is an error finding that names it and says what to run. An OSD whose numbers cannot be
read is left out of every computation (the fill tables, the mean, the spread, the plans), and the report says
so; an empty or missing input stops the plans, which then say why they were not computed (never a nan %, nor
a reason made up from an empty table).
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from runbook_lib.ceph_capacity.tables import RUNBOOK
from runbook_lib.findings import Finding
from runbook_lib.records import Record
from runbook_lib.sources.ceph_gather import unread_pools

AGAIN = "then collect again (runbook collect --ceph) or run live (-p ceph_live true)"


@dataclasses.dataclass(frozen=True)
class ReadOSDs:
    osds: pd.DataFrame  # the OSDs every computation uses: those whose numbers read
    left_out: dict[str, str]  # OSD name → which of its numbers cannot be read
    findings: list[Finding]
    not_planned: str  # why no plan can be computed ('' when the plans can be)

    @property
    def left_out_note(self) -> str:
        """'' or one sentence for every section that computes over the OSDs."""
        if not self.left_out:
            return ""
        named = ", ".join(f"{name} ({why})" for name, why in self.left_out.items())
        return f"left out, its numbers in osd df cannot be read: {named}"


def osd_names(ids: list[int]) -> str:
    """'osd.0–osd.3' for a run of ids, else up to eight of them by name.

    >>> osd_names([3, 1, 2, 0]), osd_names([0, 2, 5])
    ('osd.0–osd.3', 'osd.0, osd.2, osd.5')"""
    ids = sorted(set(ids))
    if len(ids) > 2 and ids == list(range(ids[0], ids[-1] + 1)):
        return f"osd.{ids[0]}–osd.{ids[-1]}"
    shown = ", ".join(f"osd.{i}" for i in ids[:8])
    return shown + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")


def _error(kind: str, subject: str, message: str, remediation: str) -> Finding:
    return Finding(RUNBOOK, kind, "error", subject, message, remediation)


def _unreadable(osd: int, why: str) -> Finding:
    return _error(
        "osd-unreadable",
        f"osd.{osd}",
        f"osd.{osd} {why}: its fill is unknown, and it is left out of the fill tables, the mean and the plans",
        f"ceph osd df tree -f json | grep -A3 '\"osd.{osd}\"'; ceph tell osd.{osd} status",
    )


def check_osd_rows(table: pd.DataFrame, osd_dump: Record) -> list[Finding]:
    """Per OSD: numbers that cannot be read, an OSD up and in the OSDMap with no row or no size in ``osd df``,
    and one in ``osd df`` that the OSDMap does not have."""
    rows = table.set_index("osd") if not table.empty else table
    findings = [
        _unreadable(int(row.osd), f"has numbers in osd df that cannot be read ({row.problem})")
        for row in table[table["problem"] != ""].itertuples()
    ]
    entries = [e for e in osd_dump.get("osds", []) if isinstance(e, dict)]
    for entry in entries if not table.empty else []:  # an empty osd df is one finding (check_inputs)
        osd = int(entry.get("osd", -1))
        if not (entry.get("up") and entry.get("in")):
            continue
        if osd not in rows.index:
            findings.append(_unreadable(osd, "is up and in the OSDMap but has no row in osd df"))
        elif not rows.at[osd, "problem"] and rows.at[osd, "kb"] <= 0:
            findings.append(_unreadable(osd, "is up and in, but osd df reports no size for it (kb 0)"))
    mapped = {e.get("osd") for e in entries}
    for osd in sorted(set(table["osd"]) - mapped) if entries else []:
        findings.append(
            _error(
                "osd-not-in-osdmap",
                f"osd.{osd}",
                f"osd.{osd} has a row in osd df but is not in the OSDMap (osd dump): whether it is up and in is "
                "unknown (osd df and osd dump were read at different times, or from different clusters)",
                f"ceph osd dump -f json | grep -w '\"osd\": {osd}'; ceph osd tree; {AGAIN}",
            )
        )
    return findings


def check_inputs(table: pd.DataFrame, osd_dump: Record, problems: dict[str, str]) -> ReadOSDs:
    """The OSDs to compute with, the findings on what could not be read, and why no plan can be computed."""
    findings = check_osd_rows(table, osd_dump)
    mapped = [int(e["osd"]) for e in osd_dump.get("osds", []) if isinstance(e, dict) and "osd" in e]
    osds, unread = table[table["problem"] == ""], table[table["problem"] != ""]
    left_out = dict(zip(unread["name"], unread["problem"], strict=True))
    not_planned = ""
    if "ceph/osd_df_tree" in problems:  # its collection-problem finding says why
        not_planned = f"osd df was not read ({problems['ceph/osd_df_tree'][:200]})"
    elif table.empty:
        besides = f"; the OSDMap has {len(mapped)} OSD(s) ({osd_names(mapped)})" if mapped else ""
        not_planned = "osd df has no OSD rows"
        findings.append(
            _error(
                "osd-df-empty",
                "ceph/osd_df_tree",
                f"osd df has no OSD rows{besides}: no OSD's fill can be computed, nor any plan",
                f"run 'ceph osd df tree -f json' (its nodes must list every OSD), {AGAIN}",
            )
        )
    elif osds.empty:
        not_planned = "no OSD's numbers in osd df can be read"
    if not mapped and not table.empty:
        not_planned = not_planned or "osd dump lists no OSD: which OSDs are up and in is unknown"
        findings.append(
            _error(
                "osdmap-empty",
                "ceph/osd_dump",
                f"osd dump lists no OSD while osd df has {len(table)} ({osd_names(list(table['osd']))}): which "
                "OSDs are up and in is unknown, so no plan is computed",
                f"run 'ceph osd dump -f json' (its osds must list every OSD), {AGAIN}",
            )
        )
    return ReadOSDs(osds, left_out, findings, not_planned)


def check_pg_dump(pg_dump: Record, osds: pd.DataFrame) -> Finding | None:
    """An empty ``pg dump`` while ``osd df`` counts PG copies on the OSDs: no PG-level plan can be computed."""
    stats = pg_dump.get("pg_stats") if isinstance(pg_dump, dict) else None
    copies = int(osds["pgs"].sum()) if not osds.empty else 0
    if stats or not copies:
        return None
    return _error(
        "pg-dump-empty",
        "ceph/pg_dump_pgs",
        f"pg dump holds no PGs while osd df counts {copies} PG copies on {len(osds)} OSD(s): the upmap plan and "
        "the CRUSH replay of the reweight plan are not computed",
        f"run 'ceph pg dump pgs -f json' (its pg_stats must list every PG), {AGAIN}",
    )


def rbd_problems(rbd: list[Record], osd_dump: Record) -> tuple[dict[str, str], list[Finding]]:
    """Per pool that ``rbd`` could not read, a problem (an error finding each, named by pool); per pool named in
    the ``pools`` parameter that the OSDMap does not have, an info finding (there is nothing to read in it)."""
    unread = unread_pools(rbd, osd_dump)
    problems = {
        f"ceph/rbd pool {pool}": f"rbd could not read pool {pool}, so its images are not in the ledger: {error}"
        for pool, error in unread.items()
    }
    absent = [str(r.get("pool")) for r in rbd if r.get("error") and str(r.get("pool")) not in unread]
    findings = [
        Finding(
            RUNBOOK,
            "pool-absent",
            "info",
            f"pool {pool}",
            f"pool {pool} (in the pools parameter) is not in the OSDMap: there is no RBD image to read in it",
            "check the name (ceph osd pool ls), or leave it out of -p pools",
        )
        for pool in absent
    ]
    return problems, findings
