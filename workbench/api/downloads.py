"""/v1/invoices/{ref}/download/{format}: the invoice's files, as the CLI exports them.

`format` is `pdf` or the name of an exporter (`billing.exports.exporter(format)`): `csv`,
`detailed-csv`, `xlsx`, or a plug-in's format installed on the server, answered with that
exporter's media type and file name. An unknown format is 422 (`unknown-format`, listing the
available ones); a plug-in that cannot be used is 503 (`format-unavailable`), its entry point and
error going to the server's log, not to the client.

Exporter files are exported afresh on each request into a private folder under
`<workspace>/output/api/` (removed once sent), so two requests never read each other's
half-written file; the file name is the invoice number, which the engine makes from
`[A-Z0-9-]` only and which is checked again to resolve inside the output folder.

PDF: the month-end run's `output/<YYYY-MM>/<number>/<number>.pdf` while it shows the invoice as
it is now (`render.current.current_pdf`); otherwise `render.statement_html(view)` printed by the
process's one Chromium (`nbexport.get_printer()`).

Customer keys get the customer-facing CSV and PDF; the detailed CSV and the workbook carry
vendor costs, markups and margins, and a plug-in's file may too, so they need a read or write key.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi import Path as PathParameter
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from workbench.api.auth import Caller, workspace
from workbench.api.errors import ApiError
from workbench.api.invoices import ERRORS, InvoicePath, Today, invoice_view, visible_invoice
from workbench.api.schemas import DOWNLOAD_FORMAT_PATTERN
from workbench.billing.exports import (
    Exporter,
    ExporterConflict,
    ExporterPluginError,
    UnknownFormat,
    export_invoice,
    exporter,
)
from workbench.billing.exports.view import InvoiceView
from workbench.billing.invoices import refresh_past_due
from workbench.billing.store.workspace import Workspace
from workbench.render.current import current_pdf

__all__ = ["PDF_MEDIA_TYPE", "router"]

log = logging.getLogger("workbench.api")
router = APIRouter(prefix="/v1", tags=["invoices"])
Ws = Annotated[Workspace, Depends(workspace)]
FormatPath = Annotated[str, PathParameter(
    pattern=DOWNLOAD_FORMAT_PATTERN,
    description="csv (customer-facing), detailed-csv (down to the vendor rows), xlsx, pdf, "
                "or the format of an exporter plug-in installed on the server")]
PDF_MEDIA_TYPE = "application/pdf"
CUSTOMER_FORMATS = frozenset({"csv", "pdf"})
BUILT_IN_MEDIA_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", PDF_MEDIA_TYPE)
FILE_RESPONSES: dict[int | str, dict[str, object]] = {
    **ERRORS,
    200: {"description": "the file, as an attachment, with its exporter's media type (a plug-in's own)",
          "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in BUILT_IN_MEDIA_TYPES}},
    503: {"description": "PDF printing, or the plug-in of this format, is not available on this server"},
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
def download(ref: InvoicePath, format: FormatPath, ws: Ws, principal: Caller, on: Today) -> Response:
    """`csv` (customer-facing), `detailed-csv` (down to the vendor rows), `xlsx`, `pdf`, or a
    plug-in's format."""
    chosen = None if format == "pdf" else _exporter(format)
    refresh_past_due(ws, today=on)
    with ws.session() as session:
        invoice = visible_invoice(session, ref, principal)
        if principal.is_customer and format not in CUSTOMER_FORMATS:
            raise ApiError(403, "scope", f"a customer key cannot download {format}: it holds vendor costs and margins",
                           fix="download csv or pdf")
        view = invoice_view(ws, session, invoice)
        ready = current_pdf(ws, invoice) if chosen is None else None
    if chosen is None:
        return _pdf(ws, view, ready)
    root = ws.output_dir / "api"
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{view.number}.", dir=root))
    try:
        path = _inside(ws.output_dir, export_invoice(view, format, folder))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type=chosen.media_type, filename=path.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


def _exporter(format: str) -> Exporter:
    """The exporter of `format`, or the problem a client can act on (the details go to the log)."""
    try:
        return exporter(format)
    except UnknownFormat as exc:
        raise ApiError(422, "unknown-format", f"path format: unknown download format {format!r}; "
                       f"available: {', '.join(sorted([*exc.available, 'pdf']))}") from None
    except (ExporterPluginError, ExporterConflict) as exc:
        log.error("download format %r is a plug-in that cannot be used: %s", format, exc)
        raise ApiError(503, "format-unavailable", f"the download format {format!r} comes from a plug-in that "
                       "cannot be used on this server",
                       fix="tell the workspace's administrator: the server's log names the plug-in and the fix") from None


def _pdf(ws: Workspace, view: InvoiceView, ready: Path | None) -> Response:
    """`ready`: the month-end PDF when it is current (`current_pdf`), else it is printed now."""
    if ready is not None:
        return FileResponse(_inside(ws.output_dir, ready), media_type=PDF_MEDIA_TYPE, filename=f"{view.number}.pdf")
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
    return Response(pdf, media_type=PDF_MEDIA_TYPE, headers=_attachment(f"{view.number}.pdf"))
