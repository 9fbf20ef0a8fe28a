"""Plots of the vif-plugging runbook (matplotlib figures, returned so tests can inspect them)."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

MAX_EVENTS = 40  # a readable chart; the timeline table below it has every event
LABEL_CHARS = 80


def _label(what: str) -> str:
    one_line = " ".join(str(what).split())
    return one_line if len(one_line) <= LABEL_CHARS else one_line[: LABEL_CHARS - 1] + "…"


def plot_timeline(events: pd.DataFrame, title: str) -> Figure:
    """Events of one failed build in time order, one row each, the row's label on the left (inside the
    figure), a colour per source with its legend, and an axis fitted to the events."""
    shown = events.head(MAX_EVENTS)
    fig, ax = plt.subplots(figsize=(12, max(2.5, 0.3 * len(shown) + 1.8)), layout="constrained")
    if shown.empty:
        ax.text(0.5, 0.5, "no events to plot (no failed build, or no logs)", ha="center", va="center")
        ax.set_axis_off()
        return fig
    palette = plt.get_cmap("tab10")
    sources = list(dict.fromkeys(shown["source"]))
    rows = list(range(len(shown), 0, -1))  # the first event on top
    for index, source in enumerate(sources):
        mine = shown["source"] == source
        own_rows = [r for r, m in zip(rows, mine, strict=True) if m]
        ax.scatter(shown.loc[mine, "time"], own_rows, color=palette(index % 10), zorder=3, label=source)
    ax.set_yticks(rows, [_label(w) for w in shown["what"]], fontsize=8)
    ax.set_ylim(0.3, len(shown) + 0.7)
    start, end = shown["time"].min(), shown["time"].max()
    span = max(end - start, pd.Timedelta(seconds=2))
    ax.set_xlim(start - span * 0.05, end + span * 0.05)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
    ax.set_xlabel(f"time (UTC), {start:%Y-%m-%d}; {span.total_seconds():.0f} s from first to last event")
    more = f" (first {MAX_EVENTS} of {len(events)} events: the table has all)" if len(events) > MAX_EVENTS else ""
    ax.set_title(title + more)
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside lower center", ncol=min(3, len(sources)), fontsize=8, frameon=False)
    return fig
