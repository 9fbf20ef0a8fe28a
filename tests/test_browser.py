"""The runbooks as people see them: each notebook run in JupyterLab in a real (headless) Chromium, and each
HTML report rendered by the same browser. Screenshots go to test-artifacts/browser/ (or
$BROWSER_ARTIFACTS) for a human to look at."""

import os
import shutil
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
        assert index.locator(f"td:has-text('{runbook}')").count() == 1
    finally:
        index.close()
