"""A tiny workspace for the analytics worked examples: two vendors, two months, written inline.

    customer 100001 Acme: aws 111111111111 (acme-prod), aws 112222222222 (acme-dev), azure sub-a
    customer 100002 Beta: aws 222222222222 (beta-main)
    nobody:               aws 999999999999 (stray), azure sub-x (lab)

AWS bills in USD (2025-09 and 2025-10), Azure in CAD (2025-10 only). Each report carries a
row that must never count: a vendor tax row (AWS) or a free-tier row (Azure).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from workbench.billing.store.report_import import import_reports
from workbench.billing.store.table_import import import_tables
from workbench.billing.store.workspace import Workspace, init_workspace

TODAY = dt.date(2025, 11, 25)

HEADER = ("BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,"
          "ChargePeriodStart,ChargePeriodEnd,ConsumedQuantity,ConsumedUnit,EffectiveCost,ProviderName,PublisherName,"
          "ServiceCategory,ServiceName,SkuId,SubAccountId,SubAccountName")


def focus_csv(provider: str, currency: str, period: str, rows: str) -> str:
    """FOCUS 1.0 CSV from short rows: `day | account | name | category | product type | service | cost
    [| description]`."""
    out = [HEADER]
    for line in rows.strip().splitlines():
        day, account, name, category, section, service, cost, *text = (c.strip() for c in line.split("|"))
        description = text[0] if text else f"{service} {category}"
        start = f"{period}-{day}T00:00:00Z"
        out.append(",".join([
            cost, "payer-1", currency, f"{period}-01T00:00:00Z", category, "", description, start,
            f"{period}-{day}T01:00:00Z", "1", "Hours", cost, provider, provider, section, service, "SKU-1", account, name,
        ]))
    return "\n".join(out) + "\n"


REPORTS = {
    "aws-2025-09.csv": focus_csv("AWS", "USD", "2025-09", """
        01 | 111111111111 | acme-prod | Usage | Compute  | AmazonEC2 | 100.000000001
        02 | 111111111111 | acme-prod | Usage | Storage  | AmazonS3  | 20
        01 | 222222222222 | beta-main | Usage | Databases | AmazonRDS | 50
        01 | 999999999999 | stray     | Usage | Compute  | AmazonEC2 | 5
    """),
    "aws-2025-10.csv": focus_csv("AWS", "USD", "2025-10", """
        01 | 111111111111 | acme-prod | Usage  | Compute  | AmazonEC2 | 130
        01 | 111111111111 | acme-prod | Credit | Compute  | AmazonEC2 | -3
        01 | 112222222222 | acme-dev  | Usage  | Compute  | AmazonEC2 | 0.0000000018
        02 | 111111111111 | acme-prod | Usage  | Storage  | AmazonS3  | 20
        02 | 111111111111 | acme-prod | Tax    | Compute  | AmazonEC2 | 13
        01 | 222222222222 | beta-main | Usage  | Databases | AmazonRDS | 40
        03 | 999999999999 | stray     | Usage  | Compute  | AmazonEC2 | 7.5
    """),
    "azure-2025-10.csv": focus_csv("Microsoft", "CAD", "2025-10", """
        01 | sub-a | acme-azure | Usage | Compute | Virtual Machines | 200
        02 | sub-a | acme-azure | Usage | Storage | Storage Accounts | 0 | First 5 GB free tier
        02 | sub-x | lab        | Usage | Storage | Storage Accounts | 1.25
    """),
}

TABLES = {
    "customers": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        100001,Acme Corp,Ann Smith,ann@acme.example,1 Main St,CA-ON,
        100002,Beta Ltd,Bob Jones,bob@beta.example,2 High St,CA-ON,
    """,
    "customer_vendors": """
        customer_id,vendor,pricebook,invoice_currency
        100001,aws,Standard,USD
        100002,aws,Partner,USD
    """,
    "accounts": """
        customer_id,vendor,account_id,account_name
        100001,aws,111111111111,acme-prod
        100001,aws,112222222222,acme-dev
        100001,azure,sub-a,acme-azure
        100002,aws,222222222222,beta-main
    """,
    "pricebooks": """
        pricebook,effective_from,vendor,scope,match,markup_percent
        Standard,2025-01,aws,default,,10
        Partner,2025-01,aws,default,,-5
    """,
    "tax_rates": """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-ON,HST,13,2020-01
    """,
}


def build(root: Path, reports: dict[str, str] = REPORTS, tables: dict[str, str] = TABLES, *,
          name: str = "analytics") -> Workspace:
    ws = init_workspace(root / "ws", name=name)
    table_paths = []
    for table, text in tables.items():
        path = root / f"{table}.csv"
        path.write_text("\n".join(line.strip() for line in text.strip().splitlines()) + "\n")
        table_paths.append(path)
    _, problems = import_tables(ws, table_paths)
    assert [str(p) for p in problems if p.severity.value == "error"] == []
    report_paths = []
    for file_name, text in reports.items():
        path = root / file_name
        path.write_text(text)
        report_paths.append(path)
    outcome = import_reports(ws, report_paths, today=TODAY)
    assert [(f.path.name, f.status.value, [str(p) for p in f.problems if p.severity.value == "error"]) for f in outcome.files] == [
        (file_name, "imported", []) for file_name in reports
    ]
    return ws


