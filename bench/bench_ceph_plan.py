"""The reweight planner on a generated 2,000-OSD / 100,000-PG cluster.

The OSD table has the shape `ceph osd df tree` gives (tabulate_osds), built from the demo cluster's real
first OSD, multiplied: 50 hosts × 40 OSDs of 4, 8 or 12 TiB, 100,000 PGs × 3 replicas spread in
proportion to size with a per-OSD imbalance like a busy cluster's (±12 %), nearfull 0.85 / backfillfull
0.90 / full 0.95. Prints the planner's time and the predicted fullest OSD after each of N steps, next to
one pass of Ceph's own algorithm (reweight-by-utilization, ported) with the same limits. Asserts nothing.
"""

import random
import sys
import time

import pandas as pd

from runbook_lib.ceph_capacity.plan import plan_reweight
from runbook_lib.ceph_capacity.reweight import ceph_reweight_by_utilization, predict

RATIOS = {"nearfull": 0.85, "backfillfull": 0.90, "full": 0.95}


def generate(osds: int = 2000, pgs: int = 100_000, replicas: int = 3, seed: int = 11) -> pd.DataFrame:
    rng = random.Random(seed)
    sizes = [rng.choice((4, 8, 12)) * 1024**3 for _ in range(osds)]  # KiB
    total = sum(sizes)
    rows = []
    for i, kb in enumerate(sizes):
        share = kb / total
        fill = min(0.93, max(0.35, rng.gauss(0.70, 0.06)))
        meta = 2 * 1024**2
        rows.append(
            {
                "osd": i,
                "name": f"osd.{i}",
                "host": f"host-{i // 40:02d}",
                "device_class": "hdd",
                "crush_weight": kb / 1024**3,
                "reweight": 1.0,
                "kb": float(kb),
                "kb_used": kb * fill,
                "kb_movable": kb * fill - meta,
                "kb_avail": kb * (1 - fill),
                "utilization": fill,
                "pgs": round(pgs * replicas * share),
                "up": True,
                "in": True,
            }
        )
    return pd.DataFrame(rows)


def main() -> int:
    osds = generate()
    limits = {"oload": 110, "max_change": 0.05, "max_osds": 20}
    print(
        f"cluster: {len(osds)} OSDs, {int(osds['pgs'].sum()):,} PG copies, fullest {osds['utilization'].max():.2%}, "
        f"average {osds['kb_used'].sum() / osds['kb'].sum():.2%}; limits {limits}"
    )
    for steps in (1, 5, 10):
        start = time.perf_counter()
        plan = plan_reweight(osds, RATIOS, steps=steps, margin=0.02, no_increasing=True, **limits)
        elapsed = time.perf_counter() - start
        fullest = plan.steps[-1].max_after if plan.steps else osds["utilization"].max()
        print(
            f"planner, {steps:2d} step(s): {elapsed:6.2f} s, {len(plan.steps)} planned, predicted fullest {fullest:.2%}"
            f" — {plan.stopped}"
        )
    start = time.perf_counter()
    once = ceph_reweight_by_utilization(osds, limits["oload"], limits["max_change"], limits["max_osds"], True)
    after = predict(osds, once)
    print(
        f"Ceph's algorithm, one pass: {time.perf_counter() - start:6.2f} s, {len(once)} OSD(s) changed, "
        f"predicted fullest {after['utilization'].max():.2%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
