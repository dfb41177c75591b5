"""Statement exporters for nbconvert: executed invoice notebooks to HTML, PDF and CSV.

nbconvert names (entry point group `nbconvert.exporters`): `statement-html`,
`statement-pdf`, `statement-csv`. See docs.md.
"""

from .files import EXPORTERS, export_statement, write_atomic
from .invoice import (
    INVOICE_MIMETYPE,
    Invoice,
    InvoiceLine,
    InvoiceOutputError,
    InvoiceTotal,
    find_invoice,
    parse_invoice,
)
from .printer import (
    ChromiumNotFound,
    PageLayout,
    Printer,
    PrinterError,
    PrintTimeout,
    close_printers,
    find_chromium,
    get_printer,
)
from .statement_csv import StatementCSVExporter, invoice_csv
from .statement_html import StatementHTMLExporter
from .statement_pdf import StatementPDFExporter
from .templates import StatementTemplateNotFound, require_statement_template, template_basedirs

__all__ = [
    "EXPORTERS",
    "INVOICE_MIMETYPE",
    "ChromiumNotFound",
    "Invoice",
    "InvoiceLine",
    "InvoiceOutputError",
    "InvoiceTotal",
    "PageLayout",
    "PrintTimeout",
    "Printer",
    "PrinterError",
    "StatementCSVExporter",
    "StatementHTMLExporter",
    "StatementPDFExporter",
    "StatementTemplateNotFound",
    "close_printers",
    "export_statement",
    "find_chromium",
    "find_invoice",
    "get_printer",
    "invoice_csv",
    "parse_invoice",
    "require_statement_template",
    "template_basedirs",
    "write_atomic",
]
