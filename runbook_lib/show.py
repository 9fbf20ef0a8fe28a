"""Display helpers for notebooks: verdict banner, tables, findings, and the findings bundle.

Each ``show_*`` returns what it displayed (HTML text or a DataFrame) so it can be tested.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from runbook_lib.findings import (
    FINDINGS_MIMETYPE,
    Finding,
    count_by_severity,
    describe_counts,
    dumps,
    findings_bundle,
    tabulate_findings,
    verdict,
)
from runbook_lib.snapshot import Snapshot

_COLOURS = {"OK": "#2e7d32", "WARN": "#ef6c00", "CRIT": "#c62828", "ERROR": "#6a1b9a"}


def _in_a_shell() -> bool:
    """Whether an IPython shell (a notebook's kernel) is running: IPython is always installed with ipykernel,
    so importing it says nothing; outside a shell, display() would print an object's repr."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def _display(obj: Any) -> None:
    if not _in_a_shell():
        frame = getattr(obj, "data", obj)  # a Styler holds its frame in .data
        print(frame.to_string(index=False) if isinstance(frame, pd.DataFrame) else obj)
        return
    from IPython.display import display

    display(obj)


def _display_html(text: str) -> None:
    if not _in_a_shell():
        print(html.unescape(re.sub(r"<[^>]+>", "", text)))  # tags out first: an escaped <placeholder> stays
        return
    from IPython.display import HTML, display

    display(HTML(text))


def verdict_html(title: str, findings: list[Finding], snapshot: Snapshot) -> str:
    """The verdict-first summary block: verdict, counts, source, and every part not read live."""
    v = verdict(findings)
    counts = describe_counts(count_by_severity(findings))
    origins = {
        part: info.get("origin")
        for part, info in snapshot.manifest.get("parts", {}).items()
        if info.get("origin") != "collected"
    }
    notes = "".join(
        f"<li><code>{html.escape(p)}</code>: {html.escape(str(o))} (not read from a live API)</li>"
        for p, o in origins.items()
    ) + "".join(
        f"<li><code>{html.escape(p)}</code>: NOT COLLECTED — {html.escape(m)}</li>"
        for p, m in snapshot.problems.items()
    )
    text = (
        f'<div class="runbook-verdict" style="border-left:8px solid {_COLOURS[v]};padding:8px 14px;'
        f'background:#fafafa"><h2 style="margin:0">{html.escape(title)}: '
        f'<span style="color:{_COLOURS[v]}">{v}</span></h2>'
        f"<p>{html.escape(counts)} · source: {html.escape(snapshot.label)}</p>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "</div>"
    )
    return text


def show_verdict(title: str, findings: list[Finding], snapshot: Snapshot) -> None:
    """The verdict-first summary at the top of every report."""
    _display_html(verdict_html(title, findings, snapshot))


MAX_ROWS = 500  # a report stays readable; summary.json keeps every finding


# Columns that hold a 0..1 fraction of something (fill, use, prediction): shown as a percentage.
_FRACTIONS = re.compile(
    r"^(utilization|percent_used|before|predicted|actual|difference|tolerance)$|_ratio$|^fullest|_fill$|^fill "
)
_WEIGHTS = re.compile(r"weight$|^ceph_proposes$|^plan_step_1$|_score$")
SEVERITY_COLOURS = {"crit": "#c62828", "error": "#6a1b9a", "warn": "#ef6c00", "info": "#546e7a", "ok": "#2e7d32"}


def _severity_style(value: object) -> str:
    colour = SEVERITY_COLOURS.get(str(value))
    return f"color: {colour}; font-weight: bold" if colour else ""


def _listed(value: object) -> str:
    """A list cell as a comma list, escaped here: pandas escapes only cells that are strings already."""
    return html.escape(", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value))


def _timestamp(value: pd.Timestamp) -> str:
    """To the millisecond (log lines a few ms apart keep their order), no trailing zeros of microseconds."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if value.microsecond else value.strftime("%Y-%m-%d %H:%M:%S")


def number_formats(frame: pd.DataFrame) -> dict[str, Any]:
    """How each column reads to an operator: fractions as %, sizes with two decimals, whole numbers without a
    fraction, lists as comma lists (not Python's repr), times to the millisecond; NaN becomes an empty cell
    (``na_rep``)."""
    formats: dict[str, Any] = {}
    for column in frame.select_dtypes(include="datetime").columns:
        formats[column] = _timestamp
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(lambda v: isinstance(v, list | tuple)).any():
            formats[column] = _listed
    for column in frame.select_dtypes(include="float").columns:
        values = frame[column].dropna()
        if _FRACTIONS.search(str(column)):
            formats[column] = "{:.1%}"
        elif _WEIGHTS.search(str(column)):
            formats[column] = "{:.4f}"  # override weights move in steps of 1/65536
        elif str(column).endswith(("_gib", "_mib")):
            formats[column] = "{:,.2f}"
        elif not values.empty and (values == values.round()).all():
            formats[column] = "{:,.0f}"
        else:
            formats[column] = "{:,.2f}"
    return formats


def show_table(frame: pd.DataFrame, caption: str, empty: str = "nothing to show") -> None:
    """A table with a caption and its row count, or the caption and one line saying why it is empty (never a
    silent blank, never a "(0)" heading over nothing)."""
    if frame.empty:
        _display_html(f"<h4>{html.escape(caption)}</h4>")
        _display_html(f"<p><em>{html.escape(empty)}</em></p>")
        return
    _display_html(f"<h4>{html.escape(caption)} ({len(frame)})</h4>")
    shown = frame.head(MAX_ROWS).reset_index(drop=True)
    # Whole cells, left-aligned, no index column: a truncated CLI command is worse than a wide table.
    # Every cell escaped: a command's <placeholder> must reach the reader, not become an HTML tag.
    styled = shown.style.hide(axis="index").format(number_formats(shown), escape="html", na_rep="")
    styled = styled.format_index(escape="html", axis=1)
    if "severity" in shown.columns:
        styled = styled.map(_severity_style, subset=["severity"])
    _display(styled.set_properties(**{"text-align": "left", "vertical-align": "top"}))
    if len(frame) > MAX_ROWS:
        whole = whole_table_csv(frame, caption)
        beside = f'; every row: <a href="{html.escape(whole)}">{html.escape(whole)}</a>' if whole else ""
        _display_html(f"<p><em>first {MAX_ROWS} of {len(frame)} rows shown, in the order above{beside}</em></p>")


TABLES_DIR, RUNBOOK_NAME = "RUNBOOK_TABLES_DIR", "RUNBOOK_NAME"  # set by the runner for each notebook it runs


def whole_table_csv(frame: pd.DataFrame, caption: str) -> str:
    """A cut table in full, as ``<runbook>.<caption>.csv`` beside the report when the runner runs the
    notebook (it sets TABLES_DIR); its file name, or "" in an interactive session (the frame is at hand)."""
    where = os.environ.get(TABLES_DIR)
    if not where:
        return ""
    slug = re.sub(r"[^a-z0-9]+", "-", caption.lower()).strip("-")[:60] or "table"
    stem = f"{os.environ.get(RUNBOOK_NAME, 'runbook')}.{slug}"
    # the runner clears a runbook's tables before it runs: one already there is this run's, of another caption
    name = next(n for n in (f"{stem}{f'-{i}' if i else ''}.csv" for i in range(1000)) if not (Path(where) / n).exists())
    frame.to_csv(Path(where) / name, index=False)
    return name


FINDING_COLUMNS = ("severity", "kind", "subject", "message", "remediation")


def findings_html(findings: list[Finding]) -> str:
    """The findings table, worst first: every row anchored ``finding-<id>`` (the index links to it), every
    cell escaped, the severity coloured."""
    frame = tabulate_findings(findings).head(MAX_ROWS)
    left = "text-align: left; vertical-align: top"  # commands and messages read left to right, whole
    head = "".join(f'<th style="{left}">{name}</th>' for name in FINDING_COLUMNS)
    rows = "".join(
        f'<tr id="finding-{html.escape(row["id"])}">'
        + "".join(
            f'<td style="{left}; {_severity_style(row[name]) if name == "severity" else ""}">'
            f"{html.escape(str(row[name]))}</td>"
            for name in FINDING_COLUMNS
        )
        + "</tr>"
        for row in frame.to_dict("records")
    )
    return f'<table class="runbook-findings"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def show_findings(findings: list[Finding]) -> None:
    """The findings as a table, worst first, or one line saying there is none."""
    if not findings:
        _display_html("<h4>Findings</h4>")
        _display_html("<p><em>no findings: nothing needs attention</em></p>")
        return
    _display_html(f"<h4>Findings ({len(findings)})</h4>")
    if not _in_a_shell():
        print(tabulate_findings(findings)[list(FINDING_COLUMNS)].to_string(index=False))
        return
    _display_html(findings_html(findings))
    if len(findings) > MAX_ROWS:
        _display_html(f"<p><em>first {MAX_ROWS} of {len(findings)} rows shown; summary.json has every finding</em></p>")


def publish_findings(runbook: str, findings: list[Finding], plan: list[dict[str, Any]] | None = None) -> None:
    """The last cell: hand the findings (and the plan, if any) to the runner and to any scheduler reading
    the notebook."""
    bundle = findings_bundle(runbook, findings, plan)
    summary = f"{runbook}: {bundle['verdict']} ({len(findings)} findings)"
    if not _in_a_shell():
        print(dumps(bundle))
        return
    from IPython.display import display

    display({FINDINGS_MIMETYPE: bundle, "text/plain": summary}, raw=True)


def show_note(text: str) -> None:
    """One line saying why nothing is shown here (a report never leaves a silent gap)."""
    _display_html(f"<p><em>{html.escape(text)}</em></p>")


def show_figure(figure: Any) -> Any:
    """A figure made inside a show_* helper: the notebook's inline backend shows every figure a cell
    made when the cell ends, so this only hands it back (to a test, or to a caller that saves it)."""
    return figure
