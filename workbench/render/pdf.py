"""A statement PDF straight from a stored invoice, without running the invoice notebook.

The month-end batch prints the executed invoice notebook (statement + chart); dashboards, the
API and emails need a PDF of one invoice on demand. Both print the same `statement_html` with
the same long-lived Chromium (`workbench.nbexport.get_printer`), so the figures are the same.
If the month-end PDF exists it is the one returned: it is the issued document.
"""

from __future__ import annotations

from pathlib import Path

from workbench.billing.store.workspace import Workspace
from workbench.render.notebook import load_invoice
from workbench.render.statement import statement_html

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body>{body}</body></html>
"""


def month_end_pdf(ws: Workspace, number: str) -> Path | None:
    found = sorted(ws.output_dir.glob(f"*/{number}/{number}.pdf"))
    return found[0] if found else None


def invoice_pdf(ws: Workspace, number: str, out_dir: Path | None = None) -> Path:
    """The invoice's PDF: the month-end file when there is one, else printed now into `out_dir`
    (default `output/downloads/<number>/`), written atomically."""
    from workbench.nbexport import get_printer, write_atomic

    existing = month_end_pdf(ws, number)
    if existing is not None and out_dir is None:
        return existing
    view = load_invoice(ws, number)
    html = PAGE.format(title=view.number, body=statement_html(view))
    target_dir = out_dir or ws.output_dir / "downloads" / view.number
    target_dir.mkdir(parents=True, exist_ok=True)
    return write_atomic(target_dir / f"{view.number}.pdf", get_printer().print_pdf(html))
