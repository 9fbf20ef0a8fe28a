"""Plots of the CPU-topology runbook (matplotlib figures, returned so tests can inspect them)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure


def plot_vcpus_paid_vs_seen(servers: pd.DataFrame) -> Figure:
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
