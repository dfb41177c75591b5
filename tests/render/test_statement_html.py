"""The statement page as worked examples: Acme's October invoice (CAD, credits, marketplace,
GST + QST) printed row for row as the customer CSV prints it."""

from __future__ import annotations

import base64
import dataclasses
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from workbench.billing.exports.statement import amount_text, statement_rows
from workbench.nbexport import parse_invoice
from workbench.nbexport.preprocessors import FIGURES_MARKED, mark_figures
from workbench.render.notebook import resolve_logo
from workbench.render import (
    InvoiceLookupError,
    LogoError,
    amounts_by_product_type,
    amounts_chart_svg,
    conversion,
    invoice_json,
    load_invoice,
    statement_html,
)

from .small_workspace import LOGO_PNG

ACME = [
    ("AmazonEC2 USE1-BoxUsage:m5.large", "150.83"),
    ("AmazonS3 USE1-TimedStorage-ByteHrs", "26.70"),
    ("prod-abc123 SoftwareUsage", "54.85"),
    ("Support plan 3%", "25.00"),
    ("Credits applied", "-50.00"),
    ("Subtotal", "207.38"),
    ("GST 5%", "10.37"),
    ("QST 9.975%", "20.69"),
    ("Total", "238.44"),
]


@pytest.fixture
def acme(october):
    ws, made = october
    return load_invoice(ws.root, made["100001"].number)


def table_rows(html: str) -> list[tuple[str, ...]]:
    """(description, amount[, converted]) of each figure row of the lines table."""
    table = BeautifulSoup(html, "html.parser").select_one("table.wb-lines")
    return [tuple(td.get_text(strip=True) for td in tr.find_all("td")) for tr in table.select("tbody tr") if tr.find("td")]


def test_prints_exactly_the_statement_rows(acme):
    html = statement_html(acme)
    assert table_rows(html) == ACME
    assert table_rows(html) == [(r.description, amount_text(r.amount, "CAD", grouped=True)) for r in statement_rows(acme)]
    soup = BeautifulSoup(html, "html.parser")
    sections = [th.get_text() for th in soup.select("tr.wb-section th")]
    assert sections == ["Compute Instance", "Storage", "SaaS", "Support", "Credits", "Tax"]
    meta = {tr.th.get_text(): tr.td.get_text() for tr in soup.select("table.wb-meta tr")}
    assert meta == {
        "Invoice number": "AWS-202510-00001", "Status": "Draft",
        "Billing period": "2025-10 (2025-10-01 to 2025-10-31)", "Issue date": "2025-11-20",
        "Due date": "2025-12-20", "Currency": "CAD",
        # USD usage billed in CAD: at the rate the invoice recorded, the fx_rates row of its month
        "Usage currency": "USD", "Exchange rate": "1 USD = 1.3712 CAD (rate of 2025-10)", "Cloud vendor": "AWS",
    }
    customer = soup.select_one(".wb-customer").get_text(" | ", strip=True)
    assert customer == "Acme Corp | Attn: Ann Smith | 1 Main St | ann@acme.example | Customer ID 100001"
    reseller = soup.select_one(".wb-reseller").get_text(" | ", strip=True)
    assert reseller == "Maple Cloud Partners | 1 King St W Toronto | billing@maple.example"
    assert "<script" not in html and "http" not in html.replace("http://www.w3.org", "")


@pytest.mark.parametrize(("vendor", "named"), [("aws", "AWS"), ("azure", "Azure"), ("gcp", "Google Cloud")])
def test_the_cloud_vendor_goes_by_its_display_name(acme, vendor, named):
    # as the invoice email and the usage explorer name it (it was "AZURE" and "GCP" here)
    soup = BeautifulSoup(statement_html(dataclasses.replace(acme, vendor=vendor)), "html.parser")
    meta = {tr.th.get_text(): tr.td.get_text() for tr in soup.select("table.wb-meta tr")}
    assert meta["Cloud vendor"] == named


