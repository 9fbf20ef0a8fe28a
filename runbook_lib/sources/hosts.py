"""Reading hosts over SSH, read-only: nova's SSH trust between computes, and nova-compute's processes and options.

Every command runs as an argv list through :mod:`runbook_lib.sources.ssh`; the scripts are constants of
this module, their inputs arrive as arguments, and only tagged lines come back.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from runbook_lib.sources.ssh import HostAccess, HostResult, check_host_name, run_on_host, run_on_hosts

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
[ -f "$home/.ssh/authorized_keys" ] &&
  ssh-keygen -lf "$home/.ssh/authorized_keys" 2>/dev/null | cut -d' ' -f2 | sed 's/^/@authorized /'
for f in /etc/ssh/ssh_host_*_key.pub; do
  [ -f "$f" ] && echo "@hostkey $(ssh-keygen -lf "$f" | cut -d' ' -f2) $(cut -d' ' -f1,2 "$f")"
done
for dest in "$@"; do
  port=$(ssh -G "$dest" 2>/dev/null | awk '$1 == "port" {print $2}')
  name=$dest; [ "${port:-22}" = 22 ] || name="[$dest]:$port"
  known=no
  ssh-keygen -F "$name" >/dev/null 2>&1 && known=user
  [ "$known" = no ] && [ -f /etc/ssh/ssh_known_hosts ] &&
    ssh-keygen -F "$name" -f /etc/ssh/ssh_known_hosts >/dev/null 2>&1 && known=global
  err=$(ssh -o BatchMode=yes -o ConnectTimeout="$timeout" "$dest" true 2>&1 </dev/null)
  rc=$?
  echo "@probe $dest ${port:-22} $known $rc $(printf %s "$err" | base64 | tr -d '
')"
done
"""


def parse_trust_probe(stdout: str) -> dict[str, Any]:
    """The tagged lines of TRUST_PROBE as a record (public keys kept: the fixes need them)."""
    facts: dict[str, Any] = {
        "account": None,
        "files": [],
        "pubkeys": [],
        "authorized": [],
        "host_keys": [],
        "probes": [],
    }
    for line in stdout.splitlines():
        tag, _, rest = line.partition(" ")
        fields = rest.split(" ")
        if tag == "@account" and len(fields) >= 3:
            facts["account"] = {"user": fields[0], "shell": fields[1], "home": " ".join(fields[2:])}
        elif tag == "@file" and len(fields) >= 3:
            facts["files"].append({"mode": fields[0], "owner": fields[1], "path": " ".join(fields[2:])})
        elif tag == "@pubkey" and len(fields) >= 4:
            facts["pubkeys"].append(
                {"fingerprint": fields[0], "key": f"{fields[1]} {fields[2]}", "path": " ".join(fields[3:])}
            )
        elif tag == "@authorized" and fields[0]:
            facts["authorized"].append(fields[0])
        elif tag == "@hostkey" and len(fields) >= 3:
            facts["host_keys"].append({"fingerprint": fields[0], "key": f"{fields[1]} {fields[2]}"})
        elif tag == "@probe" and len(fields) >= 4:
            encoded = fields[4] if len(fields) > 4 else ""
            facts["probes"].append(
                {
                    "dest_address": fields[0],
                    "port": int(fields[1]),
                    "known_host": fields[2],
                    "exit_code": int(fields[3]),
                    "stderr": base64.b64decode(encoded).decode(errors="replace").strip(),
                }
            )
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
        records.append(
            {
                "host": source,
                "reached": reached,
                "via": "local" if access.local_host and source == access.local_host else "ssh",
                "error": "" if reached else (result.stderr.strip() or f"exit code {result.exit_code}")[-500:],
                **facts,
            }
        )
    return records


def apply_host_fixes(access: HostAccess, fixes: list[Any], nova_user: str, timeout: float = 60) -> list[dict[str, Any]]:
    """Run each automatic fix (a :class:`runbook_lib.resize_ssh.trust.TrustFix`) on its host, in order."""
    done = []
    for fix in fixes:
        if not fix.automatic or not fix.argv:
            continue
        prefix = access.become(nova_user) if fix.run_as == "nova" else access.as_root()
        result = run_on_host(access, fix.host, [*prefix, *fix.argv], fix.stdin, timeout)
        done.append(
            {
                "host": fix.host,
                "action": fix.action,
                "ok": result.ok,
                "output": (result.stderr or result.stdout).strip()[-300:],
            }
        )
    return done


# Run as root on a compute host: its nova-compute processes (pid, parent, start time, whole command line: ps -ww,
# whatever COLUMNS says), the vif_plugging_* options and section headers of nova's config files (packages,
# nova.conf.d, Kolla), and the files' change times. Option names are fixed here: no other line (no password)
# leaves the host.
HOST_FACTS_SCRIPT = r"""
ps -ww -eo pid=,ppid=,lstart=,args= | while read -r pid ppid d1 d2 d3 d4 d5 args; do
  case "$args" in
    *nova-compute*) echo "@proc $pid $ppid $(date -d "$d1 $d2 $d3 $d4 $d5" +%s 2>/dev/null || echo 0) $args";;
  esac
done
for f in /etc/nova/nova.conf /etc/nova/nova.conf.d/*.conf /etc/kolla/nova-compute/nova.conf; do
  [ -r "$f" ] || continue
  echo "@conf $(stat -c %Y "$f") $f"
  grep -E '^[[:space:]]*(\[[^]]+\]|vif_plugging_is_fatal|vif_plugging_timeout)[[:space:]]*(=|$)' "$f" |
    sed 's/^/@line /'
done
"""


def read_host_facts(access: HostAccess, hosts: list[str], parallel: int = 8) -> list[dict[str, Any]]:
    """nova-compute processes and vif-plugging options per host (see HOST_FACTS_SCRIPT)."""
    argv = [*access.as_root(), "sh", "-c", HOST_FACTS_SCRIPT]
    results = run_on_hosts(access, {check_host_name(h): (argv, "") for h in hosts}, parallel, timeout=60)
    return [
        {
            "host": h,
            "reached": results[h].ok,
            "error": "" if results[h].ok else results[h].stderr.strip()[-300:],
            "lines": results[h].stdout.splitlines(),
        }
        for h in hosts
    ]
