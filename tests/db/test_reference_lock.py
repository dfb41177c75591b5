"""The reference data a generated month was priced from stays as it was, on every database:
an FX rate, a tax rate, a customer's pricebook and currency, its tax jurisdiction. The refusal
names the invoices holding the month, by status, and what releases them; nothing is stored."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from billing.conftest import write_tables

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import approve, delete_drafts, set_status
from workbench.billing.store import models as m
from workbench.billing.store.table_import import import_tables
from workbench.billing.store.workspace import Workspace

from .worked_example import TODAY, load_worked_example

CHANGES = {
    "fx_rates": """
        period,from_currency,to_currency,rate
        2025-10,USD,CAD,1.40
    """,
    "tax_rates": """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-ON,HST,15,2025-01
    """,
    "customer_vendors": """
        customer_id,vendor,pricebook,invoice_currency
        100002,aws,Standard,CAD
    """,
    "customers": """
        customer_id,name,tax_jurisdiction
        100001,Acme Corp,CA-ON
    """,
}


@pytest.fixture
def billed(any_db_workspace: Workspace, tmp_path: Path) -> Workspace:
    """October generated: Acme's draft (USD -> CAD at 1.3712, Quebec taxes), Beta's issued (USD, HST)."""
    ws = load_worked_example(any_db_workspace, tmp_path)
    made = generate_invoices(ws, "aws", given_month("2025-10"), options=InvoiceOptions(include_tax=True), today=TODAY)
    assert [(i.customer_id, i.number) for i in made.invoices] == [("100001", "AWS-202510-00001"), ("100002", "AWS-202510-00002")]
    approve(ws, ["AWS-202510-00002"], today=TODAY)
    return ws


def _stored(ws: Workspace) -> tuple[object, ...]:
    with ws.session() as s:
        return (s.scalar(select(m.FxRate.rate)),
                sorted((t.jurisdiction, t.rate_percent, t.effective_from) for t in s.scalars(select(m.TaxRate))),
                sorted((p.customer_id, p.pricebook, p.invoice_currency) for p in s.scalars(select(m.CustomerVendor))),
                sorted((c.customer_id, c.tax_jurisdiction) for c in s.scalars(select(m.Customer))))


def test_fx_tax_and_profile_changes_for_a_generated_month_wait_for_its_invoices(billed: Workspace, tmp_path: Path) -> None:
    before = _stored(billed)
    summary, problems = import_tables(billed, write_tables(tmp_path, CHANGES))
    assert summary.counts == ()
    # Beta's new pricebook and currency are not refused: its only invoice is issued, and names the
    # pricebook and currency it was made with (a profile is held by drafts alone)
    assert [(p.file, p.code, p.customer_id, p.message, p.fix) for p in problems] == [
        ("customers.csv", "profile-month-closed", "100001",
         "customer 100001's tax jurisdiction would change from CA-QC to CA-ON, but 2025-10 is closed for customer(s) "
         "100001 (Acme Corp) by invoice(s) AWS-202510-00001 (draft)",
         "delete the draft invoice(s) AWS-202510-00001 first, then import again (and generate those invoices anew)"),
        ("fx_rates.csv", "fx-month-closed", "100001",
         "the 2025-10 FX rate USD -> CAD would be 1.40, but 2025-10 is closed for customer(s) 100001 (Acme Corp) by "
         "invoice(s) AWS-202510-00001 (draft)",
         "delete the draft invoice(s) AWS-202510-00001 first, then import again (and generate those invoices anew)"),
        # Beta lives in Ontario, and Acme would (customers.csv): as a pricebook reaches the customers
        # the same import assigns it to
        ("tax_rates.csv", "tax-month-closed", None,
         "tax HST of jurisdiction CA-ON takes effect from 2025-01, but 2025-10 is closed for customer(s) 100001 "
         "(Acme Corp), 100002 (Beta Ltd) by invoice(s) AWS-202510-00001 (draft), AWS-202510-00002 (open)",
         "changes take effect from the current open month: set effective_from to 2025-11 or later; or delete the draft "
         "invoice(s) AWS-202510-00001 and void the issued invoice(s) AWS-202510-00002 (issued invoices never change; "
         "re-issue after) first, then import again (and generate those invoices anew)"),
    ]
    assert _stored(billed) == before

    delete_drafts(billed, ["AWS-202510-00001"])
    set_status(billed, ["AWS-202510-00002"], Status.VOID, today=TODAY, reason="rate and tax corrected")
    summary, problems = import_tables(billed, write_tables(tmp_path, CHANGES))
    assert (problems, summary.changed) == ((), 4)
    again = generate_invoices(billed, "aws", given_month("2025-10"), options=InvoiceOptions(include_tax=True), today=TODAY)
    with billed.session() as s:
        assert sorted((i.customer_id, i.currency, i.fx_rate) for i in s.scalars(
            select(m.Invoice).where(m.Invoice.number.in_([i.number for i in again.invoices])))) == [
            ("100001", "CAD", Decimal("1.40")), ("100002", "CAD", Decimal("1.40"))]


def test_issued_invoices_do_not_hold_their_customers_profile(billed: Workspace, tmp_path: Path) -> None:
    """A customer that moves, or changes pricebook, after its invoices were issued need not void
    them: each recorded its pricebook, currency and jurisdiction, and verifies as issued. A draft
    still holds its customer's profile (it would be issued as priced)."""
    from workbench.billing.integrity import verify

    approve(billed, ["AWS-202510-00001"], today=TODAY)
    summary, problems = import_tables(billed, write_tables(tmp_path, {
        "customer_vendors": CHANGES["customer_vendors"], "customers": CHANGES["customers"]}))
    assert (problems, summary.changed) == ((), 2)
    assert [(r.number, r.ok, r.differences) for r in verify(billed)] == [
        ("AWS-202510-00001", True, []), ("AWS-202510-00002", True, [])]


def test_a_paid_month_keeps_its_rates_and_the_fix_offers_a_later_month(billed: Workspace, tmp_path: Path) -> None:
    """Beta paid October's invoice: Closed with an amount is final, never voided, so the refusal
    does not say to void it; a rate with an effective month can still start after October."""
    set_status(billed, ["AWS-202510-00002"], Status.CLOSED, today=TODAY, reason="paid by wire")
    before = _stored(billed)
    _, problems = import_tables(billed, write_tables(tmp_path, {"tax_rates": CHANGES["tax_rates"]}))
    assert [(p.code, p.customer_id, p.fix) for p in problems] == [(
        "tax-month-closed", "100002",
        "invoice(s) AWS-202510-00002 is paid: a Closed invoice with an amount is final, never voided; changes take "
        "effect from the current open month: set effective_from to 2025-11 or later")]
    assert _stored(billed) == before

    summary, problems = import_tables(billed, write_tables(tmp_path, {"tax_rates": CHANGES["tax_rates"].replace("2025-01", "2025-11")}))
    assert (problems, summary.changed) == ((), 1)
