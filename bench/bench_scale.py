"""The CPU-topology runbook end to end (the CLI, papermill, the HTML export) on generated clouds of 1,000,
10,000 and 20,000 servers: wall time, the largest process's peak memory (the kernel), the HTML's size and
the tables written whole beside it. The clouds are bench_analysis.generate()'s (the demo's real records,
multiplied); each run is a fresh `runbook` process. Prints a table; asserts nothing.
"""

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_analysis import generate

from runbook_lib.snapshot import write_snapshot

SIZES = (1_000, 10_000, 20_000)


def run_once(servers: int, scratch: Path) -> dict:
    snapshot = write_snapshot(generate(servers), scratch / f"cloud-{servers}")
    out = scratch / f"run-{servers}"
    started = time.perf_counter()
    # a child of its own, so that RUSAGE_CHILDREN's peak is this run's (the kernel is its largest process)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, subprocess, sys; "
            "rc = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)",
            sys.executable,
            "-m",
            "runbook_lib",
            "run",
            "cpu_topology",
            "--snapshot",
            str(snapshot),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    summary = json.loads((out / "summary.json").read_text())["runbooks"][0]
    return {
        "servers": servers,
        "exit": done.returncode,
        "wall_s": wall,
        "notebook_s": summary["duration_s"],
        "peak_mib": int(done.stderr.strip().splitlines()[-1]) / 1024,
        "html_mib": (out / "cpu_topology.html").stat().st_size / 1024**2,
        "findings": len(summary["findings"]),
        "csv": len(summary["tables"]),
    }


def main() -> int:
    print(
        f"{'servers':>8} {'exit':>4} {'wall s':>7} {'notebook s':>10} {'peak MiB':>9} {'HTML MiB':>9} "
        f"{'findings':>8} {'CSV':>4}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        for servers in SIZES:
            row = run_once(servers, Path(scratch))
            print(
                f"{row['servers']:>8,} {row['exit']:>4} {row['wall_s']:>7.1f} {row['notebook_s']:>10.1f} "
                f"{row['peak_mib']:>9.0f} {row['html_mib']:>9.1f} {row['findings']:>8,} {row['csv']:>4}"
            )
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB peak)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
