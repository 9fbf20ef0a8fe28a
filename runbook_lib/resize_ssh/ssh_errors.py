"""What a failed ``ssh`` says, and what fixes it: shared by the failed-migration evidence and the trust matrix.

Nova's error text is oslo.concurrency's ProcessExecutionError (``Command: … Exit code: … Stdout: …
Stderr: …``), often cut at 255 characters; the trust matrix has ssh's own stderr, whole.
"""

from __future__ import annotations

import dataclasses
import re

from runbook_lib.records import Record
from runbook_lib.resize_ssh.nova_messages import SSH_FAILURE_FORMS

_BLOCK = re.compile(
    r"Command: (?P<command>.*?)\nExit code: (?P<exit>-?\d+)"
    r"(?:\nStdout: (?P<stdout>u?'.*?'(?=\nStderr: |\Z)|u?'.*|\S*))?(?:\nStderr: (?P<stderr>.*))?",
    re.S,
)


@dataclasses.dataclass(frozen=True)
class SshCause:
    cause: str
    explanation: str
    fix: str


# (cause, pattern searched in stdout+stderr, explanation, fix). Patterns also match the prefixes that
# survive Nova's 255-character truncation of event details ("Host key v", "…: Permiss").
_CAUSES: tuple[tuple[str, str, str, str], ...] = (
    (
        "host-key-changed",
        r"REMOTE HOST IDENTIFICATION HAS CHANGED",
        "the destination answers with a different host key than the one nova trusted: it was reinstalled, "
        "or something else answers on that address",
        "verify the new fingerprint on the destination (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then as "
        "nova on the source: ssh-keygen -R {dest} and add the new key",
    ),
    (
        "host-key-unknown",
        r"Host key v|Host key verification",
        "the destination's host key is not in the nova user's known_hosts (BatchMode cannot ask)",
        "as nova on the source: ssh-keyscan -H {dest} >> ~nova/.ssh/known_hosts (check the fingerprint)",
    ),
    (
        "account-not-available",
        r"This account is currently not available",
        "the nova user's login shell on the destination is nologin, so every ssh command is refused",
        "on the destination: usermod -s /bin/bash nova",
    ),
    (
        "bad-key-permissions",
        r"UNPROTECTED PRIVATE KEY FILE|bad permissions|are too open",
        "ssh ignores a private key readable by others, so no key is offered",
        "on the source: chmod 600 ~nova/.ssh/id_*; chmod 700 ~nova/.ssh",
    ),
    (
        # OpenSSH's ControlMaster: the socket (ControlPath, from nova's ~/.ssh/config or /etc/ssh/ssh_config.d)
        # cannot be created, so ssh fails before it connects (its "Permission denied" is about the socket)
        "control-socket",
        r"unix_listener: cannot bind to path|unix_listener: path .{0,200}too long|ControlPath too long"
        r"|ControlSocket .{0,200}already exists|mux_client_\w+: |Control socket connect",
        "ssh cannot create its ControlMaster socket (ControlPath in a directory the nova user cannot write, or a "
        "path too long for a unix socket): every ssh, scp and rsync as nova fails before connecting",
        "on the source, as nova: ssh -G {dest} | grep -i control  (see which config sets it); point ControlPath at a "
        "directory nova owns (mkdir -m 700 ~nova/.ssh/cm; ControlPath ~/.ssh/cm/%C) or set ControlMaster no for "
        "the migration hosts in ~nova/.ssh/config",
    ),
    (
        "publickey-denied",
        r"Permission denied|: Permiss|(?m:^[\w.-]+@[\w.:\[\]-]*$)",
        "the destination does not accept the nova user's key (missing in authorized_keys, or no key)",
        "as nova on the source: ssh-keygen if there is no key, then add ~nova/.ssh/id_*.pub to the "
        "destination's ~nova/.ssh/authorized_keys (ssh-copy-id)",
    ),
    (
        "name-resolution",
        r"Could not resolve hostname|Name or service not known",
        "the destination name does not resolve on the source",
        "fix DNS or /etc/hosts, or use the migration IP",
    ),
    (
        "connection-refused",
        r"Connection refused",
        "nothing listens on the destination's SSH port",
        "start sshd on the destination and check the port (nova's ~/.ssh/config)",
    ),
    (
        "timeout",
        r"Connection timed out|Operation timed out|timed out",
        "the destination does not answer on SSH (firewall, routing)",
        "open the SSH port between computes",
    ),
    (
        "no-route",
        r"No route to host|Network is unreachable",
        "no route to the destination's migration address",
        "check the migration network and routes",
    ),
)


