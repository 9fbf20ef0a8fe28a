"""Shared fixtures: the embedded demo snapshot (real mini-cloud API output) and the live mini cloud."""

import contextlib
import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runbook_lib.cpu_topology.checks import analyse_cpu_topology
from runbook_lib.snapshot import Snapshot, load_snapshot

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINICLOUD = REPO / "scripts" / "minicloud"
MINICLOUD_HOME = Path(os.environ.get("MINICLOUD_HOME", "/var/tmp/stack-runbooks-minicloud"))


@pytest.fixture(scope="session")
def demo_snapshot() -> Snapshot:
    return load_snapshot("demo")


@pytest.fixture
def demo_copy(demo_snapshot) -> Snapshot:
    """A deep copy of the demo, for tests that edit records to build a scenario."""
    return copy.deepcopy(demo_snapshot)


@pytest.fixture(scope="session")
def demo_analysis(demo_snapshot):
    return analyse_cpu_topology(demo_snapshot)


class Lab:
    """One of the project's real labs (scripts/minicloud, scripts/cephlab, scripts/sshlab): how to drive it and
    how to tell that it left nothing behind. Every lab fixture below goes through it."""

    def __init__(self, script: str, leftover_pattern: str) -> None:
        self.script = REPO / "scripts" / script
        self.leftover_pattern = leftover_pattern

    def run(self, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        """``scripts/<lab> args…``; with ``check`` a failure fails the test with the script's own words."""
        argv = [sys.executable, str(self.script), *args]
        done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})})
        if check and done.returncode != 0:
            pytest.fail(f"{self.script.name} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
        return done

    def running(self) -> bool:
        return self.run("status", check=False).returncode == 0

    def down_and_check(self) -> None:
        """Bring the lab down; any process of it still running afterwards is a bug of the lab script."""
        self.run("down", check=False)
        left = subprocess.run(["pgrep", "-af", self.leftover_pattern], capture_output=True, text=True)
        if left.stdout.strip():
            pytest.fail(f"processes left after '{self.script.name} down':\n{left.stdout}", pytrace=False)


def needs_root(lab: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"SKIPPED LOUDLY: the {lab} needs root (daemons, users, namespaces); CI runs as root")


MINICLOUD_LAB = Lab("minicloud", str(MINICLOUD_HOME / "state"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The scale tests last: their fill (thousands of servers) would change what every other cloud test lists;
    before them the 4-host Ceph lab's, which replace the single-host lab every other Ceph test reads."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("scale") is not None,
            item.get_closest_marker("ceph_hosts") is not None,
        )
    )


def _minicloud(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return MINICLOUD_LAB.run(*args, check=check)


@pytest.fixture(scope="session")
def minicloud():
    """The real mini OpenStack, seeded with the cpu-topology scenario: reused if up, else started (and stopped).

    Never skipped: if it cannot start, every test that needs it fails with the script's own message.
    """
    started = not MINICLOUD_LAB.running()
    if started:
        MINICLOUD_LAB.run("up")
    MINICLOUD_LAB.run("seed", "cpu-topology")
    previous = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(MINICLOUD_HOME / "clouds.yaml")
    yield MINICLOUD_HOME / "clouds.yaml"
    if previous is None:
        os.environ.pop("OS_CLIENT_CONFIG_FILE", None)
    else:
        os.environ["OS_CLIENT_CONFIG_FILE"] = previous
    if started:
        MINICLOUD_LAB.down_and_check()


@pytest.fixture(scope="session")
def admin_conn(minicloud):
    from runbook_lib.sources.openstack import connect

    return connect("minicloud")


def make_notebook(
    directory: Path, name: str, *cells: str, parameters: str = "delay: int = 0  # seconds to sleep"
) -> Path:
    """A minimal runbook-shaped notebook (parameters cell + code cells) for runner tests."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {
        "name": "stack-runbooks",
        "display_name": "Python (stack-runbooks)",
        "language": "python",
    }
    path = directory / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "runbook_lib", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=600,
    )


SSHLAB = REPO / "scripts" / "sshlab"
SSH_LAB = Lab("sshlab", "stack-runbooks-sshlab")


def sshlab_up() -> dict:
    """(Re)start the SSH lab from scratch: six real sshd 'computes' on loopback (scripts/sshlab)."""
    import json

    needs_root("SSH lab")
    return json.loads(SSH_LAB.run("up").stdout)


@pytest.fixture(scope="session")
def sshlab_session():
    """Tears the lab down once at the end, and fails if an sshd of it is left running."""
    yield
    SSH_LAB.down_and_check()


@pytest.fixture
def sshlab(sshlab_session) -> dict:
    """A pristine lab for each test (start ≈ 0.4 s), so a test that applies fixes affects no other."""
    return sshlab_up()


CEPHLAB = REPO / "scripts" / "cephlab"
CEPHLAB_HOME = Path(os.environ.get("CEPHLAB_HOME", "/var/tmp/stack-runbooks-cephlab"))
CEPH_LAB = Lab("cephlab", str(CEPHLAB_HOME))


def _cephlab(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return CEPH_LAB.run(*args, check=check)


@pytest.fixture(scope="session")
def cephlab() -> Path:
    """A real Ceph cluster (scripts/cephlab) started afresh (~20 s) and driven into OSD_NEARFULL, so every
    run sees the same state; left running at the end only if it was running before. Never skipped:
    `make test` installs the packages; without them this fails."""
    needs_root("Ceph lab")
    started = not CEPH_LAB.running()
    CEPH_LAB.run("up")
    CEPH_LAB.run("fill", "145")
    CEPH_LAB.run("wait-health", "OSD_NEARFULL", "60")
    yield CEPHLAB_HOME / "ceph.conf"
    if started:
        CEPH_LAB.down_and_check()


def banner_and_summary(out: Path, runbook: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """(verdict, counts) as the HTML report's banner shows them, and as summary.json (the exit code) has them:
    a test asserts they are equal, whatever appeared late in the run."""
    import html as html_lib
    import json
    import re

    from runbook_lib.findings import SEVERITIES

    page = html_lib.unescape((out / f"{runbook}.html").read_text())
    shown = re.search(r'runbook-verdict.*?<span style="color:[^"]*">(\w+)</span></h2>\s*<p>(.*?) · source', page, re.S)
    assert shown, f"no verdict banner in {out / f'{runbook}.html'}"
    run = next(r for r in json.loads((out / "summary.json").read_text())["runbooks"] if r["runbook"] == runbook)
    counts = ", ".join(f"{run['counts'][s]} {s}" for s in reversed(SEVERITIES[1:]) if run["counts"].get(s))
    counts = counts or "no findings"  # worst first, as the banner says them
    return (shown.group(1), shown.group(2)), (run["verdict"], counts)


@contextlib.contextmanager
def notebook_outputs():
    """The display outputs a notebook cell would get: a real IPython InteractiveShell, removed afterwards."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    from traitlets.config import Config

    started = not InteractiveShell.initialized()
    config = Config()
    config.HistoryManager.enabled = False  # nothing written to ~/.ipython
    InteractiveShell.instance(config=config)
    try:
        with capture_output() as captured:
            yield captured
    finally:
        if started:
            InteractiveShell.clear_instance()


def unreached_probe(host: str, error: str) -> dict:
    """A trust-probe record of a host the operator could not log in to (the shape probe_ssh_trust returns)."""
    empty = {key: [] for key in ("files", "pubkeys", "authorized", "host_keys", "probes")}
    return {"host": host, "reached": False, "error": error, "account": None, **empty}
