"""Two people change the same invoice at the same moment (two analysts, or two API requests):
one change wins, the other is refused as if it came second. Both read the invoice before either
locks its customer: the meeting point is the lock itself.

A void given twice returned the invoice's credit twice (the customer's balance grew by what the
invoice had used, once more); a draft deleted twice was audited twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from db.worked_example import TODAY
from workbench.billing import invoices
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import InvoiceNotFound, InvoiceStateError, approve, delete_drafts, set_status
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

from .race import LIMIT, MeetingPoint, run_together

OCTOBER, ACME = given_month("2025-10"), "100001"


@contextmanager
def meet_before_the_lock(monkeypatch: pytest.MonkeyPatch) -> Iterator[MeetingPoint]:
    """Hold each caller at `lock_customers` until both have read their invoices."""
    point = MeetingPoint(2, lambda: False, LIMIT)
    real = invoices.lock_customers

    def lock_customers(*args: Any, **kwargs: Any) -> Any:
        point.arrive()
        return real(*args, **kwargs)

    monkeypatch.setattr(invoices, "lock_customers", lock_customers)
    yield point


def outcome(call: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        try:
            return call()
        except (InvoiceStateError, InvoiceNotFound) as exc:
            return exc
    return run


def acme_invoice(ws: Workspace) -> str:
    [invoice] = generate_invoices(ws, "aws", OCTOBER, [ACME], InvoiceOptions(apply_credits=True), today=TODAY).invoices
    return invoice.number


def credit_balance(ws: Workspace) -> Decimal:
    with ws.session() as session:
        return sum((e.amount for e in session.scalars(select(m.CreditEntry).where(m.CreditEntry.customer_id == ACME))),
                   Decimal(0))


def audited(ws: Workspace, action: str, number: str) -> int:
    with ws.session() as session:
        return len(list(session.scalars(select(m.AuditEvent).where(m.AuditEvent.action == action,
                                                                   m.AuditEvent.entity_id == number))))


def test_two_voids_at_once_give_the_credit_back_once(october: Workspace, second_analyst, monkeypatch) -> None:
    other = second_analyst(october)
    number = acme_invoice(october)
    approve(october, [number], today=TODAY)
    assert credit_balance(october) == 0  # Acme's 50 CAD paid the invoice

    with meet_before_the_lock(monkeypatch) as point:
        results = run_together(outcome(lambda: set_status(october, [number], Status.VOID, today=TODAY)),
                               outcome(lambda: set_status(other, [number], Status.VOID, today=TODAY)))
    assert point.met
    # the second to take the lock finds it void already: not refused, nothing stored again (its
    # folders follow, see batch/test_void_killed_before_folders.py)
    assert sorted(r[0].note for r in results) == ["", "void already: nothing to change"], results
    assert credit_balance(october) == Decimal("50.00")  # given back once
    assert audited(october, "invoice.status", number) == 2  # draft -> open, open -> void


def test_two_deletions_at_once_delete_and_audit_once(october: Workspace, second_analyst, monkeypatch) -> None:
    other = second_analyst(october)
    number = acme_invoice(october)
    with meet_before_the_lock(monkeypatch) as point:
        results = run_together(outcome(lambda: delete_drafts(october, [number])),
                               outcome(lambda: delete_drafts(other, [number])))
    assert point.met
    assert sorted(type(r).__name__ for r in results) == ["InvoiceNotFound", "list"]
    assert audited(october, "invoice.delete", number) == 1
    assert credit_balance(october) == Decimal("50.00")  # the draft's use of the credit is undone once