# Whole ssh messages, for stderr that Nova cut short (matched as prefixes). A cut banner of '@' is not
# here: both a changed host key and an unprotected key file start with one.
_KNOWN_STARTS = (
    ("Host key verification failed.", "host-key-unknown"),
    ("ssh: Could not resolve hostname", "name-resolution"),
    ("This account is currently not available.", "account-not-available"),
)


# A migration that went over SSH, whatever the release's wording (the forms are in nova_messages), or ssh's own
# words wherever they surface.
OVER_SSH = re.compile(
    "|".join(form.pattern.pattern for form in SSH_FAILURE_FORMS)
    + r"|\bssh: |Host key verification|Permission denied \(publickey|unix_listener: "
)


def over_ssh(text: str) -> bool:
    """Whether a migration's error text says it failed on its SSH connection (not elsewhere)."""
    return bool(OVER_SSH.search(text or ""))


def parse_ssh_error(text: str) -> Record:
    """Command, exit code, stdout and stderr from a ProcessExecutionError text (possibly truncated)."""
    match = _BLOCK.search(text or "")
    if not match:
        return {"command": None, "exit_code": None, "stdout": "", "stderr": "", "truncated": False, "stdout_cut": False}
    stderr = _unrepr(match.group("stderr") or "")
    stdout = _unrepr(match.group("stdout") or "")
    return {
        "command": match.group("command").strip(),
        "exit_code": int(match.group("exit")),
        "stdout": stdout.strip("'").replace("\\r\\n", "\n").replace("\\n", "\n").strip(),
        "stderr": stderr.strip("'").replace("\\r\\n", "").strip(),
        "truncated": not stderr.endswith("'"),
        # Nova's 255-character cut inside Stdout: nologin's message is on stdout, and with an IP and an
        # instance path before it, it rarely survives whole ("This account is currently not a")
        "stdout_cut": match.group("stderr") is None and stdout.startswith("'") and not stdout[1:].endswith("'"),
    }


def _unrepr(value: str) -> str:
    """oslo.concurrency repr()s stdout and stderr: Python 2 wrote u'…' (up to Train), Python 3 '…'."""
    value = value.strip()
    return value[1:] if value.startswith(("u'", 'u"')) else value


def classify_ssh_failure(text: str, dest: str = "<dest_host>") -> SshCause:
    """The cause of a failed 'ssh … mkdir' from Nova's error text, with the fix for it."""
    parsed = parse_ssh_error(text)
    haystack = f"{parsed['stdout']}\n{parsed['stderr']}" if parsed["command"] else (text or "")
    for cause, pattern, explanation, fix in _CAUSES:
        if re.search(pattern, haystack):
            return SshCause(cause, explanation, fix.format(dest=dest))
    # what survived Nova's cut may be the start of a known message: on stderr 4 characters tell ("Host"), on
    # stdout, where a login banner may stand too, the first two words must have survived
    cut, enough = (
        (parsed["stdout"], 12) if parsed["stdout_cut"] else (parsed["stderr"] if parsed["truncated"] else "", 4)
    )
    if len(cut) >= enough:
        for message, cause in _KNOWN_STARTS:
            if message.startswith(cut):
                _, _, explanation, fix = next(c for c in _CAUSES if c[0] == cause)
                return SshCause(cause, explanation, fix.format(dest=dest))
    if parsed["command"] and parsed["truncated"] and (len(cut) < enough or parsed["stdout_cut"]):
        return SshCause(
            "stderr-cut",
            f"Nova cut the error at 255 characters before ssh's own message; exit code {parsed['exit_code']}"
            + (
                " means ssh itself failed (host key, key, connection), not the remote mkdir"
                if parsed["exit_code"] == 255
                else ""
            ),
            "read the whole error in the source's nova-compute log (run again with -p log_dir <collected logs>), "
            f"or as nova on the source run: ssh -o BatchMode=yes {dest} true",
        )
    if not parsed["command"] and not (parsed["stderr"] or "").strip():
        return SshCause(
            "cannot-tell",
            "the error carries no ssh output (no Command/Stderr block): the cause cannot be told from it",
            "collect the source's nova-compute log (-p log_dir, or -p logs_over_ssh true) for the whole error, or "
            f"probe the pair (-p trust_hosts …); by hand, as nova on the source: ssh -o BatchMode=yes {dest} true",
        )
    return SshCause(
        "other",
        "the ssh command failed for a reason not recognised here",
        "run the command from 'Command:' as the nova user on the source and read its output",
    )
