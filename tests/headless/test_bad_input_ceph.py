"""Bad Ceph input through the CLI: what could not be read is a finding that names it, in summary.json and in the
report a person reads (never a traceback, never nan %), or one line on stderr with exit 2 before anything runs.
The analysis functions have the rest (tests/ceph_capacity/test_inputs.py); these are the few end-to-end runs."""

import html.parser
import json
import shutil
import stat

import pytest

from runbook_lib.headless.cli import main
from runbook_lib.snapshot import DEMO_SNAPSHOT


class _Text(html.parser.HTMLParser):
    """The visible text of a report: what a person reads (no script, no style)."""

    def __init__(self):
        super().__init__()
        self.words, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.words.append(data.strip())


def report_text(path) -> str:
    reader = _Text()
    reader.feed(path.read_text())
    return "\n".join(reader.words)


def _demo_with_osd_df(tmp_path, edit, raw=None):
    root = tmp_path / "snap"
    shutil.copytree(DEMO_SNAPSHOT, root)
    part = root / "ceph" / "osd_df_tree.json"
    records = json.loads(part.read_text())
    edit(records[0])
    text = json.dumps(records)
    part.write_text(text.replace('"@raw@"', raw) if raw else text)
    return root


def _osd0(tree, key, value):
    next(n for n in tree["nodes"] if n.get("id") == 0)[key] = value


def _run(tmp_path, *args):
    out = tmp_path / "out"
    code = main(["run", "ceph_capacity", "--out", str(out), *args])
    summary = json.loads((out / "summary.json").read_text())["runbooks"][0]
    return code, summary, report_text(out / "ceph_capacity.html"), (out / "ceph_capacity.html").read_text()


@pytest.mark.parametrize(
    ("case", "edit", "raw", "finding", "reads"),
    [
        (
            "osd df without OSD rows",
            lambda tree: tree.update(nodes=[]),
            None,
            (
                "osd-df-empty",
                "ceph/osd_df_tree",
                "osd df has no OSD rows; the OSDMap has 4 OSD(s) (osd.0–osd.3): no OSD's fill can be computed, "
                "nor any plan",
            ),
            [
                "no OSD's fill computed: osd df has no OSD rows (see the findings)",
                "no move: not computed: osd df has no OSD rows",
                "no step: not computed: osd df has no OSD rows",
                "no OSD: osd df has no OSD rows (see the findings)",
            ],
        ),
        (
            "Jewel's -nan for osd.0's use",  # -nan as Jewel printed it: not JSON, read as null
            lambda tree: _osd0(tree, "kb_used", "@raw@"),
            "-nan",
            (
                "osd-unreadable",
                "osd.0",
                "osd.0 has numbers in osd df that cannot be read (kb_used is null or nan): its fill is unknown, and "
                "it is left out of the fill tables, the mean and the plans",
            ),
            [
                "3 OSD(s), average 37.6% full, fullest 46.0%",
                "left out, its numbers in osd df cannot be read: osd.0 (kb_used is null or nan)",
            ],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_unreadable_osd_df_is_an_error_finding_in_summary_and_report_with_no_traceback_nor_nan(
    tmp_path, capsys, case, edit, raw, finding, reads
):
    code, summary, text, page = _run(tmp_path, "--snapshot", str(_demo_with_osd_df(tmp_path, edit, raw)))
    assert code == 1, capsys.readouterr()
    errors = [(f["kind"], f["subject"], f["message"]) for f in summary["findings"] if f["severity"] == "error"]
    assert errors == [finding] and summary["verdict"] == "ERROR" and summary["counts"]["error"] == 1
    assert "Traceback" not in page and "nan%" not in text.lower() and "nan %" not in text.lower()
    for words in reads:
        assert words in text


def _only_osd_dump(tmp_path):
    """A ceph that answers ``osd dump`` only (the demo's) and an rbd beside it that always fails."""
    dump = DEMO_SNAPSHOT / "ceph" / "osd_dump.json"
    ceph, rbd = tmp_path / "bin" / "ceph", tmp_path / "bin" / "rbd"
    ceph.parent.mkdir()
    ceph.write_text(
        '#!/bin/sh\ncase "$*" in *"osd dump"*) python3 -c "import json,sys; print(json.dumps(json.load('
        f'open(\'{dump}\'))[0]))"; exit 0;; esac\necho "refused: $*" >&2; exit 1\n'
    )
    rbd.write_text('#!/bin/sh\necho "rbd refused: $*" >&2; exit 1\n')
    for path in (ceph, rbd):
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(ceph)


def test_a_collect_that_reads_only_osd_dump_names_every_part_and_pool_not_read_and_its_report_says_so(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.delenv("CEPH_CONF", raising=False)
    snap = tmp_path / "snap"
    assert main(["collect", "--ceph", "--ceph-command", _only_osd_dump(tmp_path), "--out", str(snap)]) == 3
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("runbook: 10 of 12 part(s) not collected: ceph/balancer_status, ceph/crush_rules, ")
    assert "ceph/rbd, ceph/status, ceph/test_reweight, ceph/versions" in last
    code, summary, text, page = _run(tmp_path, "--snapshot", str(snap))
    subjects = [f["subject"] for f in summary["findings"] if f["kind"] == "collection-problem"]
    assert code == 1 and "Traceback" not in page and "nan%" not in text
    assert {"ceph/osd_df_tree", "ceph/test_reweight"} <= set(subjects)
    assert [s for s in subjects if s.startswith("ceph/rbd")] == [
        f"ceph/rbd pool {p}" for p in ("volumes", "images", "vms", "backups")
    ]
    assert "no OSD's fill computed: osd df was not read ('ceph osd df tree' failed with exit code 1: " in text
    assert "no RBD image read: rbd could not read pool(s) volumes, images, vms, backups (see the findings)" in text


def test_a_missing_ceph_conf_from_the_environment_is_one_line_and_exit_2_before_any_kernel(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("CEPH_CONF", str(tmp_path / "nonexistent.conf"))
    args = ["-p", "ceph_live", "true", "-p", "ceph_command", "timeout 5 ceph", "--out", str(tmp_path / "out")]
    assert main(["run", "ceph_capacity", *args]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"runbook: CEPH_CONF={tmp_path / 'nonexistent.conf'} (from the environment) is not a file: ceph would "
        "not read its configuration; set CEPH_CONF to the cluster's ceph.conf, unset it, or pass -p ceph_conf FILE"
    )
    assert not (tmp_path / "out").exists()
    assert main(["collect", "--ceph", "--out", str(tmp_path / "c")]) == 2
    assert capsys.readouterr().err.strip().endswith("unset it, or pass --ceph-conf FILE")
