"""Two analysts generate October's AWS drafts for two different customers at the same moment,
each in their own notebook (own engine, own connection), on SQLite and on PostgreSQL: both are
stored, and the vendor's month counter gives them two different numbers, 00001 and 00002.

The customers differ, so the customer locks let both runs into their transactions at once
(on PostgreSQL; SQLite's one writer lets one in at a time). Each run is then held right after
it has taken its numbers: without the counter's lock both would get there having read the same
last number; with it, the second waits for the first to commit and counts on from it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from db.worked_example import TODAY
from workbench.billing.core.periods import given_month
from workbench.billing.generate import GenerationResult, generate_invoices
from workbench.billing.invoices import delete_drafts
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

from .race import LIMIT, SQLITE_PATIENCE, MeetingPoint, _lock_waiters, hold_while_storing, run_together

OCTOBER = given_month("2025-10")
ACME, BETA = "100001", "100002"


class Crossing(MeetingPoint):
    """A `MeetingPoint` that counts how many runs were at it at once (`most_at_once`)."""

    def __init__(self, parties: int, someone_waits_on_a_lock: Callable[[], bool], patience: float) -> None:
        super().__init__(parties, someone_waits_on_a_lock, patience)
        self.here = 0
        self.most_at_once = 0

    def arrive(self) -> None:
        with self._cond:
            self.here += 1
            self.most_at_once = max(self.most_at_once, self.here)
        try:
            super().arrive()
        finally:
            with self._cond:
                self.here -= 1


@contextmanager
def holding_runs(monkeypatch: pytest.MonkeyPatch, url: URL) -> Iterator[tuple[Crossing, Crossing]]:
    """Hold each run inside its transaction twice: right after its period-lock check (as
    race.meet_after_the_lock_check), and right after it has taken its numbers."""
    def crossing(sqlite_patience: float) -> Crossing:
        return Crossing(2, _lock_waiters(url), sqlite_patience if url.get_backend_name() == "sqlite" else LIMIT)

    # SQLite lets one writer in at a time: the second run cannot be past the first check while
    # the first run is inside, so one wait for it is enough
    inside, numbered = crossing(SQLITE_PATIENCE), crossing(0.1)
    hold_while_storing(monkeypatch, {"period_locks": inside, "take_numbers": numbered})
    yield inside, numbered


def _generating(ws: Workspace, customer_id: str) -> Callable[[], GenerationResult]:
    return lambda: generate_invoices(ws, "aws", OCTOBER, [customer_id], today=TODAY)


@pytest.mark.parametrize("before", [0, 1], ids=["first-numbers-of-the-month", "month-already-counted"])
def test_two_runs_at_once_never_get_the_same_number(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace], monkeypatch: pytest.MonkeyPatch, before: int,
) -> None:
    """`before` numbers were handed out already (a draft generated and deleted): the counter's
    row exists then, and the runs meet on it rather than on creating it."""
    for _ in range(before):
        delete_drafts(october, [i.number for i in _generating(october, ACME)().invoices])
    other = second_analyst(october)
    url = october.engine.url
    with holding_runs(monkeypatch, url) as (inside, numbered):
        results = run_together(_generating(october, ACME), _generating(other, BETA))
    # on PostgreSQL both runs were in their transactions at once (SQLite has one writer at a
    # time), and on both only one run at a time held numbers it had not committed
    assert (inside.most_at_once, numbered.most_at_once) == (2 if url.get_backend_name() == "postgresql" else 1, 1)
    assert [[i.customer_id for i in r.invoices] for r in results] == [[ACME], [BETA]]
    expected = [f"AWS-202510-{n:05d}" for n in (before + 1, before + 2)]
    assert sorted(r.invoices[0].number for r in results) == expected
    with october.session() as session:
        assert sorted(session.scalars(select(m.Invoice.number))) == expected
        assert session.scalar(select(m.InvoiceNumberSequence.last_number)) == before + 2


def test_many_runs_at_once_number_without_gaps_or_repeats(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace],
) -> None:
    """Four notebooks, each generating, deleting and generating Beta's or Acme's draft again in
    a loop: every number is handed out once, and only deleted drafts leave gaps."""
    analysts = [october, *(second_analyst(october) for _ in range(3))]
    made: list[str] = []
    lock = threading.Lock()

    def churn(ws: Workspace, customer_id: str) -> Callable[[], None]:
        def run() -> None:
            for _ in range(3):
                result = generate_invoices(ws, "aws", OCTOBER, [customer_id], today=TODAY)
                with lock:
                    made.extend(i.number for i in result.invoices)
                for invoice in result.invoices:
                    delete_drafts(ws, [invoice.number])
        return run

    run_together(*(churn(ws, cid) for ws, cid in zip(analysts, [ACME, BETA, ACME, BETA])))
    assert len(made) == len(set(made)), f"a number was handed out twice: {sorted(made)}"
    assert sorted(made) == [f"AWS-202510-{n:05d}" for n in range(1, len(made) + 1)]
