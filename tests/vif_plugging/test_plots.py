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


def test_each_event_is_a_labelled_point_in_time_order(analysis):
    """vif-nonfatal: its agent list, its build, its port and the notifier, the timeout nobody acted on."""
    fig = plot_timeline(analysis.timeline(analysis.pick("vif-nonfatal")), "vif-nonfatal went ACTIVE unwired")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == [
        "neutron agent: DHCP agent on net-1 (NOT alive): last heartbeat",
        "nova-compute vif-down-2 (INFO): Claim successful on node vif-down-2",
        "neutron port: port e6bcaae5 last update: DOWN, ovs",
        "neutron-server notifier: network-changed port e6bcaae5: delivered (code 200)",
        "nova-compute vif-down-2 (WARNING): Timeout waiting for ['network-vif-plugged-e6bcaae5-7ad6-4448-affd-"
        "9aefb94c1c9a'] for instance with vm_state bu",
        "nova-compute vif-down-2 (INFO): Took 12.36 seconds to spawn the instance on the hypervisor.",
        "nova-compute vif-down-2 (INFO): Took 12.67 seconds to build instance.",
    ]
    points = [c.get_offsets()[0] for c in ax.collections]
    assert [y for _, y in points] == [7, 6, 5, 4, 3, 2, 1]  # the first event on top
    times = [mdates.num2date(x).replace(tzinfo=None) for x, _ in points]
    assert times[0] == pd.Timestamp("2026-11-24 03:14:37") and times == sorted(times)
    assert (ax.get_title(), ax.get_xlabel(), list(ax.get_yticks())) == (
        "vif-nonfatal went ACTIVE unwired",
        "time (UTC), 2026-11-24",
        [],
    )
    fig.canvas.draw()
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", t.get_text()) for t in ax.get_xticklabels())
    plt.close(fig)


def test_one_colour_per_source(analysis):
    timeline = analysis.timeline(analysis.pick("vif-nonfatal"))
    fig = plot_timeline(timeline, "")
    colours = {}
    for source, points in zip(timeline["source"], fig.axes[0].collections, strict=True):
        colours.setdefault(source, set()).add(tuple(points.get_facecolor()[0]))
    assert all(len(c) == 1 for c in colours.values())
    assert len({c for cs in colours.values() for c in cs}) == 5  # five sources, five colours
    plt.close(fig)


def test_an_aborted_build_shows_nova_s_fault_among_its_63_events(analysis):
    timeline = analysis.timeline(analysis.pick("vif-timeout"))
    fig = plot_timeline(timeline, "")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert len(fig.axes[0].collections) == len(labels) == 63
    assert labels[0] == "neutron agent: Open vSwitch agent on vif-down-1 (NOT alive): last heartbeat"
    faults = [label for label in labels if label.startswith("nova fault: ")]
    assert faults == [
        "nova fault: Build of instance 6eb7ea92-bc5a-4dff-b426-0a3ff94ee204 aborted: Failed to allocate the "
        "network(s), not resched"  # the timeline keeps 110 characters of each event
    ]
    plt.close(fig)


def test_no_events_is_said_not_drawn(analysis):
    fig = plot_timeline(analysis.timeline(None), "nothing")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["no events to plot (no failed build, or no logs)"]
    assert not ax.axison and not ax.collections
    plt.close(fig)
