"""Invoice exporters: customer CSV, detailed CSV and XLSX, behind a registry open to plug-ins.

    view = InvoiceView.from_orm(session, invoice, source_rows=usage_store_rows)
    path = export_invoice(view, "csv", out_dir)   # out_dir / "AWS-202510-00001.csv"

See docs.md for the layouts and the rules every exporter keeps.
"""

from .registry import (
    ENTRY_POINT_GROUP,
    Exporter,
    ExporterConflict,
    ExporterPluginError,
    UnknownFormat,
    export_invoice,
    exporters,
    register,
    unregister,
)
from .statement import StatementMismatch
from .view import CustomerContact, InvoiceView, LineView, ResellerProfile, SourceRow, SourceRows

__all__ = [
    "ENTRY_POINT_GROUP",
    "CustomerContact",
    "Exporter",
    "ExporterConflict",
    "ExporterPluginError",
    "InvoiceView",
    "LineView",
    "ResellerProfile",
    "SourceRow",
    "SourceRows",
    "StatementMismatch",
    "UnknownFormat",
    "export_invoice",
    "exporters",
    "register",
    "unregister",
]
