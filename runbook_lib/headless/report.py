"""Reports: code-hidden HTML per runbook, an ``index.html`` for people and a ``summary.json`` for machines."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import warnings
from pathlib import Path
from typing import Any

import nbformat

from runbook_lib.errors import ConfigError
from runbook_lib.findings import describe_counts, finding_id, severity_rank
from runbook_lib.headless.prometheus import write_textfile
from runbook_lib.show import SEVERITY_COLOURS

TIMEOUT_TAG = "runbook-timeout-banner"

_VERDICT_COLOURS = {
    "OK": "#2e7d32",
    "WARN": "#ef6c00",
    "CRIT": "#c62828",
    "ERROR": "#6a1b9a",
    "TIMEOUT": "#4a148c",
}


def read_executed_notebook(path: Path) -> Any:
    """The notebook at ``path``, or one ConfigError naming it: a file that is not JSON, or JSON that is no valid
    notebook, left in a run directory (nbformat would raise NotJSONError, a schema error, even AttributeError)."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text: byte {exc.start}"
    except json.JSONDecodeError as exc:
        reason = f"not JSON: {exc.msg} at line {exc.lineno}"
    else:
        if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list) or "nbformat" not in raw:
            reason = f"JSON, but no notebook: {_shape(raw)}"
        else:
            try:
                with warnings.catch_warnings():  # a missing cell id is a warning on stderr: not ours to print
                    warnings.simplefilter("ignore")
                    notebook = nbformat.reads(text, as_version=4)
                    nbformat.validate(notebook)
            except (ValueError, nbformat.ValidationError) as exc:
                reason = "not a valid notebook: " + str(getattr(exc, "message", exc)).splitlines()[0][:120]
            else:
                if isinstance(notebook.metadata.get("papermill", {}), dict):
                    return notebook
                reason = "its metadata.papermill is not an object"
    raise ConfigError(f"{path} is not an executed notebook ({reason}); run the runbooks again or remove it")


def _shape(raw: object) -> str:
    if isinstance(raw, dict):
        return "an object without a cells list and nbformat"
    said = {"str": "a string", "int": "a number", "float": "a number", "bool": "a boolean", "list": "a list"}
    return f"{said.get(type(raw).__name__, 'null')}, not an object"


def export_html(notebook_path: str | Path) -> Path:
    """HTML without any code (papermill's report mode does not hide code in nbconvert's HTML)."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = ["injected-parameters", "parameters"]
    config.TagRemovePreprocessor.enabled = True
    exporter = HTMLExporter(config=config, template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    nb = nbformat.read(notebook_path, as_version=4)
    body, _ = exporter.from_notebook_node(nb)
    out = Path(notebook_path).with_suffix(".html")
    out.write_text(body)
    return out


def summary_payload(results: list[Any], meta: dict[str, Any]) -> dict[str, Any]:
    """What summary.json holds: the run's meta data plus every runbook with every finding (each with its
    stable ``id``, see :func:`runbook_lib.findings.finding_id`)."""

    runbooks = []
    for r in results:
        run = {
            **dataclasses.asdict(r),
            "notebook": Path(r.notebook).name if r.notebook else "",
            "html": Path(r.html).name if r.html else "",
        }
        run["findings"] = [{**f, "id": finding_id(r.runbook, f["kind"], f["subject"])} for f in r.findings]
        runbooks.append(run)
    return {
        **meta,
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "runbooks": runbooks,
    }


def write_summary(out_dir: Path, payload: dict[str, Any]) -> Path:
    # what --previous and the next run read: never half written
    return write_textfile(out_dir / "summary.json", json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


INDEX_FINDINGS = 100  # the first page stays one page; every report and summary.json have them all


def worst_findings(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Every finding of every runbook but the "ok" ones, the most severe first (then in runbook order)."""
    found = [
        {**f, "runbook": r["runbook"], "html": r.get("html") or ""}
        for r in payload["runbooks"]
        for f in r["findings"]
        if f["severity"] != "ok"
    ]
    return sorted(found, key=lambda f: -severity_rank(f["severity"]))


def _findings_section(payload: dict[str, Any]) -> str:
    """What is wrong, across runbooks: one row per finding with its message, its remediation (the command to
    paste) and a link to its row in the runbook's report."""
    found = worst_findings(payload)
    if not found:
        return "<h2>What is wrong</h2><p>nothing: no runbook has a finding</p>"
    rows = []
    for f in found[:INDEX_FINDINGS]:
        anchor = f.get("id") or finding_id(f["runbook"], f["kind"], f["subject"])
        name = html.escape(f["runbook"])
        link = f'<a href="{html.escape(f["html"])}#finding-{anchor}">{name}</a>' if f["html"] else name
        colour = SEVERITY_COLOURS.get(f["severity"], "#555")
        rows.append(
            f'<tr><td style="color:{colour};font-weight:bold">{html.escape(f["severity"].upper())}</td>'
            f"<td>{link}</td><td>{html.escape(f['subject'])}</td><td>{html.escape(f['message'])}</td>"
            f"<td><code>{html.escape(f.get('remediation') or '')}</code></td></tr>"
        )
    more = (
        f"<p>{len(found) - INDEX_FINDINGS} more in the reports and in summary.json</p>"
        if len(found) > INDEX_FINDINGS
        else ""
    )
    return (
        f'<h2>What is wrong ({len(found)})</h2><table id="what-is-wrong">'
        "<tr><th>severity</th><th>runbook</th><th>subject</th>"
        f"<th>what</th><th>what to do</th></tr>{''.join(rows)}</table>{more}"
    )