def test_a_rounding_difference_row_is_printed_where_the_statement_puts_it(acme):
    # stored figures one cent above the lines: the statement shows it as a rounding row
    shifted = dataclasses.replace(acme, subtotal=Decimal("207.39"), total=Decimal("238.45"))
    rows = table_rows(statement_html(shifted))
    assert rows[5:7] == [("Rounding difference", "0.01"), ("Subtotal", "207.39")]
    assert rows[-1] == ("Total", "238.45")
    doc = invoice_json(shifted)
    assert doc["lines"][-1] == {"section": "", "description": "Rounding difference", "amount": "0.01"}
    assert [t["label"] for t in doc["totals"]] == ["Subtotal", "GST 5%", "QST 9.975%", "Total"]


def test_vendor_and_customer_text_is_escaped(october, acme):
    ws, made = october
    smith = load_invoice(ws.root, made["100003"].number)
    html = statement_html(smith)
    assert "Smith &amp; Sons &lt;Ltd&gt;" in html and "<Ltd>" not in html
    assert "Attn: Eve &quot;&lt;b&gt;&quot; O&#x27;Neil" in html and "<b>" not in html
    hostile = dataclasses.replace(
        acme,
        lines=(dataclasses.replace(acme.lines[0], description="<img src=x onerror=alert(1)>"), *acme.lines[1:]),
        reseller=dataclasses.replace(acme.reseller, name='R&D "Cloud" <i>', logo_file=""),
    )
    html = statement_html(hostile)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "R&amp;D &quot;Cloud&quot; &lt;i&gt;" in html and "<i>" not in html
    assert table_rows(html)[0] == ("<img src=x onerror=alert(1)>", "150.83")


def test_logo_is_embedded_as_a_data_uri(acme, tmp_path):
    img = BeautifulSoup(statement_html(acme), "html.parser").select_one("img.wb-logo")
    assert img["alt"] == "Maple Cloud Partners logo"
    prefix = "data:image/png;base64,"
    assert img["src"].startswith(prefix) and base64.b64decode(img["src"][len(prefix):]) == LOGO_PNG

    no_logo = dataclasses.replace(acme, reseller=dataclasses.replace(acme.reseller, logo_file=""))
    assert "<img" not in statement_html(no_logo)
    missing = dataclasses.replace(acme, reseller=dataclasses.replace(acme.reseller, logo_file=str(tmp_path / "gone.png")))
    with pytest.raises(LogoError, match="gone.png: cannot be read"):
        statement_html(missing)
    (tmp_path / "logo.txt").write_text("not an image")
    text = dataclasses.replace(acme, reseller=dataclasses.replace(acme.reseller, logo_file=str(tmp_path / "logo.txt")))
    with pytest.raises(LogoError, match="not a PNG"):
        statement_html(text)


@pytest.mark.parametrize(
    ("status", "preliminary", "banner"),
    [
        ("draft", False, "DRAFT: not issued yet"),
        ("draft", True, "DRAFT, PRELIMINARY"),
        ("open", True, "PRELIMINARY: built from vendor data"),
        ("void", False, "VOID: this invoice was cancelled"),
        ("open", False, None),
        ("closed", False, None),
    ],
)
def test_status_banner_and_watermark(acme, status, preliminary, banner):
    soup = BeautifulSoup(statement_html(dataclasses.replace(acme, status=status, preliminary=preliminary)), "html.parser")
    shown = soup.select_one(".wb-banner")
    if banner is None:
        assert shown is None and soup.select_one(".wb-watermark") is None
    else:
        assert shown.get_text().startswith(banner)
        assert soup.select_one(".wb-watermark").get_text() == banner.split(":")[0].split(",")[0]


