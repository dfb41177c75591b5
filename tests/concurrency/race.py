"""Two analysts at once: run calls in threads started together, and hold both inside the
generation transaction at the same point, so that a missing lock shows every time rather than
once in a thousand runs.

The meeting point is right after `_store` has checked the period locks inside its transaction
(`generate.period_locks`, called from `generate._store`).
Without serialisation both runs meet there, each having seen no lock, and both write. With it,
the second run waits for the first one's lock *before* that point and never arrives: the first
stops waiting as soon as it sees that (PostgreSQL: a backend waiting on a lock), or after a
short while on SQLite, whose waiting writer cannot be observed from outside.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from workbench.billing import generate

T = TypeVar("T")
SQLITE_PATIENCE = 2.0  # seconds the first run waits for a second one that cannot be seen waiting
LIMIT = 60.0  # seconds after which a run is taken as hung


def run_together(*calls: Callable[[], T]) -> list[T]:
    """Start every call in its own thread at the same moment; their results in order."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait(timeout=LIMIT)
            results[i] = calls[i]()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), name=f"analyst-{i + 1}") for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LIMIT)
    assert not any(t.is_alive() for t in threads), "a run hangs: a lock is never released"
    if errors:
        raise errors[0]
    return results


class MeetingPoint:
    def __init__(self, parties: int, someone_waits_on_a_lock: Callable[[], bool], patience: float) -> None:
        self.parties = parties
        self.someone_waits_on_a_lock = someone_waits_on_a_lock
        self.patience = patience
        self.arrived = 0
        self.met = False
        self._cond = threading.Condition()

    def arrive(self) -> None:
        with self._cond:
            self.arrived += 1
            self._cond.notify_all()
            deadline = time.monotonic() + self.patience
            while self.arrived < self.parties:
                if self.someone_waits_on_a_lock() or time.monotonic() > deadline:
                    return
                self._cond.wait(0.02)
            self.met = True


def _lock_waiters(url: URL) -> Callable[[], bool]:
    if url.get_backend_name() != "postgresql":
        return lambda: False
    engine = create_engine(url, poolclass=NullPool)
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")

    def waiting() -> bool:
        with engine.connect() as connection:
            return bool(connection.execute(query).scalar())

    return waiting


def hold_while_storing(monkeypatch: pytest.MonkeyPatch, points: dict[str, MeetingPoint]) -> None:
    """Make each `generate.<name>` of `points` arrive at its point right after it returns, when it
    is called from inside `generate._store` (the generation transaction); elsewhere it runs as it is."""
    storing = threading.local()
    real_store = generate._store

    def store(*args: Any, **kwargs: Any) -> Any:
        storing.active = True
        try:
            return real_store(*args, **kwargs)
        finally:
            storing.active = False

    def held(real: Callable[..., Any], point: MeetingPoint) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            found = real(*args, **kwargs)
            if getattr(storing, "active", False):
                point.arrive()
            return found
        return call

    monkeypatch.setattr(generate, "_store", store)
    for name, point in points.items():
        monkeypatch.setattr(generate, name, held(getattr(generate, name), point))


@contextmanager
def meet_after_the_lock_check(monkeypatch: pytest.MonkeyPatch, url: URL, parties: int = 2) -> Iterator[MeetingPoint]:
    """Hold each `generate._store` right after its in-transaction period-lock check."""
    point = MeetingPoint(parties, _lock_waiters(url), SQLITE_PATIENCE if url.get_backend_name() == "sqlite" else LIMIT)
    hold_while_storing(monkeypatch, {"period_locks": point})
    yield point


def error_codes(problems: Sequence[Any], customer_id: str) -> list[str]:
    return [p.code for p in problems if p.customer_id == customer_id and p.severity.value == "error"]
