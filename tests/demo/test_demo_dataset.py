"""The demo data set: deterministic, in the vendors' real formats, and its `expected` totals hold."""

from __future__ import annotations

import csv
import json
import re
import zlib
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import workbench.billing.demo as demo_package
from workbench.billing.demo import (
    AZURE_EA_COLUMNS,
    AWS_CUR_LEGACY_COLUMNS,
    DemoFiles,
    ExpectedTotals,
    default_months,
    write_demo_dataset,
)
from workbench.billing.demo._tables import TABLE_HEADERS

TODAY = date(2024, 6, 15)  # as in conftest.py: months default to 2024-04 and 2024-05
NINE_DECIMALS = re.compile(r"^-?\d+\.\d{9}$")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def _report(demo: DemoFiles, prefix: str, period: str) -> Path:
    (path,) = [p for p in demo.reports if p.name.startswith(prefix) and period in p.name]
    return path


def _gcp_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line, parse_float=Decimal) for line in path.read_text(encoding="utf-8").splitlines()]


def _recomputed(demo: DemoFiles) -> dict[tuple[str, str, str], ExpectedTotals]:
    """Totals per (vendor, account, period), read back with csv/json and Decimal only."""
    cost: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    credits: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    rows: dict[tuple[str, str, str], int] = defaultdict(int)
    for path in demo.reports:
        period = re.search(r"\d{4}-\d{2}", path.name).group(0)  # type: ignore[union-attr]
        if path.name.startswith("aws-"):
            for row in _rows(path):
                key = ("aws", row["lineItem/UsageAccountId"], period)
                cost[key] += Decimal(row["lineItem/UnblendedCost"])
                rows[key] += 1
        elif path.name.startswith("azure-"):
            for row in _rows(path):
                key = ("azure", row["SubscriptionId"], period)
                cost[key] += Decimal(row["CostInBillingCurrency"])
                rows[key] += 1
        else:
            for line in _gcp_lines(path):
                key = ("gcp", line["project"]["id"], period)  # type: ignore[index]
                assert line["invoice"] == {"month": period.replace("-", "")}
                cost[key] += line["cost"]  # type: ignore[operator]
                credits[key] += sum((c["amount"] for c in line["credits"]), Decimal(0))  # type: ignore[index, union-attr]
                rows[key] += 1
    return {key: ExpectedTotals(cost[key], rows[key], credits[key]) for key in rows}


def test_months_default_to_the_two_before_today() -> None:
    assert default_months(date(2024, 6, 15)) == ("2024-04", "2024-05")
    assert default_months(date(2024, 1, 2)) == ("2023-11", "2023-12")
    assert default_months(date(2024, 2, 29)) == ("2023-12", "2024-01")


def test_public_names_exist() -> None:
    assert all(hasattr(demo_package, name) for name in demo_package.__all__)


def test_same_seed_same_bytes(demo: DemoFiles, tmp_path: Path) -> None:
    again = write_demo_dataset(tmp_path / "again", today=TODAY)
    first = sorted([*demo.tables, *demo.reports, demo.logo])
    second = sorted([*again.tables, *again.reports, again.logo])
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert again.expected == demo.expected


def test_another_seed_other_data(demo: DemoFiles, tmp_path: Path) -> None:
    other = write_demo_dataset(tmp_path / "other", today=TODAY, seed=8, customers=6, rows_per_account_month=8)
    assert other.expected.keys().isdisjoint(demo.expected.keys())


def test_report_headers_are_the_vendor_sample_headers(demo: DemoFiles, samples: Path) -> None:
    aws_sample = _header(samples / "aws-cur-legacy-2023-11.csv")
    azure_sample = _header(samples / "azure-ea-cost-2023-09.csv")
    assert list(AWS_CUR_LEGACY_COLUMNS) == aws_sample and len(aws_sample) == 94
    assert list(AZURE_EA_COLUMNS) == azure_sample and len(azure_sample) == 55
    for period in ("2024-04", "2024-05"):
        assert _header(_report(demo, "aws-cur", period)) == aws_sample
        assert _header(_report(demo, "azure-ea", period)) == azure_sample
    # Line ends as the vendors write them: AWS LF, Azure CRLF.
    assert b"\r\n" not in _report(demo, "aws-cur", "2024-05").read_bytes()
    assert _report(demo, "azure-ea", "2024-05").read_bytes().count(b"\r\n") == len(_rows(_report(demo, "azure-ea", "2024-05"))) + 1


def test_expected_totals_match_the_written_files(demo: DemoFiles) -> None:
    assert _recomputed(demo) == demo.expected
    assert {vendor for vendor, _, _ in demo.expected} == {"aws", "azure", "gcp"}
    assert all(t.rows == 40 for t in demo.expected.values())


