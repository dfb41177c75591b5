"""Stopping a month end at once: Ctrl-C (or SIGTERM) while a process pool renders invoices.

A terminal's Ctrl-C is SIGINT to its foreground process group. The pool's workers leave that
group (`start_worker`, their initializer), so it reaches the month end alone, as a
KeyboardInterrupt; the month end then stops the pool (`stop_pool`): the queued invoices are
cancelled and each worker is killed with what it started (warm kernel, Chromium driver, browser).

While it stops, a second Ctrl-C or SIGTERM is dropped (`interrupts_held`). One that landed
half-way would leave the workers alive, and the interpreter's exit would wait for them to finish
the whole queue: CI once saw 13 invoices made after the month end had printed "INTERRUPTED"
(the second Ctrl-C of an impatient analyst came 0.3 s after the first, while the stop was still
importing psutil). `uninterrupted` runs a stop so that it cannot be cut short that way.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

import psutil

from workbench.with_parent import end_with_parent

__all__ = ["STOP_WAIT_SECONDS", "interrupts_held", "start_worker", "stop_pool", "uninterrupted"]

STOP_WAIT_SECONDS = 5.0  # for the killed workers and what they started to be gone
HELD = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def interrupts_held() -> Iterator[None]:
    """SIGINT and SIGTERM ignored inside, their handlers put back after: a signal that comes
    inside is dropped, not delayed. Only the main thread sets handlers; elsewhere a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in HELD}
    try:
        for signum in HELD:
            signal.signal(signum, signal.SIG_IGN)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)  # None: not set from Python


def uninterrupted(stop: Callable[[], None]) -> None:
    """Run `stop` with interrupts held, to its end. A Ctrl-C that came before they were held (the
    moment between the first Ctrl-C and this call) starts it over rather than cutting it short,
    so `stop` must be safe to run again."""
    while True:
        try:
            with interrupts_held():
                stop()
            return
        except KeyboardInterrupt:
            continue


def start_worker(parent: int) -> None:
    """A pool worker's initializer. It ends with the month end, even one killed outright
    (`end_with_parent`), and it leaves the month end's process group: a Ctrl-C at the terminal
    (SIGINT to the foreground group) reaches the month end alone, which stops its workers
    (`stop_pool`) rather than each worker and Chromium taking it on its own mid-file."""
    end_with_parent(parent)
    os.setpgid(0, 0)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: the queued invoices are cancelled, the workers killed with what they
    started. Nothing is lost: every file is written under a temp name and renamed, the manifest
    last, and the folder's hold is a flock the kernel drops; the rerun removes the temp files and
    makes the invoice again. Interrupts are held while it runs (`uninterrupted`)."""
    uninterrupted(lambda: _kill_pool(pool))


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    workers = list((getattr(pool, "_processes", None) or {}).values())  # the executor keeps no public list
    pool.shutdown(wait=False, cancel_futures=True)
    started: list[psutil.Process] = []  # what the workers started: kernel, Chromium driver, browser
    for worker in workers:
        try:
            started += psutil.Process(worker.pid).children(recursive=True)
        except psutil.Error:  # already gone
            continue
    for worker in workers:
        worker.kill()
    for process in started:
        try:
            process.kill()
        except psutil.Error:
            pass
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    for worker in workers:  # reaped by multiprocessing itself: a worker reaped by anyone else would
        worker.join(max(0.0, deadline - time.monotonic()))  # look alive to the pool forever (waitpid: ECHILD)
    psutil.wait_procs(started, timeout=max(0.1, deadline - time.monotonic()))  # not our children: polled
    pool.shutdown(wait=True)  # the pool's thread sees its workers gone and ends
