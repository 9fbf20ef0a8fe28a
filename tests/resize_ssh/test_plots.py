"""The trust-matrix heatmap and the after-apply display, drawn from recorded probes of the real SSH lab."""

import json
import sys

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from conftest import FIXTURES

from resize_ssh.test_trust import AS_ROOT, BECOME, STATES
from runbook_lib.resize_ssh.apply import TrustOutcome
from runbook_lib.resize_ssh.plots import plot_trust_matrix, show_trust_outcome
from runbook_lib.resize_ssh.trust import analyse_ssh_trust, tabulate_trust, trust_pivot

matplotlib.use("Agg")  # figures are inspected, never shown
TITLE = "Can nova on the source SSH to the destination?"


# the SSH lab's six states, as the legend names them (sorted)
EVERY_OUTCOME = [
    "account-not-available",
    "bad-key-permissions",
    "connection-refused",
    "host-key-unknown",
    "ok",
    "publickey-denied",
]


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return json.loads((FIXTURES / "ssh-trust-lab" / "records.json").read_text())


@pytest.fixture
def plain_python(monkeypatch):
    """Outside IPython the show_* helpers print their HTML: capsys then reads what a person would see."""
    monkeypatch.setitem(sys.modules, "IPython.display", None)


def _cells(ax) -> dict[tuple[str, str], tuple]:
    """(source, destination) → the colour of its cell."""
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    return {(rows[int(p.get_y())], cols[int(p.get_x())]): p.get_facecolor() for p in ax.patches}


def test_the_heatmap_has_a_cell_per_pair_and_names_each_failure(records):
    fig = plot_trust_matrix(trust_pivot(tabulate_trust(records)))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(STATES)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(STATES)
    assert len(ax.patches) == 36  # 6 × 6, the diagonal drawn blank
    labels = [t.get_text() for t in ax.texts]
    assert len(labels) == 21  # every broken pair is written in its cell; working ones are not
    assert labels.count("connection\nrefused") == 5 and labels.count("account\nnot-available") == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == EVERY_OUTCOME
    cells = _cells(ax)
    assert {cells[(h, h)] for h in STATES} == {(1.0, 1.0, 1.0, 1.0)}
    refused = {cells[(s, "compute-06")] for s in STATES if s != "compute-06"}
    working = cells[("compute-01", "compute-05")]
    assert len(refused) == 1 and working not in refused
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == (
        "destination (nova SSHes to its migration address)",
        "source (nova-compute running the ssh)",
        TITLE,
    )
    plt.close(fig)


def test_a_source_the_operator_could_not_reach_shows_as_not_probed(records):
    unreached = [{**records[0], "reached": False, "error": "Connection refused", "probes": []}, *records[1:]]
    fig = plot_trust_matrix(trust_pivot(tabulate_trust(unreached)))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts].count("not\nprobed") == 5
    assert "not-probed" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)


def test_the_demo_s_recorded_matrix(demo_snapshot):
    """Six computes (the SSH lab under demo names), every pair drawn: 21 broken cells, each labelled."""
    fig = plot_trust_matrix(trust_pivot(tabulate_trust(demo_snapshot.get("hosts/ssh_trust"))))
    ax = fig.axes[0]
    hosts = ["fail-bind-1", "minicompute", "minicompute2", "ssh-dst-bad", "ssh-dst-ok", "ssh-src"]
    assert [t.get_text() for t in ax.get_yticklabels()] == hosts
    assert [t.get_text() for t in ax.get_xticklabels()] == hosts
    labels = [t.get_text() for t in ax.texts]
    assert len(labels) == 21 and labels.count("account\nnot-available") == 4  # minicompute2's nologin shell
    assert [t.get_text() for t in ax.get_legend().get_texts()] == EVERY_OUTCOME
    plt.close(fig)


def test_no_matrix_is_said_not_drawn():
    fig = plot_trust_matrix(pd.DataFrame())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["no trust matrix (pass trust_hosts)"] and not ax.axison
    plt.close(fig)


def test_without_a_fix_applied_one_line_says_the_matrix_above_stands(records, plain_python, capsys):
    trust = analyse_ssh_trust(records, pd.DataFrame(), BECOME, AS_ROOT)
    show_trust_outcome(TrustOutcome(pd.DataFrame(columns=["host", "action", "ok", "output"]), trust, False))
    assert capsys.readouterr().out == (  # outside a notebook: the text, without its HTML tags
        "no fix applied (dry run, or nothing automatic): the matrix above is the one that stands\n"
    )


def test_after_the_fixes_it_shows_what_ran_the_new_summary_and_the_matrix_again(records, plain_python, capsys):
    """What a run shows once apply_host_fixes ran and the matrix was probed again (here: all pairs work)."""
    healthy = [{**r, "probes": [{**p, "exit_code": 0, "stderr": ""} for p in r["probes"]]} for r in records]
    applied = pd.DataFrame(
        [
            {"host": "compute-05", "action": "chmod-private-key", "ok": True, "output": ""},
            {"host": "compute-04", "action": "login-shell", "ok": True, "output": ""},
        ]
    )
    figures = set(plt.get_fignums())
    show_trust_outcome(TrustOutcome(applied, analyse_ssh_trust(healthy, pd.DataFrame(), BECOME, AS_ROOT), True))
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Fixes applied, in order (2)"
    assert out[-1] == (
        "30 source → destination pair(s) probed, 0 broken; 0 fix(es) planned, 0 of them automatic; "
        "0 of 0 failed migration(s) explained by a pair still broken"
    )
    [new] = set(plt.get_fignums()) - figures
    drawn = plt.figure(new)
    assert drawn.axes[0].get_title() == TITLE and not drawn.axes[0].texts  # every cell ok: nothing written
    plt.close(drawn)
