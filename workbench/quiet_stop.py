"""Dashboard kernels stop without a traceback: an IPython extension, loaded as served kernels start.

When the server stops while a dashboard's cell runs or waits (a preheated kernel's last cell waits
for its visitor; in its first seconds, the notebook's imports run), the cell ends as the kernel
shuts down and its reply finds the kernel's sockets closed: ipykernel logs "Exception in message
handler" (and tornado "Uncaught exception in ZMQStream callback") with a ZMQError traceback on the
terminal that ran `workbench serve`; and the interrupt that jupyter_client sends a busy kernel
before its shutdown request logs "ERROR | KeyboardInterrupt caught in kernel.". Nobody is there to
read that reply, and nobody but the server interrupts a dashboard's cell: `install()` drops exactly
those records (a ZMQError ENOTSOCK, that message), nothing else.

`workbench serve` gives Voila a `python3` kernel spec of its own (`workbench/jupyter/kernels/
python3`: ipykernel with `--ext=workbench.quiet_stop`), so the filter is in place before the
kernel handles its first message. `dashboards.open_dashboard_workspace` installs it too, for a
kernel started otherwise (`voila notebooks/billing_reports.ipynb`), from the notebook's first
workbench call on.
"""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from typing import Any

__all__ = ["KERNEL_SPECS", "install", "load_ipython_extension"]

KERNEL_SPECS = Path(__file__).resolve().parent / "jupyter"  # a Jupyter data dir: kernels/python3/kernel.json
INTERRUPTED_AT_STOP = "KeyboardInterrupt caught in kernel"  # ipykernel's kernelbase, a handler interrupted


class _ReplyAfterShutdown(logging.Filter):
    """Drops a record whose exception is a message sent on a socket already closed, and the
    record of a message handler interrupted (by the shutdown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        import zmq

        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, zmq.ZMQError) and error.errno == errno.ENOTSOCK:
            return False
        return not (isinstance(record.msg, str) and record.msg.startswith(INTERRUPTED_AT_STOP))


def install(shell: Any = None) -> None:
    """Filter the running kernel's handler log and tornado's callback log; once per kernel, and
    nothing outside a kernel (papermill's, Voila's and the tests' kernels included)."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover
            return
        shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return
    # ipykernel's own handler log, and tornado's "Uncaught exception in ZMQStream callback" (the
    # control channel's idle status published as the kernel shuts down)
    for log in (kernel.log, logging.getLogger("tornado.general")):
        if not any(isinstance(f, _ReplyAfterShutdown) for f in log.filters):
            log.addFilter(_ReplyAfterShutdown())


def load_ipython_extension(shell: Any) -> None:
    """`--ext=workbench.quiet_stop` (or `%load_ext workbench.quiet_stop`): `install()` in this kernel."""
    install(shell)
