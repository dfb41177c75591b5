"""Usage of an account nobody owns: `workbench unassigned` and the generation warning give the
same rows and cost (billable usage: no vendor tax, no free tier). They differed: the listing
counted the vendor's tax rows, the warning did not."""

from __future__ import annotations

from decimal import Decimal

from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.usage_queries import unassigned_usage

from .conftest import cur_rows, load
from .worked_example import CUR, TABLES, TODAY

STRAY = [
    {"account": "555555555555", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:t3.micro", "cost": "12.004"},
    {"account": "555555555555", "type": "Tax", "product": "AmazonEC2", "family": "", "usage_type": "", "cost": "1.56"},
    {"account": "555555555555", "type": "Usage", "product": "AmazonS3", "family": "Storage", "usage_type": "USE1-Requests-Tier1", "cost": "0",
     "description": "$0.00 per request - first 2,000 requests free tier"},
]


def test_the_unassigned_listing_and_the_generation_warning_agree(workspace, tmp_path):
    load(workspace, tmp_path, TABLES)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR + STRAY, "2025-10"))
    import_reports(workspace, [report])
    [listed] = [u for u in unassigned_usage(workspace, "aws") if u.account_id == "555555555555"]
    assert (listed.rows, listed.cost, listed.periods) == (1, Decimal("12.004"), ("2025-10",))
    warned = [p.message for p in generate_invoices(workspace, "aws", given_month("2025-10"), today=TODAY).problems
              if p.code == "unassigned-account" and "555555555555" in p.message]
    assert warned == ["aws account 555555555555 belongs to no customer: 1 row(s), 12.00 USD not invoiced"]
