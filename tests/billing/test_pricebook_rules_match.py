"""Pricebook rules name what the vendor's report names: AWS service codes (AmazonEC2) and SKU ids
(product/sku 6TW5QKFYDWFVJ8Q4), Azure meter categories, Google service names and SKU ids.

Each rule of the demo's pricebooks prices some line of last month's invoices. When the AWS reader
put the product name ("Amazon Elastic Compute Cloud") in `service` and the usage type in `sku`,
the AWS service and SKU rules priced nothing: those lines were billed at the default markup,
silently."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from workbench.batch import generate_period
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.store import models as m

PERIOD = "2025-10"
DEMO_TODAY = dt.date(2025, 11, 25)  # tests/conftest.py: the demo workspace's today


def test_every_rule_of_the_demo_pricebooks_prices_a_line(demo_workspace_copy):
    ws = demo_workspace_copy
    generate_period(ws, PERIOD, options=InvoiceOptions(include_marketplace=True), today=DEMO_TODAY)
    with ws.session() as session:
        used = set(session.scalars(select(m.InvoiceLine.rule).join(m.Invoice).where(m.Invoice.period_start == dt.date(2025, 10, 1))))
        rules = {(r.pricebook, r.vendor, r.scope, r.match, r.markup_percent)
                 for r in session.scalars(select(m.PricebookRule)) if r.scope != "default"}
    assert rules, "the demo has service, product type and SKU rules"
    # "Standard 2025-10 service=AmazonEC2: +10%": the version's label, then the rule
    unused = sorted(
        f"{book} {vendor} {scope}={match}" for book, vendor, scope, match, percent in rules
        if not any(text.startswith(f"{book} ") and text.endswith(f" {scope}={match}: {percent:+}%") for text in used)
    )
    assert unused == []
    ec2 = [text for text in used if "AmazonEC2" in text or "6TW5QKFYDWFVJ8Q4" in text]
    assert ec2, used
