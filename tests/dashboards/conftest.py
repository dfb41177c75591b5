"""A small reseller workspace written inline: four AWS customers, October final, November not.

    100001 Acme Corp    CAD invoices, Standard pricebook, Quebec taxes
    100002 Beta Ltd     USD invoices, Standard pricebook, Ontario tax
    100003 Gamma Inc    no AWS pricebook or invoice currency: the seed's error
    100004 Delta LLC    USD invoices
    444444444444        an AWS account that belongs to nobody (unassigned usage)
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from billing.conftest import cur_rows  # tests/billing: the inline CUR writer
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.table_import import import_tables
from workbench.billing.store.workspace import Workspace, init_workspace, open_workspace

TODAY = dt.date(2025, 11, 20)

TABLES = {
    "reseller": """
        name,address,contact_email,logo_file,payment_terms_days,portal_url
        Maple Cloud Partners,1 King St W Toronto,billing@maple.example,,30,https://portal.maple.example
    """,
    "customers": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        100001,Acme Corp,Ann Smith,ann@acme.example,1 Main St,CA-QC,
        100002,Beta Ltd,Bob Jones,bob@beta.example,2 High St,CA-ON,15
        100003,Gamma Inc,Gil Ray,gil@gamma.example,3 Low St,CA-ON,
        100004,Delta LLC,Dee Ng,dee@delta.example,4 Side St,CA-ON,
    """,
    "customer_vendors": """
        customer_id,vendor,pricebook,invoice_currency
        100001,aws,Standard,CAD
        100002,aws,Standard,USD
        100004,aws,Standard,USD
    """,
    "accounts": """
        customer_id,vendor,account_id,account_name
        100001,aws,111111111111,acme-prod
        100002,aws,222222222222,beta-main
        100003,aws,333333333333,gamma
        100004,aws,555555555555,delta
    """,
    "pricebooks": """
        pricebook,effective_from,vendor,scope,match,markup_percent
        Standard,2025-01,aws,default,,15
        Standard,2025-01,aws,service,AmazonEC2,10
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
        2025-10,USD,EUR,0.8605
        2025-11,USD,CAD,1.3801
    """,
}


def cur(rows: list[tuple[str, ...]], period: str, invoice_id: str) -> str:
    """A legacy CUR CSV (the 94 real columns) from (account, product, usage_type, cost[, line
    item type: Usage unless given, e.g. Refund]) rows; an empty invoice id means AWS has not
    issued the month's invoice: preliminary data."""
    return cur_rows(
        [{"account": account, "type": kind[0] if kind else "Usage", "product": product, "usage_type": usage_type,
          "cost": cost, "family": "Compute Instance" if product == "AmazonEC2" else "Storage"}
         for account, product, usage_type, cost, *kind in rows],
        period, invoice_id,
    )


OCTOBER = [
    ("111111111111", "AmazonEC2", "USE1-BoxUsage:m5.large", "100.00"),
    ("111111111111", "AmazonS3", "USE1-TimedStorage-ByteHrs", "20.50"),
    ("222222222222", "AmazonEC2", "USE1-BoxUsage:t3.micro", "10.004999999"),
    ("333333333333", "AmazonEC2", "USE1-BoxUsage:t3.micro", "7.00"),
    ("555555555555", "AmazonS3", "USE1-TimedStorage-ByteHrs", "40.00"),
    ("444444444444", "AmazonEC2", "USE1-BoxUsage:t3.micro", "3.50"),
]
NOVEMBER = [
    ("111111111111", "AmazonEC2", "USE1-BoxUsage:m5.large", "60.00"),
    ("222222222222", "AmazonEC2", "USE1-BoxUsage:t3.micro", "5.00"),
]


def write_tables(folder: Path, tables: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in tables.items():
        path = folder / f"{name}.csv"
        path.write_text("\n".join(line.strip() for line in text.strip().splitlines()) + "\n")
        paths.append(path)
    return paths


def build_workspace(root: Path, tables: dict[str, str], reports: dict[str, tuple[list[tuple[str, ...]], str]]) -> Workspace:
    ws = init_workspace(root, name="Maple")
    _summary, problems = import_tables(ws, write_tables(root / "imports", tables))
    assert [str(p) for p in problems if p.severity.value == "error"] == []
    files = []
    for period, (rows, invoice_id) in reports.items():
        path = root / "imports" / f"cur-{period}.csv"
        path.write_text(cur(rows, period, invoice_id))
        files.append(path)
    outcome = import_reports(ws, files)
    assert [f.status for f in outcome.files] == ["imported"] * len(files)
    return ws


@pytest.fixture(scope="session")
def template_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dash") / "ws"
    ws = build_workspace(root, TABLES, {"2025-10": (OCTOBER, "INV-OCT"), "2025-11": (NOVEMBER, "")})
    ws.close()
    return root


@pytest.fixture
def ws(template_workspace: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A fresh copy per test: tests generate, approve and delete."""
    root = tmp_path / "ws"
    shutil.copytree(template_workspace, root)
    workspace = open_workspace(root)
    yield workspace
    workspace.close()


def snapshot(ws: Workspace) -> tuple[str, list[tuple[str, int]]]:
    """The database as SQL and every file with its size: equal before and after means untouched."""
    con = sqlite3.connect(ws.root / "workbench.db")
    try:
        dump = "\n".join(con.iterdump())
    finally:
        con.close()
    files = sorted((str(p.relative_to(ws.root)), p.stat().st_size) for p in ws.root.rglob("*")
                   if p.is_file() and not p.name.endswith(("-journal", "-wal", "-shm")))
    return dump, files
