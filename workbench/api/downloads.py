"""/v1/invoices/{ref}/download/{format}: the invoice's files, as the CLI exports them.

CSV, detailed CSV and Excel are exported afresh on each request into a private folder under
`<workspace>/output/api/` (removed once sent), so two requests never read each other's
half-written file; the file name is the invoice number, which the engine makes from
`[A-Z0-9-]` only and which is checked again to resolve inside the output folder.

PDF: the month-end run's `output/<YYYY-MM>/<number>/<number>.pdf` while it shows the invoice as
it is now (`render.current.current_pdf`); otherwise `render.statement_html(view)` printed by the
process's one Chromium (`nbexport.get_printer()`).

Customer keys get the customer-facing CSV and PDF; the detailed CSV and the workbook carry
vendor costs, markups and margins, so they need a read or write key.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from workbench.api.auth import Caller, workspace
from workbench.api.errors import ApiError
from workbench.api.invoices import ERRORS, InvoicePath, Today, invoice_view, visible_invoice
from workbench.api.schemas import DownloadFormat
from workbench.billing.exports import export_invoice, exporters
from workbench.billing.exports.view import InvoiceView
from workbench.billing.invoices import refresh_past_due
from workbench.billing.store.workspace import Workspace
from workbench.render.current import current_pdf

__all__ = ["MEDIA_TYPES", "router"]

router = APIRouter(prefix="/v1", tags=["invoices"])
Ws = Annotated[Workspace, Depends(workspace)]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "detailed-csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
CUSTOMER_FORMATS = frozenset({"csv", "pdf"})
FILE_RESPONSES: dict[int | str, dict[str, object]] = {
    **ERRORS,
    200: {"description": "the file, as an attachment",
          "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in sorted(set(MEDIA_TYPES.values()))}},
    503: {"description": "PDF printing is not available on this server"},
}


def _inside(folder: Path, path: Path) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(folder.resolve()):
        raise ApiError(404, "not-found", "no such file")  # pragma: no cover - numbers never hold a path
    return resolved


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/invoices/{ref}/download/{format}", responses=FILE_RESPONSES, response_class=Response,
            summary="Download an invoice file")
def download(ref: InvoicePath, format: DownloadFormat, ws: Ws, principal: Caller, on: Today) -> Response:
    """`csv` (customer-facing), `detailed-csv` (down to the vendor rows), `xlsx`, `pdf`."""
    refresh_past_due(ws, today=on)
    with ws.session() as session:
        invoice = visible_invoice(session, ref, principal)
        if principal.is_customer and format not in CUSTOMER_FORMATS:
            raise ApiError(403, "scope", f"a customer key cannot download {format}: it holds vendor costs and margins",
                           fix="download csv or pdf")
        view = invoice_view(ws, session, invoice)
        ready = current_pdf(ws, invoice) if format == "pdf" else None
    if format == "pdf":
        return _pdf(ws, view, ready)
    root = ws.output_dir / "api"
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{view.number}.", dir=root))
    try:
        path = _inside(ws.output_dir, export_invoice(view, format, folder))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    suffix = exporters()[format].suffix
    return FileResponse(path, media_type=MEDIA_TYPES[format], filename=f"{view.number}{suffix}",
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


def _pdf(ws: Workspace, view: InvoiceView, ready: Path | None) -> Response:
    """`ready`: the month-end PDF when it is current (`current_pdf`), else it is printed now."""
    if ready is not None:
        return FileResponse(_inside(ws.output_dir, ready), media_type=MEDIA_TYPES["pdf"], filename=f"{view.number}.pdf")
    from workbench.nbexport.printer import PrinterError
    from workbench.render.pdf import print_statement
    from workbench.render.statement import LogoError

    try:
        pdf = print_statement(ws, view.number)
    except PrinterError as exc:
        raise ApiError(503, "pdf-unavailable", f"PDF printing is not available on this server: {exc}",
                       fix="install Chromium (scripts/install-system-deps.sh) or set WORKBENCH_CHROMIUM") from None
    except LogoError as exc:
        raise ApiError(503, "pdf-unavailable", f"the statement cannot be printed: {exc}",
                       fix="fix reseller.logo_file in the reseller table (`workbench customers import`)") from None
    return Response(pdf, media_type=MEDIA_TYPES["pdf"], headers=_attachment(f"{view.number}.pdf"))
