"""What a notebook shows: the verdict banner, tables, notes and the findings bundle, as the MIME bundles the
Jupyter kernel publishes (captured from a real IPython shell, the notebook's own display path)."""

import html
import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from conftest import notebook_outputs
from IPython.core.interactiveshell import InteractiveShell

from runbook_lib.findings import FINDINGS_MIMETYPE, Finding, findings_bundle
from runbook_lib.show import (
    MAX_ROWS,
    findings_html,
    publish_findings,
    show_figure,
    show_findings,
    show_note,
    show_table,
    show_verdict,
    verdict_html,
)
from runbook_lib.snapshot import Snapshot, new_manifest

WARN = Finding("vif_plugging", "port-down", "warn", "port p1", "port p1 is DOWN")
CRIT = Finding("vif_plugging", "build-aborted", "crit", "server s1", "s1 was aborted after 300 s")


def html_of(captured) -> list[str]:
    return [o.data["text/html"] for o in captured.outputs if "text/html" in o.data]


def snapshot_with(parts: dict[str, str], problems: dict[str, str]) -> Snapshot:
    manifest = new_manifest("prod", {})
    manifest["collected_at"] = "2026-11-24T03:16:00Z"
    manifest["parts"] = {part: {"origin": origin} for part, origin in parts.items()}
    return Snapshot(manifest, {part: [] for part in parts}, problems)


def test_the_banner_shows_the_worst_verdict_the_counts_and_the_source():
    text = verdict_html("VIF plugging", [WARN, CRIT], snapshot_with({"openstack/ports": "collected"}, {}))
    assert re.search(r"<h2[^>]*>VIF plugging: <span style=\"color:#c62828\">CRIT</span></h2>", text)
    assert "<p>1 crit, 1 warn · source: prod at 2026-11-24T03:16:00Z</p>" in text
    assert "<ul>" not in text  # every part collected live: nothing to warn about
    assert "no findings" in verdict_html("VIF plugging", [], snapshot_with({}, {}))
    assert ">OK</span>" in verdict_html("VIF plugging", [], snapshot_with({}, {}))


def test_the_banner_names_every_part_not_read_live_and_escapes_what_it_shows():
    snapshot = snapshot_with(
        {
            "openstack/servers": "collected",
            "logs/<nova>": "log-files",
            "hosts/facts": "synthetic",
            "openstack/volumes": "collected",
        },
        {"openstack/volumes": "HTTP 403 <admin> & more", "ceph/osd_dump": "no monitor answered"},
    )
    text = verdict_html('<script>alert("x")</script>', [CRIT], snapshot)
    assert "<script>" not in text and html.escape('<script>alert("x")</script>') in text
    items = re.findall(r"<li>(.*?)</li>", text)
    assert items == [
        "<code>logs/&lt;nova&gt;</code>: log-files (not read from a live API)",
        "<code>hosts/facts</code>: synthetic (not read from a live API)",
        "<code>openstack/volumes</code>: NOT COLLECTED — HTTP 403 &lt;admin&gt; &amp; more",
        "<code>ceph/osd_dump</code>: NOT COLLECTED — no monitor answered",
    ]


def test_the_demo_banner_says_its_logs_are_log_files(demo_snapshot):
    text = verdict_html("Guest CPU topology", [], demo_snapshot)
    not_live = [p for p, info in demo_snapshot.manifest["parts"].items() if info["origin"] != "collected"]
    assert not_live == ["logs/neutron-server", "logs/nova-compute"]
    assert re.findall(r"<code>(.*?)</code>", text) == not_live


def test_show_verdict_displays_the_banner_html():
    snapshot = snapshot_with({"openstack/ports": "collected"}, {})
    with notebook_outputs() as shown:
        show_verdict("VIF plugging", [WARN], snapshot)
    assert html_of(shown) == [verdict_html("VIF plugging", [WARN], snapshot)]


def test_an_empty_table_says_so_in_one_line_instead_of_a_blank():
    with notebook_outputs() as shown:
        show_table(pd.DataFrame(columns=["host", "port"]), "Ports <DOWN>", "no port is DOWN")
    assert html_of(shown) == ["<h4>Ports &lt;DOWN&gt;</h4>", "<p><em>no port is DOWN</em></p>"]


def test_a_table_shows_whole_cells_escaped_without_an_index():
    frame = pd.DataFrame({"command": ["openstack server show <server-id>"], "host": ["cmp1"]}, index=[7])
    with notebook_outputs() as shown:
        show_table(frame, "Commands")
    caption, table = html_of(shown)
    assert caption == "<h4>Commands (1)</h4>"
    assert "openstack server show &lt;server-id&gt;" in table and "<server-id>" not in table
    assert ">7<" not in table and "text-align: left" in table  # no index column; cells left-aligned


def test_a_long_table_is_cut_at_max_rows_and_says_how_many_it_shows():
    frame = pd.DataFrame({"n": range(MAX_ROWS + 3)})
    with notebook_outputs() as shown:
        show_table(frame, "Many")
    caption, table, note = html_of(shown)
    assert caption == f"<h4>Many ({MAX_ROWS + 3})</h4>"
    assert f">{MAX_ROWS - 1}<" in table and f">{MAX_ROWS}<" not in table
    assert note == f"<p><em>first {MAX_ROWS} of {MAX_ROWS + 3} rows shown, in the order above</em></p>"


def test_findings_are_shown_worst_first_or_with_the_all_clear():
    with notebook_outputs() as shown:
        show_findings([WARN, CRIT])
        show_findings([])
    texts = html_of(shown)
    assert texts[0] == "<h4>Findings (2)</h4>"
    assert texts[1].index("s1 was aborted after 300 s") < texts[1].index("port p1 is DOWN")
    assert texts[2:] == ["<h4>Findings</h4>", "<p><em>no findings: nothing needs attention</em></p>"]