def test_informational_currency_column(october, acme):
    ws, _ = october
    kwargs = conversion(ws.root, acme, "usd")
    assert kwargs == {"display_currency": "USD", "fx_rate": Decimal("0.7293"), "fx_date": "2025-10"}
    html = statement_html(acme, **kwargs)
    # each shown amount x 0.7293, rounded half-up to cents; the total is the total converted
    assert table_rows(html) == [
        ("AmazonEC2 USE1-BoxUsage:m5.large", "150.83", "110.00"),  # 110.000319
        ("AmazonS3 USE1-TimedStorage-ByteHrs", "26.70", "19.47"),  # 19.47231
        ("prod-abc123 SoftwareUsage", "54.85", "40.00"),  # 40.002105
        ("Support plan 3%", "25.00", "18.23"),  # 18.2325
        ("Credits applied", "-50.00", "-36.47"),  # -36.465 (half-up away from zero)
        ("Subtotal", "207.38", "151.24"),  # 151.242234
        ("GST 5%", "10.37", "7.56"),
        ("QST 9.975%", "20.69", "15.09"),
        ("Total", "238.44", "173.89"),  # 173.894292; the converted rows add up to 173.88
    ]
    note = BeautifulSoup(html, "html.parser").select_one(".wb-fx-note").get_text()
    assert "Informational, converted at 1 CAD = 0.7293 USD on 2025-10; the invoice is in CAD." in note
    # the invoice figures do not move, and the machine-readable invoice has no converted amounts
    assert invoice_json(acme)["totals"][-1] == {"label": "Total", "amount": "238.44"}

    assert conversion(ws.root, acme, "") == {} and conversion(ws.root, acme, "CAD") == {}
    assert table_rows(statement_html(acme, **conversion(ws.root, acme, "cad"))) == ACME
    with pytest.raises(InvoiceLookupError, match="no FX rate CAD->GBP for 2025-10: add `2025-10,CAD,GBP,<rate>`"):
        conversion(ws.root, acme, "GBP")
    with pytest.raises(ValueError, match="fx_rate is required"):
        statement_html(acme, display_currency="EUR")


def test_invoice_json_is_the_statement_as_the_csv_exporter_reads_it(acme):
    doc = invoice_json(acme)
    assert doc == {
        "number": "AWS-202510-00001",
        "currency": "CAD",
        "lines": [
            {"section": "Compute Instance", "description": "AmazonEC2 USE1-BoxUsage:m5.large", "amount": "150.83"},
            {"section": "Storage", "description": "AmazonS3 USE1-TimedStorage-ByteHrs", "amount": "26.70"},
            {"section": "SaaS", "description": "prod-abc123 SoftwareUsage", "amount": "54.85"},
            {"section": "Support", "description": "Support plan 3%", "amount": "25.00"},
            {"section": "Credits", "description": "Credits applied", "amount": "-50.00"},
        ],
        "totals": [
            {"label": "Subtotal", "amount": "207.38"},
            {"label": "GST 5%", "amount": "10.37", "section": "Tax"},
            {"label": "QST 9.975%", "amount": "20.69", "section": "Tax"},
            {"label": "Total", "amount": "238.44"},
        ],
    }
    assert parse_invoice(doc).totals[-1].amount == "238.44"


def test_picking_an_invoice(october):
    ws, made = october
    number = made["100002"].number
    by_id = load_invoice(ws, str(made["100002"].invoice_id))
    by_customer = load_invoice(ws.root, "", customer="100002", vendor="aws", period="2025-10")
    assert by_id.number == by_customer.number == number
    with pytest.raises(InvoiceLookupError, match="no invoice 'AWS-1'"):
        load_invoice(ws, "AWS-1")
    with pytest.raises(InvoiceLookupError, match=r"missing: vendor, period"):
        load_invoice(ws, "", customer="100002")
    with pytest.raises(InvoiceLookupError, match="no aws invoice for customer '100002' in 2025-09"):
        load_invoice(ws, customer="100002", vendor="aws", period="2025-09")
    with pytest.raises(InvoiceLookupError, match="workspace parameter is required"):
        load_invoice("", number)


