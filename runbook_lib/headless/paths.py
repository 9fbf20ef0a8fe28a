"""Where a command writes, checked before it reads anything: a collection that runs every ceph call, or a
run that connects to a cloud, and only then finds its --out to be a file, has cost minutes to say one line
(and without it, a live collection's reads are lost)."""

from __future__ import annotations

import os
from pathlib import Path

from runbook_lib.errors import ConfigError


def check_out_dir(path: str, option: str) -> Path:
    """``path`` as a directory to write in: one that is there and writable, or one that can be created (its
    nearest existing ancestor a writable directory). Nothing is created here: a refusal leaves no trace.

    >>> check_out_dir("/dev/null", "--out")
    Traceback (most recent call last):
    ...
    runbook_lib.errors.ConfigError: --out /dev/null is a file, not a directory; give a directory (created when missing)
    """
    if not path.strip():
        raise ConfigError(f"{option} is empty (an unset shell variable?): give a directory")
    out = Path(path).expanduser()
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{option} {out} is a file, not a directory; give a directory (created when missing)")
    there = next(p for p in (out, *out.parents) if os.path.lexists(p))  # "." or "/" at the latest
    if not there.exists():
        raise ConfigError(f"{option} {out} cannot be created: {there} is a symbolic link to nothing")
    if not there.is_dir():
        raise ConfigError(f"{option} {out} cannot be created: {there} is a file, not a directory")
    if not os.access(there, os.W_OK | os.X_OK):
        done = "written in" if there == out else "created"
        raise ConfigError(f"{option} {out} cannot be {done}: no write permission in {there}")
    return out
