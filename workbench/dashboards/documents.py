"""An invoice as the customer sees it, in another currency, and as files to download.

- `statement_document(ws, ref)`: `workbench.render.statement.statement_html`, the statement the
  PDF prints (its rows are `exports.statement.statement_rows`, the rows the CSV prints, so the
  screen cannot disagree with the files).
- `fx_choices(ws, invoice_ref)`: currencies the workspace has a rate for, from the invoice
  currency, in the invoice's first month. Informational only.
- `download_formats()`: the download buttons, label -> format: `DOWNLOADS` (the built-in
  exporters and the PDF), then every other exporter (plug-ins, or registered in the process),
  labelled by its name.
- `produce_download(...)`: the exporters' files (customer CSV, detailed CSV, xlsx, a plug-in's)
  and PDF (the month-end file `output/<period>/<number>/<number>.pdf` while it shows the invoice
  as it is now, `workbench.render.current.current_pdf`; else printed anew by
  `workbench.render.pdf.invoice_pdf`).
- `media_type(path, fmt)`: what the browser is told the file is (the exporter's media type).

`download.FileSender` carries the file to the viewer's browser.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from workbench.billing.exports.registry import UnknownFormat, export_invoice, exporter, exporters
from workbench.billing.exports.view import InvoiceView
from workbench.billing.invoices import find
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace
from workbench.render.current import current_pdf

__all__ = [
    "DOWNLOADS",
    "DownloadUnavailable",
    "download_formats",
    "fx_choices",
    "invoice_view",
    "media_type",
    "produce_download",
    "statement_document",
]

# label -> format name; "pdf" is not an exporter of workbench.billing.exports (a reserved name there)
DOWNLOADS: dict[str, str] = {"Customer CSV": "csv", "Detailed CSV": "detailed-csv", "Excel (xlsx)": "xlsx", "PDF": "pdf"}


class DownloadUnavailable(Exception):
    """The file cannot be produced here (e.g. no PDF renderer installed); the message says why."""


def download_formats() -> dict[str, str]:
    """`DOWNLOADS`, then every other exporter that can be used, labelled by its name; a plug-in
    that cannot is left out with the registry's ExporterPluginWarning."""
    offered = set(DOWNLOADS.values())
    others = [name for name in exporters() if name not in offered]
    return {**DOWNLOADS, **{(f"{name} (plug-in)" if name in DOWNLOADS else name): name for name in others}}


def invoice_view(ws: Workspace, ref: str | int) -> InvoiceView:
    """The invoice's view, its vendor rows read only if an exporter asks for them (as the CLI and
    the API give them: the detailed CSV, the workbook's Detail sheet, a plug-in)."""
    from workbench.billing.generate import source_row_reader

    with ws.session() as session:
        invoice = find(session, ref)
        return InvoiceView.from_orm(session, invoice, source_rows=source_row_reader(ws, invoice.id))


def statement_document(ws: Workspace, ref: str | int, display_currency: str | None = None) -> str:
    """The invoice as the customer sees it; with `display_currency`, a second informational
    column at the workspace's rate for the invoice's first month (ValueError when there is none)."""
    view = invoice_view(ws, ref)
    rate: Decimal | None = None
    if display_currency and display_currency != view.currency:
        rate = fx_choices(ws, ref).get(display_currency)
        if rate is None:
            raise ValueError(f"no FX rate {view.currency}->{display_currency} for {view.period_start:%Y-%m}: "
                             f"add it to fx_rates.csv and import it")
    else:
        display_currency = None
    from workbench.render.notebook import load_invoice
    from workbench.render.statement import statement_html

    view = load_invoice(ws, view.number)  # resolves the reseller logo inside the workspace
    extra: dict[str, object] = {"display_currency": display_currency, "fx_rate": rate, "fx_date": f"{view.period_start:%Y-%m}"} if rate else {}
    return str(statement_html(view, **extra))


def fx_choices(ws: Workspace, ref: str | int) -> dict[str, Decimal]:
    """Currency -> rate (1 invoice currency = rate currency) stored for the invoice's first
    month. Only rates someone entered: an inverted rate would print a figure nobody decided."""
    with ws.session() as session:
        invoice = find(session, ref)
        period, currency = f"{invoice.period_start:%Y-%m}", invoice.currency
        rates = session.scalars(select(m.FxRate).where(m.FxRate.period == period, m.FxRate.from_currency == currency)).all()
        return {r.to_currency: r.rate for r in sorted(rates, key=lambda r: r.to_currency) if r.to_currency != currency}


def produce_download(ws: Workspace, ref: str | int, fmt: str, out_dir: Path, *, may_render: bool = True) -> Path:
    """The file of invoice `ref` in format `fmt` (see DOWNLOADS), written into `out_dir`.

    A PDF is the current month-end file when there is one; else it is printed, into the
    workspace's `output/downloads/` (kept for the next visitor) or, when `may_render` is False (a
    read-only view: nothing of the workspace changes), into `out_dir` alone."""
    if fmt == "pdf":
        with ws.session() as session:
            invoice = find(session, ref)
            number, existing = invoice.number, current_pdf(ws, invoice)
        if existing is not None:
            return existing
        from workbench.render.pdf import invoice_pdf

        return Path(invoice_pdf(ws, number, out_dir=None if may_render else out_dir))
    view = invoice_view(ws, ref)
    return export_invoice(view, fmt, out_dir)


def media_type(path: Path, fmt: str) -> str:
    if fmt == "pdf":
        return "application/pdf"
    try:
        return exporter(fmt).media_type
    except UnknownFormat:
        return "application/octet-stream"
