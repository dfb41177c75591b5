"""AWS Cost and Usage Report generator: legacy CUR or CUR 2.0, as CSV, gzipped CSV or parquet.

The rows are never built in Python: one DuckDB query derives every value from
`hash(row, stream, seed, month)` over a table of row numbers (a table scan runs on all threads,
`range()` would feed one). Parquet goes out through `COPY ... TO`; CSV lines are assembled in SQL
(fields pre-escaped, empty columns as literal commas) and their Arrow string buffers are written
straight to the file, gzipped on a worker thread. Memory stays flat in the row count (apart from
8 bytes a row of row numbers).

Money is integer nano-dollars until the last step: cost = quantity x rate rounded half up to 9
decimals, written as exact 9-decimal text (CSV) or DECIMAL(18, 9) (parquet); quantities and rates
carry 10 decimals.

Rows are grouped by account: row `i` belongs to account `i // rows_per_account` and is that
account's line `j = i % rows_per_account`. Line 0 is a Tax line, line 1 a free-tier line (cost 0),
line 2 an AWS Marketplace line on a quarter of the accounts, line 3 a Credit (negative) on a third
of them; every other line is Usage, one in forty of them a tiny cost of 1E-9 scale.
"""

from __future__ import annotations

import calendar
import queue
import random
import re
import struct
import threading
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ._formats import AWS_CUR2_COLUMNS, AWS_CUR_LEGACY_COLUMNS, snake_case

__all__ = ["CurFormat", "write_aws_cur", "write_cur_file", "CurAccountTotals"]

CurFormat = Literal["parquet", "csv.gz", "csv"]

INVOICING_ENTITY = "Amazon Web Services Canada, Inc."
_PARQUET_BATCH = 131_072  # rows per parquet row group
MONEY = "DECIMAL(38,9)"
QUANTITY = "DECIMAL(38,10)"

