"""A child process that ends when its parent does, however the parent ends (Linux).

A process killed outright (SIGKILL: `kill -9`, the out-of-memory killer, a CI runner's timeout)
runs no handler, so it cannot stop what it started: Voila and its kernels, month end's worker
processes with their kernels and Chromium. Linux's parent-death signal (`prctl(PR_SET_PDEATHSIG)`)
has the kernel signal the child instead. Elsewhere these are no-ops.

- `end_with_parent(parent, signum)`, in the child: for a Python child, e.g. a process pool's
  initializer (month end's workers get SIGKILL: their kernels and the browser's driver notice
  their parent gone and exit too).
- `python -m workbench.with_parent PID COMMAND...`: the same, then exec COMMAND, which keeps the
  setting (`workbench serve` starts Voila so: Voila gets the SIGTERM that serve would have sent,
  and shuts its kernels down). `command(...)` builds that line.

Not `subprocess`'s `preexec_fn`: that runs Python between fork and exec, which may deadlock when
the parent has threads (a test process, a notebook).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Sequence

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def end_with_parent(parent: int, signum: int = signal.SIGKILL) -> None:
    """Have this process get `signum` when `parent` (its parent's pid, read by the parent) dies;
    exit at once if it already has."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl(PR_SET_PDEATHSIG): {os.strerror(ctypes.get_errno())}")
    if os.getppid() != parent:  # the parent died before the prctl: no signal will come
        os._exit(0)


def command(parent: int, child: Sequence[str], signum: int = signal.SIGINT) -> list[str]:
    """The command line that runs `child` (exec'd) with `signum` when `parent` dies."""
    return [sys.executable, "-m", "workbench.with_parent", str(parent), str(int(signum)), *child]


def main(argv: Sequence[str]) -> None:
    if len(argv) < 3 or not (argv[0].isdigit() and argv[1].isdigit()):
        sys.exit("usage: python -m workbench.with_parent PARENT_PID SIGNAL COMMAND [ARG...]")
    signum = int(argv[1])
    # A signal the parent ignores is ignored in its children too (a job started with `&` from a
    # script ignores SIGINT), and Python then installs no handler for it: the child would never
    # stop on the signal meant to stop it.
    signal.signal(signum, signal.SIG_DFL)
    end_with_parent(int(argv[0]), signum)
    os.execv(argv[2], list(argv[2:]))


if __name__ == "__main__":
    main(sys.argv[1:])
