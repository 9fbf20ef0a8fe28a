"""An executed notebook's secrets masked in place: the injected parameters, every kind of output and
papermill's record; a notebook without secrets is not rewritten."""

import nbformat

from runbook_lib.findings import FINDINGS_MIMETYPE
from runbook_lib.headless.scrub import scrub_notebook

SECRET = "hunter2hunter"


def _executed(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(f'ceph_command = "env OS_PASSWORD={SECRET} ceph"')
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=f"ran env OS_PASSWORD={SECRET} ceph\n"),
        nbformat.v4.new_output("display_data", data={"text/html": f"<p>{SECRET}</p>", "text/plain": SECRET}),
        nbformat.v4.new_output(
            "display_data", data={FINDINGS_MIMETYPE: {"findings": [{"message": f"ceph said {SECRET}"}]}}
        ),
        nbformat.v4.new_output("error", ename="SourceUnreachable", evalue=SECRET, traceback=[f"x {SECRET}"]),
    ]
    nb.cells = [cell]
    nb.metadata["papermill"] = {"parameters": {"ceph_command": f"env OS_PASSWORD={SECRET} ceph"}}
    path = tmp_path / "run.ipynb"
    nbformat.write(nb, path)
    return path


def test_every_place_a_secret_can_sit_is_masked(tmp_path):
    path = _executed(tmp_path)
    scrub_notebook(path, {SECRET})
    text = path.read_text()
    assert SECRET not in text and text.count("***") == 8
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].outputs[2]["data"][FINDINGS_MIMETYPE] == {"findings": [{"message": "ceph said ***"}]}


def test_a_notebook_without_secrets_is_left_byte_identical(tmp_path):
    path = _executed(tmp_path)
    before = path.read_bytes()
    scrub_notebook(path, set())
    assert path.read_bytes() == before


def test_tables_beside_a_report_are_masked_listed_and_an_earlier_runs_cleared(tmp_path):
    from runbook_lib.headless.scrub import clear_tables, scrub_tables

    (tmp_path / "ceph_capacity.osds.csv").write_text("osd,cmd\n0,ceph --key=hunter2hunter osd df\n")
    (tmp_path / "cpu_topology.servers.csv").write_text("server\nvm-1\n")
    assert scrub_tables(tmp_path, "ceph_capacity", {"hunter2hunter"}) == ["ceph_capacity.osds.csv"]
    assert (tmp_path / "ceph_capacity.osds.csv").read_text() == "osd,cmd\n0,ceph --key=*** osd df\n"
    clear_tables(tmp_path, "ceph_capacity")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cpu_topology.servers.csv"]  # another runbook's stays
