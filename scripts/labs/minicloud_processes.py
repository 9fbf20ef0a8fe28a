"""The mini cloud's daemons: started detached with a pid file each, watched, and stopped by pid.

A later 'scripts/minicloud down' is another process than the 'up' that started them: the pid files
under state/run are the only handle it has, so everything here goes through them.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import labkit
from minicloud_layout import LOG, PORTS, RUN, STATE, run, say, venv_bin

SYNC_TIMEOUT = 600  # a db sync on a 2-core machine takes a minute at most; ten means it hangs


def start(name: str, cmd: list[str], env: Mapping[str, str] | None = None, user: str | None = None) -> int:
    """Start a daemon detached (own session, stdin /dev/null, output to its log), record its pid."""
    LOG.mkdir(parents=True, exist_ok=True)
    out = open(LOG / f"{name}.out", "ab")  # noqa: SIM115 -- the daemon writes to it for its whole life
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        start_new_session=True,
        cwd=str(STATE),
        user=user,
        group=user,
        extra_groups=[] if user else None,
    )
    labkit.write_pid(RUN / f"{name}.pid", proc.pid)
    # What 'scripts/minicloud start NAME' needs to start this service again after a 'stop NAME'.
    (RUN / f"{name}.cmd").write_text(json.dumps({"cmd": cmd, "env": dict(env or {}), "user": user}))
    return proc.pid


def gunicorn(name: str, port: int, app: str, env: Mapping[str, str], threads: int = 4) -> None:
    # keep-alive longer than any client's polling interval: at gunicorn's default of 2 s, a client polling
    # every 2 s races the server closing the idle connection and gets "Remote end closed connection".
    # gunicorn 27's control socket is one path per user: several gunicorns must not share it.
    argv = [venv_bin("gunicorn"), "--chdir", str(STATE), "-b", f"127.0.0.1:{port}", "-w", "1"]
    argv += ["--threads", str(threads), "--timeout", "120", "--keep-alive", "75", "--no-control-socket", app]
    start(name, argv, env=env)


def in_background(name: str, argv: Sequence[str]) -> tuple[str, subprocess.Popen[bytes]]:
    """A db sync that runs while keystone starts; its errors go to log/NAME-sync.out."""
    with open(LOG / f"{name}-sync.out", "w") as errors:  # the child keeps its own copy of the descriptor
        return name, subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errors)


def finish(syncs: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    for name, proc in syncs:
        try:
            failed = proc.wait(timeout=SYNC_TIMEOUT) != 0
        except subprocess.TimeoutExpired:
            proc.kill()
            raise SystemExit(
                f"minicloud: {name} db sync still running after {SYNC_TIMEOUT} s; see {LOG}/{name}-sync.out"
            ) from None
        if failed:
            raise SystemExit(f"minicloud: {name} db sync failed; see {LOG}/{name}-sync.out")


def pids() -> dict[str, int]:
    """service name → pid of every daemon this cloud started (and did not stop one by one)."""
    return labkit.read_pids(RUN)


def running() -> dict[str, bool]:
    """service name → whether it still runs (a zombie does not)."""
    return {name: labkit.alive(pid) for name, pid in pids().items()}


def http_ok(port: int) -> bool:
    """Any HTTP answer, even an error status, means the API server is up."""
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def dead_service() -> str | None:
    """Why waiting is pointless: a daemon of the cloud died (the tail of its output says why)."""
    dead = [name for name, ok in running().items() if not ok]
    if not dead:
        return None
    log = LOG / f"{dead[0]}.out"
    return f"process {dead[0]} died (see {log}):\n{labkit.tail(log)}"


def wait_for(what: str, test: Callable[[], bool], timeout: float = 90, log: str | None = None) -> None:
    """Until ``test`` holds; a daemon that dies meanwhile ends the wait (and 'up') at once."""
    log_path = LOG / log if log else None
    labkit.wait_for(what, test, timeout, log_path, label="minicloud", give_up=dead_service)


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a daemon with all its workers (gunicorn's, nova's), from /proc."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for member in labkit.process_tree(pid):
        try:
            total += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue  # it ended while being counted
    return total / 2**20


def down() -> None:
    t = time.monotonic()
    procs = pids()
    if not procs:
        say("nothing running")
        return
    if "rabbitmq" in procs and labkit.alive(procs["rabbitmq"]):
        try:  # the clean way first: RabbitMQ flushes its queues
            rabbitmqctl_env = {"HOME": f"{STATE}/rabbitmq"}
            run(
                ["rabbitmqctl", "-n", "rabbit@localhost", "stop"],
                check=False,
                timeout=60,
                env=rabbitmqctl_env,
            )
        except SystemExit as hung:
            say(f"{hung}; stopping RabbitMQ by signal instead")
    by_pid = {pid: name for name, pid in procs.items()}
    for pid in labkit.stop_tree(procs.values(), grace=20):
        if pid in by_pid:
            say(f"{by_pid[pid]} ignored SIGTERM: killed")
    # rabbitmq-server leaves its epmd daemon behind (user rabbitmq, started outside our group).
    run(["pkill", "-u", "rabbitmq", "-x", "epmd"], check=False)
    for pidfile in RUN.glob("*.pid"):
        pidfile.unlink(missing_ok=True)  # a service that stopped on its own took its file
    say(f"down in {time.monotonic() - t:.0f}s")


def status() -> int:
    procs = pids()
    if not procs:
        print("minicloud: not running")
        return 1
    total = 0.0
    for name, pid in procs.items():
        rss = tree_rss_mib(pid)
        total += rss
        print(f"{name:<28} pid {pid:<8} {'up' if labkit.alive(pid) else 'DEAD':<5} {rss:7.0f} MiB")
    for name, port in PORTS.items():
        print(f"{name:<28} port {port:<7} {'answers' if http_ok(port) else 'NO ANSWER'}")
    print(f"{'total RSS':<28} {total:.0f} MiB")
    return 0 if all(running().values()) else 1


def stop_service(name: str) -> None:
    """Stop one service (e.g. glance) to test how clients cope; 'start NAME' brings it back."""
    pid = labkit.read_pid(RUN / f"{name}.pid")
    if pid is None:
        raise SystemExit(f"minicloud: no running service {name!r}; running: {', '.join(pids())}")
    labkit.stop_tree([pid], grace=20)
    (RUN / f"{name}.pid").unlink()
    say(f"{name} stopped")


def start_service(name: str) -> None:
    spec = RUN / f"{name}.cmd"
    if not spec.exists():
        raise SystemExit(f"minicloud: {name!r} was never started by this cloud")
    pid = labkit.read_pid(RUN / f"{name}.pid")
    if pid is not None and labkit.alive(pid):
        say(f"{name} already running")
        return
    saved = json.loads(spec.read_text())
    start(name, saved["cmd"], saved["env"], saved["user"])
    if name in PORTS:
        wait_for(name, lambda: http_ok(PORTS[name]), 60, f"{name}.out")
    say(f"{name} started")
