"""Plots of the vif-plugging runbook (matplotlib figures, returned so tests can inspect them)."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure


def plot_timeline(events: pd.DataFrame, title: str) -> Figure:
    """Events of one failed build on a time axis, one lane per source, labelled in order."""
    fig, ax = plt.subplots(figsize=(11, max(2.5, 0.42 * len(events) + 1.2)))
    if events.empty:
        ax.text(0.5, 0.5, "no events to plot (no failed build, or no logs)", ha="center", va="center")
        ax.set_axis_off()
        return fig
    lanes = {source: i for i, source in enumerate(dict.fromkeys(events["source"]))}
    colours = ["#546e7a", "#ef6c00", "#c62828", "#2e7d32", "#6a1b9a"]
    for i, e in enumerate(events.itertuples()):
        y = len(events) - i
        ax.scatter(e.time, y, color=colours[lanes[e.source] % len(colours)], zorder=3)
        ax.annotate(f"{e.source}: {e.what}", (e.time, y), xytext=(6, -3), textcoords="offset points", fontsize=8)
    ax.set_yticks([])
    ax.set_ylim(0, len(events) + 1)
    start, end = events["time"].min(), events["time"].max()
    span = max(end - start, pd.Timedelta(seconds=2))
    ax.set_xlim(start - span * 0.05, end + span * 1.6)  # room on the right for the labels
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
    ax.set_xlabel(f"time (UTC), {start:%Y-%m-%d}")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
