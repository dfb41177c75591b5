"""Helpers for the export tests: `|` tables, CSV readers, the engine_invoice and store_invoice signatures."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from workbench.billing.exports import InvoiceView

DECIMAL_FIELDS = {"quantity", "vendor_cost", "markup_percent", "amount", "amount_rounded", "margin"}


def table(text: str) -> list[dict[str, str]]:
    """Rows of a `|` table whose first line is the header."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    header = [cell.strip() for cell in lines[0].split("|")]
    return [dict(zip(header, (cell.strip() for cell in line.split("|")), strict=True)) for line in lines[1:]]


def read_csv(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.reader(f))


def csv_text(rows: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(rows.strip())))


def sheet_rows(path: Path, sheet: str) -> list[tuple[object, ...]]:
    """The cell values of a workbook's sheet, row by row, as openpyxl reads them. The workbook is
    closed before this returns: a read-only one keeps its file open until then (a ResourceWarning,
    an error in whichever later test the garbage collector runs in)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return list(book[sheet].iter_rows(values_only=True))
    finally:
        book.close()


StoreInvoice = Callable[..., InvoiceView]
EngineInvoice = Callable[..., InvoiceView]
