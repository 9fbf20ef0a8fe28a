"""A run stopped by SIGTERM (a scheduler's stop, systemd's TimeoutStopSec) or SIGINT (Ctrl-C): every process
the run started (pool workers, kernels, and what they started: ``ceph``, ``ssh``) is stopped, and the run
still writes its report, saying it was interrupted and which runbooks did not finish."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

INTERRUPTED = "(every process it started was stopped)"  # the end of a runbook's error when the run was stopped


class RunInterrupted(BaseException):
    """The run got SIGTERM or SIGINT."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"interrupted by {signal_name}")
        self.signal_name = signal_name


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise RunInterrupted(signal.Signals(signum).name)


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM and SIGINT raise :class:`RunInterrupted` in the main thread while inside."""
    previous = {s: signal.signal(s, _raise) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def ignore_interrupts() -> None:
    """For pool workers: the parent stops them; a Ctrl-C reaching the whole group must not print a traceback
    from each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])  # the name may hold spaces
    return parents


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, children first."""
    parents = _parents()
    found: list[int] = []
    frontier = [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier and p not in found]
        found += children
        frontier = children
    return found


def stop_descendants(grace: float = 5.0) -> list[int]:
    """SIGTERM to every process this one started, SIGKILL to those still there after ``grace`` seconds."""
    pids = descendants(os.getpid())
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    return pids


def _signal(pid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    if state == "Z":
        with suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # ours: reap it
        return False
    return True


def forget_pool_at_exit(manager: Any) -> None:
    """After a stop (workers killed, the pool not waited for), let the pool's manager thread end and take it
    off the list CPython 3.11 wakes at exit: that wake writes to the pipe the ended thread closed and prints
    a traceback ("Exception ignored in: <module 'threading'>", EBADF) after the report's line."""
    from concurrent.futures import process

    if manager is None:
        return
    manager.join(timeout=10)
    wakeups = getattr(process, "_threads_wakeups", None)
    if wakeups is not None and not manager.is_alive():
        wakeups.pop(manager, None)


def shut_down_pool(pool: Any, stopped: bool) -> None:
    """Every future done: wait for the idle workers to exit (left to the interpreter's exit instead, the
    pool's feeder thread may write to a pipe already closed: "OSError: [Errno 9] Bad file descriptor").
    After a stop the workers are gone and the pool is not waited for, only its manager thread."""
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=not stopped, cancel_futures=True)
    if stopped:
        forget_pool_at_exit(manager)
