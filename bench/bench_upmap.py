"""The upmap planner on a generated 2,000-OSD cluster with a real CRUSH map, against Ceph's own optimizer.

The map is Ceph's: ``crushtool -c`` compiles a CRUSH map of 100 hosts × 20 OSDs of 4, 8 or 12 TiB (CRUSH
weight = size) with a ``chooseleaf host`` rule, ``osdmaptool --createsimple 2000 --with-default-pool``
makes an OSDMap whose pool 1 (size 3) has 2000 << pg_bits PGs, and ``osdmaptool --test-map-pgs-dump
--mark-up-in`` says where CRUSH puts each PG. PG sizes are skewed (log-normal, as RBD pools of mixed
images are), the per-OSD use is what the PGs put there plus BlueFS metadata. Both optimizers get the same
move budget: ``osdmaptool --upmap --upmap-deviation 1 --upmap-max N`` and this runbook's plan (N moves);
each outcome is predicted with the same byte model. Prints a table; asserts nothing.

Not here: an EC pool (osdmaptool cannot create pools offline; the planner's EC handling is in the tests).
"""

from __future__ import annotations

import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

from runbook_lib.ceph_capacity.choice import Outcome, outcome_of_items, parse_upmap_commands, side_by_side
from runbook_lib.ceph_capacity.placement import Layout, Rule, balancer_score
from runbook_lib.ceph_capacity.upmap import UpmapLimits, plan_upmap

HOSTS, PER_HOST = 100, 20
RATIOS = {"nearfull": 0.85, "backfillfull": 0.90, "full": 0.95}
_DUMP = re.compile(r"^(\d+\.[0-9a-f]+)\t\[([\d,]*)\]\t")


def crush_text(sizes_tib: list[int]) -> str:
    lines = ["tunable choose_total_tries 50", "tunable chooseleaf_descend_once 1", "tunable chooseleaf_vary_r 1"]
    lines += ["tunable chooseleaf_stable 1", "tunable straw_calc_version 1", "tunable allowed_bucket_algs 54"]
    lines += [f"device {i} osd.{i} class hdd" for i in range(len(sizes_tib))]
    lines += ["type 0 osd", "type 1 host", "type 11 root"]
    for h in range(HOSTS):
        members = range(h * PER_HOST, (h + 1) * PER_HOST)
        items = "".join(f"\titem osd.{i} weight {sizes_tib[i]:.3f}\n" for i in members)
        lines.append(f"host host-{h:03d} {{\n\tid {-2 - h}\n\talg straw2\n\thash 0\n{items}}}")
    hosts = "".join(
        f"\titem host-{h:03d} weight {sum(sizes_tib[h * PER_HOST : (h + 1) * PER_HOST]):.3f}\n" for h in range(HOSTS)
    )
    lines.append(f"root default {{\n\tid -1\n\talg straw2\n\thash 0\n{hosts}}}")
    lines.append(
        "rule replicated_rule {\n\tid 0\n\ttype replicated\n\tmin_size 1\n\tmax_size 10\n\tstep take default\n"
        "\tstep chooseleaf firstn 0 type host\n\tstep emit\n}"
    )
    return "\n".join(lines) + "\n"


