"""'Failed to allocate the network(s), not rescheduling': Nova timed out waiting for network-vif-plugged.

    evidence        failed builds, build hosts, timeouts, unwired servers, ports, agents (PARTS)
    neutron_events  neutron-server's notifier lines: what was sent, delivered or refused
    host_facts      the hosts' own nova-compute processes and vif_plugging_* options
    causes          the diagnosis as data (CAUSES) and the checks that conclude
    analysis        one snapshot's analysis: diagnosis, findings, timeline, fleet tables
    canary          a throwaway boot per suspect host (a plan unless asked)
    collect         opening the source, reading hosts and neutron-server's log over SSH, log files
    plots           the figures

This module's names are what the notebook calls (``import runbook_lib.vif_plugging as rb``).
"""

from runbook_lib.show import publish_findings, show_findings, show_table, show_verdict
from runbook_lib.sources.ssh import host_access
from runbook_lib.vif_plugging.analysis import analyse_vif_plugging, final_findings
from runbook_lib.vif_plugging.canary import boot_canaries
from runbook_lib.vif_plugging.collect import (
    collect_host_facts,
    collect_log_dir,
    collect_neutron_logs,
    open_snapshot,
)
from runbook_lib.vif_plugging.evidence import EXTRA_PARTS, HOST_FACTS_PART, NEUTRON_LOG_PART, PARTS
from runbook_lib.vif_plugging.plots import plot_timeline

RUNBOOK = "vif_plugging"
READS = PARTS + EXTRA_PARTS
HOST_READS = (HOST_FACTS_PART, NEUTRON_LOG_PART)

__all__ = [
    "analyse_vif_plugging",
    "boot_canaries",
    "collect_host_facts",
    "collect_log_dir",
    "collect_neutron_logs",
    "final_findings",
    "host_access",
    "open_snapshot",
    "plot_timeline",
    "publish_findings",
    "show_findings",
    "show_table",
    "show_verdict",
]
