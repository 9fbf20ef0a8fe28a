"""Bad input that reaches a report, through the CLI: a run directory holding a file that is no executed notebook
(one line, exit 2), Glance's images missing from a snapshot (an error finding, each server of an unknown image
listed), a socket_limits key that names no image (a warning with the names it could mean), and a cell that
outruns --timeout (the banner names it; no traceback in the report, one line on stderr)."""

import html
import json
import re
import shutil

import nbformat
import pytest
from conftest import make_notebook, run_cli

from runbook_lib.headless.cli import main
from runbook_lib.snapshot import DEMO_SNAPSHOT

PUBLISH = "from runbook_lib.show import publish_findings\npublish_findings('fixture', [])"


def _text(page: str) -> str:
    """What a person reads in an HTML report: no styles, scripts or tags, whitespace collapsed."""
    page = re.sub(r"<(style|script).*?</\1>", "", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _findings(out, runbook):
    summary = json.loads((out / "summary.json").read_text())
    return {f["kind"]: f for f in next(r for r in summary["runbooks"] if r["runbook"] == runbook)["findings"]}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{", "not JSON: Expecting property name enclosed in double quotes at line 1"),
        (b"{}", "JSON, but no notebook: an object without a cells list and nbformat"),
        (b"[]", "JSON, but no notebook: a list, not an object"),
    ],
    ids=["not JSON", "an empty object", "a list"],
)
def test_report_on_a_file_that_is_no_executed_notebook_is_one_line_naming_it(tmp_path, capsys, data, reason):
    run = tmp_path / "run"
    run.mkdir()
    (run / "cpu_topology.ipynb").write_bytes(data)
    assert main(["report", str(run)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"runbook: {run / 'cpu_topology.ipynb'} is not an executed notebook ({reason}); "
        "run the runbooks again or remove it\n"
    )


def _without_images(tmp_path, how):
    root = tmp_path / "snap"
    shutil.copytree(DEMO_SNAPSHOT, root)
    manifest = json.loads((root / "manifest.json").read_text())
    if how == "empty":
        (root / "openstack" / "images.json").write_text("[]\n")
        manifest["parts"]["openstack/images"]["count"] = 0
    else:
        (root / "openstack" / "images.json").unlink()
        del manifest["parts"]["openstack/images"]
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


@pytest.mark.parametrize(("how", "state"), [("empty", "holds no image"), ("removed", "is not in this snapshot")])
def test_a_snapshot_without_glance_s_images_says_so_and_lists_every_server_of_an_unknown_image(tmp_path, how, state):
    out = tmp_path / "out"
    assert main(["run", "cpu_topology", "--snapshot", str(_without_images(tmp_path, how)), "--out", str(out)]) == 1
    found = _findings(out, "cpu_topology")
    error = found["collection-problem"]
    assert (error["severity"], error["subject"]) == ("error", "openstack/images")
    assert error["message"].startswith(f"openstack/images {state} while 26 server(s) boot from an image")
    assert found["image-unknown"]["message"].startswith("26 server(s) boot from an image openstack/images does not")
    text = _text((out / "cpu_topology.html").read_text())
    assert "Guest CPU topology: ERROR" in text and "Traceback" not in text
    assert "Servers whose image is not in openstack/images (guest OS unknown) (26)" in text
    assert " sql-win7 be0a2e59-ea3f-440f-992d-f35dcf2caf9b ACTIVE m1.large 8 " in text
    assert "image unknown 8s×1c×1t 8" in text
    assert "no Windows image among the images read" in text


def test_a_socket_limits_key_that_names_no_image_is_a_warning_in_the_report(tmp_path):
    out = tmp_path / "out"
    assert main(["run", "cpu_topology", "-p", "socket_limits", '{"Windows 10 Pr": 1}', "--out", str(out)]) == 1
    warn = _findings(out, "cpu_topology")["socket-limit-unmatched"]
    said = (
        "socket_limits key 'Windows 10 Pr' matches no image id or name, so its limit of 1 socket(s) was applied "
        "to nothing; closest image names: 'Windows 10 Pro 22H2', 'Windows 11 Pro (fixed)', 'Windows 10 Home 22H2'"
    )
    assert (warn["severity"], warn["message"]) == ("warn", said)
    assert said in _text((out / "cpu_topology.html").read_text())


def test_a_cell_that_outruns_the_timeout_is_named_in_the_banner_and_on_one_stderr_line(tmp_path):
    path = make_notebook(tmp_path, "sleepy", "import time\ntime.sleep(delay)", PUBLISH)
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("## Waiting for the cluster"))
    nbformat.write(nb, path)
    out = tmp_path / "out"
    proc = run_cli("run", str(path), "--out", str(out), "--timeout", "2", "-p", "delay", "30")
    assert proc.returncode == 4
    assert proc.stderr == (
        "runbook: sleepy timed out: cell 3 (under 'Waiting for the cluster') ran longer than 2 s and was "
        f"interrupted; {out / 'sleepy.html'} shows what ran before it (raise --timeout, or check what that cell "
        "waits for)\n"
    )
    text = _text((out / "sleepy.html").read_text())
    assert text.strip().startswith(
        "Notebook TIMEOUT : cell 3 (under 'Waiting for the cluster') ran longer than 2 s and was interrupted; "
        "the results below are incomplete."
    )
    assert "KeyboardInterrupt" not in text and "Traceback" not in text
