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
from pathlib import Path

from .atomic import atomic_path
from .formulas import defuse
from .statement import amount_text, statement_rows
from .view import InvoiceView

__all__ = ["CustomerCsvExporter", "HEADER"]

HEADER = ("Product Type", "Description", "Amount", "Currency", "Invoice Number")


class CustomerCsvExporter:
    name = "csv"
    suffix = ".csv"
    media_type = "text/csv"

    def write(self, invoice: InvoiceView, out: Path) -> Path:
        rows = statement_rows(invoice)  # before opening anything: a mismatch leaves no trace
        with atomic_path(out) as temporary:
            with open(temporary, "w", encoding="utf-8-sig", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(HEADER)
                for row in rows:
                    writer.writerow((defuse(row.product_type), defuse(row.description),
                                     amount_text(row.amount, invoice.currency), invoice.currency, defuse(invoice.number)))
        return out
