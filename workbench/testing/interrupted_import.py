"""`workbench import` interrupted by a real SIGINT (as Ctrl-C) while DuckDB reads the vendor
file, timed: what `tests/billing/test_cli_stopped.py` bounds and `bench/ctrl_c.py` measures.

    run = interrupt_import(workspace_root, Path("cur.parquet"))
    run.code, run.said, run.stderr   # 130; seconds from the SIGINT to "interrupted:"; what it printed

The SIGINT goes once DuckDB reads the file for its summary: the import's copy of the file is
whole (the hash, then the copy, are through), and the process has the file open at two looks
20 ms apart (Linux: /proc/PID/fd), so it is DuckDB's pass, not a look at the file's columns.
That pass must outlast the hash and the copy, which read every byte of the file while DuckDB
reads only the columns it needs: `lean_cur` writes a CUR of those columns alone (a generated
CUR's other columns are two thirds of its bytes; with them, the folded summary of 2,000,000 rows
ended with the copy, before it could be interrupted).
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

__all__ = ["Interrupted", "interrupt_import", "lean_cur"]


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


def lean_cur(target: Path, rows: int, *, seed: int = 1) -> Path:
    """A generated AWS CUR 2.0 parquet of `rows` rows (20 accounts, October 2025) holding only the
    columns the reader reads: `rows` of DuckDB's work in fewer bytes to hash and copy."""
    import duckdb

    from workbench.billing.demo import write_aws_cur
    from workbench.billing.readers.aws_cur import CUR2
    from workbench.billing.readers.sql import ident, lit

    full = target.with_name(target.stem + ".full.parquet")
    write_aws_cur(full, rows=rows, accounts=20, period="2025-10", fmt="parquet", legacy=False, seed=seed)
    try:
        with duckdb.connect() as con:
            columns = ", ".join(ident(c) for c in (*CUR2.required, *CUR2.optional))
            con.execute(f"COPY (SELECT {columns} FROM read_parquet({lit(str(full))})) TO {lit(str(target))} "
                        "(FORMAT parquet)")
    finally:
        full.unlink(missing_ok=True)
    return target
