"""The detailed records: every invoice line with its exact figures, then every usage row behind them.

Shared by the detailed CSV and the workbook's Detail sheet, so both list the same records in
the same order. It is a generator: source rows stream through one at a time, whatever their
number. Values stay typed (Decimal, datetime, int, str, None = empty); each writer formats them.

Reconciling "to the penny": for each line, the `amount` of its `source` records adds up to the
line's `amount`; the lines' `amount_rounded` are what the customer saw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from .view import InvoiceView, LineView

__all__ = ["DETAIL_COLUMNS", "DetailValue", "MONEY_COLUMNS", "detail_records"]

DetailValue = str | int | Decimal | dt.datetime | None

DETAIL_COLUMNS: tuple[str, ...] = (
    "invoice",
    "record",  # line | source
    "line_position",
    "section",
    "kind",
    "service",
    "sku",
    "description",
    "source_file",
    "source_row",
    "sub_account_id",
    "charge_period_start",
    "quantity",
    "unit",
    "vendor_cost",
    "vendor_currency",
    "markup_percent",
    "fx_rate",
    "amount",
    "amount_rounded",
    "currency",
    "margin",
    "rule",
    "source_row_count",
)
# columns in the invoice currency, unrounded (amount_rounded is the only rounded one)
MONEY_COLUMNS = frozenset({"amount", "margin"})


def _utc_naive(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _line_rate(view: InvoiceView, line: LineView) -> tuple[str, Decimal | None]:
    """(vendor_currency, fx_rate) of a line record: the usage's, except on a credit line in another
    currency (the engine puts that currency in its `unit`), which was converted at the credit's
    own rate, recorded on the ledger entries that applied it (empty if none was recorded)."""
    if line.kind == "credit" and line.unit:
        recorded = view.credit_fx_rate(line)
        return line.unit, recorded[1] if recorded else None
    return view.usage_currency, view.fx_rate


def detail_records(view: InvoiceView) -> Iterator[tuple[DetailValue, ...]]:
    """Yield one tuple per record, in DETAIL_COLUMNS order: the lines, then the source rows."""
    for line in view.lines:
        vendor_currency, fx_rate = _line_rate(view, line)
        yield (
            view.number, "line", line.position, line.section, line.kind, line.service, line.sku,
            line.description, None, None, None, None, line.quantity, line.unit, line.vendor_cost,
            vendor_currency, line.markup_percent, fx_rate, line.amount, line.amount_rounded,
            view.currency, line.margin, line.rule, line.source_row_count,
        )
    if view.source_rows is None:
        return
    lines = {line.position: line for line in view.lines}
    for row in view.source_rows():
        line = lines.get(row.line_position)
        if line is None:
            raise ValueError(
                f"invoice {view.number}: source row {row.source_file}:{row.source_row} points at "
                f"line {row.line_position}, which the invoice does not have"
            )
        for name in ("quantity", "vendor_cost", "markup_percent", "fx_rate", "amount"):
            if not isinstance(getattr(row, name), Decimal):
                raise TypeError(f"source row {row.source_file}:{row.source_row}: {name} must be a Decimal")
        yield (
            view.number, "source", row.line_position, line.section, line.kind, row.service, row.sku,
            row.description, row.source_file, row.source_row, row.sub_account_id,
            _utc_naive(row.charge_period_start), row.quantity, row.unit, row.vendor_cost,
            view.usage_currency, row.markup_percent, row.fx_rate, row.amount, None,
            view.currency, None, None, None,
        )
