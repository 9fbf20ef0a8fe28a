"""The kernels the runner starts: registered once in this environment, on unix sockets in a private
directory, their own log kept out of the runner's output (and quoted when a kernel dies)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

KERNEL_NAME = "stack-runbooks"


def ensure_kernel() -> str:
    """Register this interpreter as the 'stack-runbooks' kernel (inside the environment) if missing."""
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL_NAME not in KernelSpecManager().find_kernel_specs():
        from ipykernel.kernelspec import install

        install(kernel_name=KERNEL_NAME, display_name="Python (stack-runbooks)", prefix=sys.prefix)
    return KERNEL_NAME


def ipc_kernel_manager_class(sockets: str) -> type:
    """Kernels on unix sockets in a private directory: no TCP port for anyone on the host to reach
    (ipykernel warns about plain TCP on every start), and no socket files left beside the notebooks; nbclient's
    timeout lines kept off stderr too."""
    from jupyter_client.manager import AsyncKernelManager

    quiet_timeout_log()

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(transport="ipc", ip=os.path.join(sockets, "kernel"), **kwargs)

        # AsyncKernelManager's start_kernel is the coroutine; its stubs inherit the blocking one's signature.
        async def start_kernel(self, **kwargs: Any) -> None:  # type: ignore[override]
            # The kernel's own log (ipykernel's "KeyboardInterrupt caught in kernel" when shutdown interrupts
            # it, ZMQ noise) is not the runner's output: it goes to a file, read back only if the run fails.
            with open(os.path.join(sockets, KERNEL_LOG), "ab") as log:
                await super().start_kernel(stderr=log, stdout=log, **kwargs)

    return IPCKernelManager


KERNEL_LOG = "kernel.log"


def kernel_said(sockets: str) -> str:
    """The last line the kernel process wrote, for an error that happened outside any cell."""
    try:
        lines = Path(sockets, KERNEL_LOG).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


def is_kernel_start_failure(exc: BaseException) -> bool:
    """A kernel that did not come up (a port or socket race, a slow start): worth one more try; nothing else is."""
    text = f"{type(exc).__name__} {exc}".lower()
    return any(s in text for s in ("kernel didn't respond", "zmqerror", "address already in use", "kernel died before"))


# nbclient's own lines when --timeout fires, logged on papermill's logger (which has no handler, so Python's
# last-resort handler prints them on stderr): the runner says it once, naming the cell.
_TIMEOUT_LINES = ("Timeout waiting for execute reply", "Interrupting kernel")


def _not_a_timeout_line(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(_TIMEOUT_LINES)


def quiet_timeout_log() -> None:
    """Keep nbclient's timeout lines off stderr (once per process: a pool's worker runs many notebooks)."""
    log = logging.getLogger("papermill")
    if _not_a_timeout_line not in log.filters:
        log.addFilter(_not_a_timeout_line)
