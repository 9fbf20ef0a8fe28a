"""What the three labs (scripts/minicloud, scripts/cephlab, scripts/sshlab) share, written once.

Each lab used to carry its own copy of these helpers and the copies drifted apart (one parsed
/proc/<pid>/stat wrongly, one never escalated to SIGKILL, one had no timeout on its commands).
Standard library only: the labs run with the machine's python3 before any venv exists.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

# --- progress and commands ---------------------------------------------------------------------


def make_say(label: str, *, stream: TextIO | None = None, width: int = 5) -> Callable[[str], None]:
    """A lab's progress printer, '[label  12.3s] message', timed from the lab's start so slow steps show.

    The stream is looked up at each call (None: sys.stdout then), so pytest's capture still sees it.
    """
    started = time.monotonic()

    def say(message: str) -> None:
        out = stream if stream is not None else sys.stdout
        print(f"[{label} {time.monotonic() - started:{width}.1f}s] {message}", file=out, flush=True)

    return say


def run(
    argv: Sequence[str | Path],
    *,
    label: str,
    timeout: float = 120,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run one command (an argv list, never a shell string) with its output captured.

    Bounded by ``timeout`` so that a hung tool fails the lab instead of hanging it; with ``check``, a
    failure ends the lab with one readable line (what ran, its exit code) and the tail of its output.
    """
    command = [str(arg) for arg in argv]
    try:
        done = subprocess.run(
            command,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise SystemExit(
            f"{label}: {shlex.join(command)} still running after {timeout:g} s: killed; "
            "look at what it waits for, or give it a longer timeout"
        ) from None
    if check and done.returncode != 0:
        output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        raise SystemExit(f"{label}: {shlex.join(command)} failed with exit code {done.returncode}:\n{output}")
    return done


class UsageError(Exception):
    """Raised by a command given arguments it cannot use: dispatch() then prints the usage."""


@dataclass(frozen=True)
class Command:
    """One lab command: the function that runs it on its arguments, and those arguments for the usage."""

    run: Callable[[list[str]], int | None]
    args: str = ""


def usage_line(prog: str, commands: Mapping[str, Command]) -> str:
    """'usage: PROG a | b ARG | …', built from the table so that it can never miss a command."""
    return "usage: " + prog + " " + " | ".join(f"{name} {c.args}".strip() for name, c in commands.items())


def dispatch(
    prog: str,
    commands: Mapping[str, Command],
    argv: Sequence[str],
    *,
    help_text: str = "",
    usage_exit: int = 2,
    usage_stream: TextIO | None = None,
) -> int:
    """Run argv[0]'s command on the rest: its return value (None = 0) is the exit code.

    An unknown command or a UsageError prints the help text and the usage line (to ``usage_stream``,
    sys.stderr when None) and returns ``usage_exit``: each lab keeps the exit code its callers know.
    """
    command = commands.get(argv[0]) if argv else None
    try:
        if command is not None:
            return command.run(list(argv[1:])) or 0
    except UsageError:
        pass
    out = usage_stream if usage_stream is not None else sys.stderr
    print(f"{help_text.rstrip()}\n\n{usage_line(prog, commands)}".lstrip(), file=out)
    return usage_exit


# --- waiting ------------------------------------------------------------------------------------


def port_open(address: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections there: the one sign that a server is listening."""
    with socket.socket() as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((address, port)) == 0


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log ('' if it does not exist yet): enough to say why a start failed."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def wait_for(
    what: str,
    test: Callable[[], bool],
    timeout: float,
    log: Path | Callable[[], str] | None = None,
    *,
    label: str,
    interval: float = 0.3,
    give_up: Callable[[], str | None] | None = None,
) -> None:
    """Poll ``test`` until it holds; else end the lab with one line saying what did not happen.

    ``log`` explains a timeout (a file's tail, or a function's text); ``give_up`` may return a reason
    to stop early (a daemon died: waiting the whole timeout for it would only hide that).
    """
    deadline = time.monotonic() + timeout
    while True:
        if test():
            return
        reason = give_up() if give_up else None
        if reason:
            raise SystemExit(f"{label}: gave up waiting for {what}: {reason}")
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    evidence = tail(log) if isinstance(log, Path) else log() if log else ""
    where = f" (see {log})" if isinstance(log, Path) else ""
    raise SystemExit(
        f"{label}: still waiting for {what} after {timeout:g} s{where}" + (f":\n{evidence}" if evidence else "")
    )


# --- processes ----------------------------------------------------------------------------------


def write_pid(path: Path, pid: int) -> None:
    """Record a daemon's pid: the only handle a later 'down' (another process) has on it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(pid))


def read_pid(path: Path) -> int | None:
    """The pid in a pid file, or None when it is missing or half-written (a crash must not stop 'down')."""
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def read_pids(directory: Path) -> dict[str, int]:
    """name → pid for every readable NAME.pid in a directory, sorted by name (none if it does not exist)."""
    found = {p.stem: read_pid(p) for p in sorted(directory.glob("*.pid"))}
    return {name: pid for name, pid in found.items() if pid is not None}


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/<pid>/stat that the labs need."""

    pid: int
    state: str
    ppid: int
    pgid: int


def parse_stat(text: str) -> ProcStat:
    """Parse /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself hold spaces
    and ')' ('(sl ee)p x)'), so the fields are counted from after the LAST ')', never by plain split().
    """
    head, _, rest = text.rpartition(")")
    state, ppid, pgid = rest.split()[:3]
    return ProcStat(pid=int(head.split("(", 1)[0]), state=state, ppid=int(ppid), pgid=int(pgid))


def read_stat(pid: int) -> ProcStat | None:
    """The process's stat, or None when no such process exists (any more)."""
    try:
        return parse_stat(Path(f"/proc/{pid}/stat").read_text())
    except (OSError, ValueError):  # no such process, or it ended while being read
        return None


def alive(pid: int) -> bool:
    """Running. A zombie (Z) or dead (X) process is not: kill -0 still succeeds on one that waits for
    a parent (here often a PID 1 that never reaps) to collect it, yet it will never do anything again."""
    stat = read_stat(pid)
    return stat is not None and stat.state not in ("Z", "X")


def _all_stats() -> list[ProcStat]:
    stats = (read_stat(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit())
    return [s for s in stats if s is not None]


def process_tree(root: int) -> list[int]:
    """The live processes of a daemon: root, its process group (members whose parent already died are
    orphans, no longer descendants) and every descendant (sshd sessions leave the group). Never us."""
    stats = _all_stats()
    members = {root} | {s.pid for s in stats if s.pgid == root}
    grew = True
    while grew:
        children = {s.pid for s in stats if s.ppid in members} - members
        members |= children
        grew = bool(children)
    return sorted(pid for pid in members - {os.getpid()} if alive(pid))


def _signal_each(pids: Iterable[int], signum: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            continue  # gone in the meantime; PermissionError: the pid was reused by someone else's process


def _wait_gone(pids: set[int], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)


def stop_tree(roots: Iterable[int], grace: float = 10) -> list[int]:
    """SIGTERM every process of each root's tree, SIGKILL whatever still runs after ``grace`` seconds.

    Returns the pids that had to be killed, so that a lab can say which daemon ignored SIGTERM.
    """
    targets = {pid for root in roots for pid in process_tree(root)}
    _signal_each(targets, signal.SIGTERM)
    _wait_gone(targets, grace)
    stubborn = {pid for survivor in targets if alive(survivor) for pid in process_tree(survivor)}
    _signal_each(stubborn, signal.SIGKILL)
    _wait_gone(stubborn, 5)  # SIGKILL is prompt, but callers remove the state dirs right after
    return sorted(stubborn)
