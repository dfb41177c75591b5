"""Invoice exporters: customer CSV, detailed CSV and XLSX, behind a registry open to plug-ins.

    view = InvoiceView.from_orm(session, invoice, source_rows=usage_store_rows)
    path = export_invoice(view, "csv", out_dir)   # out_dir / "AWS-202510-00001.csv"

A plug-in needs nothing beyond this package's names: the view (`InvoiceView` and its parts), the
rows every format prints (`statement_rows`, `detail_records`), the one money formatter
(`amount_text`), `defuse` for vendor text in CSV-like files and `atomic_path` to write. See
docs.md for the layouts and the rules every exporter keeps.
"""

from .atomic import atomic_path
from .detail import DETAIL_COLUMNS, detail_records
from .formulas import defuse
from .registry import (
    ENTRY_POINT_GROUP,
    RESERVED_NAMES,
    Exporter,
    ExporterConflict,
    ExporterPluginError,
    ExporterPluginWarning,
    UnknownFormat,
    export_invoice,
    exporter,
    exporters,
    register,
    unregister,
)
from .statement import StatementMismatch, StatementRow, amount_text, statement_rows
from .view import CustomerContact, ExchangeRate, InvoiceView, LineView, ResellerProfile, SourceRow, SourceRows

__all__ = [
    "DETAIL_COLUMNS",
    "ENTRY_POINT_GROUP",
    "RESERVED_NAMES",
    "CustomerContact",
    "ExchangeRate",
    "Exporter",
    "ExporterConflict",
    "ExporterPluginError",
    "ExporterPluginWarning",
    "InvoiceView",
    "LineView",
    "ResellerProfile",
    "SourceRow",
    "SourceRows",
    "StatementMismatch",
    "StatementRow",
    "UnknownFormat",
    "amount_text",
    "atomic_path",
    "defuse",
    "detail_records",
    "export_invoice",
    "exporter",
    "exporters",
    "register",
    "statement_rows",
    "unregister",
]
