"""The customer-facing CSV: the statement as one clean table, each row saying whose it is.

    Product Type,Description,Amount,Currency,Invoice Number
    Compute,Amazon EC2 m5.large,10.00,USD,AWS-202510-00001
    ...
    ,Subtotal,...,USD,AWS-202510-00001
    ,Total,...,USD,AWS-202510-00001

No title rows above the header: a customer loads this file into a spreadsheet or an accounts
payable tool, which wants one header row and one table. Every row carries the invoice's currency
and number, so that the CSVs of several statements pasted into one sheet stay apart (the file
name alone was lost on import). The two columns were added after the first three, which keep
their places for importers that read by position. Amounts are plain decimal text with exactly the
currency's minor unit (no thousands separator, no currency sign), so they parse as numbers
everywhere. UTF-8 with a byte order mark, because Excel otherwise misreads accented product names.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .atomic import atomic_path
from .formulas import defuse
from .statement import LAYOUT, LAYOUTS, amount_text, statement_rows
from .view import InvoiceView

__all__ = ["CustomerCsvExporter", "HEADER", "LAYOUT", "customer_csv_bytes"]

HEADER = ("Product Type", "Description", "Amount", "Currency", "Invoice Number")
# The file's layouts are the statement's (`statement.LAYOUTS`), newest last. An invoice sealed at
# issue hashed the layout of its day (`integrity.seal`), so the older ones stay reproducible, byte
# for byte:
#   1  until December 2026: `Product Type,Description,Amount`; every line, its stored description
#   2  the invoice's Currency and Invoice Number on every row; lines at 0.00 folded into No charge,
#      look-alike descriptions told apart (`statement.statement_rows`), by line number at last
#   3  the columns of 2; lines under a minor unit each folded into Small items at their sum,
#      look-alikes told apart by unit too, numbered `(1 of 2)` at last


def customer_csv_bytes(invoice: InvoiceView, *, layout: int = LAYOUT) -> bytes:
    """The file's bytes (BOM, CRLF) in `layout`; raises StatementMismatch before anything is made."""
    if layout not in LAYOUTS:
        raise ValueError(f"customer CSV layout {layout}: known layouts are {', '.join(map(str, LAYOUTS))}")
    rows = statement_rows(invoice, layout=layout)
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(HEADER if layout >= 2 else HEADER[:3])
    for row in rows:
        cells = (defuse(row.product_type), defuse(row.description), amount_text(row.amount, invoice.currency))
        writer.writerow((*cells, invoice.currency, defuse(invoice.number)) if layout >= 2 else cells)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


class CustomerCsvExporter:
    name = "csv"
    suffix = ".csv"
    media_type = "text/csv"

    def write(self, invoice: InvoiceView, out: Path) -> Path:
        data = customer_csv_bytes(invoice)  # before opening anything: a mismatch leaves no trace
        with atomic_path(out) as temporary:
            Path(temporary).write_bytes(data)
        return out
