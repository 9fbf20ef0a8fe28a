"""Plots for the runbooks (matplotlib figures, returned so tests can inspect them)."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd


def plot_vcpus_paid_vs_seen(servers: pd.DataFrame) -> plt.Figure:
    """Per image: vCPUs the flavors give vs vCPUs the guests use, summed over existing servers."""
    known = servers.dropna(subset=["visible_vcpus"])
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.45 * max(1, known["image"].nunique()) + 1)))
    if known.empty:
        ax.text(0.5, 0.5, "no servers to plot", ha="center", va="center")
        ax.set_axis_off()
        return fig
    per_image = (
        known.assign(image=known["image"].replace("", "(unknown image)"))
        .groupby("image")[["vcpus", "visible_vcpus"]]
        .sum()
        .sort_values("vcpus")
    )
    y = range(len(per_image))
    ax.barh([i + 0.2 for i in y], per_image["vcpus"], height=0.4, label="vCPUs in flavors", color="#90a4ae")
    ax.barh(
        [i - 0.2 for i in y],
        per_image["visible_vcpus"],
        height=0.4,
        label="vCPUs the guest uses",
        color="#c62828",
    )
    ax.set_yticks(list(y), per_image.index)
    ax.set_xlabel("vCPUs (sum over servers)")
    ax.set_title("vCPUs paid for vs seen by the guest, per image")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_timeline(events: pd.DataFrame, title: str) -> plt.Figure:
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
        ax.annotate(
            f"{e.source}: {e.what}", (e.time, y), xytext=(6, -3), textcoords="offset points", fontsize=8
        )
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


_OUTCOME_COLOURS = {
    "ok": "#66bb6a", "—": "#ffffff", "": "#ffffff", "not-probed": "#cfd8dc",
    "host-key-unknown": "#ffa726", "host-key-changed": "#6a1b9a", "publickey-denied": "#ef5350",
    "account-not-available": "#ab47bc", "bad-key-permissions": "#ec407a", "connection-refused": "#8d6e63",
    "timeout": "#5d4037", "no-route": "#795548", "name-resolution": "#42a5f5",
}  # fmt: skip
_OTHER_COLOUR = "#b71c1c"


def plot_trust_matrix(pivot: pd.DataFrame) -> plt.Figure:
    """Source × destination heatmap of what nova's ssh says, one colour per outcome."""
    from matplotlib.patches import Patch

    n_rows, n_cols = pivot.shape
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * n_cols + 3), max(2.5, 0.55 * n_rows + 1.8)))
    if pivot.empty:
        ax.text(0.5, 0.5, "no trust matrix (pass trust_hosts)", ha="center", va="center")
        ax.set_axis_off()
        return fig
    for i, source in enumerate(pivot.index):
        for j, dest in enumerate(pivot.columns):
            outcome = pivot.loc[source, dest]
            colour = _OUTCOME_COLOURS.get(outcome, _OTHER_COLOUR)
            ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="#ffffff", linewidth=2))
            if outcome not in ("", "—", "ok"):
                ax.text(j + 0.5, i + 0.5, outcome.replace("-", "\n", 1), ha="center", va="center", fontsize=7)
    ax.set_xlim(0, n_cols)
    ax.set_ylim(n_rows, 0)
    ax.set_xticks([j + 0.5 for j in range(n_cols)], pivot.columns, rotation=30, ha="right")
    ax.set_yticks([i + 0.5 for i in range(n_rows)], pivot.index)
    ax.set_xlabel("destination (nova SSHes to its migration address)")
    ax.set_ylabel("source (nova-compute running the ssh)")
    ax.set_title("Can nova on the source SSH to the destination?")
    seen = sorted({v for v in pivot.to_numpy().ravel() if v not in ("", "—")})
    ax.legend(handles=[Patch(color=_OUTCOME_COLOURS.get(v, _OTHER_COLOUR), label=v) for v in seen],
              loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # fmt: skip
    fig.tight_layout()
    return fig


_STATE_COLOURS = {
    "ok": "#66bb6a",
    "nearfull": "#ffa726",
    "backfillfull": "#ef5350",
    "full": "#b71c1c",
    "out": "#cfd8dc",
}
_RATIO_STYLES = {"nearfull": ("#ef6c00", "--"), "backfillfull": ("#c62828", "-."), "full": ("#6a1b9a", "-")}


def _ratio_lines(ax: plt.Axes, ratios: dict[str, float], horizontal: bool = True) -> None:
    for name, (colour, style) in _RATIO_STYLES.items():
        if name not in ratios:  # no Ceph data: no lines
            continue
        line = ax.axhline if horizontal else ax.axvline
        line(
            ratios[name] * 100, color=colour, linestyle=style, linewidth=1, label=f"{name} {ratios[name]:.0%}"
        )


def plot_osd_fill(osds: pd.DataFrame, ratios: dict[str, float]) -> plt.Figure:
    """Every OSD's fill, fullest first, against the OSDMap's ratios; and how the fills are spread."""
    live = osds[osds["kb"] > 0].sort_values("utilization", ascending=False)
    fig, (bars, hist) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [2, 1]})
    shown = live.head(60)  # a large cluster: the 60 fullest; the histogram has them all
    bars.bar(
        shown["name"],
        shown["utilization"] * 100,
        color=[_STATE_COLOURS.get(s, "#90a4ae") for s in shown["state"]],
    )
    _ratio_lines(bars, ratios)
    bars.set_ylabel("% used")
    bars.set_title(f"OSD fill, fullest first ({len(shown)} of {len(live)})")
    bars.tick_params(axis="x", rotation=90, labelsize=7)
    bars.legend(fontsize=7, loc="upper right")
    hist.hist(live["utilization"] * 100, bins=min(30, max(5, len(live) // 2)), color="#90a4ae")
    _ratio_lines(hist, ratios, horizontal=False)
    hist.set_xlabel("% used")
    hist.set_ylabel("OSDs")
    hist.set_title("Spread of OSD fill")
    fig.tight_layout()
    return fig


def plot_reweight_plan(predicted: pd.DataFrame, ratios: dict[str, float], top: int = 12) -> plt.Figure:
    """Predicted fill of the fullest OSDs after each plan step (step 0 = now)."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    if predicted.shape[1] <= 1:
        ax.text(0.5, 0.5, "no reweight step planned", ha="center", va="center")
        ax.set_axis_off()
        return fig
    chosen = predicted.max(axis=1).sort_values(ascending=False).head(top).index
    for name in chosen:
        ax.plot(range(predicted.shape[1]), predicted.loc[name] * 100, marker="o", label=name)
    _ratio_lines(ax, ratios)
    ax.set_xticks(range(predicted.shape[1]), predicted.columns, rotation=20)
    ax.set_ylabel("% used (predicted)")
    ax.set_title(f"Predicted OSD fill per plan step (the {len(chosen)} fullest)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def plot_plan_steps(predicted: pd.DataFrame, ratios: dict[str, float], top: int = 12, max_steps: int = 4) -> plt.Figure:  # fmt: skip
    """Before and after each plan step, side by side: the fill of the fullest OSDs now (grey) and once
    the step has moved its data (coloured), against the three ratios."""
    steps = list(predicted.columns[1 : max_steps + 1])
    fig, axes = plt.subplots(1, max(1, len(steps)), figsize=(4.2 * max(1, len(steps)), 3.6), squeeze=False)
    if not steps:
        axes[0][0].text(0.5, 0.5, "no reweight step planned", ha="center", va="center")
        axes[0][0].set_axis_off()
        return fig
    chosen = predicted[predicted.columns[0]].sort_values(ascending=False).head(top).index
    previous = predicted.columns[0]
    for ax, step in zip(axes[0], steps, strict=True):
        x = range(len(chosen))
        ax.bar(
            [i - 0.2 for i in x],
            predicted.loc[chosen, previous] * 100,
            width=0.4,
            color="#cfd8dc",
            label="before",
        )
        after = predicted.loc[chosen, step]
        colours = ["#c62828" if v >= ratios.get("backfillfull", 1) else "#ef6c00" if v >= ratios.get("nearfull", 1)
                   else "#2e7d32" for v in after]  # fmt: skip
        ax.bar([i + 0.2 for i in x], after * 100, width=0.4, color=colours, label="after")
        _ratio_lines(ax, ratios)
        ax.set_xticks(list(x), list(chosen), rotation=90, fontsize=7)
        ax.set_title(f"{step}: before → after", fontsize=9)
        ax.set_ylabel("% used (predicted)")
        previous = step
    axes[0][0].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def plot_predicted_vs_actual(verification: pd.DataFrame) -> plt.Figure:
    """After an applied step: what the plan predicted per OSD, what the cluster then reported, and the
    tolerance (whole PGs move, so the prediction is good to a few PGs' bytes)."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    if verification is None or verification.empty:
        ax.text(0.5, 0.5, "no step applied", ha="center", va="center")
        ax.set_axis_off()
        return fig
    x = range(len(verification))
    ax.bar([i - 0.27 for i in x], verification["before"] * 100, width=0.27, color="#cfd8dc", label="before")
    ax.bar(list(x), verification["predicted"] * 100, width=0.27, color="#90caf9", label="predicted",
           yerr=verification["tolerance"] * 100, capsize=3)  # fmt: skip
    ax.bar([i + 0.27 for i in x], verification["actual"] * 100, width=0.27,
           color=["#2e7d32" if w else "#c62828" for w in verification["within"]], label="actual")  # fmt: skip
    ax.set_xticks(list(x), list(verification["osd"]), rotation=90, fontsize=7)
    ax.set_ylabel("% used")
    ax.set_title("Applied step: predicted (± tolerance) vs actual fill per OSD")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
