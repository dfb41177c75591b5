"""The customer invoices dashboard offers the PDF of the invoice as it is now, never the one the month
end printed while it was a Draft."""

from __future__ import annotations

from workbench.batch import run_month_end
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.invoices import approve
from workbench.dashboards import build_invoices_app

from render.pdf_text import pdf_text

from .conftest import TODAY


def test_the_pdf_download_is_current_after_approval(ws):
    summary = run_month_end(ws, "2025-10", customers=["100001"], options=InvoiceOptions(), today=TODAY)
    [done] = summary.outcomes
    assert done.state == "done", summary.text()
    number = done.number
    month_end = ws.output_dir / "2025-10" / number / f"{number}.pdf"

    app = build_invoices_app(ws, today=TODAY)
    app.select(number)
    assert app.download("pdf") == month_end  # current while the invoice is a Draft
    assert "DRAFT" in pdf_text(month_end)

    approve(ws, [number], today=TODAY)
    app = build_invoices_app(ws, today=TODAY)
    app.select(number)
    fresh = app.download("pdf")
    assert fresh is not None and fresh != month_end
    text = pdf_text(fresh)
    assert "DRAFT" not in text and "Open" in text and number in text

    # a read-only view never hands out the Draft either: it prints the invoice as it is now, into
    # its own folder (the workspace is not written)
    viewer = build_invoices_app(ws, read_only=True, today=TODAY)
    viewer.select(number)
    shown = viewer.download("pdf")
    assert shown is not None and shown != month_end and ws.root not in shown.parents
    assert "DRAFT" not in pdf_text(shown) and "Open" in pdf_text(shown)
