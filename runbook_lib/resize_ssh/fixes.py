"""The fixes for broken trust pairs, per host, in the order they are applied: which user runs what, with
which data on stdin (public keys, host keys read over the operator's host-key-checked login), and what an
operator would type for the same change. Network causes stay manual."""

from __future__ import annotations

import dataclasses
import shlex

import pandas as pd

from runbook_lib.records import Record, Records
from runbook_lib.resize_ssh.probe import NOT_PROBED, OK

# Which host a cause is about: the destination (everyone fails towards it) or the source.
_SOURCE_SIDE = {"bad-key-permissions", "no-key"}


# Fixes that change a host without judgement; the rest stay manual (network, a changed host key).
_AUTOMATIC = {
    "bad-key-permissions",
    "no-key",
    "publickey-denied",
    "host-key-unknown",
    "account-not-available",
}


# Appends lines from stdin to a file in the running user's ~/.ssh unless it has them already: $1 is
# "authorized_keys" (lines "<type> <key> <comment>": skip a key present anywhere) or "known_hosts"
# (lines "<address> <type> <key>": skip when that address already has that key). Data never becomes code.
APPEND_KEYS_SCRIPT = r"""
set -eu
umask 077
home=$(getent passwd "$(id -un)" | cut -d: -f6)
mkdir -p "$home/.ssh"
file="$home/.ssh/$1"
kind=$1
touch "$file"
while read -r line; do
  [ -n "$line" ] || continue
  set -f; set -- $line; set +f
  if [ "$kind" = known_hosts ]; then
    ssh-keygen -F "$1" -f "$file" 2>/dev/null | grep -qF -- "$3" && continue
  else
    grep -qF -- "$2" "$file" && continue
  fi
  printf '%s\n' "$line" >> "$file"
done
"""


@dataclasses.dataclass(frozen=True)
class TrustFix:
    """One change on one host: ``argv`` runs there as ``run_as`` ("nova" or "root") with ``stdin`` as
    data; ``command`` is what an operator would type for the same change."""

    host: str
    run_as: str
    action: str
    argv: tuple[str, ...]
    stdin: str
    pairs: tuple[str, ...]
    automatic: bool
    why: str
    command: str


def _too_open(mode: str, mask: int) -> bool:
    return bool(mode) and int(mode, 8) & mask != 0


def _file_problems(account: dict, files: dict, private: list[dict], record: dict) -> list[str]:
    home = account.get("home", "")
    problems = []
    if account.get("shell", "").endswith(("/nologin", "/false")):
        problems.append(f"login shell {account['shell']}: every ssh command to this host is refused")
    if not private:
        problems.append("no private key: nova offers no key to its peers")
    problems += [f"{f['path']} is mode {f['mode']}: ssh ignores it" for f in private if _too_open(f["mode"], 0o077)]
    for name, mask in ((f"{home}/.ssh", 0o077), (f"{home}/.ssh/authorized_keys", 0o022), (home, 0o022)):
        if name in files and _too_open(files[name]["mode"], mask):
            problems.append(f"{name} is mode {files[name]['mode']}: sshd (StrictModes) refuses the keys")
    return problems


def _records_by_host(records: Records) -> dict[str, Record]:
    return {r["host"]: r for r in records}