def test_every_reported_account_is_assigned_or_deliberately_unassigned(demo: DemoFiles) -> None:
    accounts = {(r["vendor"], r["account_id"]): r["customer_id"] for r in _rows(demo.tables[3])}
    customers = {r["customer_id"] for r in _rows(demo.tables[1])}
    reported = {(vendor, account) for vendor, account, _ in demo.expected}
    assert reported == set(accounts) | demo.unassigned_accounts
    assert demo.unassigned_accounts.isdisjoint(accounts)
    assert {vendor for vendor, _ in demo.unassigned_accounts} == {"aws", "azure", "gcp"}
    assert set(accounts.values()) <= customers
    assert 20 <= len(customers) == 25


def test_aws_cur_has_the_line_kinds_of_a_real_bill(demo: DemoFiles) -> None:
    rows = _rows(_report(demo, "aws-cur", "2024-05"))
    kinds = defaultdict(list)
    for row in rows:
        kinds[row["lineItem/LineItemType"]].append(row)
        assert NINE_DECIMALS.match(row["lineItem/UnblendedCost"]), row["lineItem/UnblendedCost"]
        assert row["bill/InvoiceId"], "a closed month is final"
        assert len({row["bill/PayerAccountId"] for row in rows}) == 1
    assert set(kinds) == {"Usage", "Tax", "Credit"}
    assert all(Decimal(r["lineItem/UnblendedCost"]) < 0 for r in kinds["Credit"])
    free = [r for r in kinds["Usage"] if r["lineItem/LineItemDescription"].endswith("free tier")]
    assert free and all(Decimal(r["lineItem/UnblendedCost"]) == 0 for r in free)
    market = [r for r in rows if r["bill/BillingEntity"] == "AWS Marketplace"]
    assert market and all(r["lineItem/LegalEntity"] != r["bill/InvoicingEntity"] for r in market)
    assert {r["bill/InvoiceId"] for r in market}.isdisjoint({r["bill/InvoiceId"] for r in kinds["Usage"] if r not in market})
    assert any(Decimal(0) < Decimal(r["lineItem/UnblendedCost"]) < Decimal("1E-8") for r in rows)
    families = {r["product/productFamily"] for r in rows}
    assert {"Compute Instance", "Storage", "Database Instance", "Data Transfer"} <= families
    assert {"AmazonEC2", "AmazonS3", "AmazonRDS", "AmazonCloudWatch"} <= {r["lineItem/ProductCode"] for r in rows}
    assert all(r["lineItem/UsageStartDate"].startswith("2024-05-") for r in kinds["Usage"])


def test_azure_export_is_ea_shaped(demo: DemoFiles) -> None:
    rows = _rows(_report(demo, "azure-ea", "2024-04"))
    assert {r["BillingCurrencyCode"] for r in rows} == {"USD"}
    assert all(re.fullmatch(r"4/([1-9]|[12]\d|30)/2024", r["Date"]) for r in rows)
    assert {r["BillingPeriodStartDate"] for r in rows} == {"4/1/2024"}
    assert {"Usage", "Purchase", "Refund"} == {r["ChargeType"] for r in rows}
    assert {"Azure", "Marketplace"} == {r["PublisherType"] for r in rows}
    assert all(Decimal(r["CostInBillingCurrency"]) < 0 for r in rows if r["ChargeType"] == "Refund")
    assert all(NINE_DECIMALS.match(r["CostInBillingCurrency"]) for r in rows)


def test_gcp_export_fields_and_credits(demo: DemoFiles) -> None:
    path = _report(demo, "gcp-billing", "2024-05")
    raw = path.read_text(encoding="utf-8").splitlines()
    lines = _gcp_lines(path)
    assert {"billing_account_id", "service", "sku", "usage_start_time", "usage_end_time", "project", "labels",
            "location", "cost", "currency", "currency_conversion_rate", "usage", "credits", "invoice",
            "cost_type"} <= set(lines[0])
    assert {line["cost_type"] for line in lines} == {"regular", "tax"}
    assert {line["currency"] for line in lines} == {"USD"}
    credit_types = {c["type"] for line in lines for c in line["credits"]}  # type: ignore[union-attr, index]
    assert {"SUSTAINED_USAGE_DISCOUNT", "PROMOTION"} <= credit_types
    assert all(c["amount"] < 0 and set(c) == {"name", "amount", "full_name", "id", "type"}  # type: ignore[index, operator]
               for line in lines for c in line["credits"])  # type: ignore[union-attr]
    # cost is an exact JSON number literal with at most 9 decimals (never a float repr like 1e-09)
    for text in raw:
        literal = re.search(r'"cost":(-?[0-9.eE+-]+),', text).group(1)  # type: ignore[union-attr]
        assert re.fullmatch(r"-?\d+\.\d{1,9}", literal), literal
    assert any(line["transaction_type"] == "THIRD_PARTY_RESELLER" for line in lines)
    regular = [line for line in lines if line["cost_type"] == "regular"]
    assert all(set(line["usage"]) == {"amount", "unit", "amount_in_pricing_units", "pricing_unit"}  # type: ignore[arg-type]
               for line in regular)
    assert all(re.fullmatch(r"2024-05-\d\d \d\d:00:00 UTC", line["usage_start_time"]) for line in regular)  # type: ignore[arg-type]


