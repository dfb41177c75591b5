"""A statement PDF straight from a stored invoice, without running the invoice notebook.

The month-end batch prints the executed invoice notebook (statement + chart); dashboards, the
API and emails need a PDF of one invoice on demand. Both print the same `statement_html` and
`amounts_chart_svg` with the same long-lived Chromium (`workbench.nbexport.get_printer`), so the figures are the same.
The month-end PDF is the one returned while it shows the invoice as it is now
(`render.current.current_pdf`); a stale one (say, printed while the invoice was a Draft) is
never handed out: the statement is printed anew.
"""

from __future__ import annotations

import html
from pathlib import Path

from workbench.billing.invoices import find
from workbench.billing.store.workspace import Workspace
from workbench.render.chart import amounts_chart_svg
from workbench.render.current import current_pdf
from workbench.render.notebook import load_invoice
from workbench.render.statement import statement_html

__all__ = ["PAGE", "current_pdf", "invoice_pdf", "print_statement"]

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body>{body}</body></html>
"""


def invoice_pdf(ws: Workspace, number: str, out_dir: Path | None = None) -> Path:
    """The invoice's PDF as it is now: the month-end file while it is current, else printed now
    into `out_dir` (default `output/downloads/<number>/`, overwritten each time), written
    atomically. With `out_dir`, always printed."""
    from workbench.nbexport import write_atomic

    if out_dir is None:
        with ws.session() as session:
            existing = current_pdf(ws, find(session, number))
        if existing is not None:
            return existing
    pdf = print_statement(ws, number)
    target_dir = out_dir or ws.output_dir / "downloads" / number
    target_dir.mkdir(parents=True, exist_ok=True)
    return write_atomic(target_dir / f"{number}.pdf", pdf)


def print_statement(ws: Workspace, number: str) -> bytes:
    """The invoice's statement printed now, as PDF bytes: the reseller's logo found in the
    workspace (`load_invoice`). PrinterError without Chromium; LogoError for a logo that
    cannot be read."""
    from workbench.nbexport import get_printer

    view = load_invoice(ws, number)
    body = statement_html(view) + amounts_chart_svg(view)  # the statement and its chart, as the month-end PDF
    return get_printer().print_pdf(PAGE.format(title=html.escape(view.number), body=body))
