"""The capacity runbook's figures on real analyses of the pacific captures (what the axes, bars, ticks and ratio
lines say), and the text cells: the verification after an applied step and the guarded ratio bump."""

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import pytest
from conftest import notebook_outputs

from runbook_lib.ceph_capacity.apply import compare_prediction
from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.plan import plan_ceph_reweight, reweight_limits
from runbook_lib.ceph_capacity.plots import (
    plot_osd_fill,
    plot_plan_steps,
    plot_predicted_vs_actual,
    plot_reweight_plan,
    show_ratio_bump,
    show_verification,
)
from runbook_lib.ceph_capacity.ratio_bump import plan_ratio_bump

from .pacific import osds_of, snapshot_of

RATIO_LABELS = ["nearfull 50%", "backfillfull 60%", "full 70%"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def ticks(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def hex_colours(patches) -> list[str]:
    return [mcolors.to_hex(p.get_facecolor()) for p in patches]


def test_osd_fill_has_one_bar_per_osd_fullest_first_coloured_by_state():
    analysis = analyse_ceph_capacity(snapshot_of("08-full"))
    bars, spread = plot_osd_fill(analysis.osds, analysis.ratios).axes
    by_fill = analysis.osds.sort_values("utilization", ascending=False)
    assert ticks(bars) == by_fill["name"].tolist() == ["osd.0", "osd.3", "osd.1", "osd.2"]
    assert [p.get_height() for p in bars.patches] == pytest.approx((by_fill["utilization"] * 100).tolist())
    assert hex_colours(bars.patches) == ["#b71c1c", "#ffa726", "#66bb6a", "#66bb6a"]  # full, nearfull, ok, ok
    assert bars.get_ylabel() == "% used" and bars.get_title() == "OSD fill, fullest first (4 of 4)"
    assert bars.get_legend_handles_labels()[1] == RATIO_LABELS
    assert [line.get_ydata()[0] for line in bars.get_lines()] == pytest.approx([50, 60, 70])
    assert (spread.get_xlabel(), spread.get_ylabel(), spread.get_title()) == ("% used", "OSDs", "Spread of OSD fill")
    assert sum(p.get_height() for p in spread.patches) == 4  # every OSD in the histogram
    assert [line.get_xdata()[0] for line in spread.get_lines()] == pytest.approx([50, 60, 70])


def test_reweight_plan_draws_each_osd_through_the_steps_with_the_ratio_lines():
    analysis = analyse_ceph_capacity(snapshot_of("02-nearfull"))
    predicted = plan_ceph_reweight(analysis, steps=3).predicted_utilization(analysis.osds)
    ax = plot_reweight_plan(predicted, analysis.ratios).axes[0]
    assert ticks(ax) == ["now", "after step 1", "after step 2", "after step 3"]
    assert ax.get_ylabel() == "% used (predicted)"
    assert ax.get_title() == "Predicted OSD fill per plan step (the 4 fullest)"
    assert ax.get_legend_handles_labels()[1] == ["osd.0", "osd.3", "osd.1", "osd.2", *RATIO_LABELS]
    osd0 = next(line for line in ax.get_lines() if line.get_label() == "osd.0")
    assert list(osd0.get_ydata()) == pytest.approx((predicted.loc["osd.0"] * 100).tolist())


def test_reweight_plan_keeps_only_the_top_fullest():
    analysis = analyse_ceph_capacity(snapshot_of("02-nearfull"))
    predicted = plan_ceph_reweight(analysis, steps=2).predicted_utilization(analysis.osds)
    ax = plot_reweight_plan(predicted, analysis.ratios, top=2).axes[0]
    assert (
        ax.get_legend_handles_labels()[1][:2] == ["osd.0", "osd.3"] and "osd.1" not in ax.get_legend_handles_labels()[1]
    )
    assert ax.get_title() == "Predicted OSD fill per plan step (the 2 fullest)"


def test_plan_steps_show_before_and_after_per_step_coloured_against_the_ratios():
    analysis = analyse_ceph_capacity(snapshot_of("02-nearfull"))
    predicted = plan_ceph_reweight(analysis, steps=3).predicted_utilization(analysis.osds)
    figure = plot_plan_steps(predicted, analysis.ratios)
    assert [ax.get_title() for ax in figure.axes] == [
        "after step 1: before → after",
        "after step 2: before → after",
        "after step 3: before → after",
    ]
    first, second, _ = figure.axes
    assert ticks(first) == ["osd.0", "osd.3", "osd.1", "osd.2"] and len(first.patches) == 8
    before, after = first.patches[:4], first.patches[4:]
    assert [p.get_height() for p in before] == pytest.approx((predicted.loc[ticks(first), "now"] * 100).tolist())
    step1 = predicted.loc[ticks(first), "after step 1"]
    assert [p.get_height() for p in after] == pytest.approx((step1 * 100).tolist())
    expected = ["#ef6c00" if v >= 0.5 else "#2e7d32" for v in step1]  # past nearfull: orange; else green
    assert hex_colours(after) == expected and expected[0] == "#ef6c00"
    assert [p.get_height() for p in second.patches[:4]] == pytest.approx((step1 * 100).tolist())  # from step 1
    assert first.get_legend_handles_labels()[1] == [*RATIO_LABELS, "before", "after"]


def test_plan_steps_show_at_most_max_steps_panels():
    analysis = analyse_ceph_capacity(snapshot_of("02-nearfull"))
    predicted = plan_ceph_reweight(analysis, steps=5).predicted_utilization(analysis.osds)
    assert len(plot_plan_steps(predicted, analysis.ratios, max_steps=2).axes) == 2


def test_without_a_step_the_plan_figures_say_so():
    analysis = analyse_ceph_capacity(snapshot_of("02-nearfull"))
    predicted = plan_ceph_reweight(analysis, reweight_limits(oload=200)).predicted_utilization(analysis.osds)
    assert list(predicted.columns) == ["now"]
    for figure in (plot_reweight_plan(predicted, analysis.ratios), plot_plan_steps(predicted, analysis.ratios)):
        [ax] = figure.axes
        assert [t.get_text() for t in ax.texts] == ["no reweight step planned"] and not ax.axison


def verification():
    """Step 1 planned on 03-nearfull-with-rbd against a later real state of the same cluster."""
    step = plan_ceph_reweight(analyse_ceph_capacity(snapshot_of("03-nearfull-with-rbd"))).steps[0]
    return compare_prediction(step, osds_of("06-reweight-osd0-0.85-rebalanced"), largest_pg=20 * 1024**2)


def test_predicted_vs_actual_has_three_bars_per_osd_and_colours_the_actual_by_tolerance():
    table = verification()
    # the real step: every tolerance (the largest PG × the PGs that may move) is above the change predicted
    assert table["verdict"].tolist()[0] == (
        "cannot tell: the tolerance (7.81 pp) is not smaller than the change predicted (1.77 pp)"
    )
    assert table["verdict"].str.startswith("cannot tell").all()
    table.loc[1, "verdict"] = "as predicted"  # as if osd.1 had been told
    table.loc[3, ["verdict", "within"]] = ["off by +4.00 pp", False]  # as if osd.3 had ended up outside
    ax = plot_predicted_vs_actual(table).axes[0]
    assert ticks(ax) == ["osd.0", "osd.1", "osd.2", "osd.3"] and len(ax.patches) == 12
    assert ax.get_legend_handles_labels()[1] == ["before", "predicted", "actual"]
    actual = ax.patches[8:]
    assert [p.get_height() for p in actual] == pytest.approx((table["actual"] * 100).tolist())
    assert hex_colours(actual) == ["#9e9e9e", "#2e7d32", "#9e9e9e", "#c62828"]
    assert ax.get_title() == "Applied step: predicted (± tolerance) vs actual fill per OSD (grey: cannot tell)"
    assert [t.get_text() for t in plot_predicted_vs_actual(None).axes[0].texts] == ["no step applied"]


def test_show_verification_without_a_step_is_one_line():
    with notebook_outputs() as shown:
        show_verification(None)
    assert [o.data["text/html"] for o in shown.outputs] == [
        "<p><em>no step applied (dry run, nothing to apply, or recovery still running): nothing to verify</em></p>"
    ]


def test_show_verification_of_an_applied_step_shows_the_table_and_draws_the_figure():
    figures = len(plt.get_fignums())
    with notebook_outputs() as shown:
        show_verification(verification())
    caption, table = (o.data["text/html"] for o in shown.outputs)
    assert caption == "<h4>Step 1: predicted vs actual fill per OSD (4)</h4>"
    assert all(f">osd.{i}<" in table for i in range(4)) and "tolerance" in table
    assert len(plt.get_fignums()) == figures + 1


def test_show_ratio_bump_prints_the_raise_top_down_then_the_restore(capsys):
    show_ratio_bump(plan_ratio_bump({"nearfull": 0.5, "backfillfull": 0.6, "full": 0.7}))
    assert capsys.readouterr().out.splitlines() == [
        "ceph osd set-full-ratio 0.72",
        "ceph osd set-backfillfull-ratio 0.62",
        "ceph osd set-nearfull-ratio 0.52",
        "restore afterwards:",
        "ceph osd set-nearfull-ratio 0.5",
        "ceph osd set-backfillfull-ratio 0.6",
        "ceph osd set-full-ratio 0.7",
    ]


def test_show_ratio_bump_says_why_it_is_not_possible(capsys):
    show_ratio_bump(plan_ratio_bump({"nearfull": 0.85, "backfillfull": 0.9, "full": 0.95}, step=0.02))
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "not possible: full would reach 0.97, at or past the failsafe 0.97"
    assert out.splitlines() == ["not possible: full would reach 0.97, at or past the failsafe 0.97"]  # no restore


def test_the_fill_plot_without_data_says_so_and_warns_of_nothing():
    import warnings

    from runbook_lib.ceph_capacity.tables import tabulate_osds, with_states

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = plot_osd_fill(with_states(tabulate_osds({}, {}), {}), {})
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts == ["no OSD with a size was read"] and figure.axes[0].get_legend() is None