def test_workspace_tables(demo: DemoFiles) -> None:
    by_name = {p.name: p for p in demo.tables}
    assert set(by_name) == set(TABLE_HEADERS)
    for name, path in by_name.items():
        assert tuple(_header(path)) == TABLE_HEADERS[name]
    customers = {r["customer_id"]: r for r in _rows(by_name["customers.csv"])}
    assert all(re.fullmatch(r"1\d{5}", c) for c in customers)
    assert len({r["tax_jurisdiction"] for r in customers.values()}) >= 5
    links = _rows(by_name["customer_vendors.csv"])
    assert {r["invoice_currency"] for r in links} >= {"USD", "CAD", "EUR"}
    # the deliberate gap: usage at AWS, an AWS account, no AWS pricebook/currency
    gap_customer, gap_vendor = demo.missing_pricebook
    assert (gap_customer, gap_vendor) == ("100004", "aws")
    assert not any(r["customer_id"] == gap_customer and r["vendor"] == gap_vendor for r in links)
    gap_accounts = [r["account_id"] for r in _rows(by_name["accounts.csv"])
                    if r["customer_id"] == gap_customer and r["vendor"] == gap_vendor]
    assert gap_accounts and all(("aws", a, "2024-05") in demo.expected for a in gap_accounts)
    assert customers[gap_customer]["tax_jurisdiction"].startswith("US-")
    # every customer with an account at a vendor has a pricebook there, except the gap
    accounts = _rows(by_name["accounts.csv"])
    linked = {(r["customer_id"], r["vendor"]) for r in links}
    assert {(r["customer_id"], r["vendor"]) for r in accounts} - linked == {demo.missing_pricebook}
    books = _rows(by_name["pricebooks.csv"])
    assert {r["scope"] for r in books} == {"default", "service", "product_type", "sku"}
    assert {r["pricebook"] for r in books} == {r["pricebook"] for r in links} == {"Standard", "Partner"}
    assert any(Decimal(r["markup_percent"]) < 0 for r in books)
    fx = _rows(by_name["fx_rates.csv"])
    assert {(r["period"], r["to_currency"]) for r in fx} == {(p, c) for p in ("2024-04", "2024-05") for c in ("CAD", "EUR")}
    assert {r["jurisdiction"] for r in _rows(by_name["tax_rates.csv"])} >= {r["tax_jurisdiction"] for r in customers.values()}
    credits = _rows(by_name["credits.csv"])
    assert {r["customer_id"] for r in credits} <= set(customers)
    assert {"aws", "gcp", "azure"} == {r["earned_on"] for r in credits}
    assert any(r["kind"] == "marketplace" for r in credits)
    for text in (r["amount"] for r in credits):
        assert re.fullmatch(r"\d+\.\d\d", text)
    (reseller,) = _rows(by_name["reseller.csv"])
    assert (Path(by_name["reseller.csv"]).parent / reseller["logo_file"]) == demo.logo


def test_logo_is_a_valid_png(demo: DemoFiles) -> None:
    data = demo.logo.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, kinds = 8, []
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
        crc = int.from_bytes(data[position + 8 + length:position + 12 + length], "big")
        assert zlib.crc32(kind + body) == crc
        kinds.append(kind)
        if kind == b"IDAT":
            width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
            assert len(zlib.decompress(body)) == height * (1 + 3 * width)
        position += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


def test_month_to_date_is_not_final(tmp_path: Path) -> None:
    files = write_demo_dataset(tmp_path, months=("2024-05", "2024-06"), today=TODAY, customers=5, rows_per_account_month=6)
    closed = _rows(next(p for p in files.reports if p.name == "aws-cur-2024-05.csv"))
    current = _rows(next(p for p in files.reports if p.name == "aws-cur-2024-06.csv"))
    assert all(r["bill/InvoiceId"] for r in closed)
    assert not any(r["bill/InvoiceId"] for r in current)
    assert all(r["lineItem/UsageStartDate"] < "2024-06-15" for r in current if r["lineItem/LineItemType"] == "Usage")
    assert _recomputed(files) == files.expected


def test_months_after_today_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="past today's month"):
        write_demo_dataset(tmp_path, months=("2024-07",), today=TODAY)
