"""The invoice as a page: statement HTML, its machine-readable JSON, a chart, notebook helpers.

    view = load_invoice("ws", "AWS-202510-00001")
    html = statement_html(view)            # prints exactly exports.statement.statement_rows(view)
    doc = invoice_json(view)               # application/vnd.workbench.invoice+json

See docs.md.
"""

from .chart import amounts_by_product_type, amounts_chart_svg
from .notebook import InvoiceLookupError, conversion, find_invoice, load_invoice
from .statement import INVOICE_MIMETYPE, LogoError, converted_amounts, invoice_json, logo_data_uri, statement_html

__all__ = [
    "INVOICE_MIMETYPE",
    "InvoiceLookupError",
    "LogoError",
    "amounts_by_product_type",
    "amounts_chart_svg",
    "conversion",
    "converted_amounts",
    "find_invoice",
    "invoice_json",
    "load_invoice",
    "logo_data_uri",
    "statement_html",
]