def test_chart_shows_the_statement_amounts_by_product_type(acme):
    assert [(s, str(a)) for s, a in amounts_by_product_type(acme)] == [
        ("Compute Instance", "150.83"), ("Storage", "26.70"), ("SaaS", "54.85"), ("Support", "25.00"),
        ("Credits", "-50.00"),
    ]
    svg = BeautifulSoup(amounts_chart_svg(acme), "html.parser")
    labels = [t.get_text() for t in svg.find_all("text")]
    assert labels[0] == "Amounts by product type (CAD)"
    assert labels[1:] == ["Compute Instance", "150.83", "Storage", "26.70", "SaaS", "54.85", "Support", "25.00",
                          "Credits", "-50.00"]
    bars = svg.find_all("rect")
    widths = [Decimal(b["width"]) for b in bars]
    assert widths[0] == max(widths) and bars[-1]["fill"] != bars[0]["fill"]  # credits: the red bar
    # the negative bar ends at the zero line where the positive bars start
    assert Decimal(bars[-1]["x"]) + widths[-1] == Decimal(bars[0]["x"])


def test_a_long_product_type_fits_left_of_its_bar(acme):
    """AWS product families run long ("Amazon DynamoDB PayPerRequest Throughput"): cut to fit the
    label column, at a generous 7.2 px per 12 px Helvetica character; it lost its first letters."""

    long = "Amazon DynamoDB PayPerRequest Throughput"
    rows = [dataclasses.replace(line, section=long) if i == 0 else line for i, line in enumerate(acme.lines)]
    svg = BeautifulSoup(amounts_chart_svg(dataclasses.replace(acme, lines=tuple(rows))), "html.parser")
    label = next(t for t in svg.find_all("text") if t.get_text().startswith("Amazon"))
    assert label.get_text().endswith("\u2026") and long.startswith(label.get_text()[:-1])
    assert len(label.get_text()) * Decimal("7.2") <= Decimal(label["x"])


def test_a_relative_logo_is_found_in_the_workspace_or_its_imports_folder(acme, tmp_path):
    relative = dataclasses.replace(acme, reseller=dataclasses.replace(acme.reseller, logo_file="brand/logo.png"))
    assert resolve_logo(relative, tmp_path).reseller.logo_file == str(tmp_path / "brand/logo.png")  # named in the error
    (tmp_path / "imports" / "tables" / "brand").mkdir(parents=True)
    (tmp_path / "imports" / "tables" / "brand" / "logo.png").write_bytes(LOGO_PNG)  # beside reseller.csv
    assert resolve_logo(relative, tmp_path).reseller.logo_file == str(tmp_path / "imports/tables/brand/logo.png")
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "logo.png").write_bytes(LOGO_PNG)  # the workspace folder comes first
    assert resolve_logo(relative, tmp_path).reseller.logo_file == str(tmp_path / "brand/logo.png")
    assert resolve_logo(acme, tmp_path) == acme  # already absolute


@pytest.mark.parametrize("display_currency", ["", "usd"])
def test_the_statement_marks_each_figure_cell_the_exporters_would(october, acme, display_currency):
    """Its tables say they marked their figure cells, so `statement-pdf` does not parse them
    again: the cells marked are those the exporters' own search finds, but for descriptions
    that look like a figure to it ("GST 5%"), which stay text (left-aligned either way)."""
    ws, _ = october
    html = statement_html(acme, **conversion(ws.root, acme, display_currency))
    assert html.count("<table") == html.count(f"{FIGURES_MARKED}>") == 2
    assert mark_figures(html) is html

    searched = mark_figures(html.replace(f" {FIGURES_MARKED}", ""))

    def marked(text: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
        """(figure cells, description cells of the lines table), each as (text, marked)."""
        soup = BeautifulSoup(text, "html.parser")
        descriptions = soup.select("table.wb-lines tbody td:first-child")
        cells = [c for c in soup.select("table td, table th") if c not in descriptions]
        return ([(c.get_text(strip=True), "num" in (c.get("class") or [])) for c in cells],
                [(c.get_text(strip=True), "num" in (c.get("class") or [])) for c in descriptions])

    cells, descriptions = marked(html)
    assert cells == marked(searched)[0]
    assert ("238.44", True) in cells and ("Invoice number", False) in cells
    assert not any(number for _, number in descriptions) and ("GST 5%", True) in marked(searched)[1]