def write_index(out_dir: Path, payload: dict[str, Any]) -> Path:
    """index.html, one page first: what is wrong across runbooks (worst first), what changed since the last
    run, then one row per runbook."""
    from runbook_lib.headless.history import render_changes

    rows = []
    for r in payload["runbooks"]:
        colour = _VERDICT_COLOURS.get(r["verdict"], "#555")
        counts = describe_counts(r["counts"])
        links = " · ".join(
            f'<a href="{html.escape(p)}">{label}</a>'
            for p, label in ((r["html"], "report"), (r["notebook"], "notebook"))
            if p
        )
        rows.append(
            f"<tr><td><b>{html.escape(r['runbook'])}</b></td>"
            f'<td style="color:white;background:{colour};text-align:center"><b>{r["verdict"]}</b></td>'
            f"<td>{html.escape(counts)}</td><td>{r['duration_s']:.1f} s</td><td>{links}</td>"
            f"<td>{html.escape(r.get('error') or '')}</td></tr>"
        )
    source = html.escape(str(payload.get("source", "")))
    changes = render_changes(payload["changes"]) if "changes" in payload else ""
    history = ' · <a href="../index.html">all runs of this source</a>' if payload.get("history") else ""
    when = f"started {payload.get('started_at', '')} · finished {payload.get('generated_at', '')}"
    if payload.get("interrupted"):
        when += f" · INTERRUPTED ({payload['interrupted']}): the runbooks marked ERROR did not finish"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>stack-runbooks report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:6px 10px;vertical-align:top}}th{{background:#eee}}
code{{white-space:pre-wrap}}</style></head>
<body><h1>stack-runbooks report</h1><p>source: {source} · {html.escape(when)}
· exit code {payload.get("exit_code", "")}{history}</p>
{_findings_section(payload)}
{changes}
<h2>Runbooks</h2>
<table id="runbooks">
<tr><th>runbook</th><th>verdict</th><th>findings</th><th>duration</th><th>links</th><th>error</th></tr>
{"".join(rows)}</table><p><a href="summary.json">summary.json</a></p></body></html>
"""
    path = out_dir / "index.html"
    path.write_text(page)
    return path


def add_timeout_banner(path: Path, seconds: int) -> str:
    """papermill marks no timeout: a banner on top of the executed notebook names the cell that ran too long
    and says the results are cut. The KeyboardInterrupt traceback the kernel's shutdown leaves in that cell is
    removed: it is how the runner stopped the cell, not what went wrong in it. Returns the cell, as the banner
    names it ("cell 6 (under 'Evidence')")."""
    nb = nbformat.read(path, as_version=4)
    where = "a cell"
    index = timed_out_cell(nb.cells)
    if index is not None:
        cell = nb.cells[index]
        cell.outputs = [o for o in cell.outputs if o.get("ename") != "KeyboardInterrupt"]
        where = describe_cell(nb.cells, index)
    banner = nbformat.v4.new_markdown_cell(
        f'<div style="background:#6a1b9a;color:white;padding:8px"><b>TIMEOUT</b>: {html.escape(where)} ran '
        f"longer than {seconds} s and was interrupted; the results below are incomplete.</div>"
    )
    banner.metadata["tags"] = [TIMEOUT_TAG]
    nb.cells.insert(0, banner)
    nbformat.write(nb, path)
    return where


def timed_out_cell(cells: list[Any]) -> int | None:
    """The code cell that was running: its input went to the kernel and no reply came (nbclient's timing
    metadata), else the one holding the KeyboardInterrupt of the interrupt."""
    for i, cell in enumerate(cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" not in timing:
            return i
    for i, cell in enumerate(cells):
        if any(o.get("ename") == "KeyboardInterrupt" for o in cell.get("outputs", [])):
            return i
    return None


def describe_cell(cells: list[Any], index: int) -> str:
    """'cell N' as the runbook's own notebook numbers it (papermill's injected cell not counted), and the
    heading it is under: a report shows no code, so the heading is where a reader finds it."""
    injected = [
        i for i, c in enumerate(cells[:index]) if "injected-parameters" in c.get("metadata", {}).get("tags", [])
    ]
    headings = [
        line.lstrip("#").strip()
        for c in cells[:index]
        if c.get("cell_type") == "markdown"
        for line in c.get("source", "").splitlines()
        if line.startswith("#")
    ]
    under = f" (under '{headings[-1]}')" if headings else ""
    return f"cell {index + 1 - len(injected)}{under}"
