"""Fixtures for end-to-end billing tests: a workspace built from inline tables and reports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from workbench.billing.store.table_import import import_tables
from workbench.billing.store.workspace import Workspace, init_workspace

SAMPLES = Path(__file__).parent.parent / "data" / "vendor-samples"
CUR_HEADER = (SAMPLES / "aws-cur-legacy-2023-11.csv").read_text().splitlines()[0].split(",")


def write_tables(directory: Path, tables: dict[str, str]) -> list[Path]:
    """Write {'customers': 'csv text', ...} as customers.csv etc.; return the paths."""
    paths = []
    for name, text in tables.items():
        path = directory / f"{name}.csv"
        path.write_text("\n".join(line.strip() for line in text.strip().splitlines()) + "\n")
        paths.append(path)
    return paths


def cur_rows(rows: list[dict[str, str]], period: str, invoice_id: str = "INV-1", *,
             payer: str = "999999999999", currency: str = "USD") -> str:
    """A legacy CUR CSV (all 94 real columns) from short rows: account, type, product, family,
    usage_type, cost, [entity], [description], [day] (of usage, YYYY-MM-DD; default the period's
    first); of one payer account, in one currency."""
    start = dt.date.fromisoformat(period + "-01")
    end = (start + dt.timedelta(days=32)).replace(day=1)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CUR_HEADER, lineterminator="\n")
    writer.writeheader()
    for i, r in enumerate(rows):
        day = r.get("day", start.isoformat())
        writer.writerow({
            "identity/LineItemId": f"li{i}",
            "bill/InvoiceId": invoice_id,
            "bill/BillingEntity": r.get("entity", "AWS"),
            "bill/PayerAccountId": payer,
            "bill/BillingPeriodStartDate": f"{start}T00:00:00.000Z",
            "bill/BillingPeriodEndDate": f"{end}T00:00:00.000Z",
            "lineItem/UsageAccountId": r["account"],
            "lineItem/LineItemType": r["type"],
            "lineItem/UsageStartDate": f"{day}T00:00:00.000Z",
            "lineItem/UsageEndDate": f"{day}T01:00:00.000Z",
            "lineItem/ProductCode": r["product"],
            "lineItem/UsageType": r["usage_type"],
            "lineItem/UsageAmount": r.get("quantity", "1"),
            "lineItem/CurrencyCode": currency,
            "lineItem/UnblendedCost": r["cost"],
            "lineItem/LineItemDescription": r.get("description", f"{r['product']} {r['usage_type']}"),
            "product/ProductName": r["product"],
            "product/productFamily": r["family"],
            "pricing/unit": "Hrs",
        })
    return out.getvalue()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", name="test")


def load(ws: Workspace, tmp_path: Path, tables: dict[str, str]) -> None:
    summary, problems = import_tables(ws, write_tables(tmp_path, tables))
    assert [str(p) for p in problems if p.severity.value == "error"] == []


@pytest.fixture
def billed(workspace: Workspace, tmp_path: Path) -> Workspace:
    """The worked example's tables and October CUR imported; no invoices yet."""
    from workbench.billing.store.report_import import import_reports

    from .worked_example import CUR, TABLES

    load(workspace, tmp_path, TABLES)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR, "2025-10"))
    outcome = import_reports(workspace, [report])
    assert [f.status.value for f in outcome.files] == ["imported"]
    return workspace
