"""Thousands grouped where a person reads the statement, plain where a program reads it.

The statement printed 1262.77 where the dashboards' tables printed 1,426.93. Now the page, its
PDF and the chart group thousands exactly as the dashboards do (`core.money.money_text`), while
the customer CSV, the invoice JSON that `statement-csv` copies and the Excel cells keep the plain
number: the same stored Decimal either way, from the same computation.

The worked example: four October invoices priced at cost from an inline CUR (costs in USD), a
total above 1,000 and one above 1,000,000 in USD (HST 13%) and in JPY (150 JPY to the USD, JCT
10%), with credits above 1,000 on the large ones:

    Kilo Retail (USD)           Mega Logistics (USD)             Sen Shoten (JPY)     Hyakuman Kogyo (JPY)
    EC2          1,117.50       EC2         1,234,567.89         EC2     1,852        EC2        1,481,481
    HST 13%        145.28       S3              2,500.00         JCT 10%   185        Credits      -25,000
    Total        1,262.78       Credits        -1,500.00         Total   2,037        JCT 10%      145,648
                                HST 13%       160,623.83                              Total      1,602,129
                                Total       1,396,191.73
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from billing.conftest import cur_rows, write_tables
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import given_month
from workbench.billing.exports import export_invoice
from workbench.billing.generate import generate_invoices
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.table_import import import_tables
from workbench.billing.store.workspace import Workspace, init_workspace
from workbench.dashboards.text import money
from workbench.render import amounts_chart_svg, invoice_json, load_invoice, statement_html
from workbench.render.pdf import invoice_pdf

from .pdf_text import pdf_text
from .small_workspace import TODAY

TABLES = {
    "reseller": """
        name,address,contact_email,logo_file,payment_terms_days,portal_url
        Maple Cloud Partners,1 King St W Toronto,billing@maple.example,,30,
    """,
    "customers": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        200001,Kilo Retail,Ann Kilo,ann@kilo.example,1 Main St,CA-ON,
        200002,Mega Logistics,Bob Mega,bob@mega.example,2 High St,CA-ON,
        200003,Sen Shoten KK,Aya Sen,aya@sen.example,3 Chome,JP,
        200004,Hyakuman Kogyo KK,Ken Hyaku,ken@hyakuman.example,4 Chome,JP,
    """,
    "customer_vendors": """
        customer_id,vendor,pricebook,invoice_currency
        200001,aws,AtCost,USD
        200002,aws,AtCost,USD
        200003,aws,AtCost,JPY
        200004,aws,AtCost,JPY
    """,
    "accounts": """
        customer_id,vendor,account_id,account_name
        200001,aws,111111111111,kilo
        200002,aws,222222222222,mega
        200003,aws,333333333333,sen
        200004,aws,444444444444,hyakuman
    """,
    "pricebooks": """
        pricebook,effective_from,vendor,scope,match,markup_percent
        AtCost,2025-01,aws,default,,0
    """,
    "tax_rates": """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-ON,HST,13,2020-01
        JP,JCT,10,2020-01
    """,
    "fx_rates": """
        period,from_currency,to_currency,rate
        2025-10,USD,JPY,150
    """,
    "credits": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        200002,C-1,2025-09-15,1500.00,USD,general,azure,Migration credit
        200004,C-2,2025-09-15,25000,JPY,general,azure,Migration credit
    """,
}

EC2 = {"type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:m5.large"}
S3 = {"type": "Usage", "product": "AmazonS3", "family": "Storage", "usage_type": "USE1-TimedStorage-ByteHrs"}
CUR = [
    {**EC2, "account": "111111111111", "cost": "1117.50"},
    {**EC2, "account": "222222222222", "cost": "1234567.891"},
    {**S3, "account": "222222222222", "cost": "2500.004999"},
    {**EC2, "account": "333333333333", "cost": "12.3456"},  # 1,851.84 JPY
    {**EC2, "account": "444444444444", "cost": "9876.54321"},  # 1,481,481.4815 JPY
]

# (description, as the statement shows it, as the CSV carries it), per customer
STATEMENTS = {
    "200001": ("USD", [
        ("AmazonEC2 USE1-BoxUsage:m5.large", "1,117.50", "1117.50"),
        ("Subtotal", "1,117.50", "1117.50"),
        ("HST 13%", "145.28", "145.28"),
        ("Total", "1,262.78", "1262.78"),
    ]),
    "200002": ("USD", [
        ("AmazonEC2 USE1-BoxUsage:m5.large", "1,234,567.89", "1234567.89"),
        ("AmazonS3 USE1-TimedStorage-ByteHrs", "2,500.00", "2500.00"),
        ("Credits applied", "-1,500.00", "-1500.00"),
        ("Rounding difference", "0.01", "0.01"),  # 1,237,067.895999 rounded once is 1,237,067.90
        ("Subtotal", "1,235,567.90", "1235567.90"),
        ("HST 13%", "160,623.83", "160623.83"),  # 13% of 1,235,567.895999
        ("Total", "1,396,191.73", "1396191.73"),
    ]),
    "200003": ("JPY", [
        ("AmazonEC2 USE1-BoxUsage:m5.large", "1,852", "1852"),
        ("Subtotal", "1,852", "1852"),
        ("JCT 10%", "185", "185"),
        ("Total", "2,037", "2037"),
    ]),
    "200004": ("JPY", [
        ("AmazonEC2 USE1-BoxUsage:m5.large", "1,481,481", "1481481"),
        ("Credits applied", "-25,000", "-25000"),
        ("Subtotal", "1,456,481", "1456481"),
        ("JCT 10%", "145,648", "145648"),
        ("Total", "1,602,129", "1602129"),
    ]),
}


@pytest.fixture(scope="module")
def billed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, str]]]:
    root = tmp_path_factory.mktemp("thousands")
    ws = init_workspace(root / "ws", name="thousands")
    tables = root / "tables"
    tables.mkdir()
    _, problems = import_tables(ws, write_tables(tables, TABLES))
    assert [str(p) for p in problems if p.severity.value == "error"] == []
    report = tables / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR, "2025-10"))
    assert [f.status for f in import_reports(ws, [report]).files] == ["imported"]
    result = generate_invoices(ws, "aws", given_month("2025-10"), options=InvoiceOptions(apply_credits=True),
                               today=TODAY)
    assert [str(p) for p in result.problems if p.severity.value == "error"] == []
    yield ws, {i.customer_id: i.number for i in result.invoices}
    ws.close()


def statement_table(html: str) -> list[tuple[str, str]]:
    table = BeautifulSoup(html, "html.parser").select_one("table.wb-lines")
    return [tuple(td.get_text(strip=True) for td in tr.find_all("td")) for tr in table.select("tbody tr") if tr.find("td")]


@pytest.mark.parametrize("customer", list(STATEMENTS))
def test_the_page_groups_thousands_and_the_csv_keeps_the_plain_number(billed, customer, tmp_path):
    ws, numbers = billed
    currency, expected = STATEMENTS[customer]
    view = load_invoice(ws.root, numbers[customer])
    assert view.currency == currency

    # the page (notebook, dashboards, PDF): grouped, as the dashboards print the same figure
    html = statement_html(view)
    assert statement_table(html) == [(description, shown) for description, shown, _ in expected]
    assert statement_table(html)[-1][1] == money(view.total, currency)  # the invoice list's Total column

    # the customer CSV and the invoice JSON: plain, and the very same Decimal
    csv_file = export_invoice(view, "csv", tmp_path)
    rows = list(csv.reader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"))))
    assert [(description, amount) for _, description, amount, _, _ in rows[1:]] == [
        (description, plain) for description, _, plain in expected]
    doc = invoice_json(view)
    assert [t["amount"] for t in doc["totals"]][-1] == expected[-1][2] == format(view.total, "f")
    for _, shown, plain in expected:
        assert Decimal(shown.replace(",", "")) == Decimal(plain)

    # the chart beside the statement writes its bars' amounts the same way
    labels = [t.get_text() for t in BeautifulSoup(amounts_chart_svg(view), "html.parser").find_all("text")]
    assert expected[0][1] in labels


@pytest.mark.parametrize("customer", list(STATEMENTS))
def test_the_pdf_prints_the_grouped_figures(billed, customer, tmp_path):
    ws, numbers = billed
    _, expected = STATEMENTS[customer]
    # pdftotext -layout, without the diagonal DRAFT watermark, whose letters can split a row
    text = pdf_text(invoice_pdf(ws, numbers[customer], out_dir=tmp_path), watermark=False)
    currency, _ = STATEMENTS[customer]
    assert f"Amounts by product type ({currency})" in text  # with its chart, as the month-end PDF
    for description, shown, plain in expected:
        assert re.search(rf"{re.escape(description)}\s+{re.escape(shown)}\n", text), (description, text)
        if "," in shown:
            assert plain not in text


def test_the_workbook_keeps_numbers_not_text(billed, tmp_path):
    """Excel cells stay numbers (grouped only by their number format), the exact plain Decimal."""
    ws, numbers = billed
    view = load_invoice(ws.root, numbers["200002"])
    book = export_invoice(view, "xlsx", tmp_path)
    with zipfile.ZipFile(book) as z:
        sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    for amount in ("1234567.89", "-1500.00", "1396191.73"):
        assert re.search(rf'<c r="[A-Z]+\d+"( s="\d+")?( t="n")?><v>{re.escape(amount)}</v></c>', sheets), amount
    assert "1,396,191.73" not in sheets


def test_the_invoice_notebook_shows_grouped_figures_and_its_csv_stays_plain(billed, tmp_path):
    """The month end's path: notebooks/invoice.ipynb run by papermill, then statement-pdf and
    statement-csv (which refuses grouped figures, so the invoice JSON must stay plain)."""
    import nbformat
    import papermill

    from workbench.batch.kernels import kernel_config
    from workbench.batch.paths import DEFAULT_NOTEBOOK
    from workbench.nbexport import StatementCSVExporter, StatementPDFExporter

    ws, numbers = billed
    _, expected = STATEMENTS["200004"]
    with kernel_config() as config:
        papermill.execute_notebook(str(DEFAULT_NOTEBOOK), str(tmp_path / "out.ipynb"), kernel_name="python3",
                                   parameters={"workspace": str(ws.root), "invoice": numbers["200004"]},
                                   progress_bar=False, config=config)
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    [html] = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert statement_table(html) == [(description, shown) for description, shown, _ in expected]

    pdf, _ = StatementPDFExporter().from_notebook_node(nb, resources={"metadata": {"name": "out"}})
    (tmp_path / "out.pdf").write_bytes(pdf)
    text = pdf_text(tmp_path / "out.pdf")
    assert re.search(r"Total\s+1,602,129\n", text) and "1602129" not in text
    assert re.search(r"Credits applied\s+-25,000\n", text)

    statement_csv, _ = StatementCSVExporter().from_notebook_node(nb)
    rows = list(csv.reader(io.StringIO(statement_csv)))
    assert [(description, amount) for _, description, amount, _, _ in rows[1:]] == [
        (description, plain) for description, _, plain in expected]


def test_the_invoice_email_groups_thousands_as_its_pdf_does(billed):
    """The email that goes with the PDF reads the same figures the same way."""
    from workbench.billing.notify.compose import compose_invoice_open
    from workbench.billing.store import models as m

    ws, numbers = billed
    with ws.session() as session:
        invoice = session.query(m.Invoice).filter_by(number=numbers["200002"]).one()
        email = compose_invoice_open(session, invoice)
    assert email.subject.endswith("(1,396,191.73 USD)")
    for shown in ("1,396,191.73", "-1,500.00", "160,623.83"):
        assert shown in email.text and shown in email.html
    assert "1396191.73" not in email.text + email.html + email.subject


def test_invoices_show_groups_thousands_and_its_json_stays_plain(billed):
    from click.testing import CliRunner

    from workbench.cli import main

    ws, numbers = billed
    shown = CliRunner().invoke(main, ["invoices", "show", str(ws.root), numbers["200002"]])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert re.search(r"^\s+Total\s+1,396,191\.73$", lines[-1]) and "-1,500.00" in shown.output
    doc = CliRunner().invoke(main, ["invoices", "show", str(ws.root), numbers["200002"], "--json"])
    assert '"total": "1396191.73"' in doc.output


def test_the_plain_text_email_keeps_its_amounts_in_one_column(billed):
    """A long product type or a grouped amount wider than the default column does not push its
    amount out of line with the others."""
    from workbench.billing.notify.templates import email_environment, render

    rows = [("product", "Amazon DynamoDB PayPerRequest Throughput", "1,234,567.89"),
            ("product", "Storage", "2,500.00"), ("subtotal", "Subtotal", "-11,237,067.90")]
    from workbench.billing.notify.compose import SummaryRow, text_columns

    summary = [SummaryRow(role, label, amount) for role, label, amount in rows]
    text = render(email_environment(), "invoice_open.txt.j2", {
        "greeting_name": "Bob", "customer_name": "Mega", "number": "AWS-202510-00002", "period": "2025-10",
        "vendor": "AWS", "currency": "USD", "total": "1.00 USD", "issue_date": "", "due_date": "", "nothing_due": False, "preliminary": False,
        "summary": summary, "portal_link": "", "reseller_name": "Maple", "reseller_email": "",
        **text_columns(summary)})
    lines = [line for line in text.splitlines() if line.startswith("  ") and line.rstrip().endswith(tuple("0123456789"))]
    lines = [line for line in lines if any(r[1] in line for r in rows)]
    assert len(lines) == 3 and len({len(line) for line in lines}) == 1, lines  # right-aligned in one column
