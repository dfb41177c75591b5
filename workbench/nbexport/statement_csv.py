"""`statement-csv`: the invoice lines and totals as CSV, read from the invoice output.

Columns `Product Type,Description,Amount,Currency,Invoice Number`: one row per invoice line
(section, description, amount), then one row per total (its section, usually empty, and its
label as description); every row ends with the invoice's currency and number.

Same bytes as `billing.exports.customer_csv` for the same statement: amount strings copied
exactly, text cells through `billing.exports.formulas.defuse` (a description starting with `=`,
`+`, `-`, `@` gets a leading apostrophe so a spreadsheet does not run it), RFC 4180 quoting,
CRLF line ends, UTF-8 with a byte order mark (Excel misreads accents without it).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from nbconvert.exporters import Exporter
from nbformat import NotebookNode
from traitlets import default

from .invoice import Invoice, find_invoice

__all__ = ["BOM", "CSV_HEADER", "StatementCSVExporter", "invoice_csv"]

CSV_HEADER = ("Product Type", "Description", "Amount", "Currency", "Invoice Number")
BOM = "\ufeff"


def invoice_csv(invoice: Invoice) -> str:
    """The CSV text of one invoice, starting with a byte order mark."""
    # Imported here: the billing exports package pulls in the database layer (~1 s), which
    # listing nbconvert exporters should not pay.
    from workbench.billing.exports.formulas import defuse

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    whose = (invoice.currency, defuse(invoice.number))
    for line in invoice.lines:
        writer.writerow((defuse(line.section), defuse(line.description), line.amount, *whose))
    for total in invoice.totals:
        writer.writerow((defuse(total.section), defuse(total.label), total.amount, *whose))
    return BOM + buffer.getvalue()


class StatementCSVExporter(Exporter):
    """nbconvert exporter: the notebook's invoice output as CSV (no template involved)."""

    export_from_notebook = "Statement CSV"
    output_mimetype = "text/csv"

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)  # type: ignore[no-untyped-call]

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".csv"

    def from_notebook_node(  # type: ignore[override]  # nbconvert annotates the node type
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        invoice = find_invoice(nb_copy)
        resources["invoice_number"] = invoice.number
        resources["invoice_currency"] = invoice.currency
        return invoice_csv(invoice), resources
