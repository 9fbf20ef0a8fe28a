"""The timeline of one failed build, drawn from the demo's real logs, ports, notifier lines and agents."""

import re

import matplotlib
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from runbook_lib.vif_plugging.analysis import analyse_vif_plugging
from runbook_lib.vif_plugging.plots import plot_timeline

matplotlib.use("Agg")  # figures are inspected, never shown


@pytest.fixture(scope="module")
def analysis(demo_snapshot):
    return analyse_vif_plugging(demo_snapshot)


def _points(ax) -> list[tuple[pd.Timestamp, float, str]]:
    """(time, row, source) of every point drawn, read back from the axes."""
    out = []
    for collection in ax.collections:
        for x, y in collection.get_offsets():
            out.append((pd.Timestamp(mdates.num2date(x)).tz_localize(None), y, collection.get_label()))
    return sorted(out, key=lambda p: -p[1])


def test_each_event_is_a_row_labelled_inside_the_figure_in_time_order(analysis, demo_snapshot):
    """vif-nonfatal: its agent list, its build, its port and the notifier, the timeout nobody acted on; each
    row's label is its y tick (left of the chart, so nothing runs off the right edge)."""
    timeline = analysis.timeline(analysis.pick("vif-nonfatal"))
    fig = plot_timeline(timeline, "vif-nonfatal went ACTIVE unwired")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    port = next(p["id"] for p in demo_snapshot.get("openstack/ports") if p["name"] == "vif-nonfatal-port")
    expected = [
        "DHCP agent on net-1 \\(NOT alive\\): last heartbeat",
        "Claim successful on node vif-down-2",
        f"port {port[:8]} last update: DOWN, ovs",
        f"network-changed port {port[:8]}: delivered \\(code 200\\)",
        f"Timeout waiting for \\['network-vif-plugged-{port}'…",  # cut at 80
        r"Took \d+\.\d\d seconds to spawn the instance on the hypervisor\.",
        r"Took \d+\.\d\d seconds to build instance\.",
        r"During sync_power_state the instance has a pending task \(spawning\)\. Skip\.",
    ]  # in event order: the first event is the top row
    if len(labels) == len(expected) - 1:  # the power-state sync runs every 10 s: it may miss the spawn
        expected = expected[:-1]
    assert len(labels) == len(expected) and all(re.fullmatch(e, t) for e, t in zip(expected, labels, strict=True)), (
        labels
    )
    points = _points(ax)
    assert [y for _, y, _ in points] == list(range(len(expected), 0, -1))
    times = [t for t, _, _ in points]
    assert times[0] == timeline["time"].iloc[0] and times == sorted(times)
    assert ax.get_title() == "vif-nonfatal went ACTIVE unwired"
    assert ax.get_xlabel().startswith(f"time (UTC), {times[0]:%Y-%m-%d}; ")
    left, right = (pd.Timestamp(mdates.num2date(x)).tz_localize(None) for x in ax.get_xlim())
    span = times[-1] - times[0]
    assert left >= times[0] - span * 0.06 and right <= times[-1] + span * 0.06  # the axis fits the events
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    figure_box = fig.bbox
    for tick in ax.get_yticklabels():
        box = tick.get_window_extent(renderer)
        assert box.x0 >= figure_box.x0 - 1 and box.x1 <= figure_box.x1 + 1, tick.get_text()
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", t.get_text()) for t in ax.get_xticklabels())
    plt.close(fig)


def test_one_colour_per_source_with_a_legend(analysis):
    timeline = analysis.timeline(analysis.pick("vif-nonfatal"))
    fig = plot_timeline(timeline, "")
    ax = fig.axes[0]
    colours = {c.get_label(): tuple(c.get_facecolor()[0]) for c in ax.collections}
    assert set(colours) == set(timeline["source"]) and len(set(colours.values())) == len(colours)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == list(dict.fromkeys(timeline["source"]))
    plt.close(fig)


def test_a_long_timeline_draws_its_first_events_and_says_the_table_has_all(analysis):
    one = analysis.timeline(analysis.pick("vif-timeout"))  # 14 real events, repeated a minute apart each time
    timeline = pd.concat([one.assign(time=one["time"] + pd.Timedelta(minutes=i)) for i in range(4)], ignore_index=True)
    fig = plot_timeline(timeline, "vif-timeout")
    ax = fig.axes[0]
    assert len(timeline) > 40 and len(_points(ax)) == 40
    assert ax.get_title() == f"vif-timeout (first 40 of {len(timeline)} events: the table has all)"
    assert ax.get_yticklabels()[0].get_text() == one["what"].iloc[0]  # the first event: an agent's last heartbeat
    assert any(t.get_text().startswith("Open vSwitch agent on vif-down-1 (NOT alive)") for t in ax.get_yticklabels())
    plt.close(fig)


def test_no_events_is_said_not_drawn(analysis):
    fig = plot_timeline(analysis.timeline(None), "nothing")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["no events to plot (no failed build, or no logs)"]
    assert not ax.axison and not ax.collections
    plt.close(fig)
