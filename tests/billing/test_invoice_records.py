"""An invoice keeps what it was made from and whom it names: its detailed rows come from the
reports and accounts it was priced from, and an issued invoice names the customer and the
reseller as they were when it was issued, whatever was imported since."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.money import exact_sum
from workbench.billing.core.periods import given_month
from workbench.billing.exports.view import CustomerContact, InvoiceView, ResellerProfile
from workbench.billing.generate import SourceRowsUnknown, generate_invoices, source_rows
from workbench.billing.invoices import approve, set_status
from workbench.billing.store import models as m
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.table_import import remove_account
from workbench.billing.store.usage_files import UsageUnavailable
from workbench.billing.store.workspace import Workspace
from workbench.render.statement import statement_html

from .conftest import cur_rows, load
from .worked_example import CUR, TODAY

OPTIONS = InvoiceOptions(apply_credits=True, include_marketplace=True)
ISSUED_ON = dt.date(2025, 11, 21)

# the vendor's corrected October report: Acme's EC2 doubled, its S3 gone, a new RDS line
FINAL_CUR = [*[r for r in CUR if r["product"] != "AmazonS3"],
             {"account": "111111111111", "type": "Usage", "product": "AmazonRDS", "family": "Database Instance",
              "usage_type": "USE1-InstanceUsage:db.t3", "cost": "9.99"}]
FINAL_CUR[0] = {**FINAL_CUR[0], "cost": "200.000000002"}


def void_acme(ws: Workspace) -> m.Invoice:
    """Acme's October invoice, issued and voided: its month is free for a corrected invoice."""
    made = generate_invoices(ws, "aws", given_month("2025-10"), ["100001"], OPTIONS, today=TODAY).invoices
    approve(ws, [made[0].number], today=ISSUED_ON)
    set_status(ws, [made[0].number], Status.VOID, today=ISSUED_ON)
    with ws.session() as session:
        return session.scalar(select(m.Invoice).where(m.Invoice.number == made[0].number))


def import_final_report(ws: Workspace, tmp_path: Path) -> None:
    final = tmp_path / "cur-2025-10-final.csv"
    final.write_text(cur_rows(FINAL_CUR, "2025-10", invoice_id="INV-2"))
    assert [f.status.value for f in import_reports(ws, [final]).files] == ["replaced"]


def rows_by_line(ws: Workspace, invoice: m.Invoice) -> dict[int, tuple[set[str], Decimal]]:
    """line position -> (the files its rows come from, the exact sum of their amounts)."""
    files: dict[int, set[str]] = defaultdict(set)
    amounts: dict[int, list[Decimal]] = defaultdict(list)
    for position, row in source_rows(ws, invoice.id):
        files[position].add(str(row["source_file"]))
        amounts[position].append(row["amount"])  # type: ignore[arg-type]
    return {p: (files[p], exact_sum(amounts[p])) for p in files}


def test_a_void_invoice_lists_the_rows_it_was_priced_from_after_its_report_was_replaced(billed, tmp_path):
    invoice = void_acme(billed)
    import_final_report(billed, tmp_path)

    with billed.session() as session:
        lines = {l.position: (l.kind, l.section, l.amount) for l in session.get(m.Invoice, invoice.id).lines
                 if l.kind in ("usage", "marketplace")}
    found = rows_by_line(billed, invoice)
    # every usage line, from the October file it was priced from, adding up to its exact amount
    assert sorted(found) == sorted(lines)
    assert {f for files, _ in found.values() for f in files} == {"cur-2025-10.csv"}
    assert {p: total for p, (_, total) in found.items()} == {p: amount for p, (_, _, amount) in lines.items()}


def test_a_void_invoice_lists_its_rows_after_its_account_left_the_customer(billed):
    invoice = void_acme(billed)
    before = rows_by_line(billed, invoice)
    owner, problems = remove_account(billed, "aws", "111111111111")  # the void released the month
    assert (owner, problems) == ("100001", ())
    assert rows_by_line(billed, invoice) == before != {}


def test_when_the_priced_report_is_gone_the_rows_are_refused_not_taken_from_the_new_file(billed, tmp_path):
    invoice = void_acme(billed)
    import_final_report(billed, tmp_path)
    with billed.session() as session:  # someone cleaned up the replaced file's kept copies
        old = session.scalar(select(m.VendorReport).where(m.VendorReport.file_name == "cur-2025-10.csv"))
        (billed.root / old.stored_path).unlink(missing_ok=True)
        shutil.rmtree((billed.root / old.source_path).parent)

    with pytest.raises(UsageUnavailable, match=r"the usage rows of cur-2025-10\.csv \(aws 2025-10\) are not available: "
                       r".*import cur-2025-10\.csv again"):
        list(source_rows(billed, invoice.id))


def test_an_invoice_from_before_the_record_refuses_its_rows_once_its_report_was_replaced(billed, tmp_path):
    invoice = void_acme(billed)
    with billed.session() as session:  # as an invoice generated before revision 0006
        session.execute(update(m.Invoice).where(m.Invoice.id == invoice.id).values(priced_from=None))
    assert {f for files, _ in rows_by_line(billed, invoice).values() for f in files} == {"cur-2025-10.csv"}

    import_final_report(billed, tmp_path)
    with pytest.raises(SourceRowsUnknown, match=rf"the usage rows behind {invoice.number} cannot be listed: it was "
                       r"generated before invoices recorded the reports .* cur-2025-10-final\.csv replaced "
                       r"cur-2025-10\.csv \(aws/2025-10\)"):
        list(source_rows(billed, invoice.id))


