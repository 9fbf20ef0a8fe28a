"""Shared fixtures: the embedded demo snapshot (real mini-cloud API output) and the live mini cloud."""

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


def _minicloud(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(MINICLOUD), *args], capture_output=True, text=True, check=check)


@pytest.fixture(scope="session")
def minicloud():
    """The real mini OpenStack, seeded with the cpu-topology scenario: reused if up, else started (and stopped).

    Never skipped: if it cannot start, every test that needs it fails with the script's own message.
    """
    started = False
    if _minicloud("status", check=False).returncode != 0:
        up = _minicloud("up", check=False)
        if up.returncode != 0:
            pytest.fail(f"the mini cloud did not start:\n{up.stdout}\n{up.stderr}", pytrace=False)
        started = True
    seed = _minicloud("seed", "cpu-topology", check=False)
    if seed.returncode != 0:
        pytest.fail(f"seeding the mini cloud failed:\n{seed.stdout}\n{seed.stderr}", pytrace=False)
    previous = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(MINICLOUD_HOME / "clouds.yaml")
    yield MINICLOUD_HOME / "clouds.yaml"
    if previous is None:
        os.environ.pop("OS_CLIENT_CONFIG_FILE", None)
    else:
        os.environ["OS_CLIENT_CONFIG_FILE"] = previous
    if started:
        _minicloud("down", check=False)
        # 'down' must leave nothing behind: any process still running from the cloud's home is a bug.
        left = subprocess.run(["pgrep", "-af", str(MINICLOUD_HOME / "state")], capture_output=True, text=True)
        if left.stdout.strip():
            pytest.fail(f"processes left after 'scripts/minicloud down':\n{left.stdout}", pytrace=False)


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


def sshlab_up() -> dict:
    """(Re)start the SSH lab from scratch: six real sshd 'computes' on loopback (scripts/sshlab)."""
    import json

    if os.geteuid() != 0:
        pytest.skip("SKIPPED LOUDLY: the SSH lab needs root (users, mount namespaces, sshd); CI runs as root")
    up = subprocess.run([sys.executable, str(SSHLAB), "up"], capture_output=True, text=True)
    if up.returncode != 0:
        pytest.fail(f"scripts/sshlab up failed:\n{up.stdout}\n{up.stderr}", pytrace=False)
    return json.loads(up.stdout)


@pytest.fixture(scope="session")
def sshlab_session():
    """Tears the lab down once at the end, and fails if an sshd of it is left running."""
    yield
    subprocess.run([sys.executable, str(SSHLAB), "down"], capture_output=True, text=True)
    left = subprocess.run(["pgrep", "-af", "stack-runbooks-sshlab"], capture_output=True, text=True)
    if left.stdout.strip():
        pytest.fail(f"processes left after 'scripts/sshlab down':\n{left.stdout}", pytrace=False)


@pytest.fixture
def sshlab(sshlab_session) -> dict:
    """A pristine lab for each test (start ≈ 0.4 s), so a test that applies fixes affects no other."""
    return sshlab_up()


CEPHLAB = REPO / "scripts" / "cephlab"
CEPHLAB_HOME = Path(os.environ.get("CEPHLAB_HOME", "/var/tmp/stack-runbooks-cephlab"))


def _cephlab(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, str(CEPHLAB), *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        pytest.fail(f"scripts/cephlab {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    return done


@pytest.fixture(scope="session")
def cephlab() -> Path:
    """A real Ceph cluster (scripts/cephlab) started afresh (~20 s) and driven into OSD_NEARFULL, so every
    run sees the same state; left running at the end only if it was running before. Never skipped:
    `make test` installs the packages; without them this fails."""
    if os.geteuid() != 0:
        pytest.skip("SKIPPED LOUDLY: the Ceph lab needs root (daemons, apt); CI runs as root")
    started = _cephlab("status", check=False).returncode != 0
    _cephlab("up")
    _cephlab("fill", "145")
    _cephlab("wait-health", "OSD_NEARFULL", "60")
    yield CEPHLAB_HOME / "ceph.conf"
    if started:
        _cephlab("down")
        left = subprocess.run(["pgrep", "-af", str(CEPHLAB_HOME)], capture_output=True, text=True)
        if left.stdout.strip():
            pytest.fail(f"processes left after 'scripts/cephlab down':\n{left.stdout}", pytrace=False)