def test_a_note_is_one_escaped_line():
    with notebook_outputs() as shown:
        show_note("no host reached: pass ssh_user <name>")
    assert html_of(shown) == ["<p><em>no host reached: pass ssh_user &lt;name&gt;</em></p>"]


def test_the_published_bundle_is_what_the_runner_reads_back():
    plan = [{"step": 1, "argv": ["ceph", "osd", "reweight", "0", "0.95001221"]}]
    with notebook_outputs() as shown:
        publish_findings("vif_plugging", [WARN, CRIT], plan)
    [output] = shown.outputs
    assert output.data[FINDINGS_MIMETYPE] == findings_bundle("vif_plugging", [WARN, CRIT], plan)
    assert output.data["text/plain"] == "vif_plugging: CRIT (2 findings)"


def test_show_figure_hands_back_the_same_figure():
    fig, _ = plt.subplots()
    try:
        assert show_figure(fig) is fig
    finally:
        plt.close(fig)


@pytest.fixture(autouse=True)
def _no_shell_left_behind():
    yield
    assert not InteractiveShell.initialized()


def test_outside_a_notebook_the_text_is_printed_not_an_object_repr(capsys):
    """IPython is always installed (ipykernel needs it): outside a running shell the helpers print text."""
    import pandas as pd

    from runbook_lib.show import show_note, show_table

    show_note("nothing to verify <yet>")
    show_table(pd.DataFrame({"command": ["openstack server resize --flavor <a flavor> x"]}), "Options")
    out = capsys.readouterr().out
    assert "nothing to verify <yet>" in out and "IPython.core.display" not in out
    assert "Options (1)" in out and "openstack server resize --flavor <a flavor> x" in out


def test_numbers_read_as_an_operator_reads_them():
    """Fill as %, sizes with two decimals, weights with four, counts whole, NaN as an empty cell."""
    import pandas as pd

    from runbook_lib.show import number_formats

    frame = pd.DataFrame(
        {
            "utilization": [0.551, float("nan")],
            "size_gib": [1.5, 0.75],
            "reweight": [1.0, 0.95001221],
            "moved_pgs": [2.0, 3.0],
            "kb": [3407872.0, 1.5],
        }
    )
    formats = number_formats(frame)
    assert formats == {
        "utilization": "{:.1%}",
        "size_gib": "{:,.2f}",
        "reweight": "{:.4f}",
        "moved_pgs": "{:,.0f}",
        "kb": "{:,.2f}",
    }
    html = frame.style.format(formats, na_rep="").to_html()
    assert "55.1%" in html and "0.9500" in html and ">2<" in html and "nan" not in html


def test_lists_read_as_comma_lists_and_times_to_the_millisecond_escaped():
    frame = pd.DataFrame(
        {
            "ports": [["p1", "<p2>"], []],
            "time": pd.to_datetime(["2026-12-02 05:36:23.075123", "2026-12-02 05:36:24.000000"]),
            "host": ["cmp1", "cmp2"],
        }
    )
    with notebook_outputs() as shown:
        show_table(frame, "Timeouts")
    table = html_of(shown)[1]
    assert "p1, &lt;p2&gt;" in table and "<p2>" not in table and "[" not in table
    assert "2026-12-02 05:36:23.075<" in table and "2026-12-02 05:36:24<" in table and "075123" not in table


def test_every_finding_row_is_anchored_by_its_id_and_escaped():
    risky = Finding("vif_plugging", "vif-port", "crit", "port <p1>", "DOWN", "openstack port show <port>")
    text = findings_html([risky])
    assert f'<tr id="finding-{risky.id}">' in text
    assert "port &lt;p1&gt;" in text and "openstack port show &lt;port&gt;" in text and "<port>" not in text
    assert 'style="text-align: left; vertical-align: top; color: #c62828; font-weight: bold">crit</td>' in text


def test_a_long_table_run_by_the_runner_is_written_whole_and_linked(tmp_path, monkeypatch):
    from runbook_lib.show import RUNBOOK_NAME, TABLES_DIR

    monkeypatch.setenv(TABLES_DIR, str(tmp_path))
    monkeypatch.setenv(RUNBOOK_NAME, "ceph_capacity")
    frame = pd.DataFrame({"osd": range(MAX_ROWS + 1), "cmd": ["ceph osd df <x>"] * (MAX_ROWS + 1)})
    with notebook_outputs() as shown:
        show_table(frame, "OSDs × pools (fill, %)")
    *_, note = html_of(shown)
    name = "ceph_capacity.osds-pools-fill.csv"
    assert note.endswith(f'; every row: <a href="{name}">{name}</a></em></p>')
    assert pd.read_csv(tmp_path / name).equals(frame)


def test_two_cut_tables_whose_captions_read_alike_get_a_file_each(tmp_path, monkeypatch):
    from runbook_lib.show import TABLES_DIR, whole_table_csv

    monkeypatch.setenv(TABLES_DIR, str(tmp_path))
    first, second = pd.DataFrame({"n": [1]}), pd.DataFrame({"n": [2]})
    names = [whole_table_csv(first, "OSDs: fill"), whole_table_csv(second, "OSDs — fill")]
    assert names == ["runbook.osds-fill.csv", "runbook.osds-fill-1.csv"]
    assert pd.read_csv(tmp_path / names[1]).equals(second) and pd.read_csv(tmp_path / names[0]).equals(first)
