"""`interrupt_on_ctrl_c(con)`: a Ctrl-C stops the DuckDB query under way at once, leaves as
KeyboardInterrupt, and leaves nothing behind; anything else goes through as it is.

The query used: a GROUP BY over `range()` of three billion numbers, one piece of work for DuckDB,
which looks for Python's signals only once it is done: a Ctrl-C without `interrupt_on_ctrl_c`
waited 105 s for it on the shared 2-core machine."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator

import duckdb
import pytest

from workbench.billing.store.interrupt_on_ctrl_c import interrupt_on_ctrl_c

MINUTES_OF_WORK = "SELECT i % 1000, sum(i) FROM range(3000000000) t(i) GROUP BY 1"


def wakeup_fd() -> int:
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    return fd


def watchers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "interrupt-on-ctrl-c"]


def test_a_ctrl_c_interrupts_the_query_at_once_and_leaves_as_keyboard_interrupt() -> None:
    """A real SIGINT to a process of its own, 0.5 s into the query. It leaves the block as
    KeyboardInterrupt within a second (a few milliseconds here); the wakeup fd that was set
    before (an asyncio loop's, say) is set again and was given the signal's byte; no thread of
    it is left; the connection still answers."""
    script = textwrap.dedent(f"""
        import json, os, signal, socket, threading, time
        import duckdb
        from workbench.billing.store.interrupt_on_ctrl_c import interrupt_on_ctrl_c

        theirs, their_end = socket.socketpair()  # a wakeup fd set before, as an asyncio loop sets one
        their_end.setblocking(False)
        signal.set_wakeup_fd(their_end.fileno())
        con = duckdb.connect()
        pressed = []

        def press_ctrl_c():
            time.sleep(0.5)
            pressed.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)

        presser = threading.Thread(target=press_ctrl_c)
        presser.start()
        try:
            with interrupt_on_ctrl_c(con) as ctrl_c:
                con.execute({MINUTES_OF_WORK!r}).fetchall()
            raised = None
        except BaseException as exc:
            raised = type(exc).__name__
        after = time.monotonic() - pressed[0]
        presser.join()
        print(json.dumps({{
            "raised": raised, "after": after, "noted": ctrl_c.is_set(),
            "wakeup fd": "theirs" if signal.set_wakeup_fd(-1) == their_end.fileno() else "another",
            "they got": list(theirs.recv(16)), "threads": [t.name for t in threading.enumerate()],
            "then": con.execute("SELECT 42").fetchone()[0]}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen.pop("after") < 1.0
    assert seen == {"raised": "KeyboardInterrupt", "noted": True, "wakeup fd": "theirs",
                    "they got": [signal.SIGINT], "threads": ["MainThread"], "then": 42}


def test_a_cleanup_the_ctrl_c_skips_is_done_when_its_object_is_let_go() -> None:
    """Python's handler raises KeyboardInterrupt at the first call after the interrupted query,
    as that call begins: here the reader's `TempObjects.drop()` in the handler of DuckDB's error,
    which then never runs. Its temporary folder (a CSV's parse, which can be large) is removed
    all the same once the object is let go, not left in /tmp."""
    script = textwrap.dedent(f"""
        import json, os, signal, threading, time
        import duckdb
        from workbench.billing.readers.source import TempObjects
        from workbench.billing.store.interrupt_on_ctrl_c import interrupt_on_ctrl_c

        con = duckdb.connect()
        temps = TempObjects(con)
        parse = temps.file(".parquet")
        parse.write_bytes(b"a parse")
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            with interrupt_on_ctrl_c(con):
                try:
                    con.execute({MINUTES_OF_WORK!r}).fetchall()
                except duckdb.Error:
                    temps.drop()
                    raise
        except KeyboardInterrupt:
            pass
        there = parse.parent.exists()
        del temps
        print(json.dumps({{"after the Ctrl-C": there, "once let go": parse.parent.exists()}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"after the Ctrl-C": True, "once let go": False}


@pytest.fixture
def interrupting() -> Iterator[list[duckdb.DuckDBPyConnection]]:
    """Interrupts the connection put in the list every 5 ms from a thread until the test ends
    (one that lands before the query has begun is lost)."""
    connections: list[duckdb.DuckDBPyConnection] = []
    ended = threading.Event()

    def interrupter() -> None:
        while not ended.wait(0.005):
            for con in connections:
                con.interrupt()

    thread = threading.Thread(target=interrupter, daemon=True)
    thread.start()
    yield connections
    ended.set()
    thread.join()


def test_an_interrupt_that_is_no_ctrl_c_leaves_as_duckdb_raised_it(interrupting: list[duckdb.DuckDBPyConnection]) -> None:
    """Another thread's `interrupt()` (the import's hash thread, on a file imported before) is
    not made a Ctrl-C: DuckDB's InterruptException leaves the block as it is, the event clear.
    The block, in this test's main thread, set its wakeup fd and thread, and both are gone."""
    con = duckdb.connect()
    before = wakeup_fd()
    with pytest.raises(duckdb.InterruptException), interrupt_on_ctrl_c(con) as ctrl_c:
        assert watchers() == ["interrupt-on-ctrl-c"] and wakeup_fd() != before
        interrupting.append(con)
        con.execute(MINUTES_OF_WORK).fetchall()
    assert not ctrl_c.is_set()
    assert (wakeup_fd(), watchers()) == (before, [])


def test_off_the_main_thread_it_does_nothing() -> None:
    """A Voila kernel's or a Dask worker's thread: no wakeup fd can be set there (Python refuses
    it) and no signal reaches it. The block runs as it would without it."""
    con = duckdb.connect()
    before = wakeup_fd()
    seen: dict[str, object] = {}

    def work() -> None:
        with interrupt_on_ctrl_c(con) as ctrl_c:
            seen.update(watchers=watchers(), answer=con.execute("SELECT 42").fetchone())
        seen["noted"] = ctrl_c.is_set()

    worker = threading.Thread(target=work, name="worker")
    worker.start()
    worker.join()
    assert seen == {"watchers": [], "answer": (42,), "noted": False}
    assert wakeup_fd() == before


def test_with_sigint_ignored_it_does_nothing() -> None:
    """A command started in the background of a shell without job control ignores SIGINT: a
    Ctrl-C reaches no handler, and there is nothing to hurry."""
    con = duckdb.connect()
    before = wakeup_fd()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupt_on_ctrl_c(con):
            assert (watchers(), wakeup_fd()) == ([], before)
            assert con.execute("SELECT 42").fetchone() == (42,)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_other_errors_leave_as_they_are() -> None:
    con = duckdb.connect()
    with pytest.raises(duckdb.CatalogException), interrupt_on_ctrl_c(con):
        con.execute("SELECT * FROM no_such_table")
    with pytest.raises(RuntimeError, match="not DuckDB's"), interrupt_on_ctrl_c(con):
        raise RuntimeError("not DuckDB's")
    assert watchers() == []

