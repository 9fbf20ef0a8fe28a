"""The labs' shared helpers (scripts/labs/labkit.py) on real processes, sockets and files."""

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts" / "labs"))
import labkit

STRANGE_NAME = "sl ee)p x"  # a space and a ')' inside the comm field of /proc/<pid>/stat


def _wait_until(condition, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def strange_sleep(tmp_path):
    """A real running process whose name is 'sl ee)p x' (a copy of /bin/sleep under that name)."""
    binary = tmp_path / STRANGE_NAME
    shutil.copy("/bin/sleep", binary)
    binary.chmod(0o755)
    proc = subprocess.Popen([str(binary), "60"])
    assert _wait_until(lambda: Path(f"/proc/{proc.pid}/comm").read_text().strip() == STRANGE_NAME)
    yield proc
    proc.kill()
    proc.wait()


def test_stat_of_a_process_named_with_a_space_and_a_parenthesis(strange_sleep):
    text = Path(f"/proc/{strange_sleep.pid}/stat").read_text()
    assert f"({STRANGE_NAME})" in text  # the kernel really wrote the name as is
    assert _wait_until(lambda: labkit.read_stat(strange_sleep.pid).state == "S")  # asleep in nanosleep
    stat = labkit.read_stat(strange_sleep.pid)
    assert stat == labkit.ProcStat(pid=strange_sleep.pid, state="S", ppid=os.getpid(), pgid=os.getpgid(0))
    assert labkit.alive(strange_sleep.pid)


def test_a_zombie_with_such_a_name_is_not_alive(strange_sleep):
    strange_sleep.send_signal(signal.SIGKILL)  # not waited for: it stays a zombie until we reap it
    assert _wait_until(lambda: (labkit.read_stat(strange_sleep.pid) or labkit.ProcStat(0, "?", 0, 0)).state == "Z")
    # The naive parse (third whitespace-separated field) reads a piece of the name, never the 'Z'.
    assert Path(f"/proc/{strange_sleep.pid}/stat").read_text().split()[2] != "Z"
    assert not labkit.alive(strange_sleep.pid)


def test_a_reaped_process_is_not_alive():
    proc = subprocess.Popen(["/bin/true"])
    proc.wait()
    assert labkit.read_stat(proc.pid) is None
    assert not labkit.alive(proc.pid)


def test_parse_stat_counts_fields_after_the_last_parenthesis():
    stat = labkit.parse_stat("4242 (a) b) (c) Z 1 4242 4242 0 -1 4194560 ...")
    assert stat == labkit.ProcStat(pid=4242, state="Z", ppid=1, pgid=4242)


def test_pid_files(tmp_path):
    labkit.write_pid(tmp_path / "run" / "keystone.pid", 1234)
    (tmp_path / "run" / "half-written.pid").write_text("")
    (tmp_path / "run" / "not-a-pid.cmd").write_text("99")
    assert labkit.read_pid(tmp_path / "run" / "keystone.pid") == 1234
    assert labkit.read_pid(tmp_path / "run" / "missing.pid") is None
    assert labkit.read_pids(tmp_path / "run") == {"keystone": 1234}
    assert labkit.read_pids(tmp_path / "nowhere") == {}


def _tree(script: str) -> tuple[subprocess.Popen, list[int]]:
    """A shell (leading its own session, as the labs' daemons do) and the children it says it started."""
    shell = subprocess.Popen(["/bin/sh", "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True)
    children = [int(shell.stdout.readline()) for _ in range(2)]
    return shell, children


@pytest.mark.parametrize(
    "script, needs_sigkill",
    [
        # a child in the shell's group, and one in a session of its own (found only as a descendant)
        ("sleep 300 & echo $!; setsid sleep 300 & echo $!; wait", False),
        # SIGTERM ignored by the shell and (inherited) by its children: only SIGKILL ends them
        ("trap '' TERM; sleep 300 & echo $!; sleep 300 & echo $!; wait", True),
    ],
    ids=["terminates", "ignores-sigterm"],
)
def test_stop_tree_leaves_neither_parent_nor_children(script, needs_sigkill):
    shell, children = _tree(script)
    try:
        assert set(labkit.process_tree(shell.pid)) == {shell.pid, *children}
        started = time.monotonic()
        killed = labkit.stop_tree([shell.pid], grace=0.5)
        assert not labkit.alive(shell.pid)
        assert not any(labkit.alive(child) for child in children)
        assert set(killed) == ({shell.pid, *children} if needs_sigkill else set())
        assert time.monotonic() - started < (3 if needs_sigkill else 0.5)
    finally:
        for pid in (shell.pid, *children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shell.wait()


def test_port_open_on_a_listening_socket_and_a_closed_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert labkit.port_open("127.0.0.1", port)
    assert not labkit.port_open("127.0.0.1", port)  # closed: refused at once


def test_wait_for_returns_as_soon_as_the_test_holds():
    calls = []
    labkit.wait_for("the third call", lambda: calls.append(1) or len(calls) == 3, 5, label="lab", interval=0.01)
    assert len(calls) == 3


def test_wait_for_times_out_with_a_readable_message(tmp_path):
    log = tmp_path / "keystone.out"
    log.write_text("".join(f"line {i}\n" for i in range(30)) + "ImportError: no module named keystone\n")
    started = time.monotonic()
    with pytest.raises(SystemExit) as stop:
        labkit.wait_for("keystone", lambda: False, 0.3, log, label="minicloud", interval=0.05)
    assert 0.3 <= time.monotonic() - started < 2
    message = str(stop.value)
    first, *tail = message.splitlines()
    assert first == f"minicloud: still waiting for keystone after 0.3 s (see {log}):"
    assert tail[-1] == "ImportError: no module named keystone" and len(tail) == 20


def test_wait_for_gives_up_early_when_told_why():
    started = time.monotonic()
    with pytest.raises(SystemExit, match=r"^lab: gave up waiting for nova-api: process nova-api died$"):
        labkit.wait_for("nova-api", lambda: False, 30, label="lab", give_up=lambda: "process nova-api died")
    assert time.monotonic() - started < 1


def test_run_returns_the_output_and_fails_readably():
    assert labkit.run(["echo", "hello"], label="lab").stdout == "hello\n"
    with pytest.raises(SystemExit) as stop:
        labkit.run(["sh", "-c", "echo why it failed >&2; exit 3"], label="lab")
    assert str(stop.value) == "lab: sh -c 'echo why it failed >&2; exit 3' failed with exit code 3:\nwhy it failed"
    assert labkit.run(["false"], label="lab", check=False).returncode == 1


def test_run_is_bounded_by_its_timeout():
    started = time.monotonic()
    with pytest.raises(SystemExit, match=r"^lab: sleep 30 still running after 0.3 s: killed"):
        labkit.run(["sleep", "30"], label="lab", timeout=0.3)
    assert time.monotonic() - started < 5


def test_say_prints_the_label_and_the_time_since_the_start():
    out = io.StringIO()
    say = labkit.make_say("cephlab", stream=out)
    say("mon up")
    assert out.getvalue() == "[cephlab   0.0s] mon up\n"


def _fill(args: list[str]) -> None:
    if not args or not args[0].isdigit():
        raise labkit.UsageError


COMMANDS = {
    "up": labkit.Command(lambda args: None),
    "status": labkit.Command(lambda args: 3),
    "seed": labkit.Command(lambda args: int(args[0]), "NAME"),
    "fill": labkit.Command(_fill, "N"),
}


def test_dispatch_usage_line_is_built_from_the_table():
    assert labkit.usage_line("scripts/lab", COMMANDS) == "usage: scripts/lab up | status | seed NAME | fill N"


def test_dispatch_runs_the_command_and_returns_its_exit_code():
    assert labkit.dispatch("scripts/lab", COMMANDS, ["up"]) == 0
    assert labkit.dispatch("scripts/lab", COMMANDS, ["status"]) == 3
    assert labkit.dispatch("scripts/lab", COMMANDS, ["seed", "7"]) == 7


@pytest.mark.parametrize("argv", [[], ["nope"], ["fill", "x"]], ids=["none", "unknown", "bad-args"])
def test_dispatch_prints_usage_and_its_exit_code(argv):
    out = io.StringIO()
    code = labkit.dispatch("scripts/lab", COMMANDS, argv, help_text="A lab.\n", usage_exit=2, usage_stream=out)
    assert code == 2
    assert out.getvalue() == "A lab.\n\nusage: scripts/lab up | status | seed NAME | fill N\n"
