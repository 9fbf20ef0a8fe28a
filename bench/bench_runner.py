"""Wall time of 'runbook run all' on the demo, next to papermill's floor.

The floor is the same runner executing the same number of trivial notebooks (a parameters cell and
one publish cell): kernel start, papermill and HTML export, with no analysis. Prints; asserts nothing.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runbook_lib.headless.runner import available_runbooks, run_many

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from conftest import make_notebook  # noqa: E402 (the tests' own notebook builder)

PUBLISH = "from runbook_lib.show import publish_findings\npublish_findings('floor', [])"


def trivial_notebooks(directory: Path, count: int) -> list[Path]:
    return [make_notebook(directory, f"trivial_{i}", PUBLISH, parameters="x: int = 0  # unused") for i in range(count)]


def main(repeats: int = 3) -> int:
    count = len(available_runbooks())
    with tempfile.TemporaryDirectory() as tmp:
        notebooks = trivial_notebooks(Path(tmp), count)
        floor = []
        for r in range(repeats):
            started = time.perf_counter()
            run_many(notebooks, Path(tmp) / f"out{r}", {}, jobs=2)
            floor.append(time.perf_counter() - started)
        demo = []
        for r in range(repeats):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "runbook_lib", "run", "all", "--out", f"{tmp}/demo{r}"],
                capture_output=True,
                check=False,
                cwd=REPO,
            )
            demo.append(time.perf_counter() - started)
    print(f"runbooks: {count}; repeats: {repeats}; jobs: 2")
    print(
        f"papermill floor ({count} trivial notebooks): best {min(floor):.2f} s, "
        f"median {sorted(floor)[repeats // 2]:.2f} s"
    )
    print(f"runbook run all on the demo (CLI):     best {min(demo):.2f} s, median {sorted(demo)[repeats // 2]:.2f} s")
    print(f"overhead over the floor: {min(demo) - min(floor):+.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
