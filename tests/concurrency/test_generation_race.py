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


def _import_while_pricing(monkeypatch: pytest.MonkeyPatch, importing: Callable[[], object]) -> None:
    """Another analyst's import commits after generation has priced and before it stores (as the
    account test above): the import runs, whole, when generation asks for the customers' locks."""
    from workbench.billing import generate

    real_lock = generate.lock_customers

    def lock_after_the_import(session, ids):
        importing()
        monkeypatch.setattr(generate, "lock_customers", real_lock)  # once
        return real_lock(session, ids)

    monkeypatch.setattr(generate, "lock_customers", lock_after_the_import)


def test_a_report_imported_while_generation_prices_refuses_the_draft(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace], monkeypatch: pytest.MonkeyPatch, tmp_path,
) -> None:
    """Generation prices Beta from cur-2025-10.csv; meanwhile a corrected October file replaces it
    (Beta's 16 October usage now 2.50 USD a line instead of 1.25). Stored as priced, the draft
    would bill the old file while the month counts as billed from the new one, and `verify` would
    find nothing matching. Under the months' lock the reports are read again: Beta is refused,
    and generating again prices the corrected file."""
    from db.worked_example import CUR
    from workbench.billing.store.report_import import import_reports

    from .conftest import LATER, _cur_with_days

    corrected = tmp_path / "cur-2025-10-corrected.csv"
    corrected.write_text(_cur_with_days(CUR, [{**row, "cost": "2.50"} for row in LATER]))
    other = second_analyst(october)
    _import_while_pricing(monkeypatch, lambda: import_reports(other, [corrected]))
    raced = generate_invoices(october, "aws", OCTOBER, [BETA], InvoiceOptions(), today=TODAY)
    assert raced.invoices == ()
    [refusal] = [p for p in raced.problems if p.severity.value == "error"]
    assert (refusal.code, refusal.customer_id) == ("reports-changed", BETA)
    assert "imported cur-2025-10-corrected.csv; superseded cur-2025-10.csv" in refusal.message
    assert _stored(october, BETA) == (0, 0)

    [draft] = generate_invoices(october, "aws", OCTOBER, [BETA], InvoiceOptions(), today=TODAY).invoices
    with october.session() as session:
        invoice = session.get(m.Invoice, draft.invoice_id)
        [current] = session.scalars(select(m.VendorReport).where(m.VendorReport.superseded_by.is_(None)))
        assert current.file_name == corrected.name
        assert invoice.priced_from["reports"] == [current.id]


def test_a_pricebook_imported_while_generation_prices_refuses_the_draft(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace], monkeypatch: pytest.MonkeyPatch, tmp_path,
) -> None:
    """Generation prices Beta with Standard's 15 % default markup; meanwhile the pricebook's 2025-01
    version becomes 25 % (no invoice holds the month yet, so the import is right to accept it).
    Stored as priced, the draft would carry 15 % in a month whose pricebook says 25 %. Under the
    customers' lock the reference data is read again: Beta is refused, and generating again
    prices 25 %."""
    from billing.conftest import write_tables
    from workbench.billing.store.table_import import import_tables

    other = second_analyst(october)
    pricebooks = write_tables(tmp_path, {"pricebooks": """
        pricebook,effective_from,vendor,scope,match,markup_percent
        Standard,2025-01,aws,default,,25
        Standard,2025-01,aws,service,AmazonEC2,10
        Standard,2025-01,aws,sku,USE1-TimedStorage-ByteHrs,-5
    """})

    def import_pricebook() -> None:
        assert [p for p in import_tables(other, pricebooks)[1] if p.severity.value == "error"] == []

    _import_while_pricing(monkeypatch, import_pricebook)
    raced = generate_invoices(october, "aws", OCTOBER, [BETA], InvoiceOptions(), today=TODAY)
    assert raced.invoices == ()
    assert [(p.code, p.customer_id, p.message) for p in raced.problems if p.severity.value == "error"] == [
        ("reference-changed", BETA, "customer 100002's aws pricebook 'Standard' for 2025-10 changed while its invoice "
                                    "was being priced: no draft was stored")]
    assert _stored(october, BETA) == (0, 0)

    [draft] = generate_invoices(october, "aws", OCTOBER, [BETA], InvoiceOptions(), today=TODAY).invoices
    with october.session() as session:
        lines = session.scalars(select(m.InvoiceLine).where(m.InvoiceLine.invoice_id == draft.invoice_id)).all()
    assert Decimal("25") in {line.markup_percent for line in lines}
