"""AWS CUR, legacy (CSV, .csv.gz) and 2.0 (parquet, CSV), as worked examples."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from reader_tables import as_table, expected
from workbench.billing.readers import detect_format, read_report

COLUMNS = ("sub_account_id, billing_account_id, billing_period, charge_period_start, charge_category, service, "
           "product_type, sku, quantity, unit, billed_cost, currency, publisher, is_marketplace, is_free_tier, "
           "invoice_id, source_row")

LEGACY = """
bill/InvoiceId,bill/BillingEntity,bill/PayerAccountId,bill/BillingPeriodStartDate,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/ProductCode,lineItem/UsageType,lineItem/UsageAmount,lineItem/CurrencyCode,lineItem/UnblendedCost,lineItem/LineItemDescription,lineItem/LegalEntity,product/ProductName,product/productFamily,pricing/unit,product/sku
,AWS,999900000001,2023-11-01T00:00:00.000Z,111100000001,Usage,2023-11-02T00:00:00.000Z,2023-11-03T00:00:00.000Z,AmazonEC2,BoxUsage:t3.micro,24.0,USD,0.2496000000,$0.0104 per On Demand Linux t3.micro Instance Hour,Amazon Web Services Canada Inc.,Amazon Elastic Compute Cloud,Compute Instance,Hrs,DQ578CGN99KG6ECF
,AWS,999900000001,2023-11-01T00:00:00.000Z,111100000001,Usage,2023-11-02T00:00:00.000Z,2023-11-03T00:00:00.000Z,AmazonS3,USW2-DataTransfer-Out-Bytes,0.5,USD,0.0,$0.000 per GB - data transfer out under the monthly global free tier,Amazon Web Services Canada Inc.,Amazon Simple Storage Service,Data Transfer,GB,
INV-7,AWS,999900000001,2023-11-01T00:00:00.000Z,111100000002,Usage,2023-11-02T00:00:00.000Z,2023-11-03T00:00:00.000Z,AmazonS3,Requests-Tier1,1000,USD,1.8E-9,USD 0.005 per 1000 PUT requests,Amazon Web Services Canada Inc.,Amazon Simple Storage Service,API Request,Requests,
,AWS,999900000001,2023-11-01T00:00:00.000Z,111100000002,Tax,2023-11-01T00:00:00.000Z,2023-12-01T00:00:00.000Z,AmazonS3,,1,USD,0.13,Tax for product code AmazonS3,Amazon Web Services Canada Inc.,Amazon Simple Storage Service,,,
,AWS,999900000001,2023-11-01T00:00:00.000Z,111100000002,Credit,2023-11-01T00:00:00.000Z,2023-12-01T00:00:00.000Z,AmazonS3,,,USD,-0.05,Promotional credit,Amazon Web Services Canada Inc.,Amazon Simple Storage Service,,,
,AWS Marketplace,999900000001,2023-11-01T00:00:00.000Z,111100000002,Usage,2023-11-01T00:00:00.000Z,2023-12-01T00:00:00.000Z,prod-abc123,SoftwareUsage,1,USD,10,Acme Firewall monthly,Acme Security LLC,Acme Firewall,,Units,
,AWS,999900000001,2023-11-01T00:00:00.000Z,111100000002,Fee,2023-11-01T00:00:00.000Z,2023-12-01T00:00:00.000Z,AWSSupportBusiness,Dollar,,USD,100.00,Business support fee,Amazon Web Services Canada Inc.,AWS Support (Business),,,
,AWS,999900000001,2023-11-01T00:00:00.000Z,111100000002,RIFee,2023-11-01T00:00:00.000Z,2023-12-01T00:00:00.000Z,AmazonEC2,HeavyUsage:t3.micro,720,USD,5.04,Reserved instance fee,Amazon Web Services Canada Inc.,Amazon Elastic Compute Cloud,,Hrs,
,AWS,999900000001,2023-11-01T00:00:00.000Z,111100000002,SomethingNew,2023-11-01T00:00:00.000Z,2023-12-01T00:00:00.000Z,AmazonEC2,,,USD,-0.01,Rounding,Amazon Web Services Canada Inc.,Amazon Elastic Compute Cloud,,,
"""

LEGACY_ROWS = """
111100000001 | 999900000001 | 2023-11 | 2023-11-02 00:00 | usage | AmazonEC2 | Compute Instance | DQ578CGN99KG6ECF | 24 | Hrs | 0.2496 | USD | Amazon Web Services Canada Inc. | no | no | - | 1
111100000001 | 999900000001 | 2023-11 | 2023-11-02 00:00 | usage | AmazonS3 | Data Transfer | USW2-DataTransfer-Out-Bytes | 0.5 | GB | 0 | USD | Amazon Web Services Canada Inc. | no | yes | - | 2
111100000002 | 999900000001 | 2023-11 | 2023-11-02 00:00 | usage | AmazonS3 | API Request | Requests-Tier1 | 1000 | Requests | 0.0000000018 | USD | Amazon Web Services Canada Inc. | no | no | INV-7 | 3
111100000002 | 999900000001 | 2023-11 | 2023-11-01 00:00 | tax | AmazonS3 | - | - | 1 | - | 0.13 | USD | Amazon Web Services Canada Inc. | no | no | - | 4
111100000002 | 999900000001 | 2023-11 | 2023-11-01 00:00 | credit | AmazonS3 | - | - | - | - | -0.05 | USD | Amazon Web Services Canada Inc. | no | no | - | 5
111100000002 | 999900000001 | 2023-11 | 2023-11-01 00:00 | usage | prod-abc123 | - | SoftwareUsage | 1 | Units | 10 | USD | Acme Security LLC | yes | no | - | 6
111100000002 | 999900000001 | 2023-11 | 2023-11-01 00:00 | support | AWSSupportBusiness | - | Dollar | - | - | 100 | USD | Amazon Web Services Canada Inc. | no | no | - | 7
111100000002 | 999900000001 | 2023-11 | 2023-11-01 00:00 | purchase | AmazonEC2 | - | HeavyUsage:t3.micro | 720 | Hrs | 5.04 | USD | Amazon Web Services Canada Inc. | no | no | - | 8
111100000002 | 999900000001 | 2023-11 | 2023-11-01 00:00 | adjustment | AmazonEC2 | - | - | - | - | -0.01 | USD | Amazon Web Services Canada Inc. | no | no | - | 9
"""


def test_cur_legacy_csv(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    path = write("cur.csv", LEGACY)
    result = read_report(con, path, table="cur")
    assert (result.format, result.vendor, result.table, result.problems, result.row_count) == (
        "aws-cur-legacy", "aws", "cur", (), 9)
    assert as_table(con, "cur", COLUMNS) == expected(LEGACY_ROWS)
    assert con.execute("SELECT DISTINCT source_file FROM cur").fetchall() == [("cur.csv",)]


def test_cur_legacy_gzip(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path], tmp_path: Path) -> None:
    plain = write("cur.csv", LEGACY)
    packed = tmp_path / "cur-00001.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert detect_format(con, packed) == "aws-cur-legacy"
    result = read_report(con, packed)
    assert (result.problems, result.row_count) == ((), 9)
    assert as_table(con, "canonical_usage", COLUMNS) == expected(LEGACY_ROWS)


CUR2_ROWS = """
111100000001 | 999900000001 | 2023-11 | 2023-11-02 00:00 | usage | AmazonEC2 | Compute Instance | DQ578CGN99KG6ECF | 24 | Hrs | 0.2496 | USD | Amazon Web Services Canada Inc. | no | no | - | 1
111100000002 | 999900000001 | 2023-11 | 2023-11-02 00:00 | usage | prod-abc123 | - | SoftwareUsage | 1 | Units | 0.0000000018 | USD | Acme Security LLC | yes | no | INV-7 | 2
111100000002 | 999900000001 | 2023-11 | 2023-11-01 00:00 | credit | AmazonEC2 | - | - | - | - | -0.05 | USD | Amazon Web Services Canada Inc. | no | no | INV-7 | 3
"""


def cur2_columns() -> dict[str, list[object]]:
    return {
        "bill_invoice_id": [None, "INV-7", "INV-7"],
        "bill_billing_entity": ["AWS", "AWS Marketplace", "AWS"],
        "bill_payer_account_id": ["999900000001"] * 3,
        "bill_billing_period_start_date": ["2023-11-01T00:00:00Z"] * 3,
        "line_item_usage_account_id": ["111100000001", "111100000002", "111100000002"],
        "line_item_usage_account_name": ["prod", "dev", "dev"],
        "line_item_line_item_type": ["Usage", "Usage", "Credit"],
        "line_item_usage_start_date": ["2023-11-02T00:00:00Z", "2023-11-02T00:00:00Z", "2023-11-01T00:00:00Z"],
        "line_item_usage_end_date": ["2023-11-03T00:00:00Z", "2023-11-03T00:00:00Z", "2023-12-01T00:00:00Z"],
        "line_item_product_code": ["AmazonEC2", "prod-abc123", "AmazonEC2"],
        "line_item_usage_type": ["BoxUsage:t3.micro", "SoftwareUsage", None],
        "product_sku": ["DQ578CGN99KG6ECF", None, None],
        "line_item_usage_amount": ["24.0", "1", None],
        "line_item_currency_code": ["USD"] * 3,
        "line_item_unblended_cost": ["0.2496", "1.8E-9", "-0.05"],
        "line_item_line_item_description": ["t3.micro hour", "Acme Firewall", "Credit"],
        "line_item_legal_entity": ["Amazon Web Services Canada Inc.", "Acme Security LLC",
                                   "Amazon Web Services Canada Inc."],
        "product_product_family": ["Compute Instance", None, None],
        "pricing_unit": ["Hrs", "Units", None],
    }


def test_cur2_parquet_with_product_map(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    data: dict[str, object] = dict(cur2_columns())
    data["product"] = pa.array(
        [[("product_name", "Amazon Elastic Compute Cloud")], [("product_name", "Acme Firewall")], []],
        type=pa.map_(pa.string(), pa.string()))
    path = tmp_path / "cur2-00001.snappy.parquet"
    pq.write_table(pa.table(data), path)
    result = read_report(con, path)
    assert (result.format, result.vendor, result.problems, result.row_count) == ("aws-cur2", "aws", (), 3)
    assert as_table(con, "canonical_usage", COLUMNS) == expected(CUR2_ROWS)
    assert con.execute("SELECT sub_account_name FROM canonical_usage").fetchall() == [("prod",), ("dev",), ("dev",)]


def test_cur2_csv_with_product_as_json(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    data = cur2_columns()
    data["product"] = ['{"product_name": "Amazon Elastic Compute Cloud"}', '{"product_name": "Acme Firewall"}', "{}"]
    path = tmp_path / "cur2.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(data)
        out.writerows(zip(*data.values()))
    result = read_report(con, path)
    assert (result.format, result.problems) == ("aws-cur2", ())
    assert as_table(con, "canonical_usage", COLUMNS) == expected(CUR2_ROWS)
