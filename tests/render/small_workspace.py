"""A small billing workspace for the render and batch tests, built from inline tables and an
inline AWS CUR (the worked example of tests/billing: Acme in CAD, Beta and "Smith & Sons" in USD).

    ws = build_small_workspace(tmp_path / "ws")        # reference data + October usage, no invoices
    made = generate_october(ws)                         # {customer_id: GeneratedInvoice}

Acme's invoice (CAD, credits applied, marketplace included), as the engine makes it:
    Compute Instance  Amazon EC2 ...        150.83
    Storage           Amazon S3 ...          26.70
    SaaS              (marketplace)          54.85
    Support           Support plan           25.00
    Credits           Credits applied       -50.00
    Subtotal                                207.38
    Tax  GST 5%                              10.37
    Tax  QST 9.975%                          20.69
    Total                                   238.44
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from billing.conftest import cur_rows, write_tables  # tests/billing: the inline CUR and table helpers
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import given_month
from workbench.billing.generate import GeneratedInvoice, generate_invoices
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.table_import import import_tables
from workbench.billing.store.workspace import Workspace, init_workspace

TODAY = dt.date(2025, 11, 20)

# A 1x1 PNG: the reseller's logo.
LOGO_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

TABLES = {
    "reseller": """
        name,address,contact_email,logo_file,payment_terms_days,portal_url
        Maple Cloud Partners,1 King St W Toronto,billing@maple.example,logo.png,30,https://portal.maple.example
    """,
    "customers": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        100001,Acme Corp,Ann Smith,ann@acme.example,1 Main St,CA-QC,
        100002,Beta Ltd,Bob Jones,bob@beta.example,2 High St,CA-ON,15
        100003,Smith & Sons <Ltd>,"Eve ""<b>"" O'Neil",eve@smith.example,3 Low St,CA-ON,
    """,
    "customer_vendors": """
        customer_id,vendor,pricebook,invoice_currency
        100001,aws,Standard,CAD
        100002,aws,Standard,USD
        100003,aws,Standard,USD
    """,
    "accounts": """
        customer_id,vendor,account_id,account_name
        100001,aws,111111111111,acme-prod
        100002,aws,222222222222,beta-main
        100003,aws,333333333333,smith
    """,
    "pricebooks": """
        pricebook,effective_from,vendor,scope,match,markup_percent
        Standard,2025-01,aws,default,,15
        Standard,2025-01,aws,service,AmazonEC2,10
        Standard,2025-01,aws,sku,USE1-TimedStorage-ByteHrs,-5
    """,
    "support_plans": """
        pricebook,effective_from,vendor,percent,monthly_minimum
        Standard,2025-01,aws,3,25
    """,
    "tax_rates": """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-QC,GST,5,2020-01
        CA-QC,QST,9.975,2020-01
        CA-ON,HST,13,2020-01
    """,
    "fx_rates": """
        period,from_currency,to_currency,rate
        2025-10,USD,CAD,1.3712
        2025-10,CAD,USD,0.7293
        2025-10,CAD,EUR,0.6250
    """,
    "credits": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        100001,C-1,2025-09-15,50.00,CAD,general,azure,Azure migration credit
    """,
}

CUR = [
    {"account": "111111111111", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:m5.large", "cost": "100.000000001"},
    {"account": "111111111111", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:m5.large", "cost": "0.0000000018"},
    {"account": "111111111111", "type": "Usage", "product": "AmazonS3", "family": "Storage", "usage_type": "USE1-TimedStorage-ByteHrs", "cost": "20.5"},
    {"account": "111111111111", "type": "Tax", "product": "AmazonEC2", "family": "", "usage_type": "", "cost": "13.00"},
    {"account": "111111111111", "type": "Usage", "product": "prod-abc123", "family": "SaaS", "usage_type": "SoftwareUsage", "cost": "40", "entity": "AWS Marketplace"},
    {"account": "222222222222", "type": "Usage", "product": "AmazonRDS", "family": "Database Instance", "usage_type": "USE1-InstanceUsage:db.t3", "cost": "10.004999999"},
    {"account": "333333333333", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:t3.micro", "cost": "7", "description": "<script>alert('x')</script> & t3"},
]

OPTIONS = InvoiceOptions(apply_credits=True, include_marketplace=True)


def build_small_workspace(root: Path, tables_text: dict[str, str] = TABLES) -> Workspace:
    ws = init_workspace(root, name="render-tests")
    tables = root.parent / f"{root.name}-tables"
    tables.mkdir()
    _, problems = import_tables(ws, write_tables(tables, tables_text))
    assert [str(p) for p in problems if p.severity.value == "error"] == []
    (root / "logo.png").write_bytes(LOGO_PNG)
    report = tables / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR, "2025-10"))
    outcome = import_reports(ws, [report])
    assert [f.status for f in outcome.files] == ["imported"]
    return ws


def generate_october(ws: Workspace) -> dict[str, GeneratedInvoice]:
    result = generate_invoices(ws, "aws", given_month("2025-10"), options=OPTIONS, today=TODAY)
    assert [p for p in result.problems if p.severity.value == "error"] == []
    return {i.customer_id: i for i in result.invoices}
