"""Guest sees fewer CPUs than its flavor: Nova exposes vCPUs as sockets and Windows client editions use
one or two of them.

    topology     a line-by-line port of Nova's CPU topology choice, and Windows detection
    nova_names   the hw_* image properties and hw: extra specs Nova knows (for misspellings)
    fleet        tables: images, flavors, servers, image × flavor pairs
    checks       the findings, and what the runbook reads (PARTS)
    plan         the dry-run plan (image or flavor caps, typo fixes, options for running servers)
    apply        applying the plan on a live cloud, verified
    collect      opening the source
    plots        the figures

This module's names are what the notebook calls (``import runbook_lib.cpu_topology as rb``).
"""

from runbook_lib.cpu_topology.apply import apply_cpu_topology_plan
from runbook_lib.cpu_topology.checks import PARTS, analyse_cpu_topology
from runbook_lib.cpu_topology.collect import collect_guest_xml, open_snapshot
from runbook_lib.cpu_topology.plan import final_findings, plan_cpu_topology, tabulate_plan
from runbook_lib.cpu_topology.plots import plot_vcpus_paid_vs_seen
from runbook_lib.cpu_topology.running import plan_running_servers
from runbook_lib.cpu_topology.topology import best_topology
from runbook_lib.show import publish_findings, show_findings, show_table, show_verdict
from runbook_lib.sources.ssh import host_access

RUNBOOK = "cpu_topology"
READS = PARTS  # what a live run and `runbook collect` read for this runbook

__all__ = [
    "analyse_cpu_topology",
    "apply_cpu_topology_plan",
    "best_topology",
    "collect_guest_xml",
    "final_findings",
    "host_access",
    "open_snapshot",
    "plan_cpu_topology",
    "plan_running_servers",
    "plot_vcpus_paid_vs_seen",
    "publish_findings",
    "show_findings",
    "show_table",
    "show_verdict",
    "tabulate_plan",
]
