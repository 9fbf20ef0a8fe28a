"""Which ceph.conf a local ceph reads from the environment: ``CEPH_CONF`` reaches ceph only when nothing
between this process and ceph resets the environment or runs ceph elsewhere."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from runbook_lib.errors import ConfigError

# Wrappers that run ceph here with the caller's environment; sudo resets it (env_reset), cephadm, docker,
# podman and kubectl run ceph in a container, ssh elsewhere: behind those a CEPH_CONF here means nothing.
_ENVIRONMENT_KEEPING = frozenset({"timeout", "env", "nice", "ionice", "nohup", "stdbuf", "time", "chrt", "taskset"})


def inherits_environment(prefix: list[str]) -> bool:
    """Whether the ceph after ``prefix`` is a local process that gets this process's environment (CEPH_CONF):
    nothing before it, or only environment-keeping wrappers with their options, numbers and assignments.

    >>> [inherits_environment(p.split()) for p in ("", "timeout 60", "env LC_ALL=C nice -n 5", "sudo -n", "cephadm")]
    [True, True, True, False, False]"""
    for word in prefix:
        if word.startswith("-") or word[:1].isdigit() or ("=" in word and word.split("=")[0].isidentifier()):
            continue
        if Path(word).name not in _ENVIRONMENT_KEEPING:
            return False
    return True


def inherited_conf(ceph_command: str) -> str:
    """The CEPH_CONF this process's environment gives the ceph of ``ceph_command`` ('' when none, or when that
    ceph never sees it). Raises ValueError for an unbalanced quote (CephAccess says so in its own words)."""
    environment = os.environ.get("CEPH_CONF", "")
    return environment if environment and inherits_environment(shlex.split(ceph_command)[:-1]) else ""


def check_environment_conf(ceph_command: str, ceph_conf: str, option: str = "-p ceph_conf FILE") -> None:
    """Before anything runs: a CEPH_CONF from the environment that the local ceph would read (no ceph_conf
    given, no wrapper that resets the environment or runs ceph elsewhere) must be a file here; ceph itself would
    only say it cannot read "its configuration"."""
    try:
        environment = "" if ceph_conf else inherited_conf(ceph_command)  # --conf wins over CEPH_CONF
    except ValueError:
        return  # an unbalanced quote: CephAccess says so in its own words
    search_list = "," in environment or "$" in environment  # ceph's own forms: "a.conf,b.conf", "$cluster"
    if not environment or search_list or Path(environment).expanduser().is_file():
        return
    raise ConfigError(
        f"CEPH_CONF={environment} (from the environment) is not a file: ceph would not read its configuration; "
        f"set CEPH_CONF to the cluster's ceph.conf, unset it, or pass {option}"
    )
