"""The worked example of tests/billing on each database: the same invoices, digit for digit,
and the same lifecycle (period lock, delete, approve, void)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from billing.conftest import load

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import InvoiceStateError, approve, delete_drafts, list_invoices, refresh_past_due, set_status
from workbench.billing.store import audit
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

from .worked_example import TODAY, load_worked_example

OCTOBER = given_month("2025-10")


@pytest.fixture
def billed(any_db_workspace: Workspace, tmp_path: Path) -> Workspace:
    return load_worked_example(any_db_workspace, tmp_path)


def _text(value: Decimal) -> str:
    return format(value, "f")


def test_the_worked_example_gives_the_same_invoices(billed: Workspace) -> None:
    result = generate_invoices(billed, "aws", OCTOBER, options=InvoiceOptions(apply_credits=True, include_marketplace=True),
                               today=TODAY)
    made = {i.customer_id: i for i in result.invoices}
    assert sorted(made) == ["100001", "100002"]
    with billed.session() as session:
        acme = session.scalars(select(m.Invoice).where(m.Invoice.number == made["100001"].number)).one()
        # figures as stored, as text: what exports and statements print
        assert [(l.kind, l.sku, _text(l.amount_rounded)) for l in acme.lines] == [
            ("usage", "USE1-BoxUsage:m5.large", "150.83"),
            ("usage", "USE1-TimedStorage-ByteHrs", "26.70"),
            ("marketplace", "SoftwareUsage", "54.85"),
            ("support", "", "25.00"),
            ("credit", "", "-50.00"),
            ("tax", "", "10.37"),
            ("tax", "", "20.69"),
        ]
        assert [_text(v) for v in (acme.fx_rate, acme.subtotal, acme.tax_total, acme.total)] == ["1.3712", "207.38", "31.06", "238.44"]
        ec2 = acme.lines[0]
        # the 1.8E-9 row survives the database: 100.000000001 + 0.0000000018
        assert ec2.vendor_cost == Decimal("100.0000000028")
        assert ec2.amount == Decimal("150.832000004223296")  # 100.0000000028 * 1.3712 * 1.10
        beta = session.scalars(select(m.Invoice).where(m.Invoice.customer_id == "100002")).one()
        assert (_text(beta.total), beta.currency, beta.due_date) == ("41.26", "USD", TODAY + dt.timedelta(days=15))
        assert [(l.vendor, l.customer_id, l.period_start, l.period_end) for l in session.scalars(select(m.PeriodLock).order_by(m.PeriodLock.customer_id))] == [
            ("aws", "100001", dt.date(2025, 10, 1), dt.date(2025, 11, 1)),
            ("aws", "100002", dt.date(2025, 10, 1), dt.date(2025, 11, 1)),
        ]
    gamma = [p.message for p in result.problems if p.customer_id == "100003"]
    assert gamma == ["The customer with ID #100003 does not have the currency USD enabled"]


def test_a_locked_period_is_refused_until_its_draft_is_deleted(billed: Workspace) -> None:
    first = generate_invoices(billed, "aws", OCTOBER, ["100002"], today=TODAY)
    again = generate_invoices(billed, "aws", OCTOBER, ["100002"], today=TODAY)
    assert again.invoices == ()
    assert [p.code for p in again.problems if p.severity.value == "error"] == ["period-locked"]
    delete_drafts(billed, [first.invoices[0].number])
    assert len(generate_invoices(billed, "aws", OCTOBER, ["100002"], today=TODAY).invoices) == 1


def test_issued_invoices_never_change_and_voiding_frees_the_period(billed: Workspace) -> None:
    options = InvoiceOptions(apply_credits=True)
    made = generate_invoices(billed, "aws", OCTOBER, ["100001"], options, today=TODAY).invoices[0]
    approve(billed, [made.number], today=dt.date(2025, 11, 21))
    with pytest.raises(ValueError, match="only drafts can be deleted"):
        delete_drafts(billed, [made.number])
    set_status(billed, [made.number], Status.VOID)
    again = generate_invoices(billed, "aws", OCTOBER, ["100001"], options, today=TODAY).invoices
    assert len(again) == 1
    assert {i.number: i.status for i in list_invoices(billed)} == {made.number: "void", again[0].number: "draft"}
    with billed.session() as session:
        # the 50 CAD credit came back with the void and paid the new invoice
        assert _text(session.scalars(select(m.Invoice).where(m.Invoice.number == again[0].number)).one().credits) == "50.00"


def test_an_invoice_with_nothing_due_is_closed_as_it_is_issued_and_never_past_due(billed: Workspace, tmp_path: Path) -> None:
    """Beta's 41.26 USD is paid in full by a 100 USD credit: its invoice comes to 0.00. Issued
    with Acme's (175.39 CAD after its credit), it is Closed at once, while Acme's waits Open and
    is Past Due once its date has passed."""
    load(billed, tmp_path, {"credits": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        100001,C-1,2025-09-15,50.00,CAD,general,azure,Azure migration credit
        100002,C-2,2025-09-15,100.00,USD,general,azure,Azure commitment credit
    """})
    made = generate_invoices(billed, "aws", OCTOBER, options=InvoiceOptions(apply_credits=True), today=TODAY).invoices
    assert [(i.customer_id, _text(i.total)) for i in made] == [("100001", "175.39"), ("100002", "0.00")]
    acme, beta = (i.number for i in made)

    issued = approve(billed, [acme, beta], today=dt.date(2025, 11, 21))
    assert [(s.number, s.status) for s in issued] == [(acme, "open"), (beta, "closed")]
    assert [(e.reason, e.details["from"], e.details["to"]) for e in audit.events(billed, entity_id=beta, action="invoice.status")] == [
        ("approved", "draft", "open"),
        ("nothing due: total 0.00 USD at issue", "open", "closed"),
    ]
    # both are past their due dates now (the real today is after December 2025)
    assert refresh_past_due(billed) == [acme]
    assert {s.number: s.status for s in list_invoices(billed)} == {acme: "past_due", beta: "closed"}


def test_an_open_invoice_with_nothing_due_is_never_made_past_due(billed: Workspace) -> None:
    """One issued before zero-balance invoices closed at issue stays Open: neither listing nor
    an analyst makes it Past Due."""
    [made] = generate_invoices(billed, "aws", OCTOBER, ["100002"], today=TODAY).invoices
    with billed.session() as session:  # as it was issued before: Open, with nothing to pay
        session.execute(update(m.Invoice).where(m.Invoice.number == made.number).values(
            status=Status.OPEN.value, total=Decimal("0.00"), due_date=dt.date(2025, 12, 6)))
    assert refresh_past_due(billed) == []
    with pytest.raises(InvoiceStateError, match=r"has nothing to pay \(total 0.00 USD\): it cannot be Past Due"):
        set_status(billed, [made.number], Status.PAST_DUE)
    assert [s.status for s in list_invoices(billed)] == ["open"]
    assert list_invoices(billed, today=dt.date.today() + dt.timedelta(days=30))[0].status == "open"  # nor a forecast
