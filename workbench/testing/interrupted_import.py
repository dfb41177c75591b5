"""`workbench import` interrupted by a real SIGINT (as Ctrl-C) while DuckDB reads the vendor
file, timed: what `tests/billing/test_cli_stopped.py` bounds and `bench/ctrl_c.py` measures.

    run = interrupt_import(workspace_root, Path("cur.parquet"))
    run.code, run.said, run.stderr   # 130; seconds from the SIGINT to "interrupted:"; what it printed

The SIGINT goes once DuckDB reads the file for its summary: the import's copy of the file is
whole (the hash, then the copy, are through), and the process has the file open at two looks
20 ms apart (Linux: /proc/PID/fd), so it is DuckDB's pass, not a look at the file's columns.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Interrupted", "interrupt_import"]


@dataclass(frozen=True)
class Interrupted:
    code: int  # the command's exit code
    at: float  # seconds from the start to the SIGINT
    said: float  # seconds from the SIGINT to the "interrupted:" line (0.0: never said)
    exited: float  # seconds from the SIGINT to the exit
    stderr: str


def interrupt_import(root: Path, source: Path, *, cwd: Path | None = None, wait: float = 60.0) -> Interrupted:
    """`python -m workbench.cli import ROOT SOURCE` (in `cwd`: a folder of its own runs the code on
    PYTHONPATH), interrupted in DuckDB's pass over `source`. RuntimeError when the import ends
    before that pass is seen, or when it is not seen within `wait` seconds; the exit is waited
    for `wait` seconds too."""
    started = time.monotonic()
    with subprocess.Popen([sys.executable, "-m", "workbench.cli", "import", str(root), str(source)], cwd=cwd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as proc:
        try:
            deadline, looks = started + wait, 0
            while looks < 2 and proc.poll() is None and time.monotonic() < deadline:
                looks = looks + 1 if copied_whole(root / "usage", source.stat().st_size) and reading(proc.pid, source) else 0
                time.sleep(0.02)
            if proc.poll() is not None:
                raise RuntimeError("the import finished before it could be interrupted (use a larger file)")
            if looks < 2:
                raise RuntimeError("DuckDB's pass over the file was never seen")
            proc.send_signal(signal.SIGINT)
            pressed, said, err = time.monotonic(), 0.0, ""
            assert proc.stderr is not None
            for line in proc.stderr:
                err += line
                if not said and line.startswith("interrupted:"):
                    said = time.monotonic() - pressed
            code = proc.wait(timeout=wait)
            return Interrupted(code, pressed - started, said, time.monotonic() - pressed, err)
        finally:
            if proc.poll() is None:
                proc.kill()


def reading(pid: int, path: Path) -> bool:
    """Whether process `pid` has the file at `path` open (Linux: its /proc/PID/fd)."""
    with contextlib.suppress(FileNotFoundError):  # the process has ended
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):  # closed meanwhile
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                    return True
    return False


def copied_whole(usage: Path, size: int) -> bool:
    """Whether the import's copy of the vendor file (`size` bytes) is whole."""
    for copy in usage.glob(".wb-*.source.tmp"):
        with contextlib.suppress(FileNotFoundError):
            if copy.stat().st_size == size:
                return True
    return False