# One catalog row per product line the generator can emit. Keys are legacy CUR columns;
# `rate` is the unblended rate (exact text), `kind` says which lines may use the entry.
_USAGE: tuple[dict[str, str], ...] = (
    {"lineItem/ProductCode": "AmazonEC2", "lineItem/UsageType": "USE1-BoxUsage:m5.large", "lineItem/Operation": "RunInstances",
     "lineItem/LineItemDescription": "$0.096 per On Demand Linux m5.large Instance Hour", "product/ProductName": "Amazon Elastic Compute Cloud",
     "product/productFamily": "Compute Instance", "product/servicecode": "AmazonEC2", "product/servicename": "Amazon Elastic Compute Cloud",
     "product/sku": "6TW5QKFYDWFVJ8Q4", "product/region": "us-east-1", "product/regionCode": "us-east-1", "product/location": "US East (N. Virginia)",
     "lineItem/AvailabilityZone": "us-east-1a", "pricing/unit": "Hrs", "rate": "0.096"},
    {"lineItem/ProductCode": "AmazonEC2", "lineItem/UsageType": "CAN1-BoxUsage:c5.xlarge", "lineItem/Operation": "RunInstances",
     "lineItem/LineItemDescription": "$0.186 per On Demand Linux c5.xlarge Instance Hour", "product/ProductName": "Amazon Elastic Compute Cloud",
     "product/productFamily": "Compute Instance", "product/servicecode": "AmazonEC2", "product/servicename": "Amazon Elastic Compute Cloud",
     "product/sku": "3XQ8VZ2NMJ7RYKCD", "product/region": "ca-central-1", "product/regionCode": "ca-central-1", "product/location": "Canada (Central)",
     "lineItem/AvailabilityZone": "ca-central-1b", "pricing/unit": "Hrs", "rate": "0.186"},
    {"lineItem/ProductCode": "AmazonEC2", "lineItem/UsageType": "USE1-EBS:VolumeUsage.gp3", "lineItem/Operation": "CreateVolume-Gp3",
     "lineItem/LineItemDescription": "$0.08 per GB-month of General Purpose (gp3) provisioned storage - US East (Northern Virginia)",
     "product/ProductName": "Amazon Elastic Compute Cloud", "product/productFamily": "Storage", "product/servicecode": "AmazonEC2",
     "product/servicename": "Amazon Elastic Compute Cloud", "product/sku": "7Y9ZZ3FXWPC86CZY", "product/region": "us-east-1",
     "product/regionCode": "us-east-1", "product/location": "US East (N. Virginia)", "product/volumeType": "General Purpose",
     "lineItem/AvailabilityZone": "us-east-1a", "pricing/unit": "GB-Mo", "rate": "0.0001095890"},
    {"lineItem/ProductCode": "AmazonS3", "lineItem/UsageType": "USE1-TimedStorage-ByteHrs", "lineItem/Operation": "StandardStorage",
     "lineItem/LineItemDescription": "$0.023 per GB - first 50 TB / month of storage used", "product/ProductName": "Amazon Simple Storage Service",
     "product/productFamily": "Storage", "product/servicecode": "AmazonS3", "product/servicename": "Amazon Simple Storage Service",
     "product/sku": "WP9ANXZGBYYSGJEA", "product/region": "us-east-1", "product/regionCode": "us-east-1", "product/location": "US East (N. Virginia)",
     "product/storageClass": "General Purpose", "pricing/unit": "GB-Mo", "rate": "0.023"},
    {"lineItem/ProductCode": "AmazonS3", "lineItem/UsageType": "USE1-Requests-Tier1", "lineItem/Operation": "PutObject",
     "lineItem/LineItemDescription": "$0.005 per 1,000 PUT, COPY, POST, or LIST requests", "product/ProductName": "Amazon Simple Storage Service",
     "product/productFamily": "API Request", "product/servicecode": "AmazonS3", "product/servicename": "Amazon Simple Storage Service",
     "product/sku": "JDWWV9F3ZE5Q9KXB", "product/region": "us-east-1", "product/regionCode": "us-east-1", "product/location": "US East (N. Virginia)",
     "pricing/unit": "Requests", "rate": "0.000005"},
    {"lineItem/ProductCode": "AmazonRDS", "lineItem/UsageType": "USE1-InstanceUsage:db.r5.large", "lineItem/Operation": "CreateDBInstance:0002",
     "lineItem/LineItemDescription": "$0.25 per RDS db.r5.large Single-AZ instance hour (or partial hour) running MySQL",
     "product/ProductName": "Amazon Relational Database Service", "product/productFamily": "Database Instance", "product/servicecode": "AmazonRDS",
     "product/servicename": "Amazon Relational Database Service", "product/sku": "QZ4N8D2ZP8W3H9MT", "product/region": "us-east-1",
     "product/regionCode": "us-east-1", "product/location": "US East (N. Virginia)", "lineItem/AvailabilityZone": "us-east-1c",
     "pricing/unit": "Hrs", "rate": "0.25"},
    {"lineItem/ProductCode": "AmazonRDS", "lineItem/UsageType": "USE1-RDS:GP2-Storage", "lineItem/Operation": "CreateDBInstance:0002",
     "lineItem/LineItemDescription": "$0.115 per GB-month of provisioned GP2 storage running MySQL",
     "product/ProductName": "Amazon Relational Database Service", "product/productFamily": "Database Storage", "product/servicecode": "AmazonRDS",
     "product/servicename": "Amazon Relational Database Service", "product/sku": "R8YB6K3GJ5VA2XNW", "product/region": "us-east-1",
     "product/regionCode": "us-east-1", "product/location": "US East (N. Virginia)", "product/volumeType": "General Purpose",
     "pricing/unit": "GB-Mo", "rate": "0.0001575342"},
    {"lineItem/ProductCode": "AmazonCloudWatch", "lineItem/UsageType": "CW:MetricMonitorUsage", "lineItem/Operation": "MetricStorage",
     "lineItem/LineItemDescription": "$0.30 per metric-month - first 10,000 metrics", "product/ProductName": "AmazonCloudWatch",
     "product/productFamily": "Metric", "product/servicecode": "AmazonCloudWatch", "product/servicename": "AmazonCloudWatch",
     "product/sku": "H8YC4XTCVG8N4Z4E", "product/region": "us-east-1", "product/regionCode": "us-east-1", "product/location": "US East (N. Virginia)",
     "pricing/unit": "Metrics", "rate": "0.0004109589"},
    {"lineItem/ProductCode": "AmazonCloudWatch", "lineItem/UsageType": "USE1-DataProcessing-Bytes", "lineItem/Operation": "PutLogEvents",
     "lineItem/LineItemDescription": "$0.50 per GB custom log data ingested", "product/ProductName": "AmazonCloudWatch",
     "product/productFamily": "Data Payload", "product/servicecode": "AmazonCloudWatch", "product/servicename": "AmazonCloudWatch",
     "product/sku": "CNQPUD4BZV5WQ6QK", "product/region": "us-east-1", "product/regionCode": "us-east-1", "product/location": "US East (N. Virginia)",
     "pricing/unit": "GB", "rate": "0.5"},
    {"lineItem/ProductCode": "AmazonEC2", "lineItem/UsageType": "USE1-DataTransfer-Out-Bytes", "lineItem/Operation": "RunInstances",
     "lineItem/LineItemDescription": "$0.090 per GB - first 10 TB / month data transfer out to the internet",
     "product/ProductName": "Amazon Elastic Compute Cloud", "product/productFamily": "Data Transfer", "product/servicecode": "AWSDataTransfer",
     "product/servicename": "AWS Data Transfer", "product/sku": "HQEH3ZWJVT46JHRG", "product/region": "us-east-1",
     "product/fromLocation": "US East (N. Virginia)", "product/fromLocationType": "AWS Region", "product/fromRegionCode": "us-east-1",
     "product/toLocation": "External", "product/toLocationType": "Other", "product/transferType": "AWS Outbound",
     "pricing/unit": "GB", "rate": "0.09"},
    {"lineItem/ProductCode": "AWSLambda", "lineItem/UsageType": "USE1-Lambda-GB-Second", "lineItem/Operation": "Invoke",
     "lineItem/LineItemDescription": "AWS Lambda - Total Compute - US East (Northern Virginia)", "product/ProductName": "AWS Lambda",
     "product/productFamily": "Serverless", "product/servicecode": "AWSLambda", "product/servicename": "AWS Lambda",
     "product/sku": "TG3M4CAGBA3NYQBH", "product/region": "us-east-1", "product/regionCode": "us-east-1", "product/location": "US East (N. Virginia)",
     "pricing/unit": "Lambda-GB-Second", "rate": "0.0000166667"},
    {"lineItem/ProductCode": "AmazonDynamoDB", "lineItem/UsageType": "USE1-ReadRequestUnits", "lineItem/Operation": "PayPerRequestThroughput",
     "lineItem/LineItemDescription": "$0.25 per million read request units (N. Virginia)", "product/ProductName": "Amazon DynamoDB",
     "product/productFamily": "Amazon DynamoDB PayPerRequest Throughput", "product/servicecode": "AmazonDynamoDB",
     "product/servicename": "Amazon DynamoDB", "product/sku": "CFMGVNBSTVM5SK3V", "product/region": "us-east-1",
     "product/regionCode": "us-east-1", "product/location": "US East (N. Virginia)", "pricing/unit": "ReadRequestUnits", "rate": "0.00000025"},
)

