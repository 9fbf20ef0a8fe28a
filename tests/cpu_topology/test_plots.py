"""The CPU-topology figure, drawn from the demo's real analysis."""

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from runbook_lib.cpu_topology.checks import analyse_cpu_topology
from runbook_lib.cpu_topology.plots import PLOTTED_IMAGES, plot_vcpus_paid_vs_seen
from runbook_lib.snapshot import Snapshot, new_manifest

matplotlib.use("Agg")  # figures are inspected, never shown


def _bars(ax):
    """image label → (vCPUs in flavors, vCPUs the guest uses), read back from the drawn bars."""
    labels = {round(t.get_position()[1]): t.get_text() for t in ax.get_yticklabels()}
    bars = {}
    for bar in ax.patches:
        centre = bar.get_y() + bar.get_height() / 2
        kind = "paid" if centre > round(centre) else "seen"  # paid at y + 0.2, seen at y - 0.2
        bars.setdefault(labels[round(centre)], {})[kind] = bar.get_width()
    return {label: (b["paid"], b["seen"]) for label, b in bars.items()}


def test_each_image_shows_vcpus_paid_for_and_seen(demo_analysis):
    fig = plot_vcpus_paid_vs_seen(demo_analysis.servers)
    ax = fig.axes[0]
    assert _bars(ax) == {
        "Windows 7 Professional SP1": (12, 4),  # sql-win7 (8 → 2) and desk-win7 (4 → 2)
        "Windows 10 Home 22H2": (8, 2),  # desk-home-1 and the volume-backed vdi-home-bfv
        "Windows 10 Pro 22H2": (12, 10),  # rdp-pro-1 loses 2; rdp-pro-2 runs on the capped w1.large
        "win10-enterprise-ltsc-gold": (8, 2),
        "Windows 11 Pro (fixed)": (8, 8),
        "Windows Server 2019 Datacenter": (16, 16),
        "Rocky 9 (pinned 4 sockets)": (8, 8),
        "Ubuntu 24.04": (40, 40),
        "cirros-fake": (12, 12),  # the failure scenarios' servers, vif-dup-1 among them
    }
    assert len(ax.patches) == 18
    lost = [paid - seen for paid, seen in (_bars(ax)[t.get_text()] for t in ax.get_yticklabels())]
    assert lost == sorted(lost) and lost[-1] == 8  # the images losing most at the top
    assert ax.get_xlabel() == "vCPUs (sum over servers)"
    assert ax.get_title() == "vCPUs paid for vs seen by the guest, per image"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["vCPUs in flavors", "vCPUs the guest uses"]
    plt.close(fig)


def test_past_25_images_the_ones_losing_most_are_drawn_and_the_others_sums_are_said(demo_analysis):
    servers = demo_analysis.servers
    many = pd.concat(
        [servers.assign(image=servers["image"] + f" #{i}", vcpus=servers["vcpus"] + i) for i in range(30)]
    )  # 9 images × 30: 270 images
    fig = plot_vcpus_paid_vs_seen(many)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    per_image = many.groupby("image")[["vcpus", "visible_vcpus"]].sum()
    lost = (per_image["vcpus"] - per_image["visible_vcpus"]).sort_values(ascending=False)
    assert len(labels) == PLOTTED_IMAGES
    assert lost[labels].min() >= lost.drop(index=labels).max() and lost[labels].max() == lost.max()  # losing most
    rest = per_image.drop(index=labels)
    assert ax.get_title().splitlines()[1] == (
        f"the 25 images losing most; the other 245 images: {rest['vcpus'].sum():,} vCPUs in flavors, "
        f"{rest['visible_vcpus'].sum():,} used"
    )  # nothing left out: what is not drawn is added up
    assert fig.get_size_inches()[1] == pytest.approx(0.45 * PLOTTED_IMAGES + 1)
    plt.close(fig)


def test_a_server_with_no_image_name_is_labelled_unknown(demo_copy):
    """Without the volume listing the volume-backed server has no image name: it gets a visible label."""
    demo_copy.parts["openstack/volumes"] = []
    fig = plot_vcpus_paid_vs_seen(analyse_cpu_topology(demo_copy).servers)
    bars = _bars(fig.axes[0])
    assert bars["(unknown image)"] == (4, 4)  # unknown properties: Nova's default 4 sockets, not Windows
    assert bars["Windows 10 Home 22H2"] == (4, 1)
    plt.close(fig)


def test_no_server_is_said_not_drawn():
    empty = Snapshot(new_manifest("empty", {}), {"openstack/servers": [], "openstack/images": []})
    fig = plot_vcpus_paid_vs_seen(analyse_cpu_topology(empty).servers)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["no servers to plot"]
    assert not ax.axison and not ax.patches
    plt.close(fig)
