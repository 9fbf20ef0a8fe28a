"""The runbooks as people see them: each notebook run in JupyterLab in a real (headless) Chromium, and each
HTML report rendered by the same browser. Screenshots go to test-artifacts/browser/ (or
$BROWSER_ARTIFACTS) for a human to look at."""

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, JupyterLab, run_all_until, wait_until_idle
from conftest import run_cli

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", REPO / "test-artifacts" / "browser"))
RUNBOOKS = {"ceph_capacity": "WARN", "cpu_topology": "CRIT", "resize_ssh": "CRIT", "vif_plugging": "CRIT"}


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"SKIPPED LOUDLY: {CHROMIUM} is missing (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A server on copies of the notebooks: Lab autosaves what it opens, outputs included."""
    root = tmp_path_factory.mktemp("lab-root")
    for notebook in (REPO / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, root)
    server = JupyterLab(root, tmp_path_factory.mktemp("lab-state")).start()
    yield server
    server.stop()


@pytest.mark.parametrize("runbook", sorted(RUNBOOKS))
def test_run_all_in_jupyterlab(browser, lab, runbook):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_locator_handler(
        page.locator(".jp-Dialog:has-text('Select Kernel')"),
        lambda _: page.click(".jp-Dialog .jp-mod-accept"),
    )
    try:
        page.goto(f"{lab.base}/lab/tree/{runbook}.ipynb?token={lab.token}&reset", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        wait_until_idle(page)
        # the last cell publishes the findings: "<runbook>: <VERDICT> (<n> findings)"
        run_all_until(page, f"{runbook}: {RUNBOOKS[runbook]} (")
        verdict = page.locator(".jp-OutputArea-output .runbook-verdict").first
        verdict.scroll_into_view_if_needed()
        assert verdict.is_visible() and f": {RUNBOOKS[runbook]}" in verdict.inner_text()
        plot = page.locator(".jp-OutputArea-output img[src^='data:image/png']").first
        plot.scroll_into_view_if_needed()
        plot.wait_for(state="visible", timeout=30_000)
        assert plot.bounding_box()["width"] > 200
        assert page.locator(".jp-OutputArea-output table").count() >= 1
        assert (
            page.locator(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']:has-text('Traceback')"
            ).count()
            == 0
        )
        assert page.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0
        page.screenshot(path=str(ARTIFACTS / f"lab-{runbook}.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"lab-{runbook}-failed.png"))
        raise
    finally:
        page.close()
        lab.close_sessions()
    assert lab.kernels() == [] and errors == []


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    proc = run_cli("run", "all", "--out", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return out


@pytest.mark.parametrize("runbook", sorted(RUNBOOKS))
def test_html_report_shows_verdict_tables_plots_and_no_code(browser, reports, runbook):
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    try:
        page.goto((reports / f"{runbook}.html").as_uri(), wait_until="load")
        verdict = page.locator(".runbook-verdict").first
        assert verdict.is_visible() and f": {RUNBOOKS[runbook]}" in verdict.inner_text()
        assert page.locator("table").count() >= 2
        plot = page.locator("img[src^='data:image/png']").first
        plot.scroll_into_view_if_needed()
        assert plot.is_visible() and plot.bounding_box()["width"] > 200
        assert page.locator(".jp-CodeCell .jp-InputArea, .jp-CodeCell .jp-InputPrompt").count() == 0  # no code
        assert page.locator(".jp-MarkdownCell").count() >= 3  # the narrative stays
        text = page.inner_text("body")
        assert "import runbook_lib" not in text and "rb.show_" not in text
        page.screenshot(path=str(ARTIFACTS / f"report-{runbook}.png"), full_page=True)
    finally:
        page.close()
    index = browser.new_page()
    try:
        index.goto((reports / "index.html").as_uri(), wait_until="load")
        assert index.locator(f"#runbooks td:has-text('{runbook}')").count() == 1
        findings = json.loads((reports / "summary.json").read_text())["runbooks"]
        [mine] = [r["findings"] for r in findings if r["runbook"] == runbook]
        links = index.locator(f"#what-is-wrong a[href^='{runbook}.html#finding-']")
        assert links.count() == len(mine) > 0
        anchor = links.first.get_attribute("href").split("#")[1]
        assert page_has_anchor(reports / f"{runbook}.html", anchor)
    finally:
        index.close()


class _VisibleText(HTMLParser):
    """The text a person sees in an HTML file: everything but scripts and styles, whitespace as one space."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(path: Path) -> str:
    parser = _VisibleText()
    parser.feed(path.read_text())
    return one_line(" ".join(parser.parts))


def page_has_anchor(path: Path, anchor: str) -> bool:
    return f'id="{anchor}"' in path.read_text()


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_remediation_and_planned_command_reads_verbatim_in_the_reports_and_the_index(browser, reports):
    """What summary.json says to run is what a person reads: in the browser and in a plain HTML-to-text path,
    in each runbook's report, and (remediations) on the index."""
    summary = json.loads((reports / "summary.json").read_text())
    page = browser.new_page()
    try:
        shown = {}
        for name in [r["html"] for r in summary["runbooks"]] + ["index.html"]:
            page.goto((reports / name).as_uri(), wait_until="load")
            shown[name] = (visible_text(reports / name), one_line(page.inner_text("body")))
    finally:
        page.close()
    expected = [
        (r["html"], one_line(text))
        for r in summary["runbooks"]
        for text in [f["remediation"] for f in r["findings"]] + [s["cli"] for s in r["plan"] if s.get("cli")]
        if text
    ]
    expected += [("index.html", one_line(f["remediation"])) for r in summary["runbooks"] for f in r["findings"]]
    missing = [(name, text) for name, text in expected if text and not all(text in seen for seen in shown[name])]
    assert len(expected) > 30 and missing == []