_FREE_TIER: tuple[dict[str, str], ...] = (
    {"lineItem/ProductCode": "AmazonEC2", "lineItem/UsageType": "USE1-BoxUsage:t2.micro", "lineItem/Operation": "RunInstances",
     "lineItem/LineItemDescription": "$0.00 per Linux t2.micro instance-hour (or partial hour) under monthly free tier",
     "product/ProductName": "Amazon Elastic Compute Cloud", "product/productFamily": "Compute Instance", "product/servicecode": "AmazonEC2",
     "product/servicename": "Amazon Elastic Compute Cloud", "product/sku": "DQ578CGN99KG6ECF", "product/region": "us-east-1",
     "product/regionCode": "us-east-1", "product/location": "US East (N. Virginia)", "lineItem/AvailabilityZone": "us-east-1a",
     "pricing/unit": "Hrs", "rate": "0.0"},
    {"lineItem/ProductCode": "AmazonEC2", "lineItem/UsageType": "USE1-DataTransfer-Out-Bytes", "lineItem/Operation": "RunInstances",
     "lineItem/LineItemDescription": "$0.000 per GB - data transfer out under the monthly global free tier",
     "product/ProductName": "Amazon Elastic Compute Cloud", "product/productFamily": "Data Transfer", "product/servicecode": "AWSDataTransfer",
     "product/servicename": "AWS Data Transfer", "product/sku": "HQEH3ZWJVT46JHRG", "product/region": "us-east-1",
     "product/fromLocation": "US East (N. Virginia)", "product/fromLocationType": "AWS Region", "product/fromRegionCode": "us-east-1",
     "product/toLocation": "External", "product/toLocationType": "Other", "product/transferType": "AWS Outbound",
     "pricing/unit": "GB", "rate": "0.0"},
    {"lineItem/ProductCode": "AWSLambda", "lineItem/UsageType": "USE1-Lambda-GB-Second", "lineItem/Operation": "Invoke",
     "lineItem/LineItemDescription": "$0 per GB-second for the first 400,000 GB-seconds under the monthly free tier",
     "product/ProductName": "AWS Lambda", "product/productFamily": "Serverless", "product/servicecode": "AWSLambda",
     "product/servicename": "AWS Lambda", "product/sku": "TG3M4CAGBA3NYQBH", "product/region": "us-east-1", "product/regionCode": "us-east-1",
     "product/location": "US East (N. Virginia)", "pricing/unit": "Lambda-GB-Second", "rate": "0.0"},
)