def run(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def build(scratch: Path, pg_bits: int, seed: int = 7) -> tuple[Path, Layout, dict[int, float]]:
    rng = random.Random(seed)
    osd_count = HOSTS * PER_HOST
    sizes = [rng.choice((4, 8, 12)) for _ in range(osd_count)]
    (scratch / "crush.txt").write_text(crush_text(sizes))
    run(["crushtool", "-c", str(scratch / "crush.txt"), "-o", str(scratch / "crush.bin")])
    osdmap = scratch / "osdmap"
    run(
        [
            "osdmaptool",
            "--createsimple",
            str(osd_count),
            "--clobber",
            "--pg-bits",
            str(pg_bits),
            "--with-default-pool",
            str(osdmap),
        ]
    )
    run(["osdmaptool", str(osdmap), "--import-crush", str(scratch / "crush.bin")])
    dump = run(["osdmaptool", str(osdmap), "--mark-up-in", "--test-map-pgs-dump", "--pool", "1"])
    rows = []
    for line in dump.splitlines():
        if match := _DUMP.match(line):
            up = tuple(int(o) for o in match[2].split(",") if o)
            size = rng.lognormvariate(0, 0.5) * 64 * 1024**2  # KiB per copy: median 64 GiB, a tail
            rows.append(
                {
                    "pgid": match[1],
                    "pool": 1,
                    "up": up,
                    "acting": up,
                    "copy_kb": size,
                    "objects": 1,
                    "bytes": size * 1024,
                }
            )
    pgs = pd.DataFrame(rows)
    used = {i: 2.0 * 1024**2 for i in range(osd_count)}  # BlueFS metadata: stays
    for row in pgs.itertuples():
        for osd in row.up:
            used[osd] += row.copy_kb
    kb = {i: sizes[i] * 1024.0**3 for i in range(osd_count)}
    scale = 0.55 * sum(kb.values()) / sum(used.values())  # 55 % full on average, the fullest near nearfull
    used = {i: u * scale for i, u in used.items()}
    pgs["copy_kb"] *= scale
    osds = pd.DataFrame(
        {
            "osd": range(osd_count),
            "kb": [kb[i] for i in range(osd_count)],
            "kb_used": [used[i] for i in range(osd_count)],
            "crush_weight": [float(s) for s in sizes],
            "reweight": 1.0,
            "device_class": "hdd",
            "up": True,
            "in": True,
        }
    )
    osds["utilization"] = osds["kb_used"] / osds["kb"]
    where = {
        i: {"osd": f"osd.{i}", "class": "hdd", "host": f"host-{i // PER_HOST:03d}", "root": "default"}
        for i in range(osd_count)
    }
    layout = Layout(osds, pgs, {1: Rule("default", "hdd", "host")}, where, {}, [])
    return osdmap, layout, used


def main() -> int:
    print(f"{'PGs':>7} {'copies/OSD':>10} {'budget':>6} | {'plan':<38} {'moves':>5} {'max fill':>8}", end=" ")
    print(f"{'stddev pp':>9} {'score':>7} {'time s':>7} {'peak MiB':>8}")
    for pg_bits, budget in ((4, 100), (5, 100), (5, 400)):
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp)
            osdmap, layout, used = build(scratch, pg_bits)
            size = dict(zip(layout.osds["osd"], layout.osds["kb"], strict=True))
            now = Outcome(
                "now",
                0,
                0.0,
                {o: used[o] / size[o] for o in size},
                balancer_score(layout.pgs, layout.osds, layout.rules, layout.where),
            )
            limits = UpmapLimits(max_moves=budget, max_steps=1, max_backfills=2, deviation=0.005)
            start = time.perf_counter()
            plan = plan_upmap(layout.osds, used, layout.pgs, layout.rules, layout.where, {}, RATIOS, limits)
            ours_s = time.perf_counter() - start
            tracemalloc.start()  # a second, traced run for the memory figure (tracing slows it several times)
            plan_upmap(layout.osds, used, layout.pgs, layout.rules, layout.where, {}, RATIOS, limits)
            ours_peak = tracemalloc.get_traced_memory()[1] / 1024**2
            tracemalloc.stop()
            ours = outcome_of_items(
                "this runbook's upmap plan", layout, used, size, {m.pgid: m.items_after for m in plan.moves}
            )
            start = time.perf_counter()
            out = scratch / "upmap.txt"
            run(
                [
                    "osdmaptool",
                    str(osdmap),
                    "--mark-up-in",
                    "--upmap",
                    str(out),
                    "--upmap-deviation",
                    "1",
                    "--upmap-max",
                    str(budget),
                ]
            )
            ceph_s = time.perf_counter() - start
            items, _ = parse_upmap_commands(out.read_text().splitlines())
            ceph = outcome_of_items("Ceph's optimizer (osdmaptool --upmap)", layout, used, size, items)
            table = side_by_side(now, [ours, ceph]).set_index("plan")
            times = {
                "now": ("", ""),
                ours.name: (f"{ours_s:.2f}", f"{ours_peak:.0f}"),
                ceph.name: (f"{ceph_s:.2f}", ""),
            }
            copies = sum(len(u) for u in layout.pgs["up"]) / len(layout.osds)
            for name, row in table.iterrows():
                print(
                    f"{len(layout.pgs):>7,} {copies:>10.0f} {budget:>6} | {name:<38} {row['moves']:>5} "
                    f"{row['fullest_after']:>8.2%} {row['fill_stddev_pp']:>9.2f} {row['balancer_score']:>7.4f} "
                    f"{times[name][0]:>7} {times[name][1]:>8}"
                )
    print(f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
