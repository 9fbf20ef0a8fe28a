"""Reports: summary.json for machines (every finding with its stable id), index.html for people (each runbook's
verdict, counts, links and worst findings, read back as text), and HTML without any code."""

import dataclasses
import json
import re
from html.parser import HTMLParser

import nbformat
import pytest

from runbook_lib.errors import ConfigError
from runbook_lib.findings import finding_id
from runbook_lib.headless.history import compare_runs
from runbook_lib.headless.report import (
    INDEX_FINDINGS,
    add_timeout_banner,
    export_html,
    read_executed_notebook,
    summary_payload,
    write_index,
    write_summary,
)
from runbook_lib.headless.runner import RunResult

from .summaries import A, _summary

META = {"source": "cloud prod", "started_at": "2026-11-24T01:00:00Z", "exit_code": 1, "duration_s": 12.5}


class Rows(HTMLParser):
    """The text of each table cell, row by row, and every link."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")
        elif tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read_index(path) -> Rows:
    parser = Rows()
    parser.feed(path.read_text())
    return parser


def finding(kind, severity, subject, message, remediation=""):
    return {
        "runbook": "x",
        "kind": kind,
        "severity": severity,
        "subject": subject,
        "message": message,
        "remediation": remediation,
    }


RESULTS = [
    RunResult(
        "ceph_capacity",
        "CRIT",
        1,
        3.04,
        "/reports/prod/20261124T010000Z/ceph_capacity.ipynb",
        html="/reports/prod/20261124T010000Z/ceph_capacity.html",
        counts={"info": 1, "warn": 1, "crit": 2, "error": 0},
        findings=[
            finding("reclaimable", "info", "reclaim ledger", "deleting 2 images frees 0.03 GiB raw"),
            finding("osd-nearfull", "warn", "osd.3 (vm)", "osd.3 is 57.3% full"),
            finding(
                "osd-full", "crit", "osd.0 (vm)", "osd.0 is 71.6% full, past full 70%", "ceph osd reweight 0 0.80000305"
            ),
            finding("health-POOL_FULL", "crit", "health check POOL_FULL", "2 pool(s) full"),
        ],
        plan=[{"step": 1, "commands": ["ceph osd reweight 0 0.80000305"]}],
        parameters={"ceph_live": True},
    ),
    RunResult(
        "vif_plugging",
        "ERROR",
        2,
        0.0,
        "",
        error="ParameterError: snapshot '/nonexistent' not found <see runbook list>",
    ),
]


def test_a_one_off_run_links_to_no_history(tmp_path):
    summary = _summary([("ceph_capacity", "WARN", [A])])
    for run in summary["runbooks"]:
        run.update(html="", notebook="", error="")
    one_off = write_index(tmp_path, summary).read_text()
    kept = write_index(tmp_path, {**summary, "history": True, "changes": compare_runs(summary, None)}).read_text()
    assert "all runs of this source" not in one_off and "Since last run" not in one_off
    assert 'href="../index.html">all runs of this source' in kept and "Since last run" in kept


def test_the_summary_holds_the_run_and_every_finding_with_its_stable_id():
    payload = summary_payload(RESULTS, META)
    assert {k: payload[k] for k in META} == META
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", payload["generated_at"])
    ceph, vif = payload["runbooks"]
    assert (ceph["runbook"], ceph["verdict"], ceph["exit_code"], ceph["duration_s"]) == (
        "ceph_capacity",
        "CRIT",
        1,
        3.04,
    )
    assert (ceph["notebook"], ceph["html"]) == ("ceph_capacity.ipynb", "ceph_capacity.html")  # beside summary.json
    assert [f["id"] for f in ceph["findings"]] == [
        finding_id("ceph_capacity", f["kind"], f["subject"]) for f in RESULTS[0].findings
    ]
    assert ceph["plan"] == RESULTS[0].plan and ceph["parameters"] == {"ceph_live": True}
    assert (vif["notebook"], vif["html"], vif["findings"], vif["error"]) == ("", "", [], RESULTS[1].error)
    assert RESULTS[0].findings[0].get("id") is None  # the results themselves are left as they were


def test_summary_json_is_written_sorted_and_reads_back(tmp_path):
    payload = summary_payload(RESULTS, META)
    path = write_summary(tmp_path, payload)
    assert path == tmp_path / "summary.json" and json.loads(path.read_text()) == payload
    assert path.read_text().startswith('{\n  "duration_s": 12.5,')


def test_the_index_opens_with_what_is_wrong_worst_first_then_one_row_per_runbook(tmp_path):
    index = read_index(write_index(tmp_path, summary_payload(RESULTS, META)))
    wrong, runbooks = index.rows[:5], index.rows[5:]
    assert wrong[0] == ["severity", "runbook", "subject", "what", "what to do"]
    assert [row[:3] for row in wrong[1:]] == [  # the most severe first, the "info" last
        ["CRIT", "ceph_capacity", "osd.0 (vm)"],
        ["CRIT", "ceph_capacity", "health check POOL_FULL"],
        ["WARN", "ceph_capacity", "osd.3 (vm)"],
        ["INFO", "ceph_capacity", "reclaim ledger"],
    ]
    assert wrong[1][3:] == ["osd.0 is 71.6% full, past full 70%", "ceph osd reweight 0 0.80000305"]
    header, ceph, vif = runbooks
    assert header == ["runbook", "verdict", "findings", "duration", "links", "error"]
    assert ceph == ["ceph_capacity", "CRIT", "2 crit, 1 warn, 1 info", "3.0 s", "report · notebook", ""]
    assert vif == ["vif_plugging", "ERROR", "no findings", "0.0 s", "", RESULTS[1].error]  # its error, escaped, as text
    anchors = [
        f"ceph_capacity.html#finding-{finding_id('ceph_capacity', f['kind'], f['subject'])}"
        for f in RESULTS[0].findings
    ]
    assert index.links[:4] == [anchors[2], anchors[3], anchors[1], anchors[0]]
    assert index.links[4:] == ["ceph_capacity.html", "ceph_capacity.ipynb", "summary.json"]


def test_the_index_says_when_nothing_is_wrong_and_cuts_a_long_list(tmp_path):
    quiet = summary_payload([RESULTS[1]], META)
    assert "<h2>What is wrong</h2><p>nothing: no runbook has a finding</p>" in write_index(tmp_path, quiet).read_text()
    many = [finding("osd-nearfull", "warn", f"osd.{n} (vm)", "near full") for n in range(INDEX_FINDINGS + 5)]
    loud = summary_payload([dataclasses.replace(RESULTS[0], findings=many)], META)
    text = write_index(tmp_path, loud).read_text()
    assert f"What is wrong ({INDEX_FINDINGS + 5})" in text and "5 more in the reports and in summary.json" in text
    assert text.count("<td>near full</td>") == INDEX_FINDINGS


def test_the_index_names_the_source_the_times_and_the_exit_code_and_escapes_them(tmp_path):
    payload = summary_payload(RESULTS, {**META, "source": "snapshot <demo>"})
    text = write_index(tmp_path, payload).read_text()
    assert f"source: snapshot &lt;demo&gt; · started 2026-11-24T01:00:00Z · finished {payload['generated_at']}" in text
    assert "<demo>" not in text and "· exit code 1" in text
    assert "&lt;see runbook list&gt;" in text


def test_the_index_of_a_second_run_starts_with_what_changed(tmp_path):
    previous = {**_summary([("ceph_capacity", "WARN", [A])]), "exit_code": 1}
    payload = summary_payload(RESULTS[:1], META)
    payload["changes"] = compare_runs(payload, previous, "reports/prod/20261123T010000Z")
    text = write_index(tmp_path, payload).read_text()
    assert text.index("Since last run") < text.index("<h2>Runbooks</h2>")
    assert '<a href="../20261123T010000Z/index.html">20261123T010000Z</a>' in text
    assert "<b>4 new</b>, <b>1 resolved</b>" in text


def test_the_html_report_shows_outputs_and_no_code_nor_parameters(tmp_path):
    notebook = nbformat.v4.new_notebook()
    shown = nbformat.v4.new_code_cell("rb.show_findings(analysis.findings)  # SOURCE-MARKER")
    shown.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="would run: ceph osd reweight 0 0.95001221\n"),
        nbformat.v4.new_output("display_data", data={"text/html": "<h2>Ceph capacity: WARN</h2>", "text/plain": "x"}),
    ]
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Ceph OSDs nearfull / full"),
        nbformat.v4.new_code_cell("ceph_live: bool = False  # read live", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("ceph_live = True", metadata={"tags": ["injected-parameters"]}),
        shown,
    ]
    path = tmp_path / "ceph_capacity.ipynb"
    nbformat.write(notebook, path)
    html = export_html(path)
    assert html == tmp_path / "ceph_capacity.html"
    text = html.read_text()
    assert "would run: ceph osd reweight 0 0.95001221" in text and "<h2>Ceph capacity: WARN</h2>" in text
    assert "Ceph OSDs nearfull / full" in text
    for code in ("SOURCE-MARKER", "ceph_live: bool", "ceph_live = True"):
        assert code not in text


NOT_NOTEBOOKS = [
    (b"{", "not JSON: Expecting property name enclosed in double quotes at line 1"),
    (b"", "not JSON: Expecting value at line 1"),
    (b"\xff\xfe{}", "not UTF-8 text: byte 0"),
    (b"{}", "JSON, but no notebook: an object without a cells list and nbformat"),
    (b"[1, 2]", "JSON, but no notebook: a list, not an object"),
    (b'"x"', "JSON, but no notebook: a string, not an object"),
    (
        b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "id": "a", '
        b'"source": "", "metadata": {}, "execution_count": null, "outputs": [{"output_type": "bogus"}]}]}',
        "not a valid notebook: {'output_type': 'bogus'} is not valid under any of the given schemas",
    ),
    (
        b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {"papermill": "x"}, "cells": []}',
        "its metadata.papermill is not an object",
    ),
]


@pytest.mark.parametrize(("data", "reason"), NOT_NOTEBOOKS, ids=[r for _, r in NOT_NOTEBOOKS])
def test_a_file_that_is_no_executed_notebook_is_one_config_error_naming_it(tmp_path, data, reason):
    path = tmp_path / "cpu_topology.ipynb"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as caught:
        read_executed_notebook(path)
    assert str(caught.value) == (f"{path} is not an executed notebook ({reason}); run the runbooks again or remove it")


def test_an_executed_notebook_reads_back(tmp_path):
    path = tmp_path / "x.ipynb"
    nb = nbformat.v4.new_notebook(metadata={"papermill": {"duration": 1.5}})
    nbformat.write(nb, path)
    assert read_executed_notebook(path).metadata["papermill"] == {"duration": 1.5}


def _timed_out_notebook(path, *, timing=True):
    """What papermill leaves when --timeout fires in the cell under '## Evidence': the interrupt's traceback."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x: int = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_markdown_cell("## Evidence\n\nwhy"),
        nbformat.v4.new_code_cell("print('reading'); wait()"),
        nbformat.v4.new_code_cell("after()"),
    ]
    done = {"iopub.execute_input": "t", "shell.execute_reply": "t"}
    for cell in nb.cells[1:3]:
        cell.metadata["execution"] = done
    cell = nb.cells[4]
    cell.metadata["execution"] = {"iopub.execute_input": "t"} if timing else done
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="reading\n"),
        nbformat.v4.new_output("error", ename="KeyboardInterrupt", evalue="", traceback=["Traceback", "..."]),
    ]
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("timing", [True, False], ids=["by nbclient's timing", "by the interrupt's output"])
def test_a_timeout_banner_names_the_cell_under_its_heading_and_drops_the_interrupt_s_traceback(tmp_path, timing):
    path = _timed_out_notebook(tmp_path / "x.ipynb", timing=timing)
    assert add_timeout_banner(path, 3) == "cell 4 (under 'Evidence')"  # the injected cell is not the runbook's
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].source.endswith(
        "<b>TIMEOUT</b>: cell 4 (under &#x27;Evidence&#x27;) ran longer than 3 s and was interrupted; the results "
        "below are incomplete.</div>"
    )
    assert [o.output_type for o in nb.cells[5].outputs] == ["stream"]  # what it printed stays
    text = export_html(path).read_text()
    assert "KeyboardInterrupt" not in text and "Traceback" not in text and "reading" in text


def test_a_timeout_with_no_cell_to_name_says_a_cell(tmp_path):
    path = tmp_path / "x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")]), path)
    assert add_timeout_banner(path, 5) == "a cell"
    assert "<b>TIMEOUT</b>: a cell ran longer than 5 s" in nbformat.read(path, as_version=4).cells[0].source
