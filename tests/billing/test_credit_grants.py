"""Changing a credit grant in credits.csv: allowed, but never below what invoices already use, and
never finer than its currency's minor unit.

The worked example grants Acme 50.00 CAD (C-1); October's invoice uses all of it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import delete_drafts
from workbench.billing.store import models as m
from workbench.billing.store.table_import import import_tables

from .worked_example import TODAY

HEADER = "customer_id,credit_id,date,amount,currency,kind,earned_on,memo"


def credits_file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "credits.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def grants(ws) -> list[tuple[str, str, str]]:
    with ws.session() as session:
        return [(e.customer_id, e.credit_id, format(e.amount, "f"))
                for e in session.scalars(select(m.CreditEntry).where(m.CreditEntry.invoice_id.is_(None)))]


def test_a_grant_cannot_shrink_below_what_invoices_use(billed, tmp_path):
    made = generate_invoices(billed, "aws", given_month("2025-10"), options=InvoiceOptions(apply_credits=True),
                             today=TODAY).invoices
    acme = next(i for i in made if i.customer_id == "100001")
    before = grants(billed)
    _summary, problems = import_tables(billed, [credits_file(tmp_path, "100001,C-1,2025-09-15,10.00,CAD,general,azure,cut")])
    assert [(p.code, p.file, p.row, p.customer_id) for p in problems] == [("credit-in-use", "credits.csv", 1, "100001")]
    assert problems[0].message == (f"customer 100001's general credit in CAD would be 40.00 CAD short of what invoices "
                                   f"already use ({acme.number})")
    assert grants(billed) == before  # nothing changed

    delete_drafts(billed, [acme.number])  # the credit returns; now the grant may shrink
    _summary, problems = import_tables(billed, [credits_file(tmp_path, "100001,C-1,2025-09-15,10.00,CAD,general,azure,cut")])
    assert problems == ()
    assert ("100001", "C-1", "10.00") in grants(billed)


def test_a_grant_may_grow_while_in_use(billed, tmp_path):
    generate_invoices(billed, "aws", given_month("2025-10"), options=InvoiceOptions(apply_credits=True), today=TODAY)
    _summary, problems = import_tables(billed, [credits_file(tmp_path, "100001,C-1,2025-09-15,80.00,CAD,general,azure,more")])
    assert problems == ()
    assert ("100001", "C-1", "80.00") in grants(billed)


def test_a_grant_finer_than_its_currency_is_refused(billed, tmp_path):
    _summary, problems = import_tables(billed, [credits_file(
        tmp_path, "100001,C-2,2025-10-01,10.005,CAD,general,,", "100002,C-3,2025-10-01,5.5,USD,general,,")])
    assert [(p.code, p.row, p.message) for p in problems] == [
        ("bad-credit", 1, "credit amount 10.005 CAD has more decimals than CAD has (2)")]
    assert [g for g in grants(billed) if g[1] in ("C-2", "C-3")] == []  # all or nothing


def test_the_shortfall_reads_as_money(workspace, tmp_path):
    """Acme is granted 1,500.00 CAD and has 2,000 USD more of EC2, so October's invoice uses the
    whole grant; cutting it to 10.00 leaves 1,490.00 CAD short, said as every amount is shown
    (`money_text` and the code), not as 1490.00."""
    from workbench.billing.store.report_import import import_reports

    from .conftest import cur_rows, load
    from .worked_example import CUR, TABLES

    load(workspace, tmp_path, {**TABLES, "credits": f"{HEADER}\n100001,C-1,2025-09-15,1500.00,CAD,general,azure,grant"})
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows([*CUR, {**CUR[0], "cost": "2000"}], "2025-10"))
    import_reports(workspace, [report])
    made = generate_invoices(workspace, "aws", given_month("2025-10"), options=InvoiceOptions(apply_credits=True),
                             today=TODAY).invoices
    acme = next(i for i in made if i.customer_id == "100001")
    _summary, problems = import_tables(workspace, [credits_file(tmp_path, "100001,C-1,2025-09-15,10.00,CAD,general,azure,cut")])
    assert [p.message for p in problems] == [
        f"customer 100001's general credit in CAD would be 1,490.00 CAD short of what invoices already use ({acme.number})"]


def test_the_shortfall_names_no_void_invoice(billed, tmp_path):
    """October's first invoice used C-1 and was voided (its 50.00 CAD came back); the second uses
    it now. Cutting the grant is short of the second only: the void one uses no credit."""
    import datetime as dt

    from workbench.billing.core.lifecycle import Status
    from workbench.billing.invoices import approve, set_status

    def acme():
        made = generate_invoices(billed, "aws", given_month("2025-10"), ["100001"], InvoiceOptions(apply_credits=True),
                                 today=TODAY).invoices
        return made[0].number

    voided = acme()
    approve(billed, [voided], today=dt.date(2025, 11, 21))
    set_status(billed, [voided], Status.VOID)
    standing = acme()
    _summary, problems = import_tables(billed, [credits_file(tmp_path, "100001,C-1,2025-09-15,10.00,CAD,general,azure,cut")])
    assert [p.message for p in problems] == [
        f"customer 100001's general credit in CAD would be 40.00 CAD short of what invoices already use ({standing})"]
