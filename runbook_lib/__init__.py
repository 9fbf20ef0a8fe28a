"""stack-runbooks: the library behind the runbook notebooks.

The tree shows the layers; imports only point down:

    platform      errors, findings, snapshot, show, oslo_log, version   (this folder's modules)
    sources/      the only I/O: OpenStack, Ceph, hosts over SSH, log files; imports only the platform
    <runbook>/    cpu_topology, resize_ssh, vif_plugging, ceph_capacity: one package per runbook, each
                  importing the platform and sources, never another runbook; its ``__init__`` holds
                  what its notebook calls and declares what it reads (READS)
    headless/     the CLI, the papermill runner, parameters, reports, history, Prometheus

A notebook imports its own runbook: ``import runbook_lib.cpu_topology as rb``.
"""

from runbook_lib.errors import RunbookError
from runbook_lib.version import VERSION

__version__ = VERSION


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