@pytest.fixture(scope="session")
def analytics_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Read-only for the tests: queries and previews store nothing."""
    ws = build(tmp_path_factory.mktemp("analytics"))
    yield ws
    ws.close()


# Customers of one vendor invoiced in three currencies: AWS bills every one of them in USD, the
# reseller invoices Acme in USD, Kaisha in JPY and the two European customers in EUR. Margins of
# 15,000 JPY and 100 USD must never share an axis or a total.
CURRENCY_REPORTS = {
    "aws-2025-10.csv": focus_csv("AWS", "USD", "2025-10", """
        01 | 111111111111 | acme-prod   | Usage | Compute  | AmazonEC2 | 1000.004
        01 | 333333333333 | kaisha-main | Usage | Compute  | AmazonEC2 | 1000
        01 | 444444444444 | euro-main   | Usage | Compute  | AmazonEC2 | 500
        02 | 555555555555 | delta-main  | Usage | Storage  | AmazonS3  | 200.0000000018
        02 | 999999999999 | stray       | Usage | Compute  | AmazonEC2 | 7.5
    """),
}

CURRENCY_TABLES = {
    "customers": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        100001,Acme Corp,Ann Smith,ann@acme.example,1 Main St,CA-ON,
        100003,Kaisha KK,Kei Sato,kei@kaisha.example,3 Chome,CA-ON,
        100004,Euro GmbH,Eva Berg,eva@euro.example,4 Ring,CA-ON,
        100005,Delta SARL,Dan Roux,dan@delta.example,5 Rue,CA-ON,
    """,
    "customer_vendors": """
        customer_id,vendor,pricebook,invoice_currency
        100001,aws,Standard,USD
        100003,aws,Standard,JPY
        100004,aws,Standard,EUR
        100005,aws,Partner,EUR
    """,
    "accounts": """
        customer_id,vendor,account_id,account_name
        100001,aws,111111111111,acme-prod
        100003,aws,333333333333,kaisha-main
        100004,aws,444444444444,euro-main
        100005,aws,555555555555,delta-main
    """,
    "pricebooks": TABLES["pricebooks"],
    "tax_rates": TABLES["tax_rates"],
    "fx_rates": """
        period,from_currency,to_currency,rate
        2025-10,USD,JPY,150.5
        2025-10,USD,EUR,0.8605
    """,
}


@pytest.fixture(scope="session")
def currencies_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One vendor's USD usage, invoiced in USD, JPY and EUR. Read-only for the tests."""
    ws = build(tmp_path_factory.mktemp("currencies"), CURRENCY_REPORTS, CURRENCY_TABLES, name="currencies")
    yield ws
    ws.close()


# One vendor, two payers: AWS bills one payer in USD and the other in EUR, and Mixto's account
# appears in both in October, so its October usage is in two currencies and cannot be invoiced
# (mixed-usage-currencies); its September usage is in USD alone. Acme is priced in USD as usual.
TWO_USAGE_CURRENCY_REPORTS = {
    "aws-usd-2025-09.csv": focus_csv("AWS", "USD", "2025-09", """
        01 | 111111111111 | acme-prod  | Usage | Compute | AmazonEC2 | 100
        01 | 666666666666 | mixto-main | Usage | Compute | AmazonEC2 | 30
    """),
    "aws-usd-2025-10.csv": focus_csv("AWS", "USD", "2025-10", """
        01 | 111111111111 | acme-prod  | Usage | Compute | AmazonEC2 | 100
        01 | 666666666666 | mixto-main | Usage | Compute | AmazonEC2 | 30
    """),
    "aws-eur-2025-10.csv": focus_csv("AWS", "EUR", "2025-10", """
        02 | 666666666666 | mixto-main | Usage | Storage | AmazonS3 | 12
    """).replace("payer-1", "payer-2"),
}

TWO_USAGE_CURRENCY_TABLES = {
    **TABLES,
    "customers": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        100001,Acme Corp,Ann Smith,ann@acme.example,1 Main St,CA-ON,
        100006,Mixto SA,Mia Ruiz,mia@mixto.example,6 Calle,CA-ON,
    """,
    "customer_vendors": """
        customer_id,vendor,pricebook,invoice_currency
        100001,aws,Standard,USD
        100006,aws,Standard,USD
    """,
    "accounts": """
        customer_id,vendor,account_id,account_name
        100001,aws,111111111111,acme-prod
        100006,aws,666666666666,mixto-main
    """,
}


@pytest.fixture(scope="session")
def two_usage_currencies_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """AWS usage in USD and EUR; Mixto's in both. Read-only for the tests."""
    ws = build(tmp_path_factory.mktemp("two-usage"), TWO_USAGE_CURRENCY_REPORTS, TWO_USAGE_CURRENCY_TABLES, name="two-usage")
    yield ws
    ws.close()
