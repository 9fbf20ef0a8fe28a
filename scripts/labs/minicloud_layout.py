"""What the mini cloud (scripts/minicloud) is made of and where each part lives.

One place for the paths, ports, hosts and users that every part of the cloud refers to, and for the
cloud's own say/run, so that all its modules print and fail the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import labkit

SCRIPTS = Path(__file__).resolve().parent.parent
FILES = SCRIPTS / "minicloud_files"
HOME = Path(os.environ.get("MINICLOUD_HOME", "/var/tmp/stack-runbooks-minicloud"))
VENV = HOME / "venv"
STATE = HOME / "state"
LOG = STATE / "log"
ETC = STATE / "etc"
RUN = STATE / "run"
CLOUDS_YAML = HOME / "clouds.yaml"
PY = VENV / "bin" / "python"
MARIADB_SOCKET = STATE / "mysql" / "run" / "mysqld.sock"
# package: the binary that shows it is installed
APT_PACKAGES = {
    "rabbitmq-server": "rabbitmq-server",
    "mariadb-server": "mariadbd",
    "openssh-server": "sshd",
    "openssh-client": "ssh",
}
# Debian's interpreter, not one under /root: the unprivileged compute user must be able to run the venv.
BASE_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
PORTS = {"keystone": 5000, "placement": 8778, "glance": 9292, "neutron": 9696, "nova-api": 8774}

# Hosts other than minicompute reserve almost everything, so the weighers keep untargeted boots on
# minicompute; scenarios target the special hosts explicitly (availability_zone='nova:<host>').
SPECIAL = {"reserved_host_memory_mb": 790000, "reserved_host_cpus": 990}
NOVA_USER = "stackrb-nova"  # the unprivileged account ssh-src's nova-compute runs as (own home and .ssh)
SSH_PORT = 2222
SSH_DESTINATIONS = {"ssh-dst-ok": "127.0.0.4", "ssh-dst-bad": "127.0.0.3"}  # bad: host key never trusted
VIF_WAIT_DRIVER = "stackrb_drivers.VifWaitDriver"
SSH_DRIVER = "stackrb_drivers.SshMigrateDriver"


def vif_waiting(fatal: str) -> dict[str, object]:
    """A special host whose driver waits 10 s for network-vif-plugged, then fails the boot or not."""
    return {**SPECIAL, "vif_plugging_timeout": 10, "vif_plugging_is_fatal": fatal}


COMPUTES: dict[str, tuple[str, dict[str, object], str | None]] = {  # host: (driver, [DEFAULT] options, user)
    "minicompute": ("stackrb_drivers.GuestXmlDriver", {}, None),
    "minicompute2": ("fake.FakeFinishMigrationFailDriver", SPECIAL, None),
    "fail-bind-1": ("fake.FakeDriver", SPECIAL, None),
    "vif-down-1": (VIF_WAIT_DRIVER, vif_waiting("true"), None),
    "vif-down-2": (VIF_WAIT_DRIVER, vif_waiting("false"), None),
    "vif-late-1": (VIF_WAIT_DRIVER, vif_waiting("true"), None),
    "vif-late-2": (VIF_WAIT_DRIVER, vif_waiting("true"), None),  # 'seed failures' starts a second nova-compute here
    "vif-dhcp-1": (VIF_WAIT_DRIVER, vif_waiting("true"), None),
    "vif-fail-1": (VIF_WAIT_DRIVER, vif_waiting("true"), None),
    "ssh-src": (SSH_DRIVER, {**SPECIAL, "my_ip": "127.0.0.2"}, NOVA_USER),
    **{host: (SSH_DRIVER, {**SPECIAL, "my_ip": ip}, None) for host, ip in SSH_DESTINATIONS.items()},
}

# 'storage up': Cinder (RBD driver) and Glance's RBD store on the Ceph lab (scripts/cephlab).
CEPHLAB_HOME = Path(os.environ.get("CEPHLAB_HOME", "/var/tmp/stack-runbooks-cephlab"))
CEPH_CONF = CEPHLAB_HOME / "ceph.conf"

say = labkit.make_say("minicloud", width=6)


def run(
    argv: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """A setup command of the cloud (argv list), output captured; a failure ends 'up' with its tail.

    600 s by default: db syncs and pip installs are slow, but none of them may hang the cloud's start.
    """
    return labkit.run(argv, label="minicloud", env=env, check=check, timeout=timeout)


def venv_bin(name: str) -> str:
    """A program of the cloud's own venv (never the runbooks' environment)."""
    return str(VENV / "bin" / name)


def user_home() -> Path:
    """The home of ssh-src's nova user: inside the cloud's state, so a fresh 'up' starts it anew."""
    return STATE / "home" / NOVA_USER
