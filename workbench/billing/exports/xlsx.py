"""The workbook: Summary, Lines and Detail sheets, streamed with openpyxl's write-only mode.

- Summary: reseller, customer, invoice header, then the totals block of the statement.
- Lines: the same statement rows as the customer CSV (`statement_rows`), plus service, SKU and
  quantity, so the sheet and the CSV cannot disagree.
- Detail: the same records as the detailed CSV (`detail_records`), streamed row by row.

Exact numbers. openpyxl writes a numeric cell with `"%.16g" % value`, which goes through float:
a Decimal of 17+ significant digits (an unrounded 12-decimal amount) would lose digits on the
way to the file, and 1.8E-9 would come out as `1.8e-09`. `_number` therefore puts the exact
`format(d, 'f')` text into the cell's `<v>` element (through the cell's private `_value`;
`tests/exports/test_xlsx.py` reads the raw XML, so an openpyxl change that breaks this fails a
test). What happens next is outside our hands: Excel, LibreOffice and openpyxl's own reader
parse `<v>` into an IEEE 754 double (about 15-17 significant digits) when they open the file.
Rounded amounts (at most 15 digits) survive that exactly; unrounded ones in Detail may show a
last-digit difference in Excel. The detailed CSV is the exact reference for reconciliation.

Number formats follow the invoice currency's minor unit: `#,##0` (JPY), `#,##0.00` (USD),
`#,##0.000` (KWD). Unrounded amounts, quantities and rates use `General`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from workbench.billing.core.money import minor_unit
from workbench.billing.core.usage import Vendor

from .atomic import atomic_path
from .detail import DETAIL_COLUMNS, DetailValue, detail_records
from .statement import StatementRow, statement_rows
from .view import InvoiceView

__all__ = ["XlsxExporter", "EXCEL_MAX_ROWS", "money_format"]

EXCEL_MAX_ROWS = 1_048_576  # rows in one worksheet, header included
BOLD = Font(bold=True)
GENERAL = "General"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

Row = list[Any]


def money_format(currency: str) -> str:
    decimals = minor_unit(currency)
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _number(ws: WriteOnlyWorksheet, value: Decimal, number_format: str, bold: bool = False) -> Cell:
    cell = WriteOnlyCell(ws, value=value)  # binds data_type "n"
    cell._value = format(value, "f")  # exact text into <v>, not "%.16g" of a float; see module doc
    cell.number_format = number_format
    if bold:
        cell.font = BOLD
    return cell


def _text(ws: WriteOnlyWorksheet, value: str, bold: bool = False) -> Cell | str:
    clean = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)  # XML forbids control characters
    if not bold and not clean.startswith("="):
        return clean
    cell = WriteOnlyCell(ws, value=clean)
    cell.data_type = "s"  # text, even when it starts with "=": vendor text is never a formula
    if bold:
        cell.font = BOLD
    return cell


def _value(ws: WriteOnlyWorksheet, value: DetailValue | dt.date, number_format: str = GENERAL) -> Any:
    if isinstance(value, Decimal):
        return _number(ws, value, number_format)
    if isinstance(value, str):
        return _text(ws, value)
    if isinstance(value, dt.datetime | dt.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATETIME_FORMAT if isinstance(value, dt.datetime) else DATE_FORMAT
        return cell
    return value  # int or None (an empty cell)


def _header(ws: WriteOnlyWorksheet, names: Iterable[str]) -> Row:
    return [_text(ws, name, bold=True) for name in names]


def _layout(ws: WriteOnlyWorksheet, widths: Iterable[int]) -> None:
    """Column widths and a frozen header row; write-only sheets need them before the first row."""
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"


def _status(view: InvoiceView) -> str:
    return view.status.replace("_", " ").title() + (" (preliminary)" if view.preliminary else "")


def _summary_label(row: StatementRow) -> str:
    if row.role == "charge" and row.description != row.product_type:
        return f"{row.product_type}: {row.description}"
    return row.description


def _write_summary(ws: WriteOnlyWorksheet, view: InvoiceView, statement: list[StatementRow]) -> None:
    _layout(ws, (34, 48))
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
    ws.append(_header(ws, ("Item", "Value")))
    for label, value in header:
        ws.append([_text(ws, label), _value(ws, value)])
    ws.append([])
    ws.append(_header(ws, ("Totals", f"Amount ({view.currency})")))
    for row in statement:
        if row.role == "line":
            continue
        bold = row.role in ("subtotal", "total")
        ws.append([_text(ws, _summary_label(row), bold=bold), _number(ws, row.amount, money, bold=bold)])


def _write_lines(ws: WriteOnlyWorksheet, view: InvoiceView, statement: list[StatementRow]) -> None:
    _layout(ws, (22, 48, 24, 28, 16, 12, 16))
    money = money_format(view.currency)
    ws.append(_header(ws, ("Product Type", "Description", "Service", "SKU", "Quantity", "Unit", f"Amount ({view.currency})")))
    for row in statement:
        bold = row.role in ("subtotal", "total")
        line = row.line
        ws.append(
            [
                _text(ws, row.product_type),
                _text(ws, row.description, bold=bold),
                _text(ws, line.service) if line else None,
                _text(ws, line.sku) if line else None,
                _number(ws, line.quantity, GENERAL) if line and line.kind == "usage" else None,
                _text(ws, line.unit) if line and line.kind == "usage" else None,
                _number(ws, row.amount, money, bold=bold),
            ]
        )


def _write_detail(ws: WriteOnlyWorksheet, view: InvoiceView) -> None:
    widths = {"description": 40, "source_file": 32, "sub_account_id": 16, "charge_period_start": 20, "rule": 30}
    _layout(ws, (widths.get(name, 14) for name in DETAIL_COLUMNS))
    formats = {name: GENERAL for name in DETAIL_COLUMNS} | {"amount_rounded": money_format(view.currency)}
    ws.append(_header(ws, DETAIL_COLUMNS))
    records: Iterator[tuple[DetailValue, ...]] = detail_records(view)
    room = EXCEL_MAX_ROWS - 2  # header, and one row kept for the overflow note
    for written, record in enumerate(records):
        if written == room:
            left = 1 + sum(1 for _ in records)  # still drains (and so still checks) the source rows
            ws.append([_text(ws, f"{left} more records not shown: a worksheet holds {EXCEL_MAX_ROWS:,} rows; the detailed CSV has them all", bold=True)])
            return
        ws.append([_value(ws, value, formats[name]) for name, value in zip(DETAIL_COLUMNS, record, strict=True)])


def _discard_spooled_sheets(wb: Workbook) -> None:
    """A write-only sheet spools to a temp file that openpyxl removes only at exit; remove it now."""
    for ws in wb.worksheets:
        try:
            if not ws.closed:
                ws.close()  # ends the spool file cleanly
            writer = getattr(ws, "_writer", None)  # private: openpyxl has no public discard
            if writer is not None:
                writer.cleanup()
        except (OSError, ValueError):  # best effort: openpyxl's exit hook still removes it
            pass


class XlsxExporter:
    name = "xlsx"
    suffix = ".xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def write(self, invoice: InvoiceView, out: Path) -> Path:
        statement = statement_rows(invoice)
        with atomic_path(out) as temporary:
            wb = Workbook(write_only=True)
            try:
                _write_summary(wb.create_sheet("Summary"), invoice, statement)
                _write_lines(wb.create_sheet("Lines"), invoice, statement)
                _write_detail(wb.create_sheet("Detail"), invoice)
                wb.save(temporary)
            except BaseException:
                _discard_spooled_sheets(wb)
                raise
        return out
