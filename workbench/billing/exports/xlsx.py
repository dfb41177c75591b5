"""The workbook: Summary, Lines and Detail sheets, streamed with XlsxWriter (`constant_memory`).

- Summary: reseller, customer, invoice header, then the totals block of the statement.
- Lines: the same statement rows as the customer CSV (`statement_rows`), plus service, SKU and
  quantity, so the sheet and the CSV cannot disagree.
- Detail: the same records as the detailed CSV (`detail_records`), streamed row by row.

Why XlsxWriter: it is the writer pandas and polars use, its output is tested against files Excel
itself saved, and it writes a cell in about half of openpyxl's time (an invoice of 20,000 usage
rows: 9.4 -> 5.3 s; openpyxl keeps reading workbooks: reference tables, tests).

Exact numbers. XlsxWriter formats a number with `{:.16G}`: a Decimal keeps at most 16
significant digits that way (an unrounded amount has more) and 1.8E-9 comes out in exponent
form. `_ExactNumbers` therefore writes the exact `format(d, 'f')` text into the cell's `<v>`
element (overriding XlsxWriter's private `_xml_number_element`; `tests/exports/
test_export_xlsx.py` reads the raw XML, so an XlsxWriter change that breaks this fails a test).
What happens next is outside our hands: Excel, LibreOffice and openpyxl's reader parse `<v>`
into an IEEE 754 double (about 15-17 significant digits) when they open the file. Rounded
amounts (at most 15 digits) survive that exactly; unrounded ones in Detail may show a
last-digit difference in Excel. The detailed CSV is the exact reference for reconciliation.

Text is always written as text (`write_string`): vendor text starting with "=" is never a formula
and a URL never a hyperlink. Control characters, which XML forbids, become U+FFFD (XlsxWriter
would escape them as `_x0007_`, which Excel reads back but openpyxl, and so pandas, show as is).

Speed. XlsxWriter's cell writers check their arguments and keep a cell table per cell (about
8 us a cell: 60 ms of a 450-row Detail sheet, the largest piece of a month end's exports). A row
is therefore written as one piece of XML (`_ExactNumbers.put_row`) that is, byte for byte, what
those writers would write for it (`tests/exports/test_export_xlsx.py` compares the two on every
kind of value); a row it does not treat the same way goes through the writers themselves. Most
text is printable and so needs none of XlsxWriter's three regular-expression checks (control
characters, `_xHHHH_`, whitespace at either end); cell styles and the serial numbers of dates are
worked out once per sheet. An invoice of 20,000 usage rows: 2.0-2.2 -> 1.0-1.4 s.

Number formats follow the invoice currency's minor unit: `#,##0` (JPY), `#,##0.00` (USD),
`#,##0.000` (KWD). Unrounded amounts, quantities and rates use `General`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from workbench.billing.core.money import minor_unit
from workbench.billing.core.usage import Vendor

from .atomic import atomic_path
from .detail import DETAIL_COLUMNS, DetailValue, detail_records
from .statement import StatementRow, statement_rows
from .view import InvoiceView

__all__ = ["XlsxExporter", "EXCEL_MAX_ROWS", "money_format"]

EXCEL_MAX_ROWS = 1_048_576  # rows in one worksheet, header included
GENERAL = "General"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XML 1.0 forbids of ASCII
# what XlsxWriter's _escape_control_characters changes: "_xHHHH_" text, control characters, U+FFFE/F
_XLSX_ESCAPED = re.compile("_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")

_column_name = functools.cache(xl_col_to_name)  # 0 -> "A", 26 -> "AA"

Cell = tuple[int, "DetailValue | dt.date", "Format | None"]  # (column, value, format) of a cell that is not empty


def money_format(currency: str) -> str:
    decimals = minor_unit(currency)
    return "#,##0" + ("." + "0" * decimals if decimals else "")


class _ExactNumbers(Worksheet):
    """A worksheet that stores a Decimal's exact text in `<v>`; see the module doc."""

    def __init__(self) -> None:
        super().__init__()
        self._styles: dict[tuple[int, Format | None], str] = {}  # (column, format) -> ' s="..."'
        self._serials: dict[dt.date, str] = {}  # a naive date or datetime -> its serial's text

    def _xml_number_element(self, number: Any, attributes: Any = ()) -> None:
        if not isinstance(number, Decimal):
            super()._xml_number_element(number, list(attributes))
            return
        attrs = "".join(f' {key}="{self._escape_attributes(value)}"' for key, value in attributes)
        self.fh.write(f"<c{attrs}><v>{number:f}</v></c>")

    def put_row(self, row: int, cells: Sequence[Cell]) -> bool:
        """Write row `row` (its cells in column order) as one piece: the XML that write_string,
        write_number and write_datetime would write for it, in constant_memory mode. False, with
        nothing written, for a row those writers treat otherwise: one with row formatting, a
        string they would truncate (over 32k) or take for rich text ("<r>...</r>"), a number that
        is not finite, a row they would refuse or that already holds cells."""
        if not cells:
            return True  # an empty row is no row, as with the writers
        first, last = cells[0][0], cells[-1][0]
        if (not self.constant_memory or row in self.row_info or row < self.previous_row or self.table.get(row)
                or row >= self.xls_rowmax or first < 0 or last >= self.xls_colmax):
            return False
        longest = self.xls_strmax // 2
        number = str(row + 1)
        styles = self._styles
        parts = []
        for column, value, cell_format in cells:  # nothing written until every cell is known to fit
            if isinstance(value, str):
                if len(value) > longest or (value.startswith("<r>") and value.endswith("</r>")):
                    return False
                if value.isprintable() and "_x" not in value:
                    # the common text: nothing to escape but &, < and >, and no whitespace but the
                    # space (the only printable one) for _preserve_whitespace to find at either end
                    space = ' xml:space="preserve"' if value[:1] == " " or value[-1:] == " " else ""
                else:
                    if _XLSX_ESCAPED.search(value):
                        value = self._escape_control_characters(value)
                    space = ' xml:space="preserve"' if _preserve_whitespace(value) else ""
                if "&" in value or "<" in value or ">" in value:
                    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                kind, body = ' t="inlineStr"', f"<is><t{space}>{value}</t></is>"
            elif isinstance(value, Decimal):
                if not value.is_finite():
                    return False
                kind, body = "", f"<v>{value:f}</v>"
            elif isinstance(value, dt.date):  # datetime too
                cell_format = cell_format or self.default_date_format
                kind, body = "", f"<v>{self._serial(value)}</v>"
            else:  # int
                kind, body = "", f"<v>{value:.16G}</v>"
            style = styles.get((column, cell_format))
            if style is None:
                style = styles[column, cell_format] = self._style(column, cell_format)
            parts.append(f'<c r="{_column_name(column)}{number}"{style}{kind}>{body}</c>')
        self._check_dimensions(row, first)
        self._check_dimensions(row, last)
        if row > self.previous_row:
            self._write_single_row(row)  # the row before, if the writers hold one
        self._write_row(row, None)
        self.fh.write("".join(parts))
        self._xml_end_tag("row")
        return True

    def _serial(self, moment: dt.date) -> str:
        """A date's or datetime's Excel serial number as XlsxWriter writes it; a naive one's
        remembered (a Detail sheet has thousands of rows, and few distinct hours)."""
        if isinstance(moment, dt.datetime) and moment.tzinfo is not None:  # aware ones equal across zones
            return f"{self._convert_date_time(moment):.16G}"
        serial = self._serials.get(moment)
        if serial is None:
            serial = self._serials[moment] = f"{self._convert_date_time(moment):.16G}"
        return serial

    def _style(self, column: int, cell_format: Format | None) -> str:
        """The cell's s="..." attribute, chosen as XlsxWriter's _write_cell chooses it (a
        format's index, once given, stays: `put_row` remembers what this returns)."""
        if cell_format:
            return f' s="{cell_format._get_xf_index()}"'
        info = self.col_info.get(column)
        if info is not None and info.column_format is not None:
            return f' s="{info.column_format._get_xf_index()}"'
        return ""


