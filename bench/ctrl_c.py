#!/usr/bin/env python
"""Benchmark: how long `workbench import` goes on after a Ctrl-C in DuckDB's pass over a large file.

    PYTHONPATH=. .venv/bin/python bench/ctrl_c.py                    # 10 runs, a 2,000,000-row CUR parquet
    PYTHONPATH=. .venv/bin/python bench/ctrl_c.py --file big.parquet --runs 5
    PYTHONPATH=/path/to/other/tree .venv/bin/python /path/to/bench/ctrl_c.py --file F   # another version's code

Each run imports the file into a new workspace with `workbench import` (the code on PYTHONPATH:
the command runs in a folder of its own, so it is the code importing there) and sends it SIGINT,
as Ctrl-C does, once DuckDB reads the file for its summary: the import's copy of the file is whole
(the hash, then the copy, are through) and the process has the file open at two looks 20 ms apart
(Linux: /proc/PID/fd). It prints how long after the SIGINT the command said "interrupted:" and
how long until it exited (which adds Python's own shutdown), with the machine's 1-minute load
average: other jobs inflate the figures. The generated file is kept in --keep-in (default
/tmp/workbench-bench-ctrl-c) and reused by later runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def reading(pid: int, path: Path) -> bool:
    """Whether process `pid` has the file at `path` open (Linux: its /proc/PID/fd)."""
    with contextlib.suppress(FileNotFoundError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                    return True
    return False


def copied_whole(usage: Path, size: int) -> bool:
    for copy in usage.glob(".wb-*.source.tmp"):
        with contextlib.suppress(FileNotFoundError):
            if copy.stat().st_size == size:
                return True
    return False


def one_run(cur: Path, folder: Path) -> tuple[int, float, float, float]:
    """(exit code, seconds from the start to the Ctrl-C, then seconds to "interrupted:" and to the
    exit, from the Ctrl-C)."""
    from workbench.billing.store.workspace import init_workspace

    root = folder / "ws"
    shutil.rmtree(root, ignore_errors=True)
    init_workspace(root, name="bench").close()
    started = time.monotonic()
    with subprocess.Popen([sys.executable, "-m", "workbench.cli", "import", str(root), str(cur)], cwd=folder,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as proc:
        try:
            looks = 0
            while looks < 2 and proc.poll() is None:
                looks = looks + 1 if copied_whole(root / "usage", cur.stat().st_size) and reading(proc.pid, cur) else 0
                time.sleep(0.02)
            if proc.poll() is not None:
                raise SystemExit("the import ended before DuckDB's pass was seen; use a larger file")
            proc.send_signal(signal.SIGINT)
            pressed, said = time.monotonic(), 0.0
            assert proc.stderr is not None
            for line in proc.stderr:
                if not said and line.startswith("interrupted:"):
                    said = time.monotonic() - pressed
            code = proc.wait(timeout=120)
            exited = time.monotonic() - pressed
        finally:
            if proc.poll() is None:
                proc.kill()
    return code, pressed - started, said, exited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, help="a vendor file to import (default: a generated AWS CUR parquet)")
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of the generated file")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--keep-in", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench-ctrl-c")
    args = parser.parse_args()

    import workbench

    args.keep_in.mkdir(parents=True, exist_ok=True)
    cur = args.file
    if cur is None:
        from workbench.billing.demo import write_aws_cur

        cur = args.keep_in / f"cur-2025-10-{args.rows}.parquet"
        if not cur.exists():
            print(f"writing {cur} ...", flush=True)
            write_aws_cur(cur, rows=args.rows, accounts=20, period="2025-10", fmt="parquet", legacy=True, seed=1)
    cur = cur.resolve()
    print(f"code: {Path(workbench.__file__).parent}; file: {cur} ({cur.stat().st_size >> 20} MiB)")
    said_all, exited_all = [], []
    with tempfile.TemporaryDirectory(dir=args.keep_in) as folder:
        for run in range(args.runs):
            code, at, said, exited = one_run(cur, Path(folder))
            said_all.append(said)
            exited_all.append(exited)
            print(f"run {run + 1}: Ctrl-C {at:.2f} s in; exit {code}, said 'interrupted' {said:.2f} s and exited "
                  f"{exited:.2f} s after it (load {os.getloadavg()[0]:.1f})", flush=True)
    for what, values in (("said 'interrupted'", said_all), ("exited", exited_all)):
        print(f"{what}: min {min(values):.2f} s, median {statistics.median(values):.2f} s, max {max(values):.2f} s")


if __name__ == "__main__":
    main()
