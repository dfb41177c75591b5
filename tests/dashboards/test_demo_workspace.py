"""The billing reports app on the generated demo workspace (3 vendors, ~25 customers)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from workbench.billing.store import models as m
from workbench.dashboards import build_billing_app, build_invoices_app
from workbench.dashboards.ranges import LAST

DEMO_TODAY = dt.date(2025, 11, 25)  # as tests/conftest.py: the demo has usage for 2025-09 and 2025-10


def test_month_end_for_every_vendor_of_the_demo(demo_workspace_copy):
    ws = demo_workspace_copy
    app = build_billing_app(ws, today=DEMO_TODAY)
    # each vendor by its display name, as the statements name it; the value is the stored code
    assert app.vendor.options == (("AWS", "aws"), ("Azure", "azure"), ("Google Cloud", "gcp"))
    made = 0
    for shown, vendor in app.vendor.options:
        app.vendor.value = vendor
        app.range.kind.value = LAST
        assert app.title.value == f"<h3>{shown} Billing Customers Report &middot; 2025-10</h3>"
        customers = list(app.table.rows)
        app.select_all_button.click()
        app.generate_button.click()
        generated = {row.invoice.customer_id for row in app.drafts.values()}
        # every selected customer is drafted, listed with the error that stopped it, or skipped
        # as already billed
        assert generated | set(app.not_generated) | set(app.skipped) == set(customers)
        assert all(problems for problems in app.not_generated.values())
        made += len(app.drafts)
        app.approve_all_button.click()
        app.finish_button.click()
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(m.Invoice).where(m.Invoice.status == "open")) == made

    invoices = build_invoices_app(ws, today=DEMO_TODAY)
    assert len(invoices.invoices) == made
    # the Vendor column names each vendor as the statement does (the invoice number keeps the code)
    shown = {row[0].split("-")[0]: row[2] for row in invoices.table.cells()}
    assert shown == {"AWS": "AWS", "AZURE": "Azure", "GCP": "Google Cloud"}
