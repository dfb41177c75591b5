"""Customer invoices: filter the list, open a statement, move it along the lifecycle, download it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import warnings
from decimal import Decimal

import pytest
from sqlalchemy import select

from exports.helpers import sheet_rows
from exports.plugin_sources import BROKEN, jsonl
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.money import exact_sum, round_minor
from workbench.billing.core.periods import given_month
from workbench.billing.generate import GeneratedInvoice, generate_invoices
from workbench.billing.invoices import approve
from workbench.billing.store import models as m
from workbench.dashboards import build_invoices_app
from workbench.dashboards.ranges import CUSTOM, LAST, MONTH
from workbench.dashboards.text import warning_html

from .conftest import TABLES, TODAY, build_workspace


@pytest.fixture
def october(ws) -> dict[str, GeneratedInvoice]:
    """October drafts for Acme (CAD), Beta and Delta (USD), by customer ID."""
    result = generate_invoices(ws, "aws", given_month("2025-10"), ["100001", "100002", "100004"], InvoiceOptions(),
                               today=TODAY)
    return {inv.customer_id: inv for inv in result.invoices}


def status_of(ws, number: str) -> str:
    with ws.session() as s:
        return s.scalar(select(m.Invoice.status).where(m.Invoice.number == number))


def sent_bytes(app, fmt: str) -> bytes:
    """What the page received for `fmt`: the sender's last file must be it."""
    assert app.downloads.file["key"] == fmt and app.downloads.file["name"] == app.sent[fmt]
    return app.downloads.data


