"""The workbook, read back twice: its raw XML (what the file holds, exactly) and through openpyxl
(styles, number formats, frozen panes, widths; openpyxl's reader turns numbers into float, so
no figure is compared through it)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from openpyxl.utils.datetime import to_excel

from workbench.billing.core.credits import CreditBalance, ForeignCredit
from workbench.billing.core.invoice import InvoiceOptions, Tax
from workbench.billing.core.money import EXACT, D
from workbench.billing.core.pricebook import PricebookVersion, Rule, SupportPlan
from workbench.billing.exports import InvoiceView, SourceRow, SourceRows, export_invoice
from workbench.billing.exports import xlsx as xlsx_module

from .helpers import EngineInvoice

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def raw_sheets(path: Path) -> dict[str, list[list[str]]]:
    """Each sheet as rows of the exact text stored in the file (inline strings, or the <v> of numbers)."""
    with zipfile.ZipFile(path) as z:
        workbook = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels.findall("rel:Relationship", NS)}
        sheets: dict[str, list[list[str]]] = {}
        for sheet in workbook.findall("m:sheets/m:sheet", NS):
            target = targets[sheet.get(f"{{{NS['r']}}}id")].lstrip("/")
            xml = ElementTree.fromstring(z.read(target if target.startswith("xl/") else f"xl/{target}"))
            rows: list[list[str]] = []
            for row in xml.findall("m:sheetData/m:row", NS):
                rows.extend([] for _ in range(int(row.get("r", "0")) - 1 - len(rows)))  # empty rows are left out
                cells: list[str] = []
                for c in row.findall("m:c", NS):
                    column = column_index(c.get("r", ""))
                    cells.extend([""] * (column - len(cells)))
                    if c.get("t") == "inlineStr":
                        text = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
                    else:
                        v = c.find("m:v", NS)
                        text = v.text or "" if v is not None else ""
                    cells.append(text)
                rows.append(cells)
            sheets[sheet.get("name", "")] = rows
    return sheets


def column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)
    assert letters is not None
    index = 0
    for ch in letters.group():
        index = index * 26 + ord(ch) - 64
    return index - 1


def serial(day: dt.date | dt.datetime) -> str:
    return "%.16g" % to_excel(day)  # how openpyxl writes a date: its Excel serial number


# +12.5% on everything, support 3% (no minimum), GST 5%; USD usage billed in USD at a rate one
# part in 10^18 off 1, so that every exact amount is long and any float on the way would show.
STANDARD = PricebookVersion("Standard", "aws", "2025-07", rules=(Rule("default", "", D("12.5")),),
                            support=SupportPlan(percent=D("3")))
FX = "1.000000000000000001"
TAXES = [Tax("GST", D("5"))]

# EC2 is two CUR rows (1097392.999 and 1.8E-9): x 1.125 x FX = 1234567.123875002026... (1234567.12);
# S3 0.208 -> 0.234000...000234 (0.23); support 3% of the exact usage = 37037.02073625006... (37037.02).
# Charges 1271604.378611252... round once to 1271604.38, a cent over the 1271604.37 shown;
# GST 5% of the exact charges = 63580.2189... -> 63580.22; total 1271604.38 + 63580.22 = 1335184.60.
OCTOBER = """
section | service   | sku         | description         | quantity | unit  | vendor_cost        | marketplace | source_rows
Compute | AmazonEC2 | BoxUsage:m5 | Amazon EC2 m5.large | 2.5      | Hrs   | 1097392.9990000018 | no          | 2
Storage | AmazonS3  | Storage     | =Amazon S3          | 10       | GB-Mo | 0.208              | no          | 1
"""

SOURCE = [
    SourceRow(1, "cur.csv", 7, "111122223333", dt.datetime(2025, 10, 1, 6), "AmazonEC2", "BoxUsage:m5", "hours",
              D("2.5"), "Hrs", D("1097392.999"), D("12.5"), D(FX), D("1234567.123875000001234567123875")),
    SourceRow(1, "cur.csv", 8, "111122223333", dt.datetime(2025, 10, 2, 6), "AmazonEC2", "BoxUsage:m5", "rounding",
              D("0"), "Hrs", D("1.8E-9"), D("12.5"), D(FX), D("2.0250000000000000020250E-9")),
]


def october(engine_invoice: EngineInvoice, source_rows: SourceRows | None = None) -> InvoiceView:
    return engine_invoice(OCTOBER, pricebook=STANDARD, fx_rate=FX, taxes=TAXES, source_rows=source_rows)


def test_workbook_sheets_hold_the_stored_figures_exactly(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    invoice = october(engine_invoice, source_rows=lambda: SOURCE)

    path = export_invoice(invoice, "xlsx", tmp_path)

    assert path == tmp_path / "AWS-2025-10-00001.xlsx"
    sheets = raw_sheets(path)
    assert list(sheets) == ["Summary", "Lines", "Detail"]
    assert sheets["Summary"] == [
        ["Item", "Value"],
        ["Reseller", "Northwind Cloud Partners"],
        ["Reseller address", "1 Harbour St, Halifax NS"],
        ["Reseller contact", "billing@northwind.example"],
        ["Customer", "Acme Corp"],
        ["Customer ID", "C-1001"],
        ["Customer contact", "Jo Doe <jo@acme.example>"],
        ["Billing address", "5 Main St"],
        ["Invoice number", "AWS-2025-10-00001"],
        ["Vendor", "AWS"],  # as the statement names the vendor, not the stored code
        ["Period", "October 2025"],
        ["Status", "Draft"],
        ["Currency", "USD"],  # usage in USD too: no usage currency, no exchange rate
        ["Issue date", serial(dt.date(2025, 11, 7))],
        ["Due date", serial(dt.date(2025, 12, 7))],
        ["Pricebook", "Standard"],
        ["Pricebook version", "2025-07"],
        [],
        ["Totals", "Amount (USD)"],
        ["Rounding difference", "0.01"],
        ["Subtotal", "1271604.38"],
        ["Tax: GST 5%", "63580.22"],
        ["Total", "1335184.60"],
    ]
    assert sheets["Lines"] == [
        ["Product Type", "Description", "Service", "SKU", "Quantity", "Unit", "Amount (USD)"],
        ["Compute", "Amazon EC2 m5.large", "AmazonEC2", "BoxUsage:m5", "2.5", "Hrs", "1234567.12"],
        ["Storage", "=Amazon S3", "AmazonS3", "Storage", "10", "GB-Mo", "0.23"],
        ["Support", "Support plan 3%", "", "", "", "", "37037.02"],
        ["", "Rounding difference", "", "", "", "", "0.01"],
        ["", "Subtotal", "", "", "", "", "1271604.38"],
        ["Tax", "GST 5%", "", "", "", "", "63580.22"],
        ["", "Total", "", "", "", "", "1335184.60"],
    ]
    detail = sheets["Detail"]
    assert detail[0][:3] == ["invoice", "record", "line_position"]
    assert detail[1] == ["AWS-2025-10-00001", "line", "1", "Compute", "usage", "AmazonEC2", "BoxUsage:m5",
                         "Amazon EC2 m5.large", "", "", "", "", "2.5", "Hrs", "1097392.9990000018", "USD", "12.5",
                         "1.000000000000000001", "1234567.1238750020262345671238750020250", "1234567.12", "USD",
                         "137174.1248750002251371741248750002250", "Standard 2025-07 default: +12.5%", "2"]
    assert detail[3] == ["AWS-2025-10-00001", "line", "3", "Support", "support", "", "", "Support plan 3%",
                         "", "", "", "", "0", "", "0", "USD", "0", "1.000000000000000001",
                         "37037.02073625006078703702073625006075", "37037.02", "USD", "0", "", "0"]
    assert detail[5] == ["AWS-2025-10-00001", "source", "1", "Compute", "usage", "AmazonEC2", "BoxUsage:m5", "hours",
                         "cur.csv", "7", "111122223333", serial(dt.datetime(2025, 10, 1, 6)), "2.5", "Hrs",
                         "1097392.999", "USD", "12.5", "1.000000000000000001", "1234567.123875000001234567123875",
                         "", "USD"]
    assert detail[6] == ["AWS-2025-10-00001", "source", "1", "Compute", "usage", "AmazonEC2", "BoxUsage:m5", "rounding",
                         "cur.csv", "8", "111122223333", serial(dt.datetime(2025, 10, 2, 6)), "0", "Hrs",
                         "0.0000000018", "USD", "12.5", "1.000000000000000001", "0.0000000020250000000000000020250",
                         "", "USD"]
    assert len(detail) == 1 + 4 + 2
    # to the penny: the two CUR rows add up exactly to the engine's line 1
    assert EXACT.add(D(detail[5][18]), D(detail[6][18])) == D(detail[1][18])


@pytest.mark.parametrize(("vendor", "shown"), [("azure", "Azure"), ("gcp", "Google Cloud")])
def test_the_vendor_row_names_the_vendor_as_the_statement_does(engine_invoice: EngineInvoice, tmp_path: Path,
                                                                vendor: str, shown: str) -> None:
    invoice = dataclasses.replace(october(engine_invoice), vendor=vendor)

    path = export_invoice(invoice, "xlsx", tmp_path)

    assert ["Vendor", shown] in raw_sheets(path)["Summary"]


def test_text_cells_are_never_formulas(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    invoice = october(engine_invoice)

    path = export_invoice(invoice, "xlsx", tmp_path)

    with zipfile.ZipFile(path) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet2.xml").decode()


def test_layout_bold_frozen_headers_widths_and_formats(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    invoice = october(engine_invoice, source_rows=lambda: SOURCE)

    wb = load_workbook(export_invoice(invoice, "xlsx", tmp_path))

    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(cell.font.b for cell in ws[1])
    lines = wb["Lines"]
    assert int(lines.column_dimensions["B"].width) == 48  # 48.7109375: what Excel stores for a width of 48
    assert [lines.cell(row, 7).number_format for row in range(2, 9)] == ["#,##0.00"] * 7
    assert lines["B6"].font.b and lines["G6"].font.b  # Subtotal
    assert not lines["B2"].font.b
    assert wb["Summary"]["B15"].number_format == "yyyy-mm-dd"
    detail = wb["Detail"]
    assert detail["T2"].number_format == "#,##0.00"  # amount_rounded
    assert detail["S2"].number_format == "General"  # amount, unrounded
    assert detail["L6"].number_format == "yyyy-mm-dd hh:mm:ss"


@pytest.mark.parametrize(("currency", "fx_rate", "vendor_cost", "rounded", "number_format"), [
    ("JPY", "150.35", "8.21", "1234", "#,##0"),  # 1234.3735
    ("KWD", "0.3086", "4.0", "1.234", "#,##0.000"),  # 1.2344
])
def test_number_format_follows_the_minor_unit(
    engine_invoice: EngineInvoice, tmp_path: Path, currency: str, fx_rate: str, vendor_cost: str, rounded: str,
    number_format: str,
) -> None:
    invoice = engine_invoice(
        f"""
        section | service | sku | description | quantity | unit | vendor_cost   | marketplace | source_rows
        Compute | EC2     | m5  | EC2         | 1        | Hrs  | {vendor_cost} | no          | 1
        """,
        pricebook=PricebookVersion("At cost", "aws", "2025-07"), currency=currency, usage_currency="USD",
        fx_rate=fx_rate,
    )
    assert (invoice.subtotal, invoice.total) == (D(rounded), D(rounded))

    path = export_invoice(invoice, "xlsx", tmp_path)

    assert raw_sheets(path)["Lines"][1][6] == rounded
    wb = load_workbook(path)
    assert wb["Lines"]["G2"].number_format == number_format
    assert wb["Summary"]["A24"].value == "Total"
    assert wb["Summary"]["B24"].number_format == number_format
    assert wb["Detail"]["T2"].number_format == number_format


def test_usage_in_another_currency_shows_the_rates_the_invoice_recorded(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    # USD usage billed in CAD at 1.3712, and a 50.00 EUR credit at 1.47 CAD per EUR (it pays 73.50),
    # as the statement's header prints them: the rates of 2025-10 that the invoice recorded.
    invoice = engine_invoice(
        """
        section | service   | sku | description | quantity | unit | vendor_cost | marketplace | source_rows
        Compute | AmazonEC2 | m5  | Amazon EC2  | 1        | Hrs  | 100         | no          | 1
        """,
        pricebook=PricebookVersion("At cost", "aws", "2025-07"), currency="CAD", usage_currency="USD",
        fx_rate="1.3712", options=InvoiceOptions(apply_credits=True),
        balance=CreditBalance(foreign=(ForeignCredit("EUR", D("1.47"), general=D("50")),)),
    )

    summary = raw_sheets(export_invoice(invoice, "xlsx", tmp_path))["Summary"]

    assert summary[12:17] == [
        ["Currency", "CAD"],
        ["Usage currency", "USD"],
        ["Exchange rate (1 USD in CAD)", "1.3712"],
        ["Exchange rate, EUR credits (1 EUR in CAD)", "1.47"],
        ["Exchange rate period", "2025-10"],
    ]
    assert summary[-2:] == [["Subtotal", "63.62"], ["Total", "63.62"]]  # 137.12 - 73.50


@pytest.mark.parametrize(
    ("credit", "refund", "due", "total"),
    [
        ("0", "0", ["Due date", serial(dt.date(2025, 12, 7))], "103.00"),  # 100 at cost + 3% support
        ("103", "0", ["Due", "nothing is due"], "0.00"),  # a 103.00 credit pays it all
        # a 150.00 refund: 100 - 150 = -50.00 (no support fee below zero), which the reseller owes the customer
        ("0", "-150", ["Due", "nothing is due: 50.00 USD is owed to you (to be refunded or credited)"], "-50.00"),
    ],
)
def test_the_summary_says_nothing_is_due_instead_of_a_due_date_when_nothing_is(
        engine_invoice: EngineInvoice, tmp_path: Path, credit: str, refund: str, due: list[str], total: str) -> None:
    """As the statement and the email say it: a 0.00 invoice, or a refund, has nothing to pay by a date."""
    invoice = engine_invoice(
        f"""
        section | service   | sku | description       | quantity | unit | vendor_cost | marketplace | source_rows
        Compute | AmazonEC2 | m5  | Amazon EC2        | 1        | Hrs  | 100         | no          | 1
        Compute | AmazonEC2 | m5  | Amazon EC2 refund | 0        | Hrs  | {refund}    | no          | 1
        """,
        pricebook=PricebookVersion("At cost", "aws", "2025-07", support=SupportPlan(percent=D("3"))),
        options=InvoiceOptions(apply_credits=True), balance=CreditBalance(general=D(credit)),
    )

    summary = raw_sheets(export_invoice(invoice, "xlsx", tmp_path))["Summary"]

    assert summary[13:15] == [["Issue date", serial(dt.date(2025, 11, 7))], due]
    assert summary[-1] == ["Total", total]


def test_detail_beyond_the_worksheet_row_limit_says_how_many_rows_are_missing(
    engine_invoice: EngineInvoice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_module, "EXCEL_MAX_ROWS", 6)  # header + 4 records + the note
    rows = [SOURCE[0]] * 5
    invoice = october(engine_invoice, source_rows=lambda: rows)

    detail = raw_sheets(export_invoice(invoice, "xlsx", tmp_path))["Detail"]

    assert [r[1] for r in detail[1:5]] == ["line"] * 4
    assert detail[5] == ["5 more records not shown: a worksheet holds 6 rows; the detailed CSV has them all"]


def test_failed_workbook_leaves_no_spooled_sheet_behind(
    engine_invoice: EngineInvoice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))

    def broken() -> list[SourceRow]:
        raise OSError("usage store unavailable")

    invoice = october(engine_invoice, source_rows=broken)
    out = tmp_path / "out"

    with pytest.raises(OSError, match="usage store unavailable"):
        export_invoice(invoice, "xlsx", out)
    assert list(out.iterdir()) == []
    assert list(spool.iterdir()) == []


def test_vendor_text_stays_text_control_characters_and_links_too(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    """A bell character (which XML forbids) becomes U+FFFD; a URL is not made a hyperlink."""
    invoice = engine_invoice(
        """
        section | service   | sku | description                | quantity | unit | vendor_cost | marketplace | source_rows
        Compute | AmazonEC2 | m5  | EC2 \x07bell                | 1        | Hrs  | 1           | no          | 1
        Storage | AmazonS3  | s3  | https://aws.amazon.com/s3/ | 1        | GB   | 1           | no          | 1
        """,
        pricebook=PricebookVersion("At cost", "aws", "2025-07"),
    )

    path = export_invoice(invoice, "xlsx", tmp_path)

    with zipfile.ZipFile(path) as z:
        lines_xml = z.read("xl/worksheets/sheet2.xml").decode()
        assert "\x07" not in lines_xml
        assert "xl/worksheets/_rels/sheet2.xml.rels" not in z.namelist()  # no hyperlinks
    descriptions = [row[1].value for row in load_workbook(path)["Lines"].iter_rows(min_row=2, max_row=3)]
    assert descriptions == ["EC2 \N{REPLACEMENT CHARACTER}bell", "https://aws.amazon.com/s3/"]


# --- rows written whole (`put_row`) against XlsxWriter's own cell writers ----------------------

# Every kind of value a sheet gets, and the text XlsxWriter escapes or treats specially.
TRICKY_ROWS: list[tuple[object, ...]] = [
    ("a & b < c > d \"quoted\"", " leading", "trailing ", "tab\there", "line\nbreak", "carriage\rreturn"),
    ("_x0041_ is text, not an escape", "\ufffe and \uffff", "bell \x07", "receipt \N{RECEIPT}", "=1+1", "https://x.example"),
    (D("1.8E-9"), D("-0.000000000000000001"), D("0E-18"), D("123456789012345678901234.567890123456789"), 42, -7),
    (10**17, dt.datetime(2025, 10, 1, 6, 30, 15), dt.date(2025, 10, 31), None, None, "after two empty cells"),
    # whitespace other than the space at either end, "_x" that is no escape; the same moments again
    ("\N{NO-BREAK SPACE}leading", "trailing\N{IDEOGRAPHIC SPACE}", "snake_x_case", "r\u00e9sum\u00e9 \N{EURO SIGN}",
     dt.datetime(2025, 10, 1, 6, 30, 15), dt.date(2025, 10, 31)),
    (None, None, None),  # no cell at all: no row
    ("x" * 20_000, "a string XlsxWriter checks for its 32k limit: its own writers take the row"),
    ("<r>looks like rich text</r>", "XlsxWriter's own writers take this row too"),
    ("", "an empty string is a cell"),
]


def sheet_xml(tmp_path: Path, direct: bool, monkeypatch: pytest.MonkeyPatch, whole: list[bool]) -> dict[str, bytes]:
    """TRICKY_ROWS written by `_Sheet.append` with rows whole (direct) or cell by cell; `whole`
    gets put_row's answer for each row it was asked to write."""
    monkeypatch.setattr(xlsx_module._Sheet, "direct", direct)
    put_row = xlsx_module._ExactNumbers.put_row

    def answering(self: xlsx_module._ExactNumbers, row: int, cells: list[xlsx_module.Cell]) -> bool:
        whole.append(put_row(self, row, cells))
        return whole[-1]

    monkeypatch.setattr(xlsx_module._ExactNumbers, "put_row", answering)
    path = tmp_path / f"direct-{direct}.xlsx"
    book = xlsx_module.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
    styles = xlsx_module._Styles(book)
    sheet = xlsx_module._Sheet(styles, "Tricky", [12] * 6)
    sheet.header(["one", "two", "three", "four", "five", "six"])
    money, bold = styles("#,##0.00"), styles(bold=True)
    for row in TRICKY_ROWS:
        sheet.append(row, [money, None, bold, money, None, None])
        sheet.append(row)
    book.close()
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist() if name.startswith("xl/")}


