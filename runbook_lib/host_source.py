"""The one place that reads hosts and their logs: collected log files, and commands over SSH.

Log records are ``{"source": <file or host>, "path": <path>, "lines": [...]}`` so they can be stored
in a snapshot part (``logs/nova-compute``) and parsed later by :mod:`runbook_lib.oslo_log`.

Commands on hosts always run as argv lists. ssh joins its remote arguments into one string for the
remote shell, so every remote argument is quoted here (``shlex.join``); data (public keys) travels on
stdin, scripts are constants of this module, and host names are checked before they reach ``ssh``.
"""

from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runbook_lib.errors import ParameterError

MAX_LINES_PER_FILE = 200_000  # the tail of a huge log is what matters; a report must not hang on it


def read_log_dir(path: str | Path, pattern: str = "*.log") -> list[dict[str, Any]]:
    """Every file matching ``pattern`` under ``path`` (Kolla's /var/log/kolla/nova/ layout works as is)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ParameterError(
            f"log_dir {str(path)!r} is not a directory; pass a directory of collected logs or ''"
        )
    records = []
    for file in sorted(root.rglob(pattern)):
        lines = file.read_text(errors="replace").splitlines()[-MAX_LINES_PER_FILE:]
        records.append(
            {"source": log_host(file), "service": log_service(file), "path": str(file), "lines": lines}
        )
    return records


SERVICES = (
    "nova-compute",
    "neutron-server",
    "neutron-openvswitch-agent",
    "neutron-linuxbridge-agent",
    "neutron-dhcp-agent",
)


def log_service(file: Path) -> str:
    """The service a collected log is of, from its name; a file named after its host counts as nova-compute."""
    return next((s for s in SERVICES if file.stem == s or file.stem.startswith(f"{s}-")), "nova-compute")


def log_host(file: Path) -> str:
    """The host a collected log belongs to: <dir>/<host>/nova-compute.log or nova-compute-<host>.log."""
    for service in SERVICES:
        if file.stem == service:
            return file.parent.name
        if file.stem.startswith(f"{service}-"):
            return file.stem.removeprefix(f"{service}-")
    return file.stem


# --- commands on hosts over SSH ---------------------------------------------------------------------

_HOST_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:%\[\]-]*$")
_USER_NAME = re.compile(r"^[a-z_][a-z0-9_.-]*\$?$")


def check_host_name(host: str) -> str:
    """A host name or address safe to hand to ssh (no option, no spaces); else a ParameterError."""
    if not isinstance(host, str) or not _HOST_NAME.match(host):
        raise ParameterError(f"{host!r} is not a host name or address")
    return host


def check_user_name(user: str) -> str:
    if not _USER_NAME.match(user or ""):
        raise ParameterError(f"{user!r} is not a user name")
    return user


@dataclasses.dataclass(frozen=True)
class HostAccess:
    """How the operator reaches hosts: OpenSSH with its own config honoured, host keys checked.

    ``sudo`` is the prefix that becomes another user (``sudo -n``); empty when logging in as root,
    and then ``runuser`` is used. ``local_host`` names the one host this notebook runs on: its
    commands run here without SSH.
    """

    user: str = ""
    port: int = 0
    ssh_config: str = ""
    identity_file: str = ""
    jump_host: str = ""
    sudo: str = "sudo -n"
    connect_timeout: int = 10
    check_host_keys: bool = True
    local_host: str = ""

    def become(self, user: str) -> list[str]:
        """The argv prefix that runs a command as ``user`` (never through that user's login shell)."""
        check_user_name(user)
        if self.sudo:
            return [*shlex.split(self.sudo), "-u", user, "--"]
        return ["runuser", "-u", user, "--"]

    def as_root(self) -> list[str]:
        return [*shlex.split(self.sudo), "--"] if self.sudo else []

    def ssh_argv(self, host: str, remote_argv: list[str]) -> list[str]:
        if self.local_host and host == self.local_host:
            return list(remote_argv)
        argv = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={self.connect_timeout}"]
        if self.ssh_config:
            argv += ["-F", str(Path(self.ssh_config).expanduser())]
        if self.user:
            argv += ["-l", check_user_name(self.user)]
        if self.port:
            argv += ["-p", str(int(self.port))]
        if self.identity_file:
            argv += ["-i", str(Path(self.identity_file).expanduser())]
        if self.jump_host:
            argv += ["-J", check_host_name(self.jump_host)]
        if not self.check_host_keys:  # the operator's explicit choice; never the default
            argv += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
        return [*argv, "--", check_host_name(host), shlex.join(remote_argv)]


@dataclasses.dataclass(frozen=True)
class HostResult:
    host: str
    exit_code: int | None  # None: the command never ran (ssh missing, timeout)
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def run_on_host(
    access: HostAccess, host: str, remote_argv: list[str], stdin: str = "", timeout: float = 60
) -> HostResult:
    """Run ``remote_argv`` on ``host``; an unreachable host is a result (exit 255 and ssh's message)."""
    argv = access.ssh_argv(host, remote_argv)
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return HostResult(host, None, "", f"no answer within {timeout:g} s")
    except FileNotFoundError as exc:
        return HostResult(host, None, "", f"cannot run {argv[0]!r}: {exc.strerror}")
    return HostResult(host, done.returncode, done.stdout, done.stderr)


def run_on_hosts(
    access: HostAccess,
    jobs: dict[str, tuple[list[str], str]],
    parallel: int = 8,
    timeout: float = 60,
    progress: Callable[[HostResult, int, int], None] | None = None,
) -> dict[str, HostResult]:
    """host → (argv, stdin) on many hosts, at most ``parallel`` at once; ``progress`` sees each result."""
    results: dict[str, HostResult] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = {pool.submit(run_on_host, access, host, argv, stdin, timeout): host
                   for host, (argv, stdin) in jobs.items()}  # fmt: skip
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            if progress:
                progress(result, len(results), len(jobs))
    return results


# Run as the nova user on a source host: its account, its SSH files, the host's public host keys, and
# for every destination address exactly what Nova runs (ssh -o BatchMode=yes <dest> …) with `true` in
# place of `mkdir -p <instance dir>`. Destinations arrive as arguments; outputs are tagged lines.
TRUST_PROBE = r"""
set -u
timeout=$1; shift
me=$(id -un)
entry=$(getent passwd "$me")
home=$(printf %s "$entry" | cut -d: -f6)
echo "@account $me $(printf %s "$entry" | cut -d: -f7) $home"
for f in "$home" "$home/.ssh" "$home"/.ssh/*; do
  [ -e "$f" ] && echo "@file $(stat -c '%a %U' "$f") $f"
done
for f in "$home"/.ssh/*.pub; do
  [ -f "$f" ] && echo "@pubkey $(ssh-keygen -lf "$f" | cut -d' ' -f2) $(cut -d' ' -f1,2 "$f") $f"
done
[ -f "$home/.ssh/authorized_keys" ] && ssh-keygen -lf "$home/.ssh/authorized_keys" 2>/dev/null | cut -d' ' -f2 | sed 's/^/@authorized /'
for f in /etc/ssh/ssh_host_*_key.pub; do
  [ -f "$f" ] && echo "@hostkey $(ssh-keygen -lf "$f" | cut -d' ' -f2) $(cut -d' ' -f1,2 "$f")"
done
for dest in "$@"; do
  port=$(ssh -G "$dest" 2>/dev/null | awk '$1 == "port" {print $2}')
  name=$dest; [ "${port:-22}" = 22 ] || name="[$dest]:$port"
  known=no
  ssh-keygen -F "$name" >/dev/null 2>&1 && known=user
  [ "$known" = no ] && [ -f /etc/ssh/ssh_known_hosts ] && ssh-keygen -F "$name" -f /etc/ssh/ssh_known_hosts >/dev/null 2>&1 && known=global
  err=$(ssh -o BatchMode=yes -o ConnectTimeout="$timeout" "$dest" true 2>&1 </dev/null)
  rc=$?
  echo "@probe $dest ${port:-22} $known $rc $(printf %s "$err" | base64 | tr -d '
')"
done
"""


def parse_trust_probe(stdout: str) -> dict[str, Any]:
    """The tagged lines of TRUST_PROBE as a record (public keys kept: the fixes need them)."""
    facts: dict[str, Any] = {"account": None, "files": [], "pubkeys": [], "authorized": [], "host_keys": [],
                             "probes": []}  # fmt: skip
    for line in stdout.splitlines():
        tag, _, rest = line.partition(" ")
        fields = rest.split(" ")
        if tag == "@account" and len(fields) >= 3:
            facts["account"] = {"user": fields[0], "shell": fields[1], "home": " ".join(fields[2:])}
        elif tag == "@file" and len(fields) >= 3:
            facts["files"].append({"mode": fields[0], "owner": fields[1], "path": " ".join(fields[2:])})
        elif tag == "@pubkey" and len(fields) >= 4:
            facts["pubkeys"].append({"fingerprint": fields[0], "key": f"{fields[1]} {fields[2]}",
                                     "path": " ".join(fields[3:])})  # fmt: skip
        elif tag == "@authorized" and fields[0]:
            facts["authorized"].append(fields[0])
        elif tag == "@hostkey" and len(fields) >= 3:
            facts["host_keys"].append({"fingerprint": fields[0], "key": f"{fields[1]} {fields[2]}"})
        elif tag == "@probe" and len(fields) >= 4:
            encoded = fields[4] if len(fields) > 4 else ""
            facts["probes"].append({
                "dest_address": fields[0], "port": int(fields[1]), "known_host": fields[2],
                "exit_code": int(fields[3]), "stderr": base64.b64decode(encoded).decode(errors="replace").strip(),
            })  # fmt: skip
    return facts


def probe_ssh_trust(
    access: HostAccess,
    sources: list[str],
    destinations: dict[str, str],
    nova_user: str = "nova",
    parallel: int = 8,
    progress: Callable[[HostResult, int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """One record per source host: its nova user's facts and a probe of every destination address.

    ``destinations`` maps host name → the address Nova uses (migration.dest_host).
    """
    for address in destinations.values():
        check_host_name(address)
    jobs = {}
    for source in sources:
        targets = [address for name, address in destinations.items() if name != source]
        argv = [*access.become(nova_user), "sh", "-s", "--", str(access.connect_timeout), *targets]
        jobs[check_host_name(source)] = (argv, TRUST_PROBE)
    budget = access.connect_timeout * (len(destinations) + 2) + 30
    results = run_on_hosts(access, jobs, parallel, budget, progress)
    names = {address: name for name, address in destinations.items()}
    records = []
    for source in sources:
        result = results[source]
        facts = parse_trust_probe(result.stdout) if result.stdout else parse_trust_probe("")
        reached = facts["account"] is not None
        for probe in facts["probes"]:
            probe["dest"] = names.get(probe["dest_address"], probe["dest_address"])
        records.append({
            "host": source, "reached": reached, "via": "local" if access.local_host and source == access.local_host else "ssh",
            "error": "" if reached else (result.stderr.strip() or f"exit code {result.exit_code}")[-500:],
            **facts,
        })  # fmt: skip
    return records


def apply_host_fixes(
    access: HostAccess, fixes: list[Any], nova_user: str, timeout: float = 60
) -> list[dict[str, Any]]:
    """Run each automatic fix (a :class:`runbook_lib.ssh_trust.TrustFix`) on its host, in order."""
    done = []
    for fix in fixes:
        if not fix.automatic or not fix.argv:
            continue
        prefix = access.become(nova_user) if fix.run_as == "nova" else access.as_root()
        result = run_on_host(access, fix.host, [*prefix, *fix.argv], fix.stdin, timeout)
        done.append({"host": fix.host, "action": fix.action, "ok": result.ok,
                     "output": (result.stderr or result.stdout).strip()[-300:]})  # fmt: skip
    return done


# Log files in the usual places (packages, Kolla, TripleO), else the journal of the unit. Run as root;
# the service's unit, the line budget and the candidate paths arrive as arguments.
READ_LOG_SCRIPT = r"""
unit=$1; lines=$2; shift 2
for f in "$@"; do
  if [ -r "$f" ]; then echo "@file $f"; tail -n "$lines" "$f"; exit 0; fi
done
if command -v journalctl >/dev/null 2>&1; then
  echo "@journal $unit"; journalctl -u "$unit" -o short --no-pager -n "$lines"; exit 0
fi
echo "@none"
"""
LOG_PATHS = {
    "nova-compute": ("/var/log/nova/nova-compute.log", "/var/log/kolla/nova/nova-compute.log",
                     "/var/log/containers/nova/nova-compute.log"),
    "neutron-server": ("/var/log/neutron/neutron-server.log", "/var/log/neutron/server.log",
                       "/var/log/kolla/neutron/neutron-server.log", "/var/log/containers/neutron/server.log"),
}  # fmt: skip


def read_remote_logs(
    access: HostAccess,
    hosts: list[str],
    service: str = "nova-compute",
    lines: int = 20_000,
    parallel: int = 8,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The tail of ``service``'s log on each host over SSH: (log records, host → why nothing was read)."""
    argv = [
        *access.as_root(),
        "sh",
        "-c",
        READ_LOG_SCRIPT,
        "read-log",
        service,
        str(lines),
        *LOG_PATHS[service],
    ]
    results = run_on_hosts(access, {check_host_name(h): (argv, "") for h in hosts}, parallel, timeout=120)
    records, missing = [], {}
    for host in hosts:
        result = results[host]
        header, _, body = result.stdout.partition("\n")
        if not result.ok or not header.startswith(("@file", "@journal")):
            missing[host] = (result.stderr.strip() or "no log file and no journal found")[-300:]
            continue
        records.append({"source": host, "service": service, "path": header.split(" ", 1)[1],
                        "lines": body.splitlines()})  # fmt: skip
    return records, missing


# Run as root on a compute host: its nova-compute processes (pid, parent, start time, command line), the
# vif_plugging_* options and section headers of nova's config files (packages, nova.conf.d, Kolla), and
# the files' change times. Option names are fixed here: no other line (no password) leaves the host.
HOST_FACTS_SCRIPT = r"""
ps -eo pid=,ppid=,lstart=,args= | while read -r pid ppid d1 d2 d3 d4 d5 args; do
  case "$args" in *nova-compute*) echo "@proc $pid $ppid $(date -d "$d1 $d2 $d3 $d4 $d5" +%s 2>/dev/null || echo 0) $args";; esac
done
for f in /etc/nova/nova.conf /etc/nova/nova.conf.d/*.conf /etc/kolla/nova-compute/nova.conf; do
  [ -r "$f" ] || continue
  echo "@conf $(stat -c %Y "$f") $f"
  grep -E '^[[:space:]]*(\[[^]]+\]|vif_plugging_is_fatal|vif_plugging_timeout)[[:space:]]*(=|$)' "$f" | sed 's/^/@line /'
done
"""


def read_host_facts(access: HostAccess, hosts: list[str], parallel: int = 8) -> list[dict[str, Any]]:
    """nova-compute processes and vif-plugging options per host (see HOST_FACTS_SCRIPT)."""
    argv = [*access.as_root(), "sh", "-c", HOST_FACTS_SCRIPT]
    results = run_on_hosts(access, {check_host_name(h): (argv, "") for h in hosts}, parallel, timeout=60)
    return [{"host": h, "reached": results[h].ok, "error": "" if results[h].ok else results[h].stderr.strip()[-300:],
             "lines": results[h].stdout.splitlines()} for h in hosts]  # fmt: skip