def test_generation_records_the_taxes_reports_and_accounts_an_invoice_is_made_from(billed):
    made = generate_invoices(billed, "aws", given_month("2025-10"), ["100001"], OPTIONS, today=TODAY).invoices
    with billed.session() as session:
        inv = session.scalar(select(m.Invoice).where(m.Invoice.number == made[0].number))
        report = session.scalar(select(m.VendorReport.id))
        assert (inv.tax_jurisdiction, inv.tax_rates, inv.priced_from) == (
            "CA-QC", [["GST", "5"], ["QST", "9.975"]], {"reports": [report], "accounts": ["111111111111"]})
        assert (inv.bill_to, inv.issued_by) == (None, None)  # a draft names the parties as they are now


RENAMED = {
    "customers": """
        customer_id,name,contact_name,contact_email,billing_address
        100001,Acme Holdings Ltd,Zoe Lee,ap@acme-holdings.example,99 New Rd
        100002,Beta Group,Bea Ng,ap@beta-group.example,77 Other Ave
    """,
    "reseller": """
        name,address,contact_email,logo_file,payment_terms_days,portal_url
        Maple Cloud Group,500 Bay St Toronto,ar@maple-group.example,,30,https://portal.maple.example
    """,
}
AS_ISSUED_CUSTOMER = CustomerContact("100001", "Acme Corp", "Ann Smith", "ann@acme.example", "1 Main St")
AS_ISSUED_RESELLER = ResellerProfile("Maple Cloud Partners", "1 King St W Toronto", "billing@maple.example", "")


def views(ws: Workspace, numbers: dict[str, str]) -> dict[str, InvoiceView]:
    with ws.session() as session:
        return {cid: InvoiceView.from_orm(session, session.scalar(select(m.Invoice).where(m.Invoice.number == n)))
                for cid, n in numbers.items()}


def test_an_issued_invoice_keeps_its_bill_to_while_a_draft_shows_the_new_one(billed, tmp_path):
    made = generate_invoices(billed, "aws", given_month("2025-10"), ["100001", "100002"], OPTIONS, today=TODAY).invoices
    numbers = {i.customer_id: i.number for i in made}
    approve(billed, [numbers["100001"]], today=ISSUED_ON)
    load(billed, tmp_path, RENAMED)

    issued, draft = views(billed, numbers).values()
    assert (issued.customer, issued.reseller) == (AS_ISSUED_CUSTOMER, AS_ISSUED_RESELLER)
    assert (draft.customer, draft.reseller) == (
        CustomerContact("100002", "Beta Group", "Bea Ng", "ap@beta-group.example", "77 Other Ave"),
        ResellerProfile("Maple Cloud Group", "500 Bay St Toronto", "ar@maple-group.example", ""))
    # the statement the PDF is printed from
    page = statement_html(issued)
    assert "Acme Corp" in page and "1 Main St" in page and "Maple Cloud Partners" in page
    assert "Acme Holdings" not in page and "99 New Rd" not in page and "Maple Cloud Group" not in page
    assert "Beta Group" in statement_html(draft) and "Maple Cloud Group" in statement_html(draft)

    for status in (Status.PAST_DUE, Status.VOID):  # and so it stays, whatever becomes of it
        set_status(billed, [numbers["100001"]], status, today=dt.date(2026, 1, 5))
        assert views(billed, {"100001": numbers["100001"]})["100001"].customer == AS_ISSUED_CUSTOMER


def test_an_invoice_issued_before_the_record_names_the_parties_as_they_are_now(billed, tmp_path):
    made = generate_invoices(billed, "aws", given_month("2025-10"), ["100001"], OPTIONS, today=TODAY).invoices
    approve(billed, [made[0].number], today=ISSUED_ON)
    with billed.session() as session:  # as an invoice issued before revision 0006
        session.execute(update(m.Invoice).values(bill_to=None, issued_by=None))
    load(billed, tmp_path, RENAMED)
    view = views(billed, {"100001": made[0].number})["100001"]
    assert (view.customer.name, view.reseller.name) == ("Acme Holdings Ltd", "Maple Cloud Group")


def test_month_end_reads_the_rows_once_for_both_exporters_unless_there_are_too_many_to_hold(billed, monkeypatch):
    """`source_row_reader(keep=True)`: the detailed CSV's rows serve the workbook's Detail sheet too
    (the same objects, not read again), up to KEEP_AT_MOST; past it each exporter reads them anew."""
    from workbench.billing import generate

    (made,) = generate_invoices(billed, "aws", given_month("2025-10"), ["100001"], OPTIONS, today=TODAY).invoices
    with billed.session() as session:
        invoice_id = session.scalar(select(m.Invoice.id).where(m.Invoice.number == made.number))

    reader = generate.source_row_reader(billed, invoice_id, keep=True)
    first = list(reader())
    assert len(first) >= 3 and all(a is b for a, b in zip(first, reader(), strict=True))  # kept

    monkeypatch.setattr(generate, "KEEP_AT_MOST", len(first) - 1)
    reader = generate.source_row_reader(billed, invoice_id, keep=True)
    first = list(reader())
    again = list(reader())
    assert again == first and not any(a is b for a, b in zip(first, again, strict=True))  # read again

    reader = generate.source_row_reader(billed, invoice_id, keep=True)
    next(iter(reader()))  # a reader that stopped after one row (an export that failed) keeps nothing
    assert len(list(reader())) == len(first)