# Third-party sellers: the product code is the listing's, the legal entity is the seller.
_MARKETPLACE: tuple[dict[str, str], ...] = (
    {"lineItem/ProductCode": "8hx2kq7m1zj4vbc6d3pfgrtwn", "lineItem/UsageType": "USE1-MP:SoftwareUsage:c5.xlarge",
     "lineItem/Operation": "RunInstances", "lineItem/LineItemDescription": "Redwood Firewall Enterprise - $0.35 per hour software fee",
     "lineItem/LegalEntity": "Redwood Security Inc.", "product/ProductName": "Redwood Firewall Enterprise",
     "product/sku": "MP7RW2FW9ENT0001", "product/region": "us-east-1", "pricing/unit": "Hrs", "rate": "0.35"},
    {"lineItem/ProductCode": "2yq9c5w8e3r7t1u6i4o0pkldm", "lineItem/UsageType": "MP:Subscription-Units",
     "lineItem/Operation": "Subscribe", "lineItem/LineItemDescription": "Bluefin Analytics Team plan - $1.20 per seat-hour",
     "lineItem/LegalEntity": "Bluefin Analytics LLC", "product/ProductName": "Bluefin Analytics (SaaS)",
     "product/sku": "MP2BFANALYTICS01", "pricing/unit": "Units", "rate": "1.2"},
)

_CATALOG = _USAGE + _FREE_TIER + _MARKETPLACE
_N_USAGE, _N_FREE, _N_MARKET = len(_USAGE), len(_FREE_TIER), len(_MARKETPLACE)

# Columns that describe the product in detail; a Tax or Credit line leaves them empty.
_DETAIL_COLUMNS = frozenset(
    {"lineItem/UsageType", "lineItem/Operation", "lineItem/AvailabilityZone", "product/productFamily", "product/sku",
     "product/region", "product/regionCode", "product/location", "product/volumeType", "product/storageClass",
     "product/fromLocation", "product/fromLocationType", "product/fromRegionCode", "product/toLocation",
     "product/toLocationType", "product/transferType", "pricing/unit", "product/servicecode", "product/servicename"}
)


@dataclass(frozen=True, slots=True)
class CurAccountTotals:
    """Exact totals of one linked account in one written CUR file."""

    account_id: str
    cost: Decimal
    rows: int


def _csv_field(value: str) -> str:
    """One CSV field as a CSV writer would put it: quoted only when it must be."""
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _sql_text(value: str, csv: bool = False) -> str:
    """A SQL string literal; with `csv`, of the value already escaped as a CSV field."""
    text = _csv_field(value) if csv else value
    return "'" + text.replace("'", "''") + "'"


def _text_list(values: list[str | None], csv: bool = False) -> str:
    return "([" + ", ".join("NULL" if v is None else _sql_text(v, csv) for v in values) + "]::VARCHAR[])"


def _catalog_expr(column: str, csv: bool = False) -> str | None:
    values = [entry.get(column) for entry in _CATALOG]
    if all(v is None for v in values):
        return None
    return f"{_text_list(values, csv)}[c + 1]"


# Product codes and names are concatenated into descriptions inside SQL, after CSV escaping.
assert not any(_csv_field(e[k]) != e[k] for e in _CATALOG for k in ("lineItem/ProductCode", "product/ProductName"))


def _rate_units(rate: str) -> int:
    """Exact rate text -> integer count of 1E-10 (the CUR's rate precision)."""
    units = Decimal(rate).scaleb(10)
    if units != units.to_integral_value():
        raise ValueError(f"rate {rate} has more than 10 decimals")
    return int(units)


def period_bounds(period: str) -> tuple[date, date, int]:
    """'2024-05' -> (2024-05-01, 2024-06-01, 31)."""
    year, month = (int(part) for part in period.split("-"))
    days = calendar.monthrange(year, month)[1]
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end, days


