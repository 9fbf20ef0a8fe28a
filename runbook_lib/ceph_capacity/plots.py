"""Plots of the Ceph capacity runbook (matplotlib figures, returned so tests can inspect them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from runbook_lib.records import Record
from runbook_lib.show import show_figure, show_note, show_table

if TYPE_CHECKING:
    from runbook_lib.ceph_capacity.choice import Rebalancing
    from runbook_lib.ceph_capacity.upmap import UpmapPlan

_STATE_COLOURS = {
    "ok": "#66bb6a",
    "nearfull": "#ffa726",
    "backfillfull": "#ef5350",
    "full": "#b71c1c",
    "out": "#cfd8dc",
}
_RATIO_STYLES = {"nearfull": ("#ef6c00", "--"), "backfillfull": ("#c62828", "-."), "full": ("#6a1b9a", "-")}


def _ratio_lines(ax: Axes, ratios: dict[str, float], horizontal: bool = True) -> None:
    for name, (colour, style) in _RATIO_STYLES.items():
        if name not in ratios:  # no Ceph data: no lines
            continue
        line = ax.axhline if horizontal else ax.axvline
        line(ratios[name] * 100, color=colour, linestyle=style, linewidth=1, label=f"{name} {ratios[name]:.0%}")


def plot_osd_fill(osds: pd.DataFrame, ratios: dict[str, float]) -> Figure:
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
    if ratios:
        bars.legend(fontsize=7, loc="upper right")
    if live.empty:  # a figure that says why it is empty, never a blank axis
        bars.text(0.5, 0.5, "no OSD with a size was read", ha="center", va="center", transform=bars.transAxes)
    hist.hist(live["utilization"] * 100, bins=min(30, max(5, len(live) // 2)), color="#90a4ae")
    _ratio_lines(hist, ratios, horizontal=False)
    hist.set_xlabel("% used")
    hist.set_ylabel("OSDs")
    hist.set_title("Spread of OSD fill")
    fig.tight_layout()
    return fig


def plot_reweight_plan(predicted: pd.DataFrame, ratios: dict[str, float], top: int = 12) -> Figure:
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


def plot_plan_steps(predicted: pd.DataFrame, ratios: dict[str, float], top: int = 12, max_steps: int = 4) -> Figure:
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
        colours = [
            "#c62828"
            if v >= ratios.get("backfillfull", 1)
            else "#ef6c00"
            if v >= ratios.get("nearfull", 1)
            else "#2e7d32"
            for v in after
        ]
        ax.bar([i + 0.2 for i in x], after * 100, width=0.4, color=colours, label="after")
        _ratio_lines(ax, ratios)
        ax.set_xticks(list(x), list(chosen), rotation=90, fontsize=7)
        ax.set_title(f"{step}: before → after", fontsize=9)
        ax.set_ylabel("% used (predicted)")
        previous = step
    axes[0][0].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def plot_predicted_vs_actual(verification: pd.DataFrame) -> Figure:
    """After an applied step: what the plan predicted per OSD, what the cluster then reported, and the
    tolerance (whole PGs move, so the prediction is good to a few PGs' bytes)."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    if verification is None or verification.empty:
        ax.text(0.5, 0.5, "no step applied", ha="center", va="center")
        ax.set_axis_off()
        return fig
    x = range(len(verification))
    ax.bar([i - 0.27 for i in x], verification["before"] * 100, width=0.27, color="#cfd8dc", label="before")
    ax.bar(
        list(x),
        verification["predicted"] * 100,
        width=0.27,
        color="#90caf9",
        label="predicted",
        yerr=verification["tolerance"] * 100,
        capsize=3,
    )
    ax.bar(
        [i + 0.27 for i in x],
        verification["actual"] * 100,
        width=0.27,
        color=[
            "#9e9e9e" if v.startswith("cannot tell") else "#2e7d32" if w else "#c62828"
            for v, w in zip(verification["verdict"], verification["within"], strict=True)
        ],
        label="actual",
    )
    ax.set_xticks(list(x), list(verification["osd"]), rotation=90, fontsize=7)
    ax.set_ylabel("% used")
    ax.set_title("Applied step: predicted (± tolerance) vs actual fill per OSD (grey: cannot tell)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def show_verification(verification: pd.DataFrame | None) -> None:
    """After an applied step: predicted vs actual fill per OSD, as a table and a plot; else one line."""
    if verification is None:
        show_note("no step applied (dry run, nothing to apply, or recovery still running): nothing to verify")
        return
    show_table(verification, "Step 1: predicted vs actual fill per OSD", "no OSD")
    show_figure(plot_predicted_vs_actual(verification))


def show_ratio_bump(bump: Record) -> None:
    """The guarded ratio bump: the commands in their safe order and those that restore today's ratios."""
    if not bump["possible"]:
        print("not possible: " + bump["why"])  # nothing raised, so nothing to restore
        return
    print("\n".join(bump["raise"]))
    print("restore afterwards:\n" + "\n".join(bump["restore"]))


def show_rebalancing(rebalancing: Rebalancing) -> None:
    """The choice and its reasons, the plans side by side, and every OSD's predicted fill after each plan."""
    print(f"chosen: {rebalancing.choice['plan']}")
    for reason in rebalancing.choice["why"]:
        print(f"  - {reason}")
    show_table(
        rebalancing.table,
        "The plans side by side (same byte model; score: Ceph's balancer eval)",
        ("" if rebalancing.choice["plan"] == "none" else "no plan to compare: ") + "; ".join(rebalancing.choice["why"]),
    )
    show_table(
        rebalancing.fill, "Predicted fill per OSD after each plan", "no PG-level prediction: " + rebalancing.no_fill
    )
    optimizer = rebalancing.ceph_optimizer
    if optimizer.get("error"):
        show_note(f"Ceph's optimizer not run: {optimizer['error']}")
    elif optimizer:
        print("Ceph's optimizer was run as: " + " ".join(optimizer["argv"]))
    else:
        show_note("Ceph's optimizer not run: this snapshot has no exported OSDMap (run live: ceph_live=True)")


def show_upmap_plan(plan: UpmapPlan, osds: pd.DataFrame, ratios: dict[str, float]) -> None:
    """The upmap plan's moves (with the command and its undo) and why it ends; the predicted fill per step."""
    show_table(plan.table(), "Upmap plan: one row per PG move", "no move: " + (plan.refused or plan.stopped))
    if plan.held:
        print(plan.held)
    if plan.steps:
        print(plan.stopped)
        show_figure(plot_plan_steps(plan.predicted_utilization(osds), ratios))
