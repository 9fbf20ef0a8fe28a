"""The upmap planner on a generated 2,000-OSD cluster with a real CRUSH map, against Ceph's own optimizer.

The map is Ceph's: ``crushtool -c`` compiles a CRUSH map of 100 hosts × 20 OSDs of 4, 8 or 12 TiB (CRUSH
weight = size) with a ``chooseleaf firstn host`` rule and an erasure rule (``chooseleaf indep host``),
``osdmaptool --createsimple 2000 --with-default-pool`` makes an OSDMap whose pool 1 (size 3) has
2000 << pg_bits PGs, and ``osdmaptool --test-map-pgs-dump --mark-up-in`` says where CRUSH puts each PG.
An EC 4+2 pool (pool 2, a quarter as many PGs) is mapped by ``crushtool --test --pool-id 2`` with the
erasure rule: osdmaptool cannot create an EC pool offline, so Ceph's optimizer sees pool 1 only (its
``--upmap-pool``) while this runbook's plan sees both. PG sizes are skewed (log-normal, as RBD pools of
mixed images are), the per-OSD use is what the PGs put there plus BlueFS metadata. Both optimizers get
the same move budget: ``osdmaptool --upmap --upmap-deviation 1 --upmap-max N`` and this runbook's plan
(N moves in 5 steps, 2 backfills per OSD per step); the reweight plan (5 steps, Ceph's limits) is
predicted from CRUSH replayed with its weights.
Each outcome is predicted with the same byte model. Prints a table; asserts nothing.
"""

from __future__ import annotations

import base64
import dataclasses
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
from runbook_lib.ceph_capacity.plan import plan_reweight
from runbook_lib.ceph_capacity.remap import crush_after, crush_replay
from runbook_lib.ceph_capacity.upmap import UpmapLimits, plan_upmap
from runbook_lib.sources.crushtool import crush_mappings

HOSTS, PER_HOST = 100, 20
RATIOS = {"nearfull": 0.85, "backfillfull": 0.90, "full": 0.95}
EC_POOL, EC_RULE, EC_K, EC_M = 2, 1, 4, 2
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
    lines.append(
        "rule ec42 {\n\tid 1\n\ttype erasure\n\tmin_size 3\n\tmax_size 6\n\tstep set_chooseleaf_tries 5\n"
        "\tstep set_choose_tries 100\n\tstep take default\n\tstep chooseleaf indep 0 type host\n\tstep emit\n}"
    )
    return "\n".join(lines) + "\n"


