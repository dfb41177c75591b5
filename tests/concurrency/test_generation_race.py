"""Two analysts generate invoices for the same customer at the same moment, each in their own
notebook (own engine, own connection), on SQLite and on PostgreSQL.

The worked example of tests/billing, with usage on 1 and 16 October 2025 so that custom
ranges inside the month have something to bill.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.worked_example import TODAY
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import DateRange, custom, given_month
from workbench.billing.generate import GenerationResult, generate_invoices
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

from .race import error_codes, meet_after_the_lock_check, run_together

OCTOBER = given_month("2025-10")
MID_OCTOBER = custom(dt.date(2025, 10, 15), dt.date(2025, 10, 20))
EARLY_OCTOBER = custom(dt.date(2025, 10, 1), dt.date(2025, 10, 14))
BETA, ACME = "100002", "100001"

def _generating(ws: Workspace, date_range: DateRange, customer_id: str, credits: bool = False) -> Callable[[], GenerationResult]:
    options = InvoiceOptions(apply_credits=credits)
    return lambda: generate_invoices(ws, "aws", date_range, [customer_id], options, today=TODAY)


def _stored(ws: Workspace, customer_id: str) -> tuple[int, int]:
    with ws.session() as session:
        invoices = session.scalar(select(func.count()).select_from(m.Invoice).where(m.Invoice.customer_id == customer_id))
        locks = session.scalar(select(func.count()).select_from(m.PeriodLock).where(m.PeriodLock.customer_id == customer_id))
        return int(invoices or 0), int(locks or 0)


def _exactly_one_wins(results: list[GenerationResult], customer_id: str) -> None:
    made = [len(r.invoices) for r in results]
    assert sorted(made) == [0, 1], f"invoices made by each run: {made}"
    loser = results[made.index(0)]
    assert error_codes(loser.problems, customer_id) == ["period-locked"]
    assert not [p for p in loser.problems if p.code == "period-locked" and "billed" not in p.message]


@pytest.mark.parametrize(
    ("first", "second"),
    [(OCTOBER, OCTOBER), (OCTOBER, MID_OCTOBER), (MID_OCTOBER, OCTOBER)],
    ids=["same-month", "month-vs-15-20", "15-20-vs-month"],
)
def test_two_analysts_racing_for_one_period_make_one_invoice(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace], monkeypatch: pytest.MonkeyPatch,
    first: DateRange, second: DateRange,
) -> None:
    other = second_analyst(october)
    with meet_after_the_lock_check(monkeypatch, october.engine.url):
        results = run_together(_generating(october, first, BETA), _generating(other, second, BETA))
    _exactly_one_wins(results, BETA)
    assert _stored(october, BETA) == (1, 1)


def test_a_credit_is_not_spent_twice_by_two_runs_at_once(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two ranges that do not overlap: both invoices are right, but Acme's 50 CAD credit
    # (from the worked example) may pay only one of them.
    other = second_analyst(october)
    with meet_after_the_lock_check(monkeypatch, october.engine.url):
        results = run_together(_generating(october, EARLY_OCTOBER, ACME, credits=True),
                               _generating(other, MID_OCTOBER, ACME, credits=True))
    assert [len(r.invoices) for r in results] == [1, 1]
    with october.session() as session:
        applied = [i.credits for i in session.scalars(select(m.Invoice).where(m.Invoice.customer_id == ACME))]
        balance = sum(e.amount for e in session.scalars(select(m.CreditEntry).where(m.CreditEntry.customer_id == ACME)))
    assert sum(applied) == Decimal("50.00"), f"credits applied: {applied}"
    assert balance == 0


def test_one_after_the_other_the_second_is_refused(october: Workspace, second_analyst: Callable[[Workspace], Workspace]) -> None:
    other = second_analyst(october)
    assert len(_generating(october, OCTOBER, BETA)().invoices) == 1
    late = _generating(other, MID_OCTOBER, BETA)()
    assert late.invoices == () and error_codes(late.problems, BETA) == ["period-locked"]
    assert _stored(october, BETA) == (1, 1)


def test_an_account_assigned_while_generation_prices_refuses_that_customer(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace], monkeypatch: pytest.MonkeyPatch, tmp_path,
) -> None:
    """Generation prices Beta from its accounts, then takes the customers' locks to store. In
    between, another analyst gives Beta the unassigned account 444444444444 (3.50 USD of EC2) and
    commits. Stored as priced, Beta's draft would leave that usage out, and its month would be
    locked with the account in it. Under the lock the accounts are read again: Beta is refused,
    and generating again bills the account."""
    from billing.conftest import write_tables
    from workbench.billing import generate
    from workbench.billing.store.table_import import import_tables

    other = second_analyst(october)
    accounts = write_tables(tmp_path, {"accounts": """
        customer_id,vendor,account_id,account_name
        100002,aws,444444444444,beta-new
    """})
    real_lock = generate.lock_customers

    def lock_after_the_import(session, ids):  # the import commits between the pricing and the store
        assert [p for p in import_tables(other, accounts)[1] if p.severity.value == "error"] == []
        return real_lock(session, ids)

    monkeypatch.setattr(generate, "lock_customers", lock_after_the_import)
    raced = generate_invoices(october, "aws", OCTOBER, [BETA], InvoiceOptions(), today=TODAY)
    assert raced.invoices == ()
    assert [(p.code, p.customer_id) for p in raced.problems if p.severity.value == "error"] == [
        ("accounts-changed", BETA)]
    assert "444444444444" in next(p.message for p in raced.problems if p.code == "accounts-changed")
    assert _stored(october, BETA) == (0, 0)

    monkeypatch.setattr(generate, "lock_customers", real_lock)
    again = generate_invoices(october, "aws", OCTOBER, [BETA], InvoiceOptions(), today=TODAY)
    [draft] = again.invoices
    with october.session() as session:
        lines = session.scalars(select(m.InvoiceLine).where(m.InvoiceLine.invoice_id == draft.invoice_id)).all()
        assert Decimal("3.5") in {line.vendor_cost for line in lines}  # the account's EC2 is billed
