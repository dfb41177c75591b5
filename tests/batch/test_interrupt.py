"""Ctrl-C (and SIGTERM) stop `workbench month-end --jobs 2` at once, and a rerun resumes.

The CLI runs in a session of its own, as a terminal runs a command: Ctrl-C is SIGINT to its whole
process group, `kill` is SIGTERM to its pid. A few invoices into the batch it is interrupted; it
must exit within seconds (130 for SIGINT, 143 for SIGTERM) saying what was finished and that a
rerun resumes, leave no process running (its workers, their kernels and Chromium), no file
half-written under a final name, and a rerun must make every other invoice, each once.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from workbench.batch import expected_files, is_complete
from workbench.batch.interrupts import interrupts_held, uninterrupted
from workbench.billing.store import models as m
from workbench.billing.store.workspace import open_workspace

PERIOD = "2025-10"
DEMO_TODAY = dt.date(2025, 11, 25)
CUSTOMERS = ["100001", "100002", "100003", "100005", "100006"]  # the demo's 100004 cannot be invoiced on purpose
STOPS_WITHIN = 10.0  # seconds from the signal to the exit (a worker's invoice takes ~2 s; no waiting for the queue)


def month_end_command(root: Path) -> list[str]:
    return [sys.executable, "-c", "from workbench.batch.cli import month_end; month_end()", str(root),
            "--period", PERIOD, "--jobs", "2", "--today", DEMO_TODAY.isoformat(), "--customers", ",".join(CUSTOMERS)]


def manifests(root: Path) -> list[Path]:
    return sorted((root / "output" / PERIOD).glob("*/*.done.json"))


def in_session(sid: int) -> list[str]:
    """The live processes of session `sid` (the command's, started with start_new_session)."""
    found = []
    for process in psutil.process_iter(["pid", "status", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            if os.getsid(process.pid) == sid and process.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(" ".join(process.info["cmdline"] or [])[:120])
    return found


def interrupted_run(root: Path, signals: list[tuple[signal.Signals, bool, float]], after: int):
    """Run the month end; once `after` invoices have their manifest, send each (signal, to the
    whole group?, seconds after the one before). Returns (exit code, seconds from the first signal to the exit,
    output, the processes it had started that are still running 5 s after its exit, manifests
    at the signal)."""
    log = root.parent / f"{root.name}-interrupted.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(month_end_command(root), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    tree: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 180
        while len(manifests(root)) < after:
            assert proc.poll() is None, f"the month end ended before it was interrupted: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "no invoice was rendered in 180 s"
            time.sleep(0.05)
        tree = psutil.Process(proc.pid).children(recursive=True)  # workers, kernels, Chromium
        at_signal = len(manifests(root))
        signalled = time.monotonic()
        for signum, group, delay in signals:
            time.sleep(delay)
            if proc.poll() is None:
                os.killpg(proc.pid, signum) if group else os.kill(proc.pid, signum)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            code = None  # hung: the assertion below says so
        took = time.monotonic() - signalled
        _gone, alive = psutil.wait_procs(tree, timeout=5)
        left = [" ".join(_cmdline(p))[:120] for p in alive] + in_session(proc.pid)
        return code, took, log.read_text(errors="replace"), left, at_signal
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for process in tree:  # whatever a failure left behind
            with contextlib.suppress(psutil.Error):
                process.kill()


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def no_half_files(root: Path) -> list[str]:
    """Files under a final name that are not whole, and failed notebooks of the interrupted invoices."""
    out = root / "output" / PERIOD
    bad = [str(p.relative_to(out)) for p in out.rglob("*.failed.ipynb")]
    for folder in out.iterdir():
        if (folder / f"{folder.name}.done.json").exists() and not is_complete(folder, folder.name):
            bad.append(f"{folder.name}: manifest does not match its files")
    for pdf in out.rglob("*.pdf"):
        if not pdf.name.startswith(".") and not pdf.read_bytes().rstrip().endswith(b"%%EOF"):
            bad.append(f"{pdf.relative_to(out)}: cut off")
    return bad


def test_a_signal_that_comes_while_interrupts_are_held_is_dropped_and_the_handlers_come_back():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with interrupts_held():
        os.kill(os.getpid(), signal.SIGINT)  # delivered before os.kill returns: ignored, not queued
        os.kill(os.getpid(), signal.SIGTERM)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C is Ctrl-C again
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)


def test_a_ctrl_c_that_cuts_a_stop_short_starts_it_over_with_interrupts_held():
    seen = []
    before = signal.getsignal(signal.SIGINT)

    def stop() -> None:
        seen.append(signal.getsignal(signal.SIGINT))
        if len(seen) == 1:
            raise KeyboardInterrupt  # a second Ctrl-C that landed as the first was being unwound

    uninterrupted(stop)
    assert seen == [signal.SIG_IGN, signal.SIG_IGN]
    assert signal.getsignal(signal.SIGINT) is before


def test_ctrl_c_again_and_again_stops_the_month_end_at_once_and_a_rerun_resumes(demo_workspace_dir, tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(demo_workspace_dir, root)
    # Ctrl-C, then Ctrl-C again and again while it stops (an impatient analyst): none may hang it,
    # nor cut its stop short (a Ctrl-C 0.1-0.3 s after the first once left the workers making the
    # whole queue after "INTERRUPTED" was printed)
    code, took, output, left, at_signal = interrupted_run(
        root, [(signal.SIGINT, True, 0.0), (signal.SIGINT, True, 0.1), (signal.SIGINT, True, 0.2)], after=2)
    assert code == 130, (code, output[-3000:])
    assert took < STOPS_WITHIN, (took, output[-3000:])
    assert left == [], left
    assert "INTERRUPTED" in output and "run the same command again" in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    finished = len(manifests(root))
    assert finished <= at_signal + 2, (at_signal, finished, output[-3000:])  # the two invoices being rendered, at most
    assert re.search(rf"month end {PERIOD}: {finished} done, 0 skipped", output), output[-3000:]
    assert no_half_files(root) == []

    # the rerun makes the others, each once, and skips the finished ones
    rerun = subprocess.run(month_end_command(root), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr[-3000:]
    ws = open_workspace(root)
    try:
        with ws.session() as session:
            invoices = list(session.scalars(select(m.Invoice)))
    finally:
        ws.close()
    keys = collections.Counter((i.customer_id, i.vendor) for i in invoices)
    assert [k for k, n in keys.items() if n > 1] == []
    total = len(invoices)
    assert total > finished + 2, (total, finished)  # the interrupt left work for the rerun
    assert re.search(rf"month end {PERIOD}: {total - finished} done, {finished} skipped, 0 failed", rerun.stdout), \
        rerun.stdout
    out = root / "output" / PERIOD
    assert sorted(p.name for p in out.iterdir()) == sorted(i.number for i in invoices)
    for invoice in invoices:
        folder = out / invoice.number
        assert sorted(p.name for p in folder.iterdir()) == sorted([*expected_files(invoice.number),
                                                                   f"{invoice.number}.done.json"])
        assert is_complete(folder, invoice.number)


def test_sigterm_stops_the_month_end_at_once_without_leaking(demo_workspace_dir, tmp_path):
    """`kill PID` (SIGTERM to the month end alone): it stops its workers, exits 143 and leaves no
    semaphore to the resource tracker (its "leaked semaphore objects" warning)."""
    root = tmp_path / "ws"
    shutil.copytree(demo_workspace_dir, root)
    code, took, output, left, _ = interrupted_run(root, [(signal.SIGTERM, False, 0.0)], after=1)
    assert code == 143, (code, output[-3000:])
    assert took < STOPS_WITHIN, (took, output[-3000:])
    assert left == [], left
    assert "INTERRUPTED" in output, output[-3000:]
    assert "leaked semaphore" not in output and "Traceback" not in output, output[-3000:]
    assert no_half_files(root) == []
