"""stack-runbooks: the library behind the runbook notebooks.

Notebooks call only what is exported here (``import runbook_lib as rb``); everything else is internal.
"""

__version__ = "0.1.0"

from runbook_lib.canary import check_canaries, tabulate_canaries
from runbook_lib.ceph_capacity import analyse_ceph_capacity, plan_ratio_bump
from runbook_lib.ceph_reweight import compare_with_ceph, plan_ceph_reweight
from runbook_lib.cpu_topology import best_topology, detect_windows
from runbook_lib.cpu_topology_checks import analyse_cpu_topology
from runbook_lib.cpu_topology_plan import (
    execute_cpu_topology_plan,
    plan_cpu_topology,
    plan_running_servers,
    tabulate_plan,
)
from runbook_lib.errors import RunbookError
from runbook_lib.gather import (
    apply_ceph_step,
    apply_trust_fixes,
    canary_boots,
    check_ssh_trust,
    host_access,
    open_ceph,
    open_logs,
    open_snapshot,
    read_neutron_logs,
    read_vif_host_facts,
    resize_ssh_evidence,
    trust_probe,
)
from runbook_lib.plots import (
    plot_osd_fill,
    plot_plan_steps,
    plot_predicted_vs_actual,
    plot_reweight_plan,
    plot_timeline,
    plot_trust_matrix,
    plot_vcpus_paid_vs_seen,
)
from runbook_lib.resize_ssh import analyse_resize_ssh
from runbook_lib.show import publish_findings, show_findings, show_table, show_verdict
from runbook_lib.vif_plugging import analyse_vif_plugging

__all__ = [
    "analyse_ceph_capacity",
    "analyse_cpu_topology",
    "analyse_resize_ssh",
    "analyse_vif_plugging",
    "apply_ceph_step",
    "apply_trust_fixes",
    "best_topology",
    "canary_boots",
    "check_canaries",
    "check_ssh_trust",
    "compare_with_ceph",
    "detect_windows",
    "execute_cpu_topology_plan",
    "host_access",
    "open_ceph",
    "open_logs",
    "open_snapshot",
    "plan_ceph_reweight",
    "plan_cpu_topology",
    "plan_ratio_bump",
    "plan_running_servers",
    "plot_osd_fill",
    "plot_plan_steps",
    "plot_predicted_vs_actual",
    "plot_reweight_plan",
    "plot_timeline",
    "plot_trust_matrix",
    "plot_vcpus_paid_vs_seen",
    "publish_findings",
    "read_neutron_logs",
    "read_vif_host_facts",
    "resize_ssh_evidence",
    "show_findings",
    "show_table",
    "show_verdict",
    "tabulate_canaries",
    "tabulate_plan",
    "trust_probe",
]


def _short_tracebacks() -> None:
    """In a notebook, a RunbookError shows as its one readable line, not a deep traceback."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def handler(shell, etype, value, tb, tb_offset=None):  # type: ignore[no-untyped-def]
        # IPython calls this instead of showtraceback: publish the (one-line) error output ourselves,
        # so papermill still sees a failed cell and the report shows the message.
        short = [f"{etype.__name__}: {value}"]
        shell._showtraceback(etype, value, short)
        return short

    shell.set_custom_exc((RunbookError,), handler)


_short_tracebacks()