def test_approving_a_draft_with_nothing_due_says_it_is_closed_and_it_can_still_be_voided(ws, tmp_path):
    """Delta's October (46.00 USD) is paid in full by a 100 USD credit: its Approve button
    issues and closes it, and the page says Closed, not Open. Nothing was paid on it, so a Void
    button stays (the only way to lift its period lock), and voiding gives the credit back."""
    from workbench.billing.store.table_import import import_tables

    from .conftest import write_tables

    assert [p for p in import_tables(ws, write_tables(tmp_path / "credits", {"credits": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        100004,C-9,2025-09-15,100.00,USD,general,azure,Azure commitment credit
    """}))[1] if p.severity.value == "error"] == []
    [delta] = generate_invoices(ws, "aws", given_month("2025-10"), ["100004"], InvoiceOptions(apply_credits=True),
                                today=TODAY).invoices
    assert delta.total == Decimal("0.00")
    app = build_invoices_app(ws, today=TODAY)
    app.select(delta.number)
    app.status_buttons[Status.OPEN].click()
    assert status_of(ws, delta.number) == "closed"
    assert app.messages[-1] == f"{delta.number} is now Closed (nothing is due)"
    assert list(app.status_buttons) == [Status.VOID]  # not "Mark Closed (paid)": nothing was paid

    app.status_buttons[Status.VOID].click()  # asks first: a void cannot be undone
    assert status_of(ws, delta.number) == "closed"
    assert app.pending.lines[1] == "the credits it applied come back to Delta LLC: 46.00 USD"
    app.confirm_buttons["confirm"].click()
    assert status_of(ws, delta.number) == "void"
    assert app.messages[-1] == f"{delta.number} is now Void"
    with ws.session() as s:
        balance = exact_sum(e.amount for e in s.scalars(select(m.CreditEntry).where(m.CreditEntry.customer_id == "100004")))
        assert balance == Decimal("100.00")  # the credit that paid it is back
        assert s.scalars(select(m.PeriodLock).where(m.PeriodLock.customer_id == "100004")).all() == []


def test_filter_by_customer_status_and_date_range(ws, october):
    app = build_invoices_app(ws, today=TODAY)
    assert app.range.kind.value == "All dates"
    assert list(app.table.rows) == sorted(i.number for i in october.values())
    assert app.table.cells()[1][:6] == [october["100002"].number, "Beta Ltd (#100002)", "AWS", "2025-10", "Draft", "12.44 USD"]

    app.customer.value = "100002"
    assert [inv.customer_id for inv in app.invoices] == ["100002"]
    app.customer.value = ""
    app.status.value = "open"
    assert app.invoices == [] and app.count.value == "0 invoice(s)"
    app.status.value = "draft"
    assert len(app.invoices) == 3

    app.range.kind.value = MONTH
    assert app.range.month.options == ("2025-10",)  # months that have invoices
    assert len(app.invoices) == 3
    app.range.kind.value = LAST  # October, seen from 2025-11-20
    assert len(app.invoices) == 3
    app.range.kind.value = CUSTOM
    app.range.start.value, app.range.end.value = dt.date(2025, 11, 1), dt.date(2025, 11, 30)
    assert app.invoices == []


def test_the_list_is_a_table_with_columns_newest_period_first(ws, october):
    november = generate_invoices(ws, "aws", given_month("2025-11"), ["100002"], InvoiceOptions(), today=TODAY).invoices[0]
    app = build_invoices_app(ws, today=TODAY)
    table = app.table.widget  # ONE widget model for the whole list, whatever its length
    assert table.columns == ["Number", "Customer", "Vendor", "Period", "Status", "Total", "Due date"]
    assert table.numeric == [5]  # the total is right-aligned
    due = {inv.number: f"{inv.due_date:%Y-%m-%d}" for inv in app.invoices}
    acme, beta, delta = (october[c].number for c in ("100001", "100002", "100004"))
    assert app.table.cells() == [
        [november.number, "Beta Ltd (#100002)", "AWS", "2025-11", "Draft (preliminary)", "6.22 USD", due[november.number]],
        [acme, "Acme Corp (#100001)", "AWS", "2025-10", "Draft", f"{october['100001'].total:.2f} CAD", due[acme]],
        [beta, "Beta Ltd (#100002)", "AWS", "2025-10", "Draft", "12.44 USD", due[beta]],
        [delta, "Delta LLC (#100004)", "AWS", "2025-10", "Draft", f"{october['100004'].total:.2f} USD", due[delta]],
    ]
    assert [key for key, _cells in table.rows] == [november.number, acme, beta, delta]  # what the browser draws
    assert due[beta] == "2025-12-05"  # Beta pays in 15 days from its issue date
    assert table.selected == ""

    app.status.value = "open"
    assert table.rows == [] and table.empty_text == "no invoices match"


def test_clicking_a_row_opens_the_invoice_as_select_does(ws, october):
    beta, delta = october["100002"].number, october["100004"].number
    app = build_invoices_app(ws, today=TODAY)
    app.table.widget.selected = beta  # what a click (or Enter) on Beta's row sends
    assert app.current is not None and app.current.number == beta
    assert app.detail.layout.display == "" and beta in app.statement_html
    assert list(app.status_buttons) == [Status.OPEN]

    app.select(delta)  # the Python way: the row is marked in the page too
    assert app.current.number == delta and app.table.widget.selected == delta and app.table.value == delta
    assert delta in app.statement_html

    app.table.widget.selected = "AWS-209901-99999"  # a forged key that is no row opens nothing
    assert app.current is None and app.table.value is None
    assert app.detail.layout.display == "none" and app.statement_html == ""


def test_a_filter_change_keeps_a_matching_open_invoice_open_and_closes_another(ws, october):
    beta = october["100002"].number
    app = build_invoices_app(ws, today=TODAY)
    app.select(beta)
    app.currency.value = "EUR"
    app.download("csv")
    shown, sent = app.statement_html, dict(app.sent)

    app.status.value = "draft"  # Beta's October invoice is a draft: it stays open, as it was
    assert app.current is not None and app.current.number == beta
    assert app.currency.value == "EUR" and app.statement_html == shown and app.sent == sent
    assert app.detail.layout.display == ""
    app.customer.value = "100002"
    assert app.current.number == beta and app.currency.value == "EUR"

    app.status.value = "open"  # no longer listed: closed
    assert app.current is None and app.detail.layout.display == "none"
    assert app.statement_html == "" and app.sent == {} and app.downloads.file == {}
    app.status.value = "draft"  # listed again, but closed stays closed
    assert app.current is None

    app.select(beta)
    app.status_buttons[Status.OPEN].click()  # the list is re-read: no longer a draft, the "Draft" filter closes it
    assert status_of(ws, beta) == "open" and app.current is None
    app.status.value = ""
    app.select(beta)
    app.status_buttons[Status.CLOSED].click()  # still listed, changed: shown as it is now
    assert app.current is not None and app.current.status == "closed" and app.status_buttons == {}
    assert "Closed" in app.heading.value


def test_view_an_invoice_as_the_customer_sees_it_and_in_another_currency(ws, october):
    beta = october["100002"].number
    app = build_invoices_app(ws, today=TODAY)
    app.select(beta)
    assert app.current is not None and app.current.number == beta
    assert app.detail.layout.display == ""
    assert beta in app.statement_html and "12.44" in app.statement_html
    assert app.statement.value == app.statement_html

    # USD invoice: the workspace has USD->CAD and USD->EUR for October; informational only
    assert [value for _label, value in app.currency.options] == ["", "CAD", "EUR"]
    app.currency.value = "EUR"
    assert "EUR" in app.statement_html and "10.70" in app.statement_html  # 12.44 x 0.8605 = 10.70462
    app.select(october["100001"].number)  # a CAD invoice: no CAD->x rate stored, no choice offered
    assert [value for _label, value in app.currency.options] == [""]
    assert app.currency.layout.display == "none"


def test_status_buttons_follow_the_allowed_transitions_only(ws, october):
    acme = october["100001"].number
    app = build_invoices_app(ws, today=TODAY)
    app.select(acme)
    assert list(app.status_buttons) == [Status.OPEN]  # a draft can only be approved
    app.status_buttons[Status.OPEN].click()
    assert status_of(ws, acme) == "open"
    assert app.messages[-1] == f"{acme} is now Open"
    assert list(app.status_buttons) == [Status.CLOSED, Status.VOID]  # Past Due: not before the due date

    app.change_status(Status.DRAFT)  # no button for it; a forged call is refused by the lifecycle
    assert status_of(ws, acme) == "open"
    assert app.messages[-1].startswith("status not changed: ") and "cannot become Draft" in app.messages[-1]

    app.status_buttons[Status.CLOSED].click()
    assert status_of(ws, acme) == "closed"
    assert app.status_buttons == {}  # closed with something paid is final: no Void button either
    app.change_status(Status.VOID)  # a forged call is refused by the lifecycle
    assert status_of(ws, acme) == "closed"
    assert app.messages[-1] == (f"status not changed: {acme}: an invoice in Closed cannot become Void (allowed from "
                                "Closed: none; it was paid, and a paid invoice is final)")


def test_an_open_invoice_past_its_due_date_becomes_past_due_when_the_list_opens(ws, october):
    beta = october["100002"].number  # Beta pays in 15 days
    late = TODAY + dt.timedelta(days=16)
    build_invoices_app(ws, today=late)
    assert status_of(ws, beta) == "draft"  # a draft is never past due
    app = build_invoices_app(ws, today=TODAY)
    app.select(beta)
    app.status_buttons[Status.OPEN].click()
    later = build_invoices_app(ws, today=late)
    assert later.messages == [f"past their due date, now Past Due: {beta}"]
    assert status_of(ws, beta) == "past_due"


def test_downloads_carry_the_engines_totals(ws, october):
    beta = october["100002"]
    app = build_invoices_app(ws, today=TODAY)
    app.select(beta.number)

    customer_csv = app.download("csv")
    assert customer_csv == ws.output_dir / "downloads" / beta.number / f"{beta.number}.csv"
    rows = list(csv.reader(io.StringIO(customer_csv.read_text(encoding="utf-8-sig"))))
    assert rows[-1] == ["", "Total", "12.44", "USD", beta.number] and Decimal(rows[-1][2]) == beta.total
    assert sent_bytes(app, "csv") == customer_csv.read_bytes()

    detailed = app.download("detailed-csv")
    records = list(csv.DictReader(io.StringIO(detailed.read_text(encoding="utf-8"))))
    lines = [r for r in records if r["record"] == "line"]
    sources = [r for r in records if r["record"] == "source"]
    charges = round_minor(exact_sum(Decimal(r["amount"]) for r in lines if r["kind"] in ("usage", "marketplace", "support")), "USD")
    taxes = exact_sum(Decimal(r["amount_rounded"]) for r in lines if r["kind"] == "tax")
    assert charges + taxes == beta.total  # 11.01 + 1.43
    assert exact_sum(Decimal(r["amount"]) for r in sources) == Decimal(lines[0]["amount"])  # to the penny and beyond

    workbook = app.download("xlsx")
    totals = {row[0]: row[1] for row in sheet_rows(workbook, "Summary") if row and row[0] in ("Subtotal", "Total")}
    wb_total = totals["Total"]
    assert Decimal(str(wb_total)) == beta.total
    # the Detail sheet holds the detailed CSV's records, the vendor rows included, as the CLI's does
    detail = sheet_rows(workbook, "Detail")
    assert sum(1 for row in detail if row and row[1] == "source") == len(sources) > 0
    assert sorted(app.sent) == ["csv", "detailed-csv", "xlsx"]


def test_an_exporter_plugin_is_one_more_download(ws, october, exporter_plugin):
    """The exports docs' JSON-lines plug-in, installed: a button of its own, its media type."""
    exporter_plugin(*jsonl())
    beta = october["100002"]
    app = build_invoices_app(ws, today=TODAY)
    assert [(b.description, fmt) for fmt, b in app.download_buttons.items()] == [
        ("Customer CSV", "csv"), ("Detailed CSV", "detailed-csv"), ("Excel (xlsx)", "xlsx"), ("PDF", "pdf"),
        ("jsonl", "jsonl")]
    app.select(beta.number)

    path = app.download("jsonl")

    assert path == ws.output_dir / "downloads" / beta.number / f"{beta.number}.jsonl"
    assert app.downloads.file["media"] == "application/x-ndjson"
    assert json.loads(sent_bytes(app, "jsonl").splitlines()[-1]) == {
        "invoice": beta.number, "description": "Total", "amount": "12.44"}


def test_a_broken_exporter_plugin_leaves_the_other_downloads_working(ws, october, exporter_plugin):
    exporter_plugin(*BROKEN)
    beta = october["100002"]
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        app = build_invoices_app(ws, today=TODAY)
        app.select(beta.number)
        assert app.download("csv") is not None and app.sent == {"csv": f"{beta.number}.csv"}
    assert list(app.download_buttons) == ["csv", "detailed-csv", "xlsx", "pdf"]
    [warning] = [str(w.message) for w in said]  # once, when the buttons are made
    assert "plug-in broken = no_such_module:Exporter (package broken-exporter 0.1) failed to load" in warning


def test_the_pdf_is_the_month_end_file_when_there_is_one(ws, october):
    acme = october["100001"].number
    app = build_invoices_app(ws, today=TODAY)
    app.select(acme)
    month_end = ws.output_dir / "2025-10" / acme / f"{acme}.pdf"
    month_end.parent.mkdir(parents=True)
    month_end.write_bytes(b"%PDF-1.7 month-end statement of " + acme.encode())
    assert app.download("pdf") == month_end
    assert sent_bytes(app, "pdf") == month_end.read_bytes()
    assert app.sent["pdf"] == f"{acme}.pdf" and app.downloads.file["media"] == "application/pdf"


def test_a_missing_pdf_is_explained_or_rendered(ws, october):
    import importlib.util

    acme = october["100001"].number
    app = build_invoices_app(ws, today=TODAY)
    app.select(acme)
    path = app.download("pdf")
    if importlib.util.find_spec("workbench.render.pdf") is None:
        assert path is None and "pdf" not in app.sent
        assert app.messages[-1].startswith(f"no PDF of {acme} yet")
    else:
        assert path is not None and path.read_bytes().startswith(b"%PDF")
        assert sent_bytes(app, "pdf") == path.read_bytes()


def test_a_file_goes_to_the_page_whole_and_one_too_large_is_said_where_it_is(ws, october, tmp_path, monkeypatch):
    from workbench.dashboards import download

    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 3_000_000)  # past Chromium's 2 MB cap on a data: URL, which links had
    sender = download.FileSender()
    sender.send("detailed-csv", big, "text/csv")
    assert sender.data == big.read_bytes() and sender.file["name"] == "big.csv" and sender.serial == 1

    app = build_invoices_app(ws, today=TODAY)
    app.select(october["100002"].number)
    monkeypatch.setattr(download, "SEND_LIMIT", 100)  # a customer CSV of a few hundred bytes is over it
    path = app.download("csv")
    assert path is not None and path.is_file() and "csv" not in app.sent
    assert app.messages[-1] == f"{path.name} ({path.stat().st_size:,} bytes) is too large to pass through the page (its limit: 100 bytes): it is at {path}"


def test_a_message_goes_when_the_viewer_opens_another_invoice_or_changes_a_filter(ws, october):
    acme, beta = october["100001"].number, october["100002"].number
    app = build_invoices_app(ws, today=TODAY)
    app.select(acme)
    app.status_buttons[Status.OPEN].click()
    assert app.message.value and f"{acme} is now Open" in app.message.value
    app.select(beta)  # "AWS-... is now Open" beside another invoice would mislead
    assert app.message.value == ""

    app.status.value = "draft"
    app.status_buttons[Status.OPEN].click()  # Beta leaves the Draft list: the message stays to say so
    assert f"{beta} is now Open" in app.message.value and app.current is None
    app.status.value = ""
    assert app.message.value == ""


REFUNDED_OCTOBER = [
    ("111111111111", "AmazonEC2", "USE1-BoxUsage:m5.large", "10.00"),
    ("111111111111", "AmazonEC2", "USE1-BoxUsage:m5.large", "-50.00", "Refund"),
    ("222222222222", "AmazonEC2", "USE1-BoxUsage:t3.micro", "10.004999999"),
    ("555555555555", "AmazonS3", "USE1-TimedStorage-ByteHrs", "40.00"),
]
DELTA_CREDIT = """
    customer_id,credit_id,date,amount,currency,kind,earned_on,memo
    100004,C-9,2025-09-15,100.00,USD,general,azure,Azure commitment credit
"""


def cli_due(ws, today: dt.date) -> dict[str, str]:
    """The `due` column of `workbench invoices list`, by invoice number."""
    from click.testing import CliRunner

    from workbench.cli import main

    result = CliRunner().invoke(main, ["invoices", "list", str(ws.root), "--today", today.isoformat()])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("AWS-")]
    return {row.split()[0]: "nothing due" if row.endswith(" nothing due") else row.split()[-1] for row in rows}


def test_an_invoice_with_nothing_due_lists_nothing_due_as_the_cli_does_for_the_analyst_and_the_manager(tmp_path):
    """October, issued on 2025-11-20:

        Acme   10.00 USD of EC2, refunded 50.00 USD: (10.00 - 50.00) x 1.10 x 1.3712, GST and QST:
               -69.37 CAD, owed to Acme (it stays Open, never Past Due)
        Beta   10.004999999 USD of EC2 x 1.10, HST 13 %: 12.44 USD due 2025-12-05 (15 days)
        Delta  40.00 USD of S3 x 1.15, HST 13 %: 51.98 USD, paid by a 100 USD credit: 0.00 (Closed)

    The Due date column said 2025-12-20 for Acme and Delta, as if they had something to pay by
    then. It now says what `workbench invoices list` says, "nothing due", in the analyst's page
    and in the manager's read-only one (60 days later, where Beta shows Past Due); the statement
    beside it and its Excel file say it to the customer, "nothing is due"."""
    ws = build_workspace(tmp_path / "ws", {**TABLES, "credits": DELTA_CREDIT}, {"2025-10": (REFUNDED_OCTOBER, "INV-OCT")})
    made = generate_invoices(ws, "aws", given_month("2025-10"), ["100001", "100002", "100004"],
                             InvoiceOptions(apply_credits=True), today=TODAY).invoices
    acme, beta, delta = (inv.number for inv in made)
    assert [str(inv.total) for inv in made] == ["-69.37", "12.44", "0.00"]
    approve(ws, [acme, beta, delta], today=TODAY)

    app = build_invoices_app(ws, today=TODAY)
    assert app.table.widget.columns[6] == "Due date"
    listed = {cells[0]: (cells[4], cells[5], cells[6]) for cells in app.table.cells()}
    assert listed == {
        acme: ("Open", "-69.37 CAD", "nothing due"),
        beta: ("Open", "12.44 USD", "2025-12-05"),
        delta: ("Closed", "0.00 USD", "nothing due"),
    }
    assert cli_due(ws, TODAY) == {number: due for number, (_status, _total, due) in listed.items()}

    manager = build_invoices_app(ws, read_only=True, today=TODAY + dt.timedelta(days=60))
    assert {cells[0]: (cells[4], cells[6]) for cells in manager.table.cells()} == {
        acme: ("Open", "nothing due"),  # a refund is never Past Due
        beta: ("Past Due", "2025-12-05"),
        delta: ("Closed", "nothing due"),
    }

    # the statement beside the list, and its Excel file, say it to the customer
    manager.select(acme)
    assert "nothing is due" in manager.statement_html and "Due date" not in manager.statement_html
    due = {row[0]: row[1] for row in sheet_rows(manager.download("xlsx"), "Summary") if row and row[0] in ("Due", "Due date")}
    assert due == {"Due": "nothing is due: 69.37 CAD is owed to you (to be refunded or credited)"}


def test_a_void_asks_first_says_what_it_does_and_only_the_confirm_click_voids(ws, october):
    """Beta's October invoice, 12.44 USD, approved (Open). Its Void button used to void at once,
    and a void cannot be taken back: now the first click says what will happen, with "Void
    AWS-202510-00002" and "Cancel"; the reason typed goes to the audit trail, as the CLI's
    `invoices status --to void --reason`."""
    beta = october["100002"].number
    assert beta == "AWS-202510-00002"
    approve(ws, [beta], today=TODAY)
    app = build_invoices_app(ws, today=TODAY)
    app.select(beta)
    assert [b.description for b in app.status_buttons.values()] == ["Mark Closed (paid)", "Void"]

    app.status_buttons[Status.VOID].click()
    assert status_of(ws, beta) == "open"  # one click voids nothing
    assert app.pending is not None and app.pending.text == (
        "voiding AWS-202510-00002 (Beta Ltd, 12.44 USD, Open) cannot be undone: a void invoice stays void, kept "
        "with its number for the record (its statement says VOID, nothing is due)\n"
        "it applied no credits\n"
        "its period, 2025-10, is freed: a corrected invoice can be generated for it; its month-end folder moves "
        "under output/2025-10/void/")
    assert app.confirm_box.layout.display == "" and "cannot be undone" in app.confirm_box.children[0].value
    assert {k: (b.description, b.button_style) for k, b in app.confirm_buttons.items()} == {
        "confirm": ("Void AWS-202510-00002", "danger"), "cancel": ("Cancel", "")}

    app.reason.value = "billed twice"
    app.confirm_buttons["confirm"].click()
    assert status_of(ws, beta) == "void"
    assert app.messages[-1] == "AWS-202510-00002 is now Void"
    assert app.pending is None and app.confirm_box.children == () and app.confirm_box.layout.display == "none"
    assert app.status_buttons == {}  # nothing leaves Void
    with ws.session() as s:
        [event] = s.scalars(select(m.AuditEvent).where(m.AuditEvent.entity_id == beta,
                                                       m.AuditEvent.action == "invoice.status")
                            .order_by(m.AuditEvent.id.desc()).limit(1)).all()
        assert (event.reason, event.details["to"]) == ("billed twice", "void")
        assert s.scalars(select(m.PeriodLock).where(m.PeriodLock.customer_id == "100002")).all() == []


def test_cancel_or_another_invoice_leaves_the_invoice_as_it_was(ws, october):
    acme, beta = october["100001"].number, october["100002"].number
    approve(ws, [acme, beta], today=TODAY)
    app = build_invoices_app(ws, today=TODAY)
    app.select(beta)
    app.status_buttons[Status.VOID].click()
    app.confirm_buttons["cancel"].click()
    assert status_of(ws, beta) == "open"
    assert app.pending is None and app.confirm_box.children == ()
    assert app.messages[-1] == f"cancelled: {beta} is still Open; nothing was changed"
    assert list(app.status_buttons) == [Status.CLOSED, Status.VOID]  # still there for another try

    app.status_buttons[Status.VOID].click()
    confirm = app.confirm_buttons["confirm"]
    app.select(acme)  # the question was about Beta: it goes
    assert app.pending is None and app.confirm_box.children == () and app.confirm_buttons == {}
    confirm.click()  # a click on the closed button (a viewer can send one) voids nothing
    app.confirm()
    assert app.messages[-1] == "nothing to confirm: click the status button again"
    assert (status_of(ws, acme), status_of(ws, beta)) == ("open", "open")

    app.status_buttons[Status.VOID].click()
    app.status_buttons[Status.CLOSED].click()  # another status button: done at once, the question goes
    assert status_of(ws, acme) == "closed" and app.pending is None


def test_approving_a_preliminary_invoice_says_what_it_binds_before_and_after_as_the_billing_page(ws, october):
    """Beta's November draft is priced from usage AWS has not finalised (no invoice id in the
    CUR). Its Approve button used to issue it with "is now Open" only; now it first says what
    issuing it binds, in the words the billing page and `invoices approve` use after an
    approval, then the confirm click issues it and the page says it again, in amber."""
    [november] = generate_invoices(ws, "aws", given_month("2025-11"), ["100002"], InvoiceOptions(), today=TODAY).invoices
    number = november.number
    fix = (f"fix: if the vendor's final report differs, void {number}, then import the report and generate again "
           f"(while {number} stands, the final report is refused as a whole: it would change a billed month)")
    app = build_invoices_app(ws, today=TODAY)
    app.select(number)
    app.status_buttons[Status.OPEN].click()
    assert status_of(ws, number) == "draft"
    assert app.pending.text == (f"{number} (Beta Ltd) would be issued from preliminary aws usage for 2025-11: "
                                f"the vendor has not finalised that month\n{fix}")
    assert app.confirm_buttons["confirm"].description == f"Approve {number}"
    assert app.reason is None  # no reason field for an approval
    assert "wb-warning" in app.confirm_box.children[0].value

    app.confirm_buttons["confirm"].click()
    assert status_of(ws, number) == "open"
    assert app.messages[-1] == (f"{number} is now Open\n{number} (Beta Ltd) is issued from preliminary aws usage "
                                f"for 2025-11: the vendor has not finalised that month\n{fix}")
    # green, then the billing page's amber block (`text.warning_html`: the invoice, then the fix)
    said, lines = app.messages[-1].splitlines()[0], app.messages[-1].splitlines()[1:2]
    assert app.message.value == (f'<div class="wb-message" style="color:#1b5e20">{said}</div>'
                                 + warning_html(lines, fix.removeprefix("fix: ")))


def test_a_final_draft_is_approved_in_one_click(ws, october):
    beta = october["100002"].number
    app = build_invoices_app(ws, today=TODAY)
    app.select(beta)
    app.status_buttons[Status.OPEN].click()
    assert status_of(ws, beta) == "open" and app.pending is None
    assert app.messages[-1] == f"{beta} is now Open"


# --- several drafts at once: tick them, Approve selected / Delete selected ---------------------


def audit_of(ws, number: str) -> list[tuple[str, object]]:
    """The audit trail of one invoice: (action, the status it went to, or None)."""
    with ws.session() as s:
        return [(e.action, (e.details or {}).get("to"))
                for e in s.scalars(select(m.AuditEvent).where(m.AuditEvent.entity_id == number).order_by(m.AuditEvent.id))]


def test_three_drafts_ticked_are_approved_in_one_click_and_the_audit_trail_has_them(ws, october):
    """After the month-end batch: the status filter on Draft lists the three October drafts, each
    with a checkbox below the list; Select all, "Approve selected (3)" issues them in one
    `approve` call (none is preliminary: no question), the message says what became of each and
    the list follows (no drafts left, so the panel goes)."""
    acme, beta, delta = (october[c].number for c in ("100001", "100002", "100004"))
    app = build_invoices_app(ws, today=TODAY)
    app.status.value = "draft"
    assert app.drafts_box.layout.display == "" and list(app.drafts_table.rows) == [acme, beta, delta]
    assert app.drafts_heading.value.startswith("<b>3 drafts listed</b>")
    assert app.approve_selected_button.description == "Approve selected (0)" and app.approve_selected_button.disabled

    app.select_all_button.click()
    assert app.selected_drafts == [acme, beta, delta]
    assert (app.approve_selected_button.description, app.delete_selected_button.description) == (
        "Approve selected (3)", "Delete selected (3)")
    app.approve_selected_button.click()
    assert app.bulk_pending is None  # nothing to ask: final usage
    assert [status_of(ws, n) for n in (acme, beta, delta)] == ["open", "open", "open"]
    assert app.messages[-2:] == ["approving 3 drafts...", f"approved (now Open): {acme}, {beta}, {delta}"]
    for number in (acme, beta, delta):
        assert ("invoice.status", "open") in audit_of(ws, number)
    assert app.invoices == [] and app.drafts_table.rows == {} and app.drafts_box.layout.display == "none"


def test_a_draft_with_nothing_due_comes_back_closed_and_one_approved_elsewhere_is_named(ws, october, tmp_path):
    """Delta's draft is paid in full by a credit: approved with the others it comes back Closed
    (nothing due). Beta, approved from the CLI after the page listed it, is not in the way of the
    others (`approve` is all or none): the page names it and approves the rest."""
    from workbench.billing.store.table_import import import_tables

    from .conftest import write_tables

    assert [p for p in import_tables(ws, write_tables(tmp_path / "credits", {"credits": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        100004,C-9,2025-09-15,100.00,USD,general,azure,Azure commitment credit
    """}))[1] if p.severity.value == "error"] == []
    acme, beta, delta = (october[c].number for c in ("100001", "100002", "100004"))
    from workbench.billing.invoices import delete_drafts
    delete_drafts(ws, [delta])
    [delta] = [inv.number for inv in generate_invoices(ws, "aws", given_month("2025-10"), ["100004"],
                                                       InvoiceOptions(apply_credits=True), today=TODAY).invoices]
    app = build_invoices_app(ws, today=TODAY)
    app.drafts_table.check(None)  # a tick on every row, as the browser sends it
    approve(ws, [beta], today=TODAY)  # meanwhile, from the CLI
    app.approve_selected()
    assert (status_of(ws, acme), status_of(ws, delta)) == ("open", "closed")
    assert app.messages[-1] == (f"approved (now Open): {acme}; approved, nothing due (now Closed): {delta}; "
                                f"not approved: {beta} is Open already")


def test_a_preliminary_draft_in_the_selection_asks_first_and_names_it(ws, october):
    """Beta's November draft is priced from usage AWS has not finalised: approving a selection
    that holds it first says, in the words of the single Approve's question, what issuing it
    binds; "Approve 4 drafts" issues them all, and the page says it again in amber."""
    [november] = generate_invoices(ws, "aws", given_month("2025-11"), ["100002"], InvoiceOptions(), today=TODAY).invoices
    number = november.number
    app = build_invoices_app(ws, today=TODAY)
    app.select_all_button.click()
    app.approve_selected_button.click()
    assert [status_of(ws, n) for n in app.selected_drafts] == ["draft"] * 4  # the click asked, approved nothing
    fix = (f"if the vendor's final report differs, void {number}, then import the report and generate again "
           f"(while {number} stands, the final report is refused as a whole: it would change a billed month)")
    assert app.bulk_pending.text == (
        "approve 4 drafts: 1 of them is priced from preliminary usage\n"
        f"{number} (Beta Ltd) would be issued from preliminary aws usage for 2025-11: the vendor has not finalised "
        f"that month\nfix: {fix}")
    assert {k: b.description for k, b in app.bulk_confirm_buttons.items()} == {"confirm": "Approve 4 drafts",
                                                                                "cancel": "Cancel"}
    assert "wb-warning" in app.bulk_confirm_box.children[0].value

    app.bulk_confirm_buttons["cancel"].click()
    assert app.messages[-1] == "cancelled: nothing was approved; the drafts stay ticked"
    assert status_of(ws, number) == "draft" and len(app.selected_drafts) == 4

    app.approve_selected_button.click()
    app.drafts_table.check([number], False)  # another tick: the question was about four drafts
    assert app.bulk_pending is None and app.bulk_confirm_box.children == ()
    app.confirm_bulk()  # a click on the closed button approves nothing
    assert app.messages[-1] == "nothing to confirm: click Approve selected or Delete selected again"
    assert status_of(ws, number) == "draft"

    app.drafts_table.check([number])
    app.approve_selected_button.click()
    app.bulk_confirm_buttons["confirm"].click()
    assert [status_of(ws, inv.number) for inv in october.values()] == ["open"] * 3 and status_of(ws, number) == "open"
    assert app.messages[-1].splitlines()[1:] == [
        f"{number} (Beta Ltd) is issued from preliminary aws usage for 2025-11: the vendor has not finalised that month",
        f"fix: {fix}"]
    assert ("invoice.status", "open") in audit_of(ws, number)


def test_delete_selected_asks_first_then_deletes_and_frees_the_periods(ws, october):
    acme, beta, delta = (october[c].number for c in ("100001", "100002", "100004"))
    app = build_invoices_app(ws, today=TODAY)
    app.drafts_table.check([acme, delta])
    app.delete_selected_button.click()
    assert (status_of(ws, acme), status_of(ws, delta)) == ("draft", "draft")  # one click deletes nothing
    assert app.bulk_pending.text == (
        "Delete 2 drafts: their periods are freed; this cannot be undone\n"
        f"{acme} (Acme Corp, 2025-10, {october['100001'].total:,.2f} CAD)\n"
        f"{delta} (Delta LLC, 2025-10, {october['100004'].total:,.2f} USD)")
    assert (app.bulk_confirm_buttons["confirm"].description, app.bulk_confirm_buttons["confirm"].button_style) == (
        "Delete 2 drafts", "danger")

    app.bulk_confirm_buttons["confirm"].click()
    assert (status_of(ws, acme), status_of(ws, delta), status_of(ws, beta)) == (None, None, "draft")
    assert app.messages[-1] == f"deleted: {acme}, {delta} (their periods can be generated again)"
    assert [inv.number for inv in app.invoices] == [beta] and list(app.drafts_table.rows) == [beta]
    assert app.selected_drafts == []
    assert audit_of(ws, acme)[-1] == ("invoice.delete", None)
    with ws.session() as s:
        assert sorted(lock.customer_id for lock in s.scalars(select(m.PeriodLock))) == ["100002"]
    again = generate_invoices(ws, "aws", given_month("2025-10"), ["100001", "100004"], InvoiceOptions(), today=TODAY)
    assert len(again.invoices) == 2  # their periods can be billed again


def test_the_drafts_panel_lists_only_drafts_and_nothing_ticked_says_so(ws, october):
    acme, beta = october["100001"].number, october["100002"].number
    approve(ws, [acme], today=TODAY)
    app = build_invoices_app(ws, today=TODAY)
    assert beta in app.drafts_table.rows and acme not in app.drafts_table.rows  # an Open invoice has no checkbox
    app.drafts_table.widget.checked = [acme, beta]  # a forged tick on an invoice that is no listed draft
    assert app.selected_drafts == [beta]
    app.select_none_button.click()
    app.approve_selected()
    assert app.messages[-1] == "select one or more drafts first (tick them, or Select all)"
    app.status.value = "open"
    assert app.drafts_box.layout.display == "none"