# Line kinds, as small integers (cheaper than text in the hot query).
_USAGE_LINE, _TINY, _FREE, _MARKET, _TAX, _CREDIT = range(6)

def _rows_sql(
    *, rows: int, account_ids: list[str], account_names: list[str], payer: str, period: str, seed: int,
    invoice_ids: tuple[str, str] | None, usage_days: int, text: bool, source: str,
) -> str:
    """The CUR rows as one SELECT over range(), columns keyed by legacy name.

    `text=True` gives every column as the exact text the CSV holds; otherwise timestamps are
    TIMESTAMP and amounts DECIMAL (for parquet). Money is integer nano-dollars until the end, so
    the hot path is 64-bit integer arithmetic.
    """
    start, end, days = period_bounds(period)
    per_account = max(1, -(-rows // max(1, len(account_ids))))
    aws_invoice, mp_invoice = invoice_ids if invoice_ids else (None, None)

    def lit(value: str) -> str:
        return _sql_text(value, csv=text)

    def cat(column: str) -> str | None:
        return _catalog_expr(column, csv=text)

    def texts(values: list[str]) -> str:
        return _text_list(list(values), csv=text)

    # Every value derives from hash(row, stream, seed, month): months differ, runs repeat.
    salt = start.year * 12 + start.month

    def hashed(stream: int) -> str:
        return f"CAST(hash(i, {stream}, {seed}, {salt}) >> 1 AS BIGINT)"

    # Hourly slots of the month: slot = day * 24 + hour, rendered once here instead of per row.
    slots = [datetime(start.year, start.month, 1) + timedelta(hours=h) for h in range(days * 24)]
    iso = "%Y-%m-%dT%H:%M:%S.000Z"
    slot_start = _text_list([t.strftime(iso) for t in slots])
    slot_end = _text_list([(t + timedelta(hours=1)).strftime(iso) for t in slots])
    day_interval = _text_list(
        [f"{(start + timedelta(days=d)).isoformat()}T00:00:00Z/{(start + timedelta(days=d + 1)).isoformat()}T00:00:00Z"
         for d in range(days)]
    )
    rate_units = "([" + ", ".join(str(_rate_units(e["rate"])) for e in _CATALOG) + "]::BIGINT[])"
    whole_period = f"kind >= {_TAX}"
    is_market = f"kind = {_MARKET}"

    def decimal(units: str, scale: int) -> str:
        typed = f"CAST(CAST({units} AS DECIMAL(18,0)) * {Decimal(1).scaleb(-scale):f} AS DECIMAL(18,{scale}))"
        return f"CAST({typed} AS VARCHAR)" if text else typed

    base = f"""
        SELECT i, a, kind, c, h3, slot, slot // 24 AS d,
               CASE kind WHEN {_TAX} THEN 10000 WHEN {_CREDIT} THEN 0 WHEN {_TINY} THEN 0
                         WHEN {_MARKET} THEN (h3 % 24 + 1) * 10000 ELSE h3 % 2000000 + 1 END AS q4,
               CASE WHEN kind >= {_TAX} THEN NULL WHEN kind = {_TINY} THEN 1000000000 ELSE {rate_units}[c + 1] END AS r10
        FROM (
          SELECT i, a, h3, kind, (h4 % {usage_days}) * 24 + h5 % 24 AS slot,
                 CASE kind WHEN {_FREE} THEN {_N_USAGE} + h2 % {_N_FREE}
                           WHEN {_MARKET} THEN {_N_USAGE + _N_FREE} + h2 % {_N_MARKET}
                           ELSE h2 % {_N_USAGE} END AS c
          FROM (
            SELECT *, CASE WHEN j = 0 THEN {_TAX}
                           WHEN j = 1 THEN {_FREE}
                           WHEN j = 2 AND hash(a, 11, {seed}) % 4 = 0 THEN {_MARKET}
                           WHEN j = 3 AND hash(a, 12, {seed}) % 3 = 0 THEN {_CREDIT}
                           WHEN h1 % 40 = 0 THEN {_TINY}
                           ELSE {_USAGE_LINE} END AS kind
            FROM (
              SELECT i, i // {per_account} AS a, i % {per_account} AS j,
                     {hashed(1)} AS h1, {hashed(2)} AS h2, {hashed(3)} AS h3, {hashed(4)} AS h4, {hashed(5)} AS h5
              FROM {source}
            )
          )
        )"""
    # Quantity in 1E-10 units; cost in nano-dollars, rounded half up from quantity x rate.
    amounts = f"""
        SELECT *,
               CASE WHEN kind = {_TINY} THEN (h3 % 9 + 1) * 100 ELSE q4 * 1000000 END AS q10,
               CASE kind WHEN {_TAX} THEN (h3 % 400000 + 1) * 10000
                         WHEN {_CREDIT} THEN -((h3 % 250000 + 1) * 100000)
                         WHEN {_TINY} THEN h3 % 9 + 1
                         ELSE (q4 * r10 + 50000) // 100000 END AS nanos
        FROM ({base})"""
    money = f"""
        SELECT *, {decimal('q10', 10)} AS quantity, {decimal('r10', 10)} AS rate, {decimal('nanos', 9)} AS cost
        FROM ({amounts})"""

    product_code = cat("lineItem/ProductCode")
    product_name = cat("product/ProductName")
    if text:
        period_start, period_end = f"'{start}T00:00:00.000Z'", f"'{end}T00:00:00.000Z'"
        usage_start, usage_end = f"{slot_start}[slot + 1]", f"{slot_end}[slot + 1]"
    else:
        period_start, period_end = f"TIMESTAMP '{start} 00:00:00'", f"TIMESTAMP '{end} 00:00:00'"
        usage_start = f"{period_start} + to_hours(slot)"
        usage_end = f"{period_start} + to_hours(slot + 1)"
    product_map = f"""CASE WHEN {product_name} IS NULL THEN NULL ELSE
            MAP {{'product_name': {product_name}, 'servicename': coalesce({cat('product/servicename')}, {product_name}),
                  'region': coalesce({cat('product/region')}, 'global')}} END"""
    columns: dict[str, str] = {
        "identity/LineItemId": f"lower(to_hex(hash(i, 9, {seed}, {salt}))) || to_hex(i + 4096)",
        "identity/TimeInterval": f"CASE WHEN {whole_period} THEN '{start}T00:00:00Z/{end}T00:00:00Z' ELSE {day_interval}[d + 1] END",
        "bill/InvoiceId": ("NULL::VARCHAR" if aws_invoice is None else
                           f"CASE WHEN {is_market} THEN {lit(mp_invoice or '')} ELSE {lit(aws_invoice)} END"),
        "bill/InvoicingEntity": lit(INVOICING_ENTITY),
        "bill/BillingEntity": f"CASE WHEN {is_market} THEN 'AWS Marketplace' ELSE 'AWS' END",
        "bill/BillType": "'Anniversary'",
        "bill/PayerAccountId": lit(payer),
        "bill/BillingPeriodStartDate": period_start,
        "bill/BillingPeriodEndDate": period_end,
        "lineItem/UsageAccountId": f"{texts(account_ids)}[a + 1]",
        "lineItem/LineItemType": f"CASE kind WHEN {_TAX} THEN 'Tax' WHEN {_CREDIT} THEN 'Credit' ELSE 'Usage' END",
        "lineItem/UsageStartDate": f"CASE WHEN {whole_period} THEN {period_start} ELSE {usage_start} END",
        "lineItem/UsageEndDate": f"CASE WHEN {whole_period} THEN {period_end} ELSE {usage_end} END",
        "lineItem/UsageAmount": "quantity",
        "lineItem/CurrencyCode": "'USD'",
        "lineItem/UnblendedRate": "rate",
        "lineItem/UnblendedCost": "cost",
        "lineItem/BlendedRate": "rate",
        "lineItem/BlendedCost": "cost",
        "lineItem/LineItemDescription": f"""CASE kind
            WHEN {_TAX} THEN 'Tax for product code ' || {product_code}
            WHEN {_CREDIT} THEN 'AWS Promotional Credit applied to ' || {product_name}
            ELSE {cat('lineItem/LineItemDescription')} END""",
        "lineItem/TaxType": f"CASE kind WHEN {_TAX} THEN 'Canada Tax' END",
        "lineItem/LegalEntity": f"coalesce({cat('lineItem/LegalEntity')}, {lit(INVOICING_ENTITY)})",
        "pricing/currency": f"CASE WHEN NOT {whole_period} THEN 'USD' END",
        "pricing/publicOnDemandCost": f"CASE WHEN NOT {whole_period} THEN cost END",
        "pricing/publicOnDemandRate": "rate",
        "pricing/term": f"CASE WHEN NOT {whole_period} AND NOT {is_market} THEN 'OnDemand' END",
        "product/usagetype": f"CASE WHEN NOT {whole_period} THEN {cat('lineItem/UsageType')} END",
        "product/operation": f"CASE WHEN NOT {whole_period} THEN {cat('lineItem/Operation')} END",
        "product/locationType": f"CASE WHEN NOT {whole_period} AND {cat('product/location')} IS NOT NULL THEN 'AWS Region' END",
        # CUR 2.0 only
        "bill_payer_account_name": "'Northwind Cloud Partners (payer)'",
        "line_item_usage_account_name": f"{texts(account_names)}[a + 1]",
        "product": (f"'\"' || replace(CAST(to_json({product_map}) AS VARCHAR), '\"', '\"\"') || '\"'"
                    if text else product_map),
    }
    for column in AWS_CUR_LEGACY_COLUMNS:
        if column in columns:
            continue
        expr = cat(column)
        if expr is not None:
            columns[column] = f"CASE WHEN NOT {whole_period} THEN {expr} END" if column in _DETAIL_COLUMNS else expr

    selects = ",\n          ".join(f'{expr} AS "{name}"' for name, expr in columns.items())
    return f"SELECT {selects}\nFROM ({money})"


def _file_columns(*, legacy: bool, fmt: CurFormat) -> list[tuple[str, str]]:
    """(name in the file, legacy source column) in the file's order and spelling."""
    if legacy:
        if fmt == "parquet":
            return [(snake_case(c), c) for c in AWS_CUR_LEGACY_COLUMNS]
        return [(c, c) for c in AWS_CUR_LEGACY_COLUMNS]
    by_snake = {snake_case(c): c for c in AWS_CUR_LEGACY_COLUMNS}
    return [(name, by_snake.get(name, name)) for name in AWS_CUR2_COLUMNS]


def _parquet_sql(rows_sql: str, columns: list[tuple[str, str]]) -> str:
    available = _column_names(rows_sql)
    selects = ",\n  ".join(
        f'"{source}" AS "{name}"' if source in available else f'NULL::VARCHAR AS "{name}"' for name, source in columns
    )
    return f"SELECT {selects}\nFROM ({rows_sql})"


def _csv_line_sql(rows_sql: str, columns: list[tuple[str, str]]) -> str:
    """One finished CSV line per row (fields already escaped, NULL = empty), newline included.

    Building the line in SQL and writing the string buffers straight to the file skips a CSV
    writer's per-field work; runs of always-empty columns collapse into one literal of commas.
    """
    available = _column_names(rows_sql)
    pieces: list[str] = []
    literal = ""
    for position, (_, source) in enumerate(columns):
        if position:
            literal += ","
        if source in available:
            if literal:
                pieces.append(_sql_text(literal))
                literal = ""
            pieces.append(f'"{source}"')
    pieces.append(_sql_text(literal + "\n"))
    return f"SELECT concat({', '.join(pieces)}) AS line\nFROM ({rows_sql})"


def _column_names(rows_sql_text: str) -> set[str]:
    return set(re.findall(r' AS "([^"]+)"', rows_sql_text))


class _Sink:
    """Bytes to a file, gzipped on a worker thread when asked (zlib releases the GIL)."""

    def __init__(self, path: Path, gzip: bool) -> None:
        self._file = path.open("wb")
        self._gzip = gzip
        self._queue: queue.Queue[memoryview | bytes | None] = queue.Queue(maxsize=4)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        if gzip:
            self._thread = threading.Thread(target=self._compress, daemon=True)
            self._thread.start()

    def _compress(self) -> None:
        # Level 1: a 10-million-row CUR is ~8 GB of text; level 6 would triple the time for
        # a third smaller file. wbits=31 writes a gzip header with mtime 0: same bytes every run.
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
        try:
            while (chunk := self._queue.get()) is not None:
                self._file.write(compressor.compress(chunk))
            self._file.write(compressor.flush())
        except BaseException as error:  # surfaced by close()
            self._error = error
            while self._queue.get() is not None:
                pass

    def write(self, chunk: memoryview | bytes) -> None:
        if self._thread is None:
            self._file.write(chunk)
        else:
            self._queue.put(chunk)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        self._file.close()
        if self._error is not None:
            raise self._error


def _write_lines(con: duckdb.DuckDBPyConnection, sql: str, sink: _Sink) -> None:
    """Stream the one-column result into the sink: each batch's string bytes are the file bytes."""
    for batch in con.sql(sql).to_arrow_reader(65536):
        if not batch.num_rows:
            continue
        column = batch.column(0)
        if column.type != pa.string():
            column = column.cast(pa.string())
        if column.null_count:
            raise AssertionError("a CSV line came out NULL")
        _, offsets, data = column.buffers()
        assert offsets is not None and data is not None
        first = struct.unpack_from("<i", offsets, 4 * column.offset)[0]
        last = struct.unpack_from("<i", offsets, 4 * (column.offset + len(column)))[0]
        sink.write(memoryview(data)[first:last])


def write_cur_file(
    out: Path, *, rows: int, account_ids: list[str], account_names: list[str] | None = None, payer: str,
    period: str, fmt: CurFormat, legacy: bool, seed: int, invoice_ids: tuple[str, str] | None,
    usage_days: int | None = None, with_totals: bool = False,
) -> list[CurAccountTotals]:
    """Write one CUR file for the given linked accounts; optionally return exact per-account totals.

    `invoice_ids` is (AWS invoice, AWS Marketplace invoice) for a final month, None while the month
    is open (`bill/InvoiceId` stays empty). `usage_days` limits usage to the first days of the
    month (a month-to-date report).
    """
    if fmt not in ("parquet", "csv.gz", "csv"):
        raise ValueError(f"unknown CUR file format {fmt!r}; use parquet, csv.gz or csv")
    if not account_ids:
        raise ValueError("a CUR file needs at least one linked account")
    _, _, days = period_bounds(period)
    names = account_names or [f"account-{a}" for a in account_ids]
    usage_days = max(1, min(days, usage_days or days))

    def rows_sql(text: bool) -> str:
        return _rows_sql(rows=rows, account_ids=account_ids, account_names=names, payer=payer, period=period,
                         seed=seed, invoice_ids=invoice_ids, usage_days=usage_days, text=text, source="row_ids")

    columns = _file_columns(legacy=legacy, fmt=fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(":memory:") as con:
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET memory_limit = '1GB'")
        # A table scan runs on every thread; range() alone would feed the query from one.
        con.execute(f"CREATE TEMP TABLE row_ids AS SELECT i FROM range({rows}) t(i)")
        if fmt == "parquet":
            # Streamed batch by batch through pyarrow: DuckDB's own ordered parallel COPY buffers
            # gigabytes at 10 M rows; this keeps one batch in memory.
            reader = con.sql(_parquet_sql(rows_sql(False), columns)).to_arrow_reader(_PARQUET_BATCH)
            with pq.ParquetWriter(out, reader.schema, compression="zstd") as writer:
                for batch in reader:
                    writer.write_batch(batch)
        else:
            sink = _Sink(out, gzip=fmt == "csv.gz")
            try:
                sink.write((",".join(_csv_field(name) for name, _ in columns) + "\n").encode())
                _write_lines(con, _csv_line_sql(rows_sql(True), columns), sink)
            finally:
                sink.close()
        if not with_totals:
            return []
        result = con.execute(
            f"""SELECT "lineItem/UsageAccountId", SUM("lineItem/UnblendedCost"), COUNT(*)
                FROM ({rows_sql(False)}) GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    return [CurAccountTotals(str(acc), Decimal(total), int(count)) for acc, total, count in result]


def write_aws_cur(
    out: Path, *, rows: int, accounts: int, period: str, fmt: CurFormat = "csv", legacy: bool = True, seed: int = 7,
) -> Path:
    """Write a synthetic AWS CUR of `rows` rows over `accounts` linked accounts of one payer.

    Deterministic for (rows, accounts, period, fmt, legacy, seed) and a given DuckDB version.
    `legacy=True` writes the 94-column legacy CUR (slash headers in CSV, snake_case in parquet as
    Athena shows them); `legacy=False` writes CUR 2.0 columns. The month is final (invoice ids filled).
    """
    if rows < 0 or accounts < 1:
        raise ValueError("rows must be >= 0 and accounts >= 1")
    rng = random.Random(f"aws-cur:{seed}")
    payer = str(rng.randrange(10**11, 10**12))
    ids: list[str] = []
    seen = {payer}
    while len(ids) < accounts:
        candidate = str(rng.randrange(10**11, 10**12))
        if candidate not in seen:
            seen.add(candidate)
            ids.append(candidate)
    invoice = str(rng.randrange(10**9, 10**10))
    write_cur_file(
        out, rows=rows, account_ids=ids, payer=payer, period=period, fmt=fmt, legacy=legacy, seed=seed,
        invoice_ids=(invoice, f"MP-{invoice}"),
    )
    return out
