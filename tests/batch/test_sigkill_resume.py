"""SIGKILL the month end at random points, rerun until it exits 0: every invoice once, whole, no debris.

The CLI runs in a process group of its own (workers, Chromium and all) and is killed with SIGKILL
at seeded random points: by time (while Python starts, drafts are generated, workers and kernels
start) and by progress (a few invoices into the rendering, plus a random fraction of the next
one). Then it runs to the end. No run redoes an invoice an earlier one finished (its files keep
their inode and mtime).
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from workbench.batch import expected_files, generate_period, is_complete
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.problems import Severity
from workbench.billing.store import models as m
from workbench.billing.store.workspace import open_workspace


PERIOD = "2025-10"
DEMO_TODAY = dt.date(2025, 11, 25)  # tests/conftest.py: the demo workspace's today
SEED = 20251120
TIMED_KILLS = 3
PROGRESS_KILLS = 4
FLAGS = ["--include-marketplace", "--apply-credits"]
OPTIONS = InvoiceOptions(apply_credits=True, include_marketplace=True)


def month_end_command(root: Path, customers: list[str]) -> list[str]:
    return [sys.executable, "-c", "from workbench.batch.cli import month_end; month_end()", str(root),
            "--period", PERIOD, "--jobs", "2", "--today", DEMO_TODAY.isoformat(), "--customers", ",".join(customers),
            *FLAGS]


def run(command: list[str], kill_after: float | None = None, kill_when=None) -> int | None:
    """One run, in a process group of its own; its exit code, or None when it was SIGKILLed.

    Killed (with everything it started) `kill_after` s after its start, or once `kill_when()`
    returns a true delay (seconds to wait before killing).
    """
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + (kill_after if kill_after is not None else 300)
        while proc.poll() is None and time.monotonic() < deadline:
            if kill_when is not None and (delay := kill_when()) is not None:
                time.sleep(delay)
                break
            time.sleep(0.02)
        if proc.poll() is not None:
            return proc.returncode
        if kill_after is None and kill_when is None:
            raise AssertionError("the month end did not finish in 300 s")
        return None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def expected_invoices(demo_dir: Path, tmp: Path) -> collections.Counter[tuple[str, str, str]]:
    """(customer, vendor, total) of each invoice an uninterrupted generation makes (no rendering).

    The demo has a customer that cannot be invoiced on purpose (no currency for aws): the runs
    below ask for the customers that can, so that a complete run exits 0."""
    copy = tmp / "reference"
    shutil.copytree(demo_dir, copy)
    ws = open_workspace(copy)
    try:
        jobs, problems = generate_period(ws, PERIOD, options=OPTIONS, today=DEMO_TODAY)
    finally:
        ws.close()
    refused = {p.customer_id for p in problems if p.severity is Severity.ERROR}
    assert refused == {"100004"}  # the demo's deliberate mistake: left out of the runs
    return collections.Counter((j.customer_id, j.vendor, j.total) for j in jobs if j.customer_id not in refused)


def test_sigkill_at_random_points_then_resume(demo_workspace_dir, tmp_path):
    expected = expected_invoices(demo_workspace_dir, tmp_path)
    command = month_end_command(tmp_path / "ws", sorted({customer for customer, _, _ in expected}))
    root = tmp_path / "ws"
    shutil.copytree(demo_workspace_dir, root)
    rng = random.Random(SEED)
    history = []
    out = root / "output" / PERIOD

    def manifests() -> int:
        return len(list(out.glob("*/*.done.json")))

    def finished() -> dict[str, tuple[int, int]]:  # each finished invoice's files, as (inode, mtime)
        return {str(p.relative_to(out)): (p.stat().st_ino, p.stat().st_mtime_ns)
                for done in out.glob("*/*.done.json") for p in done.parent.iterdir()}

    def resumed(**kill: object) -> int | None:
        """`run`, checking that it left every invoice finished before it as it was: a rerun does
        only what is left (on a loaded machine a time limit could not tell)."""
        before = finished()
        code = run(command, **kill)  # type: ignore[arg-type]
        after = finished()
        assert {k: v for k, v in after.items() if k in before} == before, f"a finished invoice was redone: {history}"
        return code

    # kills by time: while Python starts, drafts are generated, workers and kernels start
    for delay in [rng.uniform(0.5, 4.0) for _ in range(TIMED_KILLS)]:
        history.append((f"{delay:.2f} s", resumed(kill_after=delay), manifests()))
    # kills by progress: a few invoices into the rendering, then a random fraction of one more
    for _ in range(PROGRESS_KILLS):
        target, pause = manifests() + rng.randint(1, 6), rng.uniform(0.0, 0.5)
        history.append((f"{target} done + {pause:.2f} s",
                        resumed(kill_after=60, kill_when=lambda: pause if manifests() >= target else None),
                        manifests()))
    for _ in range(3):  # then to the end (a run is not expected to need more than one)
        code = resumed()
        history.append(("none", code, manifests()))
        if code == 0:
            break
    assert code == 0, history
    # the progress kills landed while invoices were being rendered
    assert sum(code is None and 0 < done < history[-1][2] for _, code, done in history) >= PROGRESS_KILLS - 1, history

    # the database: exactly one invoice per (customer, vendor, period), no duplicate drafts
    ws = open_workspace(root)
    try:
        with ws.session() as session:
            invoices = list(session.scalars(select(m.Invoice)))
    finally:
        ws.close()
    keys = collections.Counter((i.customer_id, i.vendor, i.period_start) for i in invoices)
    assert [k for k, n in keys.items() if n > 1] == []
    assert collections.Counter((i.customer_id, i.vendor, format(i.total, "f")) for i in invoices) == expected
    assert len({i.number for i in invoices}) == len(invoices)

    # the files: one complete folder per invoice, nothing else, nothing partial
    numbers = sorted(i.number for i in invoices)
    assert sorted(p.name for p in out.iterdir()) == numbers
    for number in numbers:
        folder = out / number
        assert sorted(p.name for p in folder.iterdir()) == sorted([*expected_files(number), f"{number}.done.json"])
        assert is_complete(folder, number), number
        manifest = json.loads((folder / f"{number}.done.json").read_text())
        assert manifest["number"] == number
    debris = [str(p.relative_to(root)) for p in (root / "output").rglob("*")
              if p.name.startswith(".") or ".tmp" in p.name or p.name.endswith(".failed.ipynb")]
    assert debris == []
    assert [str(p.relative_to(root)) for p in (root / "usage").rglob("*.tmp")] == []  # nor rows half-written
    print(f"\nSIGKILL test: {len(numbers)} invoices; runs (kill after s, exit code, manifests): {history}")


def test_a_killed_month_end_leaves_nothing_running(demo_workspace_dir, tmp_path):
    """`kill -9` of the month end alone (the out-of-memory killer, a CI runner's timeout), not of
    its group: its workers end with it, and with them their kernels and Chromium; none of them
    goes on rendering beside the rerun."""
    import psutil

    root = tmp_path / "ws"
    shutil.copytree(demo_workspace_dir, root)
    proc = subprocess.Popen(month_end_command(root, ["100001", "100002", "100003", "100005", "100006"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # both workers render: each has its kernel and Chromium
            assert proc.poll() is None, "the month end ended before it was killed"
            started = psutil.Process(proc.pid).children(recursive=True)
            names = collections.Counter(p.name() for p in started if p.is_running())
            kernels = [p for p in started if "ipykernel_launcher" in " ".join(_cmdline(p))]
            if len(kernels) >= 2 and names["chromium"] >= 2:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the workers did not start their kernels and browsers: {names}")
        proc.kill()
        proc.wait()
        _gone, alive = psutil.wait_procs(started, timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for left in started:  # whatever a failure left behind (orphans: no longer our children)
            with contextlib.suppress(psutil.Error):
                left.kill()
    assert alive == [], [" ".join(_cmdline(p))[:120] for p in alive]


def _cmdline(process) -> list[str]:
    import psutil

    try:
        return process.cmdline()
    except psutil.Error:
        return []
