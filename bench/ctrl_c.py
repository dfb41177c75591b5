#!/usr/bin/env python
"""Benchmark: how long `workbench import` goes on after a Ctrl-C in DuckDB's pass over a large file.

    PYTHONPATH=. .venv/bin/python bench/ctrl_c.py                    # 10 runs, a 3,000,000-row lean CUR parquet
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
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from workbench.testing.interrupted_import import Interrupted, interrupt_import, lean_cur


def one_run(cur: Path, folder: Path) -> Interrupted:
    from workbench.billing.store.workspace import init_workspace

    root = folder / "ws"
    shutil.rmtree(root, ignore_errors=True)
    init_workspace(root, name="bench").close()
    try:
        return interrupt_import(root, cur, cwd=folder, wait=120)
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, help="a vendor file to import (default: a generated AWS CUR parquet)")
    parser.add_argument("--rows", type=int, default=3_000_000, help="rows of the generated file (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=10, help="SIGINTs sent, one import each (default: %(default)s)")
    parser.add_argument("--keep-in", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench-ctrl-c",
                        help="folder for the generated file and the workspaces (kept between runs; default: %(default)s)")
    args = parser.parse_args()

    import workbench

    args.keep_in.mkdir(parents=True, exist_ok=True)
    cur = args.file
    if cur is None:
        cur = args.keep_in / f"cur2-lean-2025-10-{args.rows}.parquet"
        if not cur.exists():
            print(f"writing {cur} ...", flush=True)
            lean_cur(cur, args.rows)
    cur = cur.resolve()
    print(f"code: {Path(workbench.__file__).parent}; file: {cur} ({cur.stat().st_size >> 20} MiB)")
    said_all, exited_all = [], []
    with tempfile.TemporaryDirectory(dir=args.keep_in) as folder:
        for run in range(args.runs):
            got = one_run(cur, Path(folder))
            said_all.append(got.said)
            exited_all.append(got.exited)
            print(f"run {run + 1}: Ctrl-C {got.at:.2f} s in; exit {got.code}, said 'interrupted' {got.said:.2f} s and "
                  f"exited {got.exited:.2f} s after it (load {os.getloadavg()[0]:.1f})", flush=True)
    for what, values in (("said 'interrupted'", said_all), ("exited", exited_all)):
        print(f"{what}: min {min(values):.2f} s, median {statistics.median(values):.2f} s, max {max(values):.2f} s")


if __name__ == "__main__":
    main()
