"""Issued invoices are sealed and re-derivable; every change is in the audit trail."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from decimal import Decimal as Dec

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.integrity import verify
from workbench.billing.invoices import InvoiceStateError, approve, delete_drafts, list_invoices, set_status
from workbench.billing.store import models as m
from workbench.billing.store.audit import events
from workbench.cli import main

from .conftest import load
from .worked_example import TODAY

OPTIONS = InvoiceOptions(apply_credits=True, include_marketplace=True)


def issue_all(ws):
    made = generate_invoices(ws, "aws", given_month("2025-10"), options=OPTIONS, today=TODAY, actor="user:ann").invoices
    approve(ws, [i.number for i in made], today=dt.date(2025, 11, 21), actor="user:bob")
    return {i.customer_id: i.number for i in made}


def test_issued_invoices_verify_and_tampering_is_found(billed):
    numbers = issue_all(billed)
    assert [(r.number, r.ok) for r in verify(billed)] == sorted((n, True) for n in numbers.values())

    # someone edits a stored total behind the workbench's back
    with billed.session() as s:
        s.execute(update(m.Invoice).where(m.Invoice.number == numbers["100002"]).values(total=m.Invoice.total))
        inv = s.query(m.Invoice).filter_by(number=numbers["100002"]).one()
        inv.total = inv.total + 1
    found = {r.number: r for r in verify(billed)}
    assert found[numbers["100001"]].ok
    tampered = found[numbers["100002"]]
    assert [(d.what, d.stored, d.derived) for d in tampered.differences if d.what == "total"] == [("total", "42.26", "41.26")]
    assert any(d.what == "seal figures" for d in tampered.differences)


def test_verify_checks_the_month_end_files_against_their_manifest(billed):
    """A month-end folder holds `<number>.done.json` with the sha256 of each file (see
    workbench/batch/month_end.py); a file changed or gone afterwards is a difference."""
    number = issue_all(billed)["100001"]
    folder = billed.output_dir / "2025-10" / number
    folder.mkdir(parents=True)
    detailed = folder / f"{number}.csv"
    detailed.write_bytes(b"line,amount\n" + b"x,1.00\n" * 1_000_000)  # 7 MB: hashed in several blocks
    statement = folder / f"{number}.pdf"
    statement.write_bytes(b"%PDF-1.7 statement")
    manifest = {"files": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (detailed, statement)}}
    (folder / f"{number}.done.json").write_text(json.dumps(manifest))
    assert {r.number: r.ok for r in verify(billed)}[number]

    detailed.write_bytes(detailed.read_bytes() + b"y,2.00\n")
    statement.unlink()
    found = {r.number: r for r in verify(billed)}[number]
    assert [(d.what, d.stored, d.derived) for d in found.differences] == [
        (f"file {detailed.name}", manifest["files"][detailed.name][:16],
         hashlib.sha256(detailed.read_bytes()).hexdigest()[:16]),
        (f"file {statement.name}", manifest["files"][statement.name][:16], "missing")]


def test_a_retroactive_pricebook_edit_shows_up_to_the_cent(billed):
    numbers = issue_all(billed)
    with billed.session() as s:  # bypasses the closed-month check on purpose
        rule = s.query(m.PricebookRule).filter_by(scope="default").one()
        rule.markup_percent = rule.markup_percent + 1
    result = {r.number: r for r in verify(billed)}[numbers["100002"]]
    # RDS at the default rule: 10.004999999 x 1.15 = 11.51 stored, x 1.16 = 11.61 derived
    assert [(d.what, d.stored, d.derived) for d in result.differences if d.what != "lines"] == [
        ("subtotal", "36.51", "36.61"), ("tax_total", "4.75", "4.76"), ("total", "41.26", "41.37")]
    lines = next(d for d in result.differences if d.what == "lines")
    assert "db.t3 11.51" in lines.stored and "db.t3 11.61" in lines.derived


def test_every_change_is_audited_with_who_and_why(billed):
    made = generate_invoices(billed, "aws", given_month("2025-10"), ["100001", "100002"], OPTIONS, today=TODAY, actor="user:ann").invoices
    approve(billed, [made[0].number], today=TODAY, actor="user:bob")
    delete_drafts(billed, [made[1].number], actor="user:bob", reason="wrong options")
    trail = [(e.actor, e.action, e.entity_id) for e in events(billed) if e.action.startswith(("invoice.", "credit.apply"))]
    assert trail == [
        ("user:ann", "invoice.generate", made[0].number),
        ("user:ann", "credit.apply", "100001"),
        ("user:ann", "invoice.generate", made[1].number),
        ("user:bob", "invoice.status", made[0].number),
        ("user:bob", "invoice.delete", made[1].number),
    ]
    deleted = [e for e in events(billed, action="invoice.delete")][0]
    assert (deleted.reason, deleted.details["total"]) == ("wrong options", "41.26")
    # table imports are audited too (the fixture imported pricebooks and credits)
    assert {e.action for e in events(billed, action="pricebooks")} == {"pricebooks.inserted"}


def test_open_invoices_become_past_due_automatically(billed):
    numbers = issue_all(billed)
    assert {i.status for i in list_invoices(billed, today=dt.date(2025, 12, 1))} == {"open"}
    # Beta has 15-day terms from 2025-11-21: due 2025-12-06
    statuses = {i.customer_id: i.status for i in list_invoices(billed, today=dt.date(2025, 12, 7))}
    assert statuses == {"100001": "open", "100002": "past_due"}
    assert [(e.actor, e.entity_id) for e in events(billed, action="invoice.status") if e.details["to"] == "past_due"] == [
        ("system:past-due", numbers["100002"])]


def test_a_day_in_the_future_forecasts_past_due_and_stores_nothing(billed):
    """`invoices list --today 2099-01-01` asks "what will be overdue by then?": it shows those
    invoices as Past Due and changes no status, since Past Due cannot be taken back."""
    made = generate_invoices(billed, "aws", given_month("2025-10"), options=OPTIONS, today=TODAY).invoices
    real_today = dt.date.today()
    approve(billed, [i.number for i in made], today=real_today)  # due in 30 days (Acme), 15 days (Beta)
    future = real_today + dt.timedelta(days=20)
    forecast = {i.customer_id: i.status for i in list_invoices(billed, today=future)}
    assert forecast == {"100001": "open", "100002": "past_due"}
    assert [i.customer_id for i in list_invoices(billed, today=future, status=Status.PAST_DUE)] == ["100002"]
    assert {i.status for i in list_invoices(billed)} == {"open"}  # still stored as Open
    assert [e for e in events(billed, action="invoice.status") if e.details["to"] == "past_due"] == []
    # nor can it be stored by hand with a day to come (`invoices status --to past_due --today ...`)
    beta = next(i.number for i in made if i.customer_id == "100002")
    with pytest.raises(InvoiceStateError, match="it can be Past Due from"):
        set_status(billed, [beta], Status.PAST_DUE, today=future)
    assert {i.status for i in list_invoices(billed)} == {"open"}


def test_an_invoice_is_not_marked_past_due_before_its_due_date(billed):
    numbers = issue_all(billed)
    # Beta has 15-day terms from 2025-11-21: due 2025-12-06
    with pytest.raises(InvoiceStateError, match="due 2025-12-06: it can be Past Due from 2025-12-07"):
        set_status(billed, [numbers["100002"]], Status.PAST_DUE, today=dt.date(2025, 12, 6))
    assert [s.status for s in set_status(billed, [numbers["100002"]], Status.PAST_DUE, today=dt.date(2025, 12, 7))] == [
        "past_due"]


def test_verify_taxes_with_the_jurisdiction_the_invoice_recorded_not_the_customers_new_one(billed, tmp_path):
    numbers = issue_all(billed)
    load(billed, tmp_path, {"customers": """
        customer_id,name,tax_jurisdiction
        100001,Acme Corp,CA-ON
    """})  # Acme moved from Quebec (GST + QST) to Ontario (HST) after its October invoice was issued
    results = verify(billed)
    assert {r.number: r.differences for r in results} == {n: [] for n in numbers.values()}
    assert [r.notes for r in results] == [[], []]  # re-derived from the invoices' own record alone


def test_verify_taxes_with_the_rates_the_invoice_recorded_not_a_rate_imported_since(billed, tmp_path):
    numbers = issue_all(billed)
    # a rate stored afterwards, in force from before October (the import refuses it now that
    # October is closed: tax-month-closed; a workspace may hold one from before that check)
    with billed.session() as s:
        s.add(m.TaxRate(jurisdiction="CA-ON", tax_name="HST", effective_from="2025-09", rate_percent=Dec("15")))
    results = verify(billed)
    assert {r.number: r.differences for r in results} == {n: [] for n in numbers.values()}
    assert [r.notes for r in results] == [[], []]  # re-derived from the invoices' own record alone


def test_an_invoice_from_before_its_taxes_were_recorded_is_verified_with_todays_and_says_so(billed, tmp_path):
    numbers = issue_all(billed)
    with billed.session() as s:  # as invoices generated before revision 0006
        s.execute(update(m.Invoice).values(tax_rates=None, tax_jurisdiction=None))
    assert all(r.ok for r in verify(billed))
    # Acme moved to New York (its issued invoice recorded no jurisdiction, so the import refuses
    # the move now: profile-month-closed; a workspace may hold one from before that check)
    with billed.session() as s:
        s.execute(update(m.Customer).where(m.Customer.customer_id == "100001").values(tax_jurisdiction="US-NY"))
        s.add(m.TaxRate(jurisdiction="US-NY", tax_name="Sales tax", effective_from="2020-01", rate_percent=Dec("4")))
    acme = {r.number: r for r in verify(billed)}[numbers["100001"]]
    # GST + QST as issued; 4 % of 207.41 now, in cents as the invoice shows them (8.30, not 8.3)
    assert [(d.what, d.stored, d.derived) for d in acme.differences if d.what != "lines"] == [
        ("tax_total", "31.06", "8.30"), ("total", "238.44", "215.68")]
    assert acme.notes == ["taxes: the invoice was generated before invoices recorded their tax rates; re-derived "
                          "with today's tax table of jurisdiction US-NY for 2025-10"]
    shown = CliRunner().invoke(main, ["verify", str(billed.root), numbers["100001"]])
    assert shown.exit_code == 1
    assert shown.stdout.splitlines()[:3] == [
        f"{numbers['100001']}: DIFFERS", "  tax_total: stored 31.06 CAD, derived 8.30 CAD",
        "  total: stored 238.44 CAD, derived 215.68 CAD"]
    assert shown.stdout.splitlines()[-1] == ("  note: taxes: the invoice was generated before invoices recorded their tax "
                                             "rates; re-derived with today's tax table of jurisdiction US-NY for 2025-10")


def test_an_invoice_sealed_with_the_first_customer_csv_layout_still_verifies_and_says_so(billed):
    """Invoices issued before the customer CSV gained its Currency and Invoice Number columns were
    sealed with the three-column file: verify accepts that seal (the figures are the same) and
    notes it; any other digest is still a difference."""
    from workbench.billing.exports.customer_csv import customer_csv_bytes
    from workbench.billing.exports.view import InvoiceView

    numbers = issue_all(billed)
    with billed.session() as s:
        inv = s.query(m.Invoice).filter_by(number=numbers["100001"]).one()
        first_layout = hashlib.sha256(customer_csv_bytes(InvoiceView.from_orm(s, inv), layout=1)).hexdigest()
        s.execute(update(m.InvoiceSeal).where(m.InvoiceSeal.invoice_id == inv.id, m.InvoiceSeal.name == "customer.csv")
                  .values(sha256=first_layout))
    acme = {r.number: r for r in verify(billed)}[numbers["100001"]]
    assert (acme.ok, acme.notes) == (True, [
        "customer.csv: sealed in the file's first layout (before the Currency and Invoice Number columns and the "
        "No charge row); that file matches its seal"])
    with billed.session() as s:
        s.execute(update(m.InvoiceSeal).where(m.InvoiceSeal.name == "customer.csv").values(sha256="0" * 64))
    assert all(any(d.what == "seal customer.csv" for d in r.differences) for r in verify(billed))


def test_an_invoice_sealed_with_the_second_customer_csv_layout_still_verifies_and_says_so(workspace, tmp_path):
    """Invoices issued in December 2026 were sealed with the file that folded every line shown as
    0.00 into "No charge", what they cost left to the rounding difference. Beta's October has two
    CloudWatch metrics at 0.003 USD (+15%: 0.00345 each, 0.0069 together), so that file and
    today's differ (Small items, 0.01): verify accepts the older seal and notes it."""
    from workbench.billing.exports.customer_csv import customer_csv_bytes
    from workbench.billing.exports.view import InvoiceView
    from workbench.billing.store.report_import import import_reports

    from .conftest import cur_rows
    from .worked_example import CUR, TABLES

    load(workspace, tmp_path, TABLES)
    metrics = [{"account": "222222222222", "type": "Usage", "product": "AmazonCloudWatch", "family": "Metric",
                "usage_type": f"USE1-CW:{kind}", "cost": "0.003"} for kind in ("MetricMonitorUsage", "Requests")]
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR + metrics, "2025-10"))
    import_reports(workspace, [report])
    numbers = issue_all(workspace)
    with workspace.session() as s:
        inv = s.query(m.Invoice).filter_by(number=numbers["100002"]).one()
        view = InvoiceView.from_orm(s, inv)
        assert [r[:3] for r in csv.reader(io.StringIO(customer_csv_bytes(view).decode("utf-8-sig")))][1:4] == [
            ["Database Instance", "AmazonRDS USE1-InstanceUsage:db.t3", "11.51"],
            ["Small items", "2 items under 0.01 each (itemised in the detailed CSV)", "0.01"],
            ["Support", "Support plan 3%", "25.00"]]
        second_layout = hashlib.sha256(customer_csv_bytes(view, layout=2)).hexdigest()
        s.execute(update(m.InvoiceSeal).where(m.InvoiceSeal.invoice_id == inv.id, m.InvoiceSeal.name == "customer.csv")
                  .values(sha256=second_layout))
    beta = {r.number: r for r in verify(workspace)}[numbers["100002"]]
    assert (beta.ok, beta.notes) == (True, [
        "customer.csv: sealed in the file's second layout (every line shown as 0.00 under No charge, before the "
        "Small items row; look-alike lines told apart by line number); that file matches its seal"])
