"""Plots of the resize/SSH runbook (matplotlib figures, returned so tests can inspect them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from runbook_lib.show import show_figure, show_note, show_table

if TYPE_CHECKING:
    from runbook_lib.resize_ssh.apply import TrustOutcome


_OUTCOME_COLOURS = {
    "ok": "#66bb6a",
    "—": "#ffffff",
    "": "#ffffff",
    "not-probed": "#cfd8dc",
    "host-key-unknown": "#ffa726",
    "host-key-changed": "#6a1b9a",
    "publickey-denied": "#ef5350",
    "account-not-available": "#ab47bc",
    "bad-key-permissions": "#ec407a",
    "connection-refused": "#8d6e63",
    "timeout": "#5d4037",
    "no-route": "#795548",
    "name-resolution": "#42a5f5",
}
_OTHER_COLOUR = "#b71c1c"


def plot_trust_matrix(pivot: pd.DataFrame) -> Figure:
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
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="#ffffff", linewidth=2))
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
    ax.legend(
        handles=[Patch(color=_OUTCOME_COLOURS.get(v, _OTHER_COLOUR), label=v) for v in seen],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
    )
    fig.tight_layout()
    return fig


def show_trust_outcome(outcome: TrustOutcome) -> None:
    """After the fixes were applied: what ran on each host, and the matrix probed again; else one line."""
    if not outcome.reprobed:
        show_note("no fix applied (dry run, or nothing automatic): the matrix above is the one that stands")
        return
    show_table(outcome.applied, "Fixes applied, in order", "no fix ran")
    print(outcome.trust.summary)
    show_figure(plot_trust_matrix(outcome.trust.pivot))
