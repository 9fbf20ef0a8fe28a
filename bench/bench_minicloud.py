"""The runbooks on a large cloud that is real: the mini cloud filled to 10,000 servers in 500 projects, 20,000
ports and 1,000 more hypervisors (scripts/minicloud seed scale), then collected through the real APIs (Nova's
max_limit is 10 there, so servers alone are 1,001 pages) and analysed by each OpenStack runbook.

Prints, per phase, the wall time and the peak memory of its largest process, and per part the objects and the
API requests the collection made (the pages plus the suspects). Brings up a fresh mini cloud and takes it down
again (the fill is wiped by the next 'up'). SCALE_SERVERS=N for another size, SCALE_PORTS_PER_SERVER=K (2; 20,000
ports take Neutron about 40 minutes here). Asserts nothing.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVERS = int(os.environ.get("SCALE_SERVERS", "10000"))
PORTS_PER_SERVER = int(os.environ.get("SCALE_PORTS_PER_SERVER", "2"))  # Neutron makes ~10 a second here
RUNBOOKS = ("cpu_topology", "resize_ssh", "vif_plugging")
PEAK = (
    "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"
)


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall s, peak MiB of the largest process under it, the run): a child of its own, for RUSAGE_CHILDREN."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *argv], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    peak = int(done.stderr.strip().splitlines()[-1]) / 1024
    return time.perf_counter() - started, peak, done


def lab(*args: str, env: dict[str, str] | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    wall, peak, done = timed([sys.executable, str(REPO / "scripts" / "minicloud"), *args], env)
    if done.returncode:
        raise SystemExit(f"scripts/minicloud {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return wall, peak, done


def main() -> int:
    clouds = Path(os.environ.get("MINICLOUD_HOME", "/var/tmp/stack-runbooks-minicloud")) / "clouds.yaml"
    env = {"OS_CLIENT_CONFIG_FILE": str(clouds), "PYTHONPATH": str(REPO)}
    runbook = [sys.executable, "-m", "runbook_lib"]
    lab("down")
    lab("up")
    rows = []
    try:
        fill = {"SCALE_SERVERS": str(SERVERS), "SCALE_PORTS_PER_SERVER": str(PORTS_PER_SERVER)}
        wall, peak, _ = lab("seed", "scale", env=fill)
        rows.append((f"fill: {SERVERS:,} servers, {PORTS_PER_SERVER * SERVERS:,} ports (seed scale)", wall, peak, ""))
        with tempfile.TemporaryDirectory(prefix="bench-minicloud-") as scratch:
            snapshot = Path(scratch) / "snap"
            argv = [
                *runbook,
                "collect",
                "--cloud",
                "minicloud",
                "--out",
                str(snapshot),
                "--runbooks",
                ",".join(RUNBOOKS),
            ]
            wall, peak, done = timed(argv, env)
            manifest = json.loads((snapshot / "manifest.json").read_text())
            objects = {part: len(json.loads((snapshot / f"{part}.json").read_text())) for part in manifest["parts"]}
            rows.append(("collect (all OpenStack parts)", wall, peak, f"exit {done.returncode}"))
            for name in RUNBOOKS:
                out = Path(scratch) / name
                wall, peak, done = timed([*runbook, "run", name, "--snapshot", str(snapshot), "--out", str(out)], env)
                [run] = json.loads((out / "summary.json").read_text())["runbooks"]
                size = (out / f"{name}.html").stat().st_size / 2**20
                rows.append(
                    (
                        f"run {name}",
                        wall,
                        peak,
                        f"{run['verdict']}, {len(run['findings']):,} findings, HTML {size:.1f} MiB",
                    )
                )
    finally:
        lab("down")
    print(f"{'phase':<52} {'wall s':>7} {'peak MiB':>9}  result")
    for phase, wall, peak, result in rows:
        print(f"{phase:<52} {wall:>7.1f} {peak:>9.0f}  {result}")
    print(f"\n{'part':<30} {'objects':>8} {'requests':>9}  suspects")
    for part, meta in sorted(manifest["parts"].items()):
        print(f"{part:<30} {objects[part]:>8,} {meta.get('requests', ''):>9}  {meta.get('suspects', '')}")
    for part, why in manifest.get("problems", {}).items():
        print(f"{part:<30} not collected: {why[:80]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
