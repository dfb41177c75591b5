"""store.locking: one writer per customer at a time, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from workbench.billing.store.locking import lock_customer
from workbench.billing.store.models import CreditEntry, Customer
from workbench.billing.store.workspace import Workspace


def _waiting_on_a_lock(ws: Workspace) -> Callable[[], bool]:
    """PostgreSQL shows a backend waiting on a lock; SQLite cannot: give it a moment instead."""
    if ws.engine.dialect.name != "postgresql":
        done = threading.Event()
        return lambda: done.wait(0.5) or True
    engine = create_engine(ws.engine.url, poolclass=NullPool)
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")

    def waiting() -> bool:
        with engine.connect() as connection:
            return bool(connection.execute(query).scalar())

    return waiting


def test_the_second_writer_waits_and_then_sees_the_first_ones_commit(
    any_db_workspace: Workspace, second_analyst: Callable[[Workspace], Workspace],
) -> None:
    first = any_db_workspace
    with first.session() as session:
        session.add(Customer(customer_id="C001", name="Acme"))
    second = second_analyst(first)
    events: list[str] = []
    seen: list[int] = []

    def second_writer() -> None:
        with second.session() as session:
            lock_customer(session, "C001")
            events.append("second has the lock")
            seen.append(session.scalar(select(func.count()).select_from(CreditEntry)) or 0)

    waiting = _waiting_on_a_lock(first)
    with first.session() as session:
        lock_customer(session, "C001")
        thread = threading.Thread(target=second_writer)
        thread.start()
        deadline = time.monotonic() + 30
        while not waiting() and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        session.add(CreditEntry(customer_id="C001", entry_date=dt.date(2025, 10, 1), amount=Decimal("50"), currency="CAD"))
        events.append("first commits")
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert events == ["first commits", "second has the lock"]
    assert seen == [1]


def test_an_unknown_customer_is_a_programmer_error(any_db_workspace: Workspace) -> None:
    with pytest.raises(LookupError, match="no customer 'C404'"):
        with any_db_workspace.session() as session:
            lock_customer(session, "C404")
