"""Resize / migration fails: nova-compute cannot SSH to the destination as nova.

    migrations   failed migrations, their failing event and the SSH cause, the findings (PARTS)
    ssh_errors   ssh's stderr parsed and classified (host key, publickey, nologin, permissions, network)
    trust        the N×N trust matrix probed as nova: facts, fixes, findings, joined with the failures
    probe        what the matrix probes and how (a checked value)
    collect      opening the source, probing the matrix, reading nova-compute logs
    apply        applying the automatic fixes on the hosts, then probing again
    plots        the figures

This module's names are what the notebook calls (``import runbook_lib.resize_ssh as rb``).
"""

from runbook_lib.resize_ssh.apply import apply_trust_fixes, final_findings
from runbook_lib.resize_ssh.collect import collect_nova_logs, collect_ssh_trust, open_snapshot
from runbook_lib.resize_ssh.migrations import PARTS, analyse_resize_ssh
from runbook_lib.resize_ssh.plots import plot_trust_matrix, show_trust_outcome
from runbook_lib.resize_ssh.probe import trust_probe
from runbook_lib.resize_ssh.trust import TRUST_PART, check_ssh_trust
from runbook_lib.show import publish_findings, show_findings, show_table, show_verdict
from runbook_lib.sources.ssh import host_access

RUNBOOK = "resize_ssh"
READS = PARTS
# Read over SSH when asked (trust_hosts): recorded by `runbook collect` too, when asked.
HOST_READS = (TRUST_PART,)

__all__ = [
    "analyse_resize_ssh",
    "apply_trust_fixes",
    "check_ssh_trust",
    "collect_nova_logs",
    "collect_ssh_trust",
    "final_findings",
    "host_access",
    "open_snapshot",
    "plot_trust_matrix",
    "publish_findings",
    "show_findings",
    "show_table",
    "show_trust_outcome",
    "show_verdict",
    "trust_probe",
]
