"""Is a stored statement PDF the invoice as it is now? The one rule for every place that hands one out.

A statement prints the invoice's status (a Draft carries a DRAFT watermark), so a PDF printed
before the invoice was approved, voided or marked past due is not the invoice any more. The
month end records in its manifest (`<number>.done.json`) the `invoice_stamp` it rendered for:
the invoice's id, status and last change (`updated_at`, which every change of the row moves).

    with ws.session() as session:
        pdf = current_pdf(ws, find(session, "AWS-202510-00001"))   # None: print it anew

Used by the month end's skip (`batch.month_end.is_complete`), `render.pdf.invoice_pdf` (hence
the notify email's attachment and the dashboards' download) and the API's PDF download.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from workbench.billing.core.periods import month_key
from workbench.billing.file_hash import file_sha256
from workbench.billing.store import models as m
from workbench.billing.store.output_folders import MANIFEST_SUFFIX, read_manifest
from workbench.billing.store.workspace import Workspace

__all__ = ["MANIFEST_SUFFIX", "current_pdf", "invoice_stamp", "read_manifest"]


def invoice_stamp(invoice: m.Invoice) -> dict[str, Any]:
    """The state a statement is printed for (JSON values: it is stored in the manifest)."""
    return {"id": invoice.id, "status": invoice.status, "updated_at": invoice.updated_at.isoformat()}


def current_pdf(ws: Workspace, invoice: m.Invoice) -> Path | None:
    """The month-end PDF `output/<YYYY-MM>/<number>/<number>.pdf` when it shows `invoice` (a stored
    invoice, read now) as it is now; else None, and the caller prints it anew or offers none.

    Current: its manifest records that it was printed for the invoice's present `invoice_stamp`
    and still holds the PDF's sha256. A PDF with no such record (a manifest from an older
    workbench, or a file put there by hand) counts only when the file is not older than the
    invoice's last change.
    """
    folder = ws.output_dir / month_key(invoice.period_start) / invoice.number
    pdf = folder / f"{invoice.number}.pdf"
    if not pdf.is_file():
        return None
    manifest = read_manifest(folder, invoice.number) or {}
    printed_for = manifest.get("invoice")
    if printed_for is None:
        written = dt.datetime.fromtimestamp(pdf.stat().st_mtime, tz=dt.timezone.utc).replace(tzinfo=None)
        return pdf if written >= invoice.updated_at else None
    files = manifest.get("files")
    if (printed_for != invoice_stamp(invoice) or not isinstance(files, dict)
            or files.get(pdf.name) != file_sha256(pdf)):
        return None
    return pdf
