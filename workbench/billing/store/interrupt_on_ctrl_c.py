"""`interrupt_on_ctrl_c(con)`: a Ctrl-C stops the DuckDB query under way at once.

Python runs its SIGINT handler (the one that raises KeyboardInterrupt) in the main thread,
between bytecodes. While DuckDB runs a query in C, the handler waits until DuckDB looks for it
between two of its tasks, and DuckDB then waits for its threads to be through their part of the
query: seconds into the pass over a large vendor file (a GROUP BY over `range()`, one task,
waited 105 s). While the block runs, the signal's wakeup byte (`signal.set_wakeup_fd`, written by
Python's C-level handler the moment the signal arrives) wakes a thread of ours on the other end
of a socket pair, which calls `con.interrupt()`: DuckDB gives up within milliseconds. The Ctrl-C
then leaves the block as KeyboardInterrupt, whichever way DuckDB said it: `InterruptException`,
or `RuntimeError('Query interrupted')` when its own look for signals ran Python's handler first.

Only in the main thread, and while SIGINT has a Python handler: a Voila kernel's or a Dask
worker's thread cannot set a wakeup fd (and never runs a signal handler), and a SIGINT ignored, or
left to kill the process, has nothing to hurry. Elsewhere the block runs as it would without it.
The previous wakeup fd (an asyncio loop's, say) is put back when the block is left, and is given
every byte read meanwhile, so its owner still hears its signals; the thread is gone by then.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Protocol

import duckdb

__all__ = ["interrupt_on_ctrl_c"]


class Interruptible(Protocol):
    def interrupt(self) -> None: ...  # a DuckDB connection's: stops its query under way, from any thread


@contextlib.contextmanager
def interrupt_on_ctrl_c(con: Interruptible) -> Iterator[threading.Event]:
    """While the block runs, a Ctrl-C (SIGINT) interrupts `con`'s query under way at once.

    Yields an event set once a Ctrl-C came, before `con` is interrupted: code that interrupts
    `con` itself for a reason of its own tells its interrupts from Ctrl-C's by it, and raises an
    interrupt that comes with it set. A DuckDB interrupt leaving the block after a Ctrl-C leaves
    as KeyboardInterrupt (nothing else does: a refusal or an error the Ctrl-C did not cause is
    raised as it is)."""
    pressed = threading.Event()
    if threading.current_thread() is not threading.main_thread() or not callable(signal.getsignal(signal.SIGINT)):
        yield pressed
        return
    reader, writer = socket.socketpair()
    try:
        writer.setblocking(False)  # the signal handler must never wait to write
        try:
            previous: int | None = signal.set_wakeup_fd(writer.fileno())
        except ValueError:  # not the main interpreter
            previous = None
        if previous is None:
            yield pressed
            return
        watcher = threading.Thread(target=_interrupt_on_sigint, args=(reader, con, pressed, previous),
                                   name="interrupt-on-ctrl-c", daemon=True)
        try:
            try:
                watcher.start()
                yield pressed
            finally:
                try:  # first: a signal after it must not be written to a shut socket
                    signal.set_wakeup_fd(previous)
                except (OSError, ValueError):  # closed meanwhile (its asyncio loop ended): none, not ours
                    signal.set_wakeup_fd(-1)
                if watcher.ident is not None:
                    writer.shutdown(socket.SHUT_WR)  # the thread reads every byte before the end, and ends
                    watcher.join()
        # Only now is `pressed` sure to say whether a SIGINT came: DuckDB's own look for signals
        # may have run Python's handler before the thread read the signal's byte.
        except (duckdb.InterruptException, RuntimeError) as exc:
            if pressed.is_set() and _interrupted(exc):
                raise KeyboardInterrupt from None  # said as every Ctrl-C is
            raise
    finally:
        reader.close()
        writer.close()


def _interrupt_on_sigint(reader: socket.socket, con: Interruptible, pressed: threading.Event, forward: int) -> None:
    """Until the write end is shut: each SIGINT interrupts `con`; every byte (one per signal
    Python handles) goes on to the wakeup fd this one replaced."""
    while data := reader.recv(256):
        if forward >= 0:
            with contextlib.suppress(OSError):  # gone, or full: its owner has bytes to read already
                os.write(forward, data)
        if int(signal.SIGINT) in data:
            pressed.set()
            with contextlib.suppress(duckdb.Error):  # closed meanwhile: nothing is running on it
                con.interrupt()


def _interrupted(exc: BaseException) -> bool:
    """Whether DuckDB raised `exc` for an interrupt: its own (`interrupt()`), or a signal that
    its look for them found (it raises RuntimeError('Query interrupted') over Python's
    KeyboardInterrupt)."""
    return isinstance(exc, duckdb.InterruptException) or (type(exc) is RuntimeError and str(exc) == "Query interrupted")
