"""What the mini cloud runs on: Debian's packages, and its own venv with the pinned OpenStack releases.

Every step is skipped when already done (stamps hold the digest of what they were built from), so
'up' can call install() each time at no cost.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from pathlib import Path

from minicloud_layout import APT_PACKAGES, BASE_PYTHON, FILES, PY, VENV, run, say
from minicloud_processes import running

APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600"]
APT_TIMEOUT = 1800  # above the 600 s that apt may wait for another apt's lock
PIP_TIMEOUT = 3600  # the whole of OpenStack's services, built from PyPI on a 2-core machine


def _digest(*paths: Path, salt: str = "") -> str:
    digest = hashlib.sha256(salt.encode())
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _stamped(stamp: Path, digest: str) -> bool:
    """Whether this step was done from exactly these inputs."""
    return stamp.exists() and stamp.read_text() == digest


def missing_packages() -> list[str]:
    return [
        package
        for package, binary in APT_PACKAGES.items()
        if not (shutil.which(binary) or Path(f"/usr/sbin/{binary}").exists())
    ]


def install() -> None:
    missing = missing_packages()
    if missing:
        say(f"apt-get install {' '.join(missing)}")
        t = time.monotonic()
        run([*APT, "update", "-qq"], timeout=APT_TIMEOUT)
        install_missing = [*APT, "install", "-y", "-qq", *missing]
        run(install_missing, env={"DEBIAN_FRONTEND": "noninteractive"}, timeout=APT_TIMEOUT)
        say(f"apt done in {time.monotonic() - t:.0f}s")
    # The venv is rebuilt only when the pins or the interpreter change; our own small pieces are
    # re-installed when they change.
    venv_stamp, venv_digest = VENV / ".minicloud-venv", _digest(FILES / "requirements.txt", salt=BASE_PYTHON)
    if not _stamped(venv_stamp, venv_digest):
        if any(running().values()):
            raise SystemExit(
                "minicloud: the venv must be rebuilt (pins changed) but the cloud runs from it: "
                "run 'scripts/minicloud down' first"
            )
        t = time.monotonic()
        say(f"creating the mini cloud's own venv at {VENV} (pinned OpenStack releases)")
        if VENV.exists():
            shutil.rmtree(VENV)
        run([BASE_PYTHON, "-m", "venv", str(VENV)])
        run([PY, "-m", "pip", "install", "-q", "-r", FILES / "requirements.txt"], timeout=PIP_TIMEOUT)
        venv_stamp.write_text(venv_digest)
        say(f"venv ready in {time.monotonic() - t:.0f}s")
    mech_stamp, mech_digest = VENV / ".minicloud-fakebind", _digest(*sorted(FILES.glob("fakebind/*.*")))
    if not _stamped(mech_stamp, mech_digest):
        with tempfile.TemporaryDirectory() as tmp:  # pip builds in the tree it is given: keep ours clean
            shutil.copytree(FILES / "fakebind", Path(tmp) / "fakebind")
            run([PY, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", f"{tmp}/fakebind"])
        mech_stamp.write_text(mech_digest)
    _install_virt_drivers()


def _install_virt_drivers() -> None:
    """Nova loads compute drivers by a name under nova.virt: copy ours into the venv's nova package."""
    virt = FILES / "virt"
    if not virt.exists():
        return
    where = "import nova.virt, os; print(os.path.dirname(nova.virt.__file__))"
    site = run([PY, "-c", where]).stdout.strip()
    for module in virt.glob("*.py"):
        shutil.copy(module, Path(site) / module.name)
