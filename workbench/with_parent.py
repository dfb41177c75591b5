"""`python -m workbench.with_parent PID COMMAND...`: run COMMAND in this process (exec) so that
it gets SIGINT when its parent, process PID, dies, however it dies.

`workbench serve` starts Voila through this. Serve stops Voila itself on Ctrl-C, SIGTERM and
SIGHUP, but a SIGKILL (the out-of-memory killer, `kill -9`, a CI runner's timeout) gives it no
chance to, and Voila, in a session of its own, would go on serving with its kernels. Linux's
parent-death signal (`prctl(PR_SET_PDEATHSIG)`) is kept across the exec, so Voila gets the SIGINT
that serve would have sent, and shuts its kernels down as on Ctrl-C. Elsewhere COMMAND runs
unguarded.

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


def command(parent: int, child: Sequence[str]) -> list[str]:
    """The command line that runs `child` guarded by `parent`'s death."""
    return [sys.executable, "-m", "workbench.with_parent", str(parent), *child]


def main(argv: Sequence[str]) -> None:
    if len(argv) < 2 or not argv[0].isdigit():
        sys.exit("usage: python -m workbench.with_parent PID COMMAND [ARG...]")
    parent, child = int(argv[0]), list(argv[1:])
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0) != 0:
            sys.exit(f"with_parent: prctl failed: {os.strerror(ctypes.get_errno())}")
        if os.getppid() != parent:  # the parent died before the prctl: no signal will come
            sys.exit(0)
    os.execv(child[0], child)


if __name__ == "__main__":
    main(sys.argv[1:])
