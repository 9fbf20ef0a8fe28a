"""How the operator reaches hosts: OpenSSH argv lists, checked names, one result per host.

ssh joins its remote arguments into one string for the remote shell, so every remote argument is quoted
here (``shlex.join``); data travels on stdin, scripts are constants of the modules that use them, and host
and user names are checked before they reach ``ssh``.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import ipaddress
import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

from runbook_lib.errors import ParameterError

_HOST_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:%\[\]-]*$")
_USER_NAME = re.compile(r"^[a-z_][a-z0-9_.-]*\$?$")


def check_host_name(host: str) -> str:
    """A host name or address safe to hand to ssh (no option, no spaces); else a ParameterError."""
    if not isinstance(host, str) or not (_HOST_NAME.match(host) or _is_address(host)):
        raise ParameterError(f"{host!r} is not a host name or address")
    return host


def _is_address(host: str) -> bool:
    """An IP address, e.g. IPv6 ``::1`` or ``::ffff:10.0.0.1``, whose first character the name rule refuses."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


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
        futures = {
            pool.submit(run_on_host, access, host, argv, stdin, timeout): host for host, (argv, stdin) in jobs.items()
        }
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            if progress:
                progress(result, len(results), len(jobs))
    return results


def host_access(
    ssh_user: str = "",
    ssh_port: int = 0,
    ssh_config: str = "",
    ssh_identity: str = "",
    ssh_jump: str = "",
    sudo: str = "sudo -n",
    ssh_timeout: int = 10,
    check_host_keys: bool = True,
    local_host: str = "",
) -> HostAccess:
    """How the operator reaches the hosts, from a runbook's parameters, checked before anything runs."""
    if ssh_user:
        check_user_name(ssh_user)
    for host in (ssh_jump, local_host):
        if host:
            check_host_name(host)
    for name, path in (("ssh_config", ssh_config), ("ssh_identity", ssh_identity)):
        if path and not Path(path).expanduser().is_file():
            raise ParameterError(f"{name} {path!r} is not a file")
    return HostAccess(
        ssh_user, ssh_port, ssh_config, ssh_identity, ssh_jump, sudo, ssh_timeout, check_host_keys, local_host
    )