def plan_trust_fixes(matrix: pd.DataFrame, records: Records, become: list[str], as_root: list[str]) -> list[TrustFix]:
    """The changes that make every broken pair work, grouped per host, in the order to apply them.

    ``become`` / ``as_root`` are the argv prefixes that run a command as nova / as root on a host (from
    :class:`runbook_lib.sources.hosts.HostAccess`). Order: key files on the sources first (a fixed key then
    works everywhere), keys authorized on the destinations, host keys on the sources, login shells;
    network causes and changed host keys stay manual.
    """
    by_host = _records_by_host(records)
    broken = matrix[~matrix["outcome"].isin([OK, NOT_PROBED])]
    nova = shlex.join(become)
    fixes: list[TrustFix] = []

    def fix(
        host: str,
        run_as: str,
        action: str,
        argv: tuple[str, ...],
        stdin: str,
        pairs: list[str] | tuple[str, ...],
        automatic: bool,
        why: str,
        command: str = "",
    ) -> None:
        prefix = become if run_as == "nova" else as_root
        fixes.append(
            TrustFix(
                host,
                run_as,
                action,
                tuple(argv),
                stdin,
                tuple(pairs),
                automatic,
                why,
                command or shlex.join([*prefix, *argv]),
            )
        )

    for source, group in broken.groupby("source", sort=True):
        facts = by_host.get(source, {})
        home = (facts.get("account") or {}).get("home", "~nova")
        open_keys = [
            f["path"]
            for f in facts.get("files", [])
            if f["path"].startswith(f"{home}/.ssh/id_")
            and not f["path"].endswith(".pub")
            and _too_open(f["mode"], 0o077)
        ]
        pairs = [f"{source}→{d}" for d in group.loc[group["outcome"] == "bad-key-permissions", "dest"]]
        if open_keys and pairs:
            fix(
                source,
                "nova",
                "chmod-private-key",
                ("chmod", "600", *open_keys),
                "",
                pairs,
                True,
                "ssh ignores a private key that others can read",
            )
        if facts.get("reached") and not facts.get("pubkeys") and (group["outcome"] == "publickey-denied").any():
            fix(
                source,
                "nova",
                "create-key",
                ("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{home}/.ssh/id_ed25519"),
                "",
                [f"{source}→{d}" for d in group.loc[group["outcome"] == "publickey-denied", "dest"]],
                True,
                "nova has no key to offer; run the plan again afterwards to authorize the new key",
            )
    for dest, group in broken[broken["outcome"] == "publickey-denied"].groupby("dest", sort=True):
        home = (by_host.get(dest, {}).get("account") or {}).get("home", "~nova")
        keyed = [(s, k) for s in group["source"] for k in by_host.get(s, {}).get("pubkeys", [])]
        if not keyed:
            continue
        command = "; ".join(
            f"ssh {shlex.quote(s)} cat {shlex.quote(k['path'])} | ssh {shlex.quote(dest)} {nova} tee -a "
            f"{shlex.quote(home + '/.ssh/authorized_keys')}"
            for s, k in keyed
        )
        fix(
            dest,
            "nova",
            "authorize-keys",
            ("sh", "-c", APPEND_KEYS_SCRIPT, "append", "authorized_keys"),
            "".join(f"{k['key']} nova@{s}\n" for s, k in keyed),
            [f"{s}→{dest}" for s, _ in keyed],
            True,
            f"{dest} does not accept the keys of nova on {', '.join(sorted({s for s, _ in keyed}))}",
            command,
        )
    for source, group in broken[broken["outcome"] == "host-key-unknown"].groupby("source", sort=True):
        home = (by_host.get(source, {}).get("account") or {}).get("home", "~nova")
        keys = {row.dest_address: by_host.get(row.dest, {}).get("host_keys", []) for row in group.itertuples()}
        known_hosts = shlex.quote(home + "/.ssh/known_hosts")
        read = [f"{a} {k['key']}" for a, ks in keys.items() for k in ks]
        unread = [a for a, ks in keys.items() if not ks]
        # the keys read over the operator's checked SSH are what apply appends: the command shows exactly that
        command = "; ".join(
            ([f"printf '%s\\n' {' '.join(map(shlex.quote, read))} | {nova} tee -a {known_hosts}"] if read else [])
            + [f"ssh-keyscan -H {shlex.quote(a)} | {nova} tee -a {known_hosts}" for a in unread]
        )
        fingerprints = "; ".join(f"{a}: {', '.join(k['fingerprint'] for k in ks)}" for a, ks in keys.items() if ks)
        why = f"nova on {source} does not know the host keys of {', '.join(group['dest'])}" + (
            f"; the keys added were read from each destination over the operator's checked SSH ({fingerprints})"
            if read
            else ""
        )
        for address in unread:
            why += (
                f"; {address}'s key could not be read over SSH: before scanning it, compare "
                f"'ssh-keyscan {address} | ssh-keygen -lf -' with 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub' "
                f"run on {address} itself"
            )
        fix(
            source,
            "nova",
            "trust-host-keys",
            ("sh", "-c", APPEND_KEYS_SCRIPT, "append", "known_hosts"),
            "".join(f"{line}\n" for line in read),
            [f"{source}→{d}" for d in group["dest"]],
            not unread,
            why,
            command,
        )
    for dest, group in broken[broken["outcome"] == "account-not-available"].groupby("dest", sort=True):
        user = (by_host.get(dest, {}).get("account") or {}).get("user", "nova")
        fix(
            dest,
            "root",
            "login-shell",
            ("usermod", "-s", "/bin/bash", user),
            "",
            [f"{s}→{dest}" for s in group["source"]],
            by_host.get(dest, {}).get("reached", False),
            "sshd runs every command through the login shell, and nologin refuses them all",
        )
    for (dest, outcome), group in broken[~broken["outcome"].isin(_AUTOMATIC)].groupby(["dest", "outcome"], sort=True):
        first = group.iloc[0]
        fix(
            dest,
            "root",
            f"manual-{outcome}",
            (),
            "",
            [f"{s}→{dest}" for s in group["source"]],
            False,
            first["explanation"],
            f"by hand: {first['fix']}",
        )
    return fixes


def tabulate_fixes(fixes: list[TrustFix]) -> pd.DataFrame:
    rows = [
        {
            "host": f.host,
            "action": f.action,
            "run_as": f.run_as,
            "automatic": f.automatic,
            "command": f.command,
            "fixes": ", ".join(f.pairs),
            "why": f.why,
        }
        for f in fixes
    ]
    return pd.DataFrame(rows, columns=["host", "action", "run_as", "automatic", "command", "fixes", "why"])


def fix_records(fixes: list[TrustFix]) -> list[dict[str, object]]:
    """The machine-readable plan (summary.json): per fix the host, the exact argv run there as ``run_as``
    (its stdin is data: public keys and host keys only), what an operator would type, and what it fixes."""
    return [
        {
            "target": "host",
            "target_id": f.host,
            "action": f.action,
            "run_as": f.run_as,
            "argv": list(f.argv),
            "stdin": f.stdin,
            "cli": f.command,
            "automatic": f.automatic,
            "effect": f"fixes {', '.join(f.pairs)}",
            "reason": f.why,
            "risk": "applied only with apply=True; the matrix is probed again after"
            if f.automatic
            else "manual: check it by hand first (see reason)",
        }
        for f in fixes
    ]