class _Styles:
    """The workbook's cell formats, each made once: (number format, bold) -> Format."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self._made: dict[tuple[str, bool], Format | None] = {}

    def __call__(self, number_format: str = GENERAL, bold: bool = False) -> Format | None:
        key = (number_format, bold)
        if key not in self._made:
            properties: dict[str, object] = {"bold": True} if bold else {}
            if number_format != GENERAL:
                properties["num_format"] = number_format
            self._made[key] = self.book.add_format(properties) if properties else None
        return self._made[key]


class _Sheet:
    """One worksheet written row after row: a bold header row, frozen, and fixed column widths."""

    direct = True  # rows through `put_row`; False: through XlsxWriter's cell writers (the reference)

    def __init__(self, styles: _Styles, name: str, widths: Iterable[int]) -> None:
        self.ws: Worksheet = styles.book.add_worksheet(name, worksheet_class=_ExactNumbers)
        self.styles = styles
        self.row = 0
        self._date, self._datetime = styles(DATE_FORMAT), styles(DATETIME_FORMAT)
        for column, width in enumerate(widths):
            self.ws.set_column(column, column, width)
        self.ws.freeze_panes(1, 0)  # the header row stays in view

    def append(self, values: Iterable[DetailValue | dt.date], formats: Sequence[Format | None] = ()) -> None:
        """One row: text as text, Decimal and int as numbers, dates as dates, None as an empty cell;
        `formats[column]` styles a column's cell (a date's format is its own)."""
        cells: list[Cell] = []
        for column, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str):
                if not value.isprintable():  # (printable text has no control characters)
                    value = CONTROL_CHARACTERS.sub("\N{REPLACEMENT CHARACTER}", value)
                cells.append((column, value,
                              formats[column] if formats else None))
            elif isinstance(value, dt.datetime):
                cells.append((column, value, self._datetime))
            elif isinstance(value, dt.date):
                cells.append((column, value, self._date))
            else:  # Decimal or int
                cells.append((column, value, formats[column] if formats else None))
        if not (self.direct and self.ws.put_row(self.row, cells)):
            self._write_cells(cells)
        self.row += 1

    def _write_cells(self, cells: Sequence[Cell]) -> None:
        ws, row = self.ws, self.row
        for column, value, cell_format in cells:
            if isinstance(value, str):
                ws.write_string(row, column, value, cell_format)
            elif isinstance(value, dt.date):  # datetime too
                ws.write_datetime(row, column, value, cell_format)
            else:
                ws.write_number(row, column, value, cell_format)

    def header(self, names: Sequence[str]) -> None:
        self.append(names, [self.styles(bold=True)] * len(names))

    def skip(self) -> None:
        self.row += 1


def _status(view: InvoiceView) -> str:
    return view.status.replace("_", " ").title() + (" (preliminary)" if view.preliminary else "")


def _summary_label(row: StatementRow) -> str:
    if row.role == "charge" and row.description != row.product_type:
        return f"{row.product_type}: {row.description}"
    return row.description


def _write_summary(styles: _Styles, view: InvoiceView, statement: list[StatementRow]) -> None:
    sheet = _Sheet(styles, "Summary", (34, 48))
    money = money_format(view.currency)
    customer, reseller = view.customer, view.reseller
    rates = view.exchange_rates
    contact = " ".join(part for part in (customer.contact_name, f"<{customer.contact_email}>" if customer.contact_email else "") if part)
    header: list[tuple[str, str | Decimal | dt.date]] = [
        ("Reseller", reseller.name),
        ("Reseller address", reseller.address),
        ("Reseller contact", reseller.contact_email),
        ("Customer", customer.name),
        ("Customer ID", customer.customer_id),
        ("Customer contact", contact),
        ("Billing address", customer.billing_address),
        ("Invoice number", view.number),
        ("Vendor", Vendor.display_name_of(view.vendor)),
        ("Period", view.period_label),
        ("Status", _status(view)),
        ("Currency", view.currency),
        # as the statement prints them: only what was converted, at the rates the invoice recorded
        *((("Usage currency", view.usage_currency),) if view.usage_currency != view.currency else ()),
        *((f"{rate.label} (1 {rate.from_currency} in {rate.to_currency})", rate.rate) for rate in rates),
        *((("Exchange rate period", rates[0].period),) if rates else ()),
        ("Issue date", view.issue_date),
        # nothing due (0.00, or a refund): what is due, as the statement and the email say it, not a date
        ("Due", view.due_text) if view.nothing_due else ("Due date", view.due_date),
        ("Pricebook", view.pricebook),
        ("Pricebook version", view.pricebook_version),
    ]
    sheet.header(("Item", "Value"))
    for label, value in header:
        sheet.append((label, value))
    sheet.skip()
    sheet.header(("Totals", f"Amount ({view.currency})"))
    for row in statement:
        if row.role == "line":
            continue
        strong = row.role in ("subtotal", "total")
        sheet.append((_summary_label(row), row.amount), (styles(bold=strong), styles(money, strong)))


def _write_lines(styles: _Styles, view: InvoiceView, statement: list[StatementRow]) -> None:
    sheet = _Sheet(styles, "Lines", (22, 48, 24, 28, 16, 12, 16))
    money = money_format(view.currency)
    sheet.header(("Product Type", "Description", "Service", "SKU", "Quantity", "Unit", f"Amount ({view.currency})"))
    plain = (None,) * 6 + (styles(money),)
    bold = (None, styles(bold=True), None, None, None, None, styles(money, True))  # description and amount
    for row in statement:
        line = row.line
        usage = line is not None and line.kind == "usage"
        sheet.append(
            (
                row.product_type,
                row.description,
                line.service if line else None,
                line.sku if line else None,
                line.quantity if line and usage else None,
                line.unit if line and usage else None,
                row.amount,
            ),
            bold if row.role in ("subtotal", "total") else plain,
        )


def _write_detail(styles: _Styles, view: InvoiceView) -> None:
    widths = {"description": 40, "source_file": 32, "sub_account_id": 16, "charge_period_start": 20, "rule": 30}
    sheet = _Sheet(styles, "Detail", (widths.get(name, 14) for name in DETAIL_COLUMNS))
    formats = [styles(money_format(view.currency)) if name == "amount_rounded" else None for name in DETAIL_COLUMNS]
    sheet.header(DETAIL_COLUMNS)
    records: Iterator[tuple[DetailValue, ...]] = detail_records(view)
    room = EXCEL_MAX_ROWS - 2  # header, and one row kept for the overflow note
    for written, record in enumerate(records):
        if written == room:
            left = 1 + sum(1 for _ in records)  # still drains (and so still checks) the source rows
            sheet.append([f"{left} more records not shown: a worksheet holds {EXCEL_MAX_ROWS:,} rows; the detailed CSV has them all"],
                         [styles(bold=True)])
            return
        sheet.append(record, formats)


def _close_spools(book: Workbook) -> None:
    """An unfinished workbook's sheets still hold their spool files open (private: XlsxWriter has
    no public discard); the temporary folder around them then removes them."""
    for ws in book.worksheets():
        spool = getattr(ws, "row_data_fh", None)
        if spool is not None:
            spool.close()


class XlsxExporter:
    name = "xlsx"
    suffix = ".xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def write(self, invoice: InvoiceView, out: Path) -> Path:
        statement = statement_rows(invoice)
        # XlsxWriter spools each sheet to a temporary file until it zips them: in a folder of ours,
        # removed whether the workbook is finished or not
        with atomic_path(out) as temporary, tempfile.TemporaryDirectory(prefix="workbench-xlsx-") as spool:
            book = Workbook(str(temporary), {"constant_memory": True, "tmpdir": spool, "strings_to_formulas": False,
                                             "strings_to_urls": False, "strings_to_numbers": False})
            styles = _Styles(book)
            try:
                _write_summary(styles, invoice, statement)
                _write_lines(styles, invoice, statement)
                _write_detail(styles, invoice)
            except BaseException:
                _close_spools(book)
                raise
            book.close()
        return out
