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


StoreInvoice = Callable[..., InvoiceView]
EngineInvoice = Callable[..., InvoiceView]
