"""Plots of the CPU-topology runbook (matplotlib figures, returned so tests can inspect them)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

PLOTTED_IMAGES = 25  # bars a reader can still read; the rest is one bar


def plot_vcpus_paid_vs_seen(servers: pd.DataFrame) -> Figure:
    """Per image: vCPUs the flavors give vs vCPUs the guests use, summed over existing servers; past
    PLOTTED_IMAGES images, the ones losing most, and the others' sums said under the title (as a bar, they
    would dwarf every other)."""
    known = servers.dropna(subset=["visible_vcpus"])
    per_image, others = per_image_vcpus(known)
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.45 * max(1, len(per_image)) + 1)))
    if known.empty:
        ax.text(0.5, 0.5, "no servers to plot", ha="center", va="center")
        ax.set_axis_off()
        return fig
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
    title = "vCPUs paid for vs seen by the guest, per image"
    if others:
        title = (
            f"{title}\nthe {len(per_image)} images losing most; the other {others['images']:,} images: "
            f"{others['vcpus']:,} vCPUs in flavors, {others['visible_vcpus']:,} used"
        )
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def per_image_vcpus(servers: pd.DataFrame, bars: int = PLOTTED_IMAGES) -> tuple[pd.DataFrame, dict[str, int]]:
    """vCPUs and guest-visible vCPUs summed per image, the ones losing most last (the top of the plot), at
    most ``bars`` of them; and what the others add up to (images, vcpus, visible_vcpus), {} if none."""
    per_image = (
        servers.assign(image=servers["image"].replace("", "(unknown image)"))
        .groupby("image")[["vcpus", "visible_vcpus"]]
        .sum()
    )
    per_image = per_image.assign(lost=per_image["vcpus"] - per_image["visible_vcpus"])
    per_image = per_image.sort_values(["lost", "vcpus"], ascending=False)
    rest = per_image.iloc[bars:]
    others = (
        {"images": len(rest), "vcpus": int(rest["vcpus"].sum()), "visible_vcpus": int(rest["visible_vcpus"].sum())}
        if len(rest)
        else {}
    )
    return per_image.iloc[:bars].iloc[::-1][["vcpus", "visible_vcpus"]], others