def test_rows_written_whole_are_byte_for_byte_what_xlsxwriters_cell_writers_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole: list[bool] = []
    direct = sheet_xml(tmp_path, True, monkeypatch, whole)
    cell_by_cell = sheet_xml(tmp_path, False, monkeypatch, [])

    assert direct == cell_by_cell
    # every row was written whole but the two long-or-rich ones (twice each), and the header
    assert whole.count(False) == 4 and whole.count(True) == 2 * len(TRICKY_ROWS) - 4 + 1
    text = direct["xl/worksheets/sheet1.xml"].decode()  # the comparison saw escaping at work
    assert "<t>a &amp; b &lt; c &gt; d \"quoted\"</t>" in text and '<t xml:space="preserve"> leading</t>' in text
    assert "_x005F_x0041_" in text and "_xFFFE_" in text and "_x000D_" in text
    assert "<v>123456789012345678901234.567890123456789</v>" in text


def test_a_whole_invoice_workbook_is_the_same_written_either_way(
    engine_invoice: EngineInvoice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice = october(engine_invoice, source_rows=lambda: SOURCE)
    written = {}
    for direct in (True, False):
        monkeypatch.setattr(xlsx_module._Sheet, "direct", direct)
        path = export_invoice(invoice, "xlsx", tmp_path / str(direct))
        with zipfile.ZipFile(path) as z:
            written[direct] = {name: z.read(name) for name in z.namelist() if name.startswith("xl/")}

    assert written[True] == written[False]
    assert b"<v>1234567.123875000001234567123875</v>" in written[True]["xl/worksheets/sheet3.xml"]
