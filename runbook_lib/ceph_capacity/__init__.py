"""Ceph OSDs nearfull / full: what is full, what can be reclaimed, a stepwise rebalancing plan, the ratio
bump as a guarded last resort.

    capacity     fill per OSD, host, device class and pool against the OSDMap's ratios; findings (PARTS)
    reclaim      the reclaim ledger: RBD images × the OpenStack inventory
    reweight     Ceph's reweight-by-utilization, ported, and the stepwise guarded plan
    placement    PGs with their bytes, each pool's CRUSH rule as a move's constraint, Ceph's balancer score
    upmap        the upmap plan: exact PG moves in steps, each OSD's fill predicted from the PGs' bytes
    choice       reweight or upmap, and why; the plans side by side with Ceph's own optimizer
    collect      reading the cluster (ceph CLI) or a snapshot, with rbd status for candidates only
    apply        applying step 1 on a live cluster, following recovery, predicted vs actual
    apply_upmap  the same for an upmap step, and running whichever plan was chosen
    plots        the figures

This module's names are what the notebook calls (``import runbook_lib.ceph_capacity as rb``).
"""

from runbook_lib.ceph_capacity.apply_upmap import apply_chosen_step
from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.choice import compare_rebalancing, plan_ceph_upmap
from runbook_lib.ceph_capacity.collect import open_ceph
from runbook_lib.ceph_capacity.plan import compare_with_ceph, plan_ceph_reweight, reweight_limits, why_no_proposal
from runbook_lib.ceph_capacity.plots import (
    plot_osd_fill,
    plot_plan_steps,
    plot_reweight_plan,
    show_ratio_bump,
    show_rebalancing,
    show_upmap_plan,
    show_verification,
)
from runbook_lib.ceph_capacity.ratio_bump import plan_ratio_bump
from runbook_lib.ceph_capacity.tables import PARTS
from runbook_lib.ceph_capacity.upmap import upmap_limits
from runbook_lib.show import publish_findings, show_findings, show_table, show_verdict

RUNBOOK = "ceph_capacity"
READS = PARTS

__all__ = [
    "analyse_ceph_capacity",
    "apply_chosen_step",
    "compare_rebalancing",
    "compare_with_ceph",
    "open_ceph",
    "plan_ceph_reweight",
    "plan_ceph_upmap",
    "plan_ratio_bump",
    "plot_osd_fill",
    "plot_plan_steps",
    "plot_reweight_plan",
    "publish_findings",
    "reweight_limits",
    "show_findings",
    "show_ratio_bump",
    "show_rebalancing",
    "show_table",
    "show_upmap_plan",
    "show_verdict",
    "show_verification",
    "upmap_limits",
    "why_no_proposal",
]
