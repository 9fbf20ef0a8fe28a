"""``runbook collect -p …``: what the runbooks read from the hosts themselves, saved with the snapshot: the
running guests' domain XML (``guest_hosts``), nova's SSH trust matrix (``trust_hosts``), the nova-compute logs of
failing sources (``logs_over_ssh``), the processes and vif options of computes (``host_facts``), neutron-server's
log (``neutron_log_hosts``) and collected log files (``log_dir``, ``guest_xml_dir``). Each is read exactly as the
runbook reads it live (the same functions, the same read-only commands), so the snapshot analysed later gives the
findings the live run gives. Parameters are the runbooks' own, checked the same way before anything runs."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from runbook_lib.errors import ParameterError
from runbook_lib.headless.params import split_parameters, validate_parameters
from runbook_lib.headless.runner import available_runbooks
from runbook_lib.snapshot import Snapshot

# What collect reads with: how to reach the hosts, and which hosts and logs. The rest (thresholds, fixes,
# `apply`) belongs to the analysis, and `run` takes it.
ACCESS = ("ssh_user", "ssh_port", "ssh_config", "ssh_identity", "ssh_jump", "sudo", "ssh_timeout", "check_host_keys")
WHAT = (
    "guest_hosts",
    "guest_xml_dir",
    "trust_hosts",
    "trust_sources",
    "migration_addresses",
    "nova_user",
    "parallel",
    "local_host",
    "logs_over_ssh",
    "since_hours",
    "host_facts",
    "neutron_log_hosts",
    "log_dir",
)
RUNBOOKS = ("cpu_topology", "resize_ssh", "vif_plugging")


def host_parameters(pairs: list[list[str]]) -> dict[str, Any]:
    """The typed values of ``-p NAME VALUE`` for collect, checked by the runbooks that declare them."""
    allowed = set(ACCESS) | set(WHAT)
    refused = sorted({name for name, _ in pairs} - allowed)
    if refused:
        raise ParameterError(
            f"collect reads, it does not analyse or change: -p {', '.join(refused)} belongs to 'runbook run'; "
            f"collect takes: {', '.join(sorted(allowed))}"
        )
    notebooks = [available_runbooks()[name] for name in RUNBOOKS]
    routed = split_parameters(notebooks, pairs)
    typed: dict[str, Any] = {}
    for notebook in notebooks:
        typed |= validate_parameters(notebook, routed[notebook.stem])
    return typed


def collect_hosts(snapshot: Snapshot, typed: dict[str, Any]) -> tuple[Snapshot, list[str]]:
    """``snapshot`` with what ``typed`` asks to read from the hosts, and the hosts that could not be read."""
    from runbook_lib.cpu_topology.collect import collect_guest_xml
    from runbook_lib.resize_ssh.collect import collect_nova_logs, collect_ssh_trust
    from runbook_lib.resize_ssh.probe import trust_probe
    from runbook_lib.sources.guest_xml import PART as DOMAINS
    from runbook_lib.sources.guest_xml import with_guest_xml
    from runbook_lib.sources.ssh import host_access
    from runbook_lib.vif_plugging.collect import collect_host_facts, collect_log_dir, collect_neutron_logs
    from runbook_lib.vif_plugging.evidence import HOST_FACTS_PART

    access = host_access(**{k: typed[k] for k in ACCESS if k in typed}, local_host=typed.get("local_host", ""))
    probe_options = ("trust_hosts", "trust_sources", "migration_addresses", "nova_user", "parallel")
    probe = trust_probe(**{k: typed[k] for k in probe_options if k in typed}, access=access)
    with contextlib.redirect_stdout(sys.stderr):  # progress on stderr; stdout keeps collect's own summary
        snapshot = with_guest_xml(snapshot, typed.get("guest_xml_dir", ""))
        snapshot = collect_guest_xml(snapshot, access, typed.get("guest_hosts", ""))
        snapshot = collect_log_dir(snapshot, typed.get("log_dir", ""))  # nova-compute and neutron-server files
        logs_over_ssh = bool(typed.get("logs_over_ssh", False))
        snapshot = collect_nova_logs(snapshot, probe, float(typed.get("since_hours", 168.0)), "", logs_over_ssh)
        snapshot = collect_ssh_trust(snapshot, probe)
        snapshot = collect_host_facts(snapshot, access, typed.get("host_facts", ""))
        snapshot = collect_neutron_logs(snapshot, access, typed.get("neutron_log_hosts", ""))
    unreached = [
        f"{r['host']} (host facts: {r.get('error')})" for r in snapshot.get(HOST_FACTS_PART) if not r["reached"]
    ]
    cut = ("not read over SSH", "the output over SSH was cut")  # a host's one record when it gave nothing
    unreached += [
        f"{r['host']} (domain XML: {r['error']})" for r in snapshot.get(DOMAINS) if r.get("error", "").startswith(cut)
    ]
    return snapshot, unreached
