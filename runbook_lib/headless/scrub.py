"""An executed notebook with its secrets masked before anything reads it for a report: the injected
parameters cell, every output (streams, displays, errors and the findings bundle) and papermill's own
record of the parameters (see :mod:`runbook_lib.redact`); so are the tables it wrote in full beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

from runbook_lib.redact import redact, redact_tree


def clear_tables(out_dir: Path, runbook: str) -> None:
    """The tables an earlier run of ``runbook`` left in ``out_dir`` (a reused ``--out``): not this run's."""
    for table in out_dir.glob(f"{runbook}.*.csv"):
        table.unlink()


def scrub_tables(out_dir: Path, runbook: str, secrets: set[str]) -> list[str]:
    """The CSV files a runbook wrote beside its report (``<runbook>.<table>.csv``), each masked; their names."""
    tables = sorted(out_dir.glob(f"{runbook}.*.csv"))
    for table in tables:
        text = table.read_text()
        if (masked := redact(text, secrets)) != text:
            table.write_text(masked)
    return [t.name for t in tables]


def scrub_notebook(path: Path, secrets: set[str]) -> None:
    """Rewrite ``path`` with every secret masked (nothing is written when there is no secret to mask and no
    cephx key or URL password shows: the file stays byte-identical)."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        cell.source = redact(cell.source, secrets)
        for output in cell.get("outputs", []):
            _scrub_output(output, secrets)
    papermill = nb.metadata.get("papermill", {})
    if "parameters" in papermill:
        papermill["parameters"] = redact_tree(papermill["parameters"], secrets)
    scrubbed = nbformat.writes(nb)
    if scrubbed != before:
        path.write_text(scrubbed)


def _scrub_output(output: Any, secrets: set[str]) -> None:
    for field in ("text", "evalue"):
        if field in output:
            output[field] = redact_tree(output[field], secrets)
    if "traceback" in output:
        output["traceback"] = redact_tree(list(output["traceback"]), secrets)
    if "data" in output:
        output["data"] = nbformat.from_dict(redact_tree(dict(output["data"]), secrets))
