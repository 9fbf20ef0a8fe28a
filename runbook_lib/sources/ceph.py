"""The only place that talks to Ceph: the ``ceph`` and ``rbd`` CLIs with ``--format json``.

The CLI works from any Python environment (its shebang is the system Python) and prints the same JSON
as librados' ``mon_command``. How to reach it is the operator's choice: a command such as ``ceph``,
``sudo ceph``, ``ssh admin@mon1 sudo ceph`` or ``cephadm shell -- ceph``; ``rbd`` runs the same way.
Every argument is a list element; when the command goes through ``ssh`` (which joins its arguments for
a remote shell), behind whatever wrappers, each one is quoted. Pool names are checked before they reach a command.

What a runbook reads (each part, within one deadline) is gathered in :mod:`runbook_lib.sources.ceph_gather`;
this module runs one command, reads its JSON, turns its failure into words, and changes the cluster.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runbook_lib.ceph_json import loads_ceph_json
from runbook_lib.errors import ConfigError, ParameterError, PermissionDenied, SourceError, SourceUnreachable
from runbook_lib.sources.ceph_environment import inherited_conf

_POOL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


# (part, ceph arguments) gathered for every run; rbd and the reweight preview are added per parameters.
def check_pool_name(pool: str) -> str:
    if not _POOL.match(pool or ""):
        raise ParameterError(f"{pool!r} is not a Ceph pool name")
    return pool


_CEPH_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # a cluster name (--cluster) or client id (--id)


def check_ceph_name(value: str, what: str) -> str:
    """'' (Ceph's default) or a name Ceph itself would take; anything else is refused, used or not: it
    would reach a command a report prints."""
    if value and not _CEPH_NAME.match(value):
        raise ParameterError(f"{what} {value!r} is not a Ceph {what.split('_')[1]} name (letters, digits, _ . -)")
    return value


def parse_ceph_json(text: str, what: str) -> Any:
    """JSON from a ceph command; the bare nan / -nan / inf some releases print (Jewel's -nan in ``osd df``,
    Reef < 18.2.5's inf in ``osd dump``) are read as null, which the analyses treat as unknown."""
    try:
        return loads_ceph_json(text)
    except json.JSONDecodeError as exc:
        snippet = text.strip()[:120] or "(nothing)"
        raise SourceError(f"'{what}' did not return JSON ({exc.msg} at line {exc.lineno}): {snippet!r}") from None


@dataclasses.dataclass(frozen=True)
class CephAccess:
    """How to run the ceph CLI: ``command`` ends with the ``ceph`` executable (what precedes it is kept)."""

    command: str = "ceph"
    conf: str = ""
    cluster: str = ""
    client_id: str = ""
    timeout: int = 20

    def __post_init__(self) -> None:
        try:
            words = shlex.split(self.command)
        except ValueError as exc:  # an unbalanced quote
            raise ParameterError(f"ceph_command {self.command!r} cannot be split into words: {exc}") from None
        if not words or Path(words[-1]).name != "ceph":
            raise ParameterError(
                f"ceph_command {self.command!r} must end with the ceph executable, e.g. 'ceph', 'sudo ceph', "
                "'ssh admin@mon1 sudo ceph' or 'cephadm shell -- ceph'"
            )

    def argv(self, tool: str, args: list[str], json_format: bool = True) -> list[str]:
        words = shlex.split(self.command)
        prefix, executable = words[:-1], words[-1]
        tool_path = executable if tool == "ceph" else str(Path(executable).with_name(tool))
        common = []
        if self.conf:
            common += ["--conf", self.conf]
        if self.cluster:
            common += ["--cluster", self.cluster]
        if self.client_id:
            common += ["--id", self.client_id]
        # a dead monitor must not hang the runbook: librados gives up after client_mount_timeout
        common += (
            ["--connect-timeout", str(self.timeout)]
            if tool == "ceph"
            else ["--client-mount-timeout", str(self.timeout)]
        )
        command = [tool_path, *common, *args, *(["--format", "json"] if json_format else [])]
        if goes_through_ssh(prefix):
            command = [shlex.quote(word) for word in command]
        return [*prefix, *command]

    @property
    def conf_said(self) -> str:
        """The ceph.conf this command reads, as a message names it: ceph_conf, else the CEPH_CONF the local
        ceph inherits from the environment, else ceph's default."""
        if self.conf:
            return self.conf
        inherited = inherited_conf(self.command)
        return f"CEPH_CONF={inherited} (from the environment)" if inherited else "(the default /etc/ceph/ceph.conf)"


def goes_through_ssh(prefix: list[str]) -> bool:
    """Whether the words before ``ceph`` reach a remote shell: ssh anywhere among them, behind any wrapper
    (``timeout 60 ssh``, ``sudo ssh``, ``env X=1 ssh``, ``sshpass -f pw ssh``), joins what follows for the remote
    shell, so each of our words must then be quoted for it."""
    return any(Path(word).name == "ssh" for word in prefix)


_SSH_OPTIONS_WITH_VALUE = set("BbcDEeFIiJLlmOoPpQRSWw")  # ssh(1): the options that take an argument


def ssh_destination(prefix: list[str]) -> str:
    """The host the ``ssh`` among the words before ``ceph`` logs in to (``admin@mon1`` → ``mon1``), or ""."""
    words = iter(prefix)
    for word in words:
        if Path(word).name == "ssh":
            break
    for word in words:
        if word.startswith("-") and len(word) > 1:
            if word[-1] in _SSH_OPTIONS_WITH_VALUE and len(word) == 2:
                next(words, None)
            continue
        return word.rsplit("@", 1)[-1].removeprefix("ssh://").split(":")[0]
    return ""


def run_json(access: CephAccess, tool: str, args: list[str]) -> Any:
    """One ceph/rbd command's JSON; a clear SourceError naming the command otherwise."""
    return parse_ceph_json(run_ceph(access, tool, args), f"{tool} {' '.join(args)}")


def run_ceph(access: CephAccess, tool: str, args: list[str]) -> str:
    """One ceph/rbd command's standard output (changing commands print little or nothing)."""
    argv = access.argv(tool, args)
    what = f"{tool} {' '.join(args)}"
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=access.timeout + 15)
    except FileNotFoundError:
        raise ConfigError(missing_executable(access, argv[0])) from None
    except subprocess.TimeoutExpired:
        raise SourceUnreachable(
            f"'{what}' got no answer within {access.timeout + 15} s: is a monitor up and reachable?"
        ) from None
    if done.returncode != 0:
        raise command_error(what, done.returncode, done.stderr, access.conf_said)
    return done.stdout


def missing_executable(access: CephAccess, executable: str) -> str:
    """What to install when ``executable``, the first word run, is not here: ceph-common for ceph/rbd
    themselves, else the wrapper ceph_command starts with (sshpass, ssh, sudo, cephadm …)."""
    if len(shlex.split(access.command)) == 1:
        return f"cannot run {executable!r}: install ceph-common here, or set ceph_command to reach a host that has it"
    return (
        f"cannot run {executable!r}, the first word of ceph_command: it is not installed here (or not on PATH); "
        f"install {Path(executable).name}, or change ceph_command"
    )


def command_error(what: str, code: int, stderr: str, conf: str = "") -> SourceError:
    lines = stderr.strip().splitlines()
    # the tool's own last word, not a librados log line that may land after it ("2026-12-02T… monclient…")
    said = [line for line in lines if not _LOG_LINE.match(line)] or lines or [f"exit code {code}"]
    last = said[-1][:300]
    if "conf_read_file" in stderr or "unable to open config file" in stderr:  # ceph's words / rbd's (global_init)
        return SourceUnreachable(
            f"'{what}': ceph cannot read its configuration {conf or '(the default /etc/ceph/ceph.conf)'}; "
            "set ceph_conf to the cluster's ceph.conf"
        )
    if "timed out" in stderr or "error connecting to the cluster" in stderr or code == 110:
        return SourceUnreachable(f"'{what}': no monitor answered ({last}); check mon_host in the conf and the network")
    if "Permission denied" in stderr or "EACCES" in stderr or code == 13 or "(13)" in stderr:
        return PermissionDenied(f"'{what}': permission denied ({last}); use a client with mon 'allow r' or run as root")
    if "No such file or directory" in stderr and ("keyring" in stderr or "conf" in stderr):
        return SourceUnreachable(f"'{what}': {last}; set ceph_conf (and ceph_id) to this cluster's files")
    return SourceError(f"'{what}' failed with exit code {code}: {last}")


# --- changing the cluster (only from apply=True) --------------------------------------------------------


def set_reweight(access: CephAccess, osd: int, weight: float) -> None:
    """``ceph osd reweight <id> <w>``, ``w`` written out in full: the monitor truncates w × 65536, and the
    plan's weights are whole steps of 1/65536, which a rounded decimal can land one step below."""
    run_ceph(access, "ceph", ["osd", "reweight", str(int(osd)), repr(float(weight))])


def pg_states(access: CephAccess) -> dict[str, int]:
    """PG state → count, from ``ceph pg stat``."""
    summary = run_json(access, "ceph", ["pg", "stat"]).get("pg_summary", {})
    return {s["name"]: s["num"] for s in summary.get("num_pg_by_state", [])}


def largest_pg_bytes(access: CephAccess) -> int:
    """The largest PG's bytes (one replica), from ``ceph pg ls``: the unit of a reweight's granularity."""
    stats = run_json(access, "ceph", ["pg", "ls"])
    stats = stats.get("pg_stats", []) if isinstance(stats, dict) else stats
    return max((int(p.get("stat_sum", {}).get("num_bytes", 0)) for p in stats), default=0)


def settled_osd_df(access: CephAccess, timeout: float = 60, interval: float = 6) -> dict:
    """``osd df tree`` once two reads ``interval`` apart agree: OSDs report to the mgr every 5 s."""
    previous, deadline = None, time.monotonic() + timeout
    while True:
        current = run_json(access, "ceph", ["osd", "df", "tree"])
        used = [n.get("kb_used") for n in current.get("nodes", [])]
        if used == previous or time.monotonic() > deadline:
            return current
        previous = used
        time.sleep(interval)


# A PG state with one of these is still changing; without, it is as good as it gets for now (a scrub moves no
# data, and undersized+degraded with a copy's OSD down but still in has nowhere to recover to)
MOVING_STATES = ("peering", "activating", "backfill", "recover", "remapped", "unknown", "creating", "wait")


def unsettled(states: dict[str, int]) -> dict[str, int]:
    """The PG states that recovery is still working on: moving ones, and degraded ones not undersized."""
    return {
        name: n
        for name, n in states.items()
        if any(word in name for word in MOVING_STATES) or ("degraded" in name and "undersized" not in name)
    }


def wait_for_recovery(
    access: CephAccess, timeout: float, poll: float = 2.0, say: Callable[[str], None] = print
) -> bool:
    """Follow recovery until no PG is moving any more (True) or ``timeout`` seconds pass (False), saying
    every 10 s how many PGs are still busy. PGs left undersized by an OSD that is down are named, not waited
    for: nothing recovers them until it is back or marked out."""
    start = time.monotonic()
    time.sleep(3)  # let peering start before the first look
    last_said = 0.0
    while True:
        states = pg_states(access)
        busy = unsettled(states)
        elapsed = time.monotonic() - start
        if not busy:
            stuck = {name: n for name, n in states.items() if "undersized" in name}
            if stuck:
                detail = ", ".join(f"{n} {name}" for name, n in stuck.items())
                say(
                    f"recovery done after {elapsed:.0f} s: no PG is moving; {detail} until the OSD that is down is back"
                )
            else:
                say(f"recovery done after {elapsed:.0f} s: every PG active+clean")
            return True
        if elapsed - last_said >= 10:
            detail = ", ".join(f"{n} {name}" for name, n in busy.items())
            say(f"{elapsed:4.0f} s: {sum(busy.values())} PG(s) still recovering: {detail}")
            last_said = elapsed
        if elapsed > timeout:
            say(f"recovery still running after {timeout:g} s: compare later by running the runbook again")
            return False
        time.sleep(poll)
