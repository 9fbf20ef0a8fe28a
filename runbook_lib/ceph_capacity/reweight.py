"""A stepwise override-reweight plan with the predicted fill of every OSD after each step.

Each step is what Ceph's own ``reweight-by-utilization`` would choose from the state the previous
steps leave (:func:`ceph_reweight_by_utilization` is a line-by-line port of ``reweight::by_utilization``
in ``src/mon/PGMap.cc``, integer weights and all), then predicted and guarded. The prediction is exact
when the cluster's CRUSH map is at hand (:mod:`runbook_lib.ceph_capacity.remap` replays it with the new
weights); otherwise it is this first-order model (:func:`predict`):

- lowering OSD i's override weight r → r' moves ``movable_i · (1 − r'/r)`` off it, where movable is the
  data and omap (BlueFS metadata stays), and the same share of its PGs;
- the moved bytes land on the other in OSDs of the same device class in proportion to
  ``crush_weight · reweight`` (the override weight acts as a reject-and-retry in CRUSH);
- no step may push a receiving OSD past ``backfillfull − margin``: its changes are halved until none
  does, or the plan stops there and says why."""

from __future__ import annotations

import dataclasses

import pandas as pd

from runbook_lib.records import Record

WEIGHT_ONE = 0x10000  # Ceph stores override weights as integers of 1/65536


def ceph_reweight_by_utilization(
    osds: pd.DataFrame,
    oload: int = 120,
    max_change: float = 0.05,
    max_osds: int = 4,
    no_increasing: bool = False,
) -> dict[int, float]:
    """OSD → new override weight, as ``ceph osd test-reweight-by-utilization`` computes it; ``{}`` where Ceph
    refuses (:func:`ceph_refusal`)."""
    live = osds[osds["kb"] > 0]
    if live.empty or ceph_refusal(osds, oload):
        return {}
    average = live["kb_used"].sum() / live["kb"].sum()  # over every OSD, across device classes (as Ceph)
    overload = average * oload / 100.0
    change = int(max_change * WEIGHT_ONE)
    order = live.assign(distance=(live["utilization"] - average).abs()).sort_values(
        "distance", ascending=False, kind="stable"
    )
    chosen: dict[int, float] = {}
    for row in order.itertuples():
        if len(chosen) >= max_osds:
            break
        weight = round(row.reweight * WEIGHT_ONE)
        if weight == 0:  # out
            continue
        if row.utilization >= overload:
            new = int(weight * average / row.utilization)
            if weight > change:
                new = max(new, weight - change)
            chosen[row.osd] = new / WEIGHT_ONE
        elif not no_increasing and row.utilization <= average:
            new = min(int(weight * average / row.utilization), weight + change, WEIGHT_ONE)
            if new > weight:
                chosen[row.osd] = new / WEIGHT_ONE
    return chosen


MIN_BYTES_PER_OSD = 100 * 1024**2  # mon_reweight_min_bytes_per_osd (default 100 MiB)


def ceph_refusal(osds: pd.DataFrame, oload: int) -> str:
    """Why Ceph would refuse to reweight at all (reweight::by_utilization): EINVAL for an oload of 100 or less,
    EDOM when the OSDs hold less than mon_reweight_min_bytes_per_osd on average; "" when it would not."""
    if oload <= 100:
        return f"Ceph refuses oload {oload} (EINVAL): it must be above 100 (percent of the average)"
    live = osds[osds["kb"] > 0]
    used_kb = float(live["kb_used"].sum()) if not live.empty else 0.0
    if used_kb * 1024 < MIN_BYTES_PER_OSD * max(1, len(live)):
        return (
            f"Ceph refuses to reweight (EDOM): only {used_kb:.0f} kb used on {len(live)} OSD(s), under "
            "mon_reweight_min_bytes_per_osd (100 MiB each): nothing worth moving"
        )
    return ""


def predict(osds: pd.DataFrame, changes: dict[int, float], scale: float = 1.0) -> pd.DataFrame:
    """The OSD table after ``changes`` (OSD → new override weight) and the recovery they start.

    ``scale`` corrects the first-order share with an exact count of moving PGs when Ceph gave one."""
    after = osds.astype({"reweight": float, "kb_used": float, "kb_movable": float, "kb_avail": float})
    delta = pd.Series(0.0, index=after.index)
    pgs = after["pgs"].astype(float).copy()
    for osd, new in changes.items():
        i = after.index[after["osd"] == osd][0]
        old = after.at[i, "reweight"]
        if old <= 0:
            continue
        share = (1 - new / old) * scale  # > 0: data leaves; < 0: the OSD attracts data
        moved = after.at[i, "kb_movable"] * share
        moved_pgs = after.at[i, "pgs"] * share
        peers = after[
            (after["device_class"] == after.at[i, "device_class"])
            & (after["kb"] > 0)
            & (~after["osd"].isin(list(changes)))
        ]
        pull = peers["crush_weight"] * peers["reweight"]
        if pull.sum() <= 0:
            continue
        delta[i] -= moved
        delta[peers.index] += moved * pull / pull.sum()
        pgs[i] -= moved_pgs
        pgs[peers.index] += moved_pgs * pull / pull.sum()
    after["kb_used"] = after["kb_used"] + delta
    after["kb_movable"] = after["kb_movable"] + delta
    after["kb_avail"] = after["kb_avail"] - delta
    after["utilization"] = after["kb_used"] / after["kb"].where(after["kb"] > 0)
    after["pgs"] = pgs
    for osd, new in changes.items():
        after.loc[after["osd"] == osd, "reweight"] = new
    return after


@dataclasses.dataclass(frozen=True)
class ReweightLimits:
    """The limits of one reweight step, as ``ceph osd reweight-by-utilization`` takes them."""

    oload: int = 120  # reweight OSDs above this percent of the average fill
    max_change: float = 0.05  # largest override-weight change per OSD
    max_osds: int = 4  # OSDs changed per step
    no_increasing: bool = True  # never raise an emptier OSD's weight

    def as_dict(self) -> Record:
        return dataclasses.asdict(self)


def reweight_limits(
    oload: int = 120, max_change: float = 0.05, max_osds: int = 4, no_increasing: bool = True
) -> ReweightLimits:
    """The limits from the runbook's parameters (one value that both the gather and the plan use)."""
    return ReweightLimits(oload, max_change, max_osds, no_increasing)