def run(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


@dataclasses.dataclass(frozen=True)
class Generated:
    osdmap: Path
    crushmap: bytes
    layout: Layout
    used: dict[int, float]
    osd_dump: dict  # what CrushReplay reads of `ceph osd dump`: the pools and the OSDs' weights


def pg_row(pgid: str, pool: int, up: tuple[int, ...], copy_kb: float) -> dict:
    return {"pgid": pgid, "pool": pool, "up": up, "acting": up, "copy_kb": copy_kb, "objects": 1, "bytes": 0.0}


def build(scratch: Path, pg_bits: int, seed: int = 7) -> Generated:
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
            rows.append(pg_row(match[1], 1, up, rng.lognormvariate(0, 0.5) * 64 * 1024**2))  # median 64 GiB
    replicated = len(rows)
    crushmap = (scratch / "crush.bin").read_bytes()
    ec_pgs = replicated // 4
    for ps, up in crush_mappings(crushmap, EC_RULE, EC_K + EC_M, EC_POOL, ec_pgs - 1, {}).items():
        rows.append(pg_row(f"{EC_POOL}.{ps:x}", EC_POOL, up, rng.lognormvariate(0, 0.5) * 256 * 1024**2 / EC_K))
    pgs = pd.DataFrame(rows)
    used = {i: 2.0 * 1024**2 for i in range(osd_count)}  # BlueFS metadata: stays
    for row in pgs.itertuples():
        for osd in row.up:
            used[osd] += row.copy_kb
    kb = {i: sizes[i] * 1024.0**3 for i in range(osd_count)}
    scale = 0.55 * sum(kb.values()) / sum(used.values())  # 55 % full on average, the fullest near nearfull
    used = {i: u * scale for i, u in used.items()}
    pgs["copy_kb"] *= scale
    counts = pd.Series([o for up in pgs["up"] for o in up]).value_counts()
    osds = pd.DataFrame(
        {
            "osd": range(osd_count),
            "name": [f"osd.{i}" for i in range(osd_count)],
            "kb": [kb[i] for i in range(osd_count)],
            "kb_used": [used[i] for i in range(osd_count)],
            "kb_movable": [used[i] - 2.0 * 1024**2 * scale for i in range(osd_count)],
            "crush_weight": [float(s) for s in sizes],
            "reweight": 1.0,
            "pgs": [float(counts.get(i, 0)) for i in range(osd_count)],
            "device_class": "hdd",
            "up": True,
            "in": True,
        }
    )
    osds["utilization"] = osds["kb_used"] / osds["kb"]
    osds["kb_avail"] = osds["kb"] - osds["kb_used"]
    where = {
        i: {"osd": f"osd.{i}", "class": "hdd", "host": f"host-{i // PER_HOST:03d}", "root": "default"}
        for i in range(osd_count)
    }
    rules = {1: Rule("default", "hdd", "host"), EC_POOL: Rule("default", "hdd", "host")}
    layout = Layout(osds, pgs, rules, where, {}, [])
    pools = [(1, 0, 3, replicated, 1), (EC_POOL, EC_RULE, EC_K + EC_M, ec_pgs, 3)]
    osd_dump = {
        "epoch": 1,
        "pools": [
            {
                "pool": p,
                "pool_name": f"p{p}",
                "flags": 1,
                "crush_rule": r,
                "size": n,
                "pg_num": g,
                "pg_placement_num": g,
                "type": t,
            }
            for p, r, n, g, t in pools
        ],
        "osds": [{"osd": i, "weight": 1.0, "up": 1} for i in range(osd_count)],
    }
    return Generated(osdmap, crushmap, layout, used, osd_dump)


def reweight_outcome(generated: Generated) -> Outcome:
    """The reweight plan's 5 steps with Ceph's limits, each predicted from CRUSH replayed with its weights."""
    layout = generated.layout
    replay, why = crush_replay(
        {"epoch": 1, "base64": base64.b64encode(generated.crushmap).decode()}, generated.osd_dump, layout
    )
    if replay is None:
        raise SystemExit(f"bench: CRUSH replay failed: {why}")
    plan = plan_reweight(layout.osds, RATIOS, crush=crush_after(replay, layout, layout.osds))
    final = plan.steps[-1].after if plan.steps else layout.osds
    fill = dict(zip(final["osd"], final["utilization"], strict=True))
    moved = sum(s.moved_kb for s in plan.steps)
    changes = sum(len(s.changes) for s in plan.steps)
    return Outcome(f"reweight plan ({len(plan.steps)} steps, CRUSH-replayed)", changes, moved, fill, None)


def main() -> int:
    print(
        f"{'PGs':>7} {'copies/OSD':>10} {'budget':>6} | {'plan':<42} {'moves':>5} {'moved TiB':>9} {'max fill':>8}",
        end=" ",
    )
    print(f"{'stddev pp':>9} {'score':>7} {'time s':>7} {'peak MiB':>8}")
    for pg_bits, budget in ((4, 100), (5, 100), (5, 400)):
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp)
            generated = build(scratch, pg_bits)
            layout, used = generated.layout, generated.used
            size = dict(zip(layout.osds["osd"], layout.osds["kb"], strict=True))
            now = Outcome(
                "now",
                0,
                0.0,
                {o: used[o] / size[o] for o in size},
                balancer_score(layout.pgs, layout.osds, layout.rules, layout.where),
            )
            # the same budget in the reweight plan's 5 steps: backfills per OSD are limited per step, not per plan
            limits = UpmapLimits(max_moves=budget // 5, max_steps=5, max_backfills=2, deviation=0.005)
            start = time.perf_counter()
            plan = plan_upmap(layout.osds, used, layout.pgs, layout.rules, layout.where, {}, RATIOS, limits)
            ours_s = time.perf_counter() - start
            tracemalloc.start()  # a second, traced run for the memory figure (tracing slows it several times)
            plan_upmap(layout.osds, used, layout.pgs, layout.rules, layout.where, {}, RATIOS, limits)
            ours_peak = tracemalloc.get_traced_memory()[1] / 1024**2
            tracemalloc.stop()
            ours = outcome_of_items(
                "upmap plan (5 steps, this runbook)", layout, used, size, {m.pgid: m.items_after for m in plan.moves}
            )
            start = time.perf_counter()
            out = scratch / "upmap.txt"
            run(
                [
                    "osdmaptool",
                    str(generated.osdmap),
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
            ceph = outcome_of_items("Ceph's optimizer (osdmaptool, pool 1 only)", layout, used, size, items)
            start = time.perf_counter()
            reweight = reweight_outcome(generated)
            reweight_s = time.perf_counter() - start
            table = side_by_side(now, [ours, ceph, reweight]).set_index("plan")
            times = {
                "now": ("", ""),
                ours.name: (f"{ours_s:.2f}", f"{ours_peak:.0f}"),
                ceph.name: (f"{ceph_s:.2f}", ""),
                reweight.name: (f"{reweight_s:.2f}", ""),
            }
            copies = sum(len(u) for u in layout.pgs["up"]) / len(layout.osds)
            for name, row in table.iterrows():
                score = "" if pd.isna(row["balancer_score"]) else f"{row['balancer_score']:.4f}"
                print(
                    f"{len(layout.pgs):>7,} {copies:>10.0f} {budget:>6} | {name:<42} {int(row['moves']):>5} "
                    f"{row['moved_mib'] / 1024**2:>9.1f} "
                    f"{row['fullest_after']:>8.2%} {row['fill_stddev_pp']:>9.2f} {score:>7} "
                    f"{times[name][0]:>7} {times[name][1]:>8}"
                )
    print("PGs: pool 1 (size 3) + pool 2 (EC 4+2, a quarter as many); a reweight plan's moves are weight changes")
    print(f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
