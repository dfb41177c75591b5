"""FOCUS 1.0 / 1.1 / 1.2 from any provider, CSV and parquet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from reader_tables import as_table, expected
from workbench.billing.readers import detect_format, read_report

COLUMNS = ("vendor, billing_account_id, sub_account_id, sub_account_name, billing_period, charge_period_start, "
           "charge_category, service, product_type, sku, quantity, unit, billed_cost, currency, publisher, "
           "is_marketplace, is_free_tier, invoice_id, source_row")

FOCUS_1_0 = """
BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargePeriodStart,ChargePeriodEnd,ConsumedQuantity,ConsumedUnit,EffectiveCost,ProviderName,PublisherName,ServiceCategory,ServiceName,SkuId,SubAccountId,SubAccountName
0.0104000001,999900000001,USD,2024-03-01T00:00:00Z,Usage,,t3.micro hour,2024-03-02T00:00:00Z,2024-03-02T01:00:00Z,1,Hours,0.009,AWS,AWS,Compute,Amazon Elastic Compute Cloud,SKU1,111100000001,prod
10,999900000001,USD,2024-03-01T00:00:00Z,Purchase,,Firewall subscription,2024-03-01T00:00:00Z,2024-04-01T00:00:00Z,,,10,AWS,Acme Security,Security,Acme Firewall,SKU2,111100000001,prod
0,999900000001,USD,2024-03-01T00:00:00Z,Usage,,First 5 GB free tier,2024-03-01T00:00:00Z,2024-04-01T00:00:00Z,2,GB,0,AWS,AWS,Storage,Amazon S3,SKU3,111100000002,dev
-1.5,999900000001,USD,2024-03-01T00:00:00Z,Credit,Correction,Credit for outage,2024-03-01T00:00:00Z,2024-04-01T00:00:00Z,,,-1.5,AWS,AWS,Compute,Amazon Elastic Compute Cloud,,111100000002,dev
29,999900000001,USD,2024-03-01T00:00:00Z,Purchase,,Business support,2024-03-01T00:00:00Z,2024-04-01T00:00:00Z,,,29,AWS,AWS,Management and Governance,AWS Support (Business),SKU4,111100000002,dev
"""

FOCUS_1_0_ROWS = """
aws | 999900000001 | 111100000001 | prod | 2024-03 | 2024-03-02 00:00 | usage | Amazon Elastic Compute Cloud | Compute | SKU1 | 1 | Hours | 0.0104000001 | USD | AWS | no | no | - | 1
aws | 999900000001 | 111100000001 | prod | 2024-03 | 2024-03-01 00:00 | purchase | Acme Firewall | Security | SKU2 | - | - | 10 | USD | Acme Security | yes | no | - | 2
aws | 999900000001 | 111100000002 | dev | 2024-03 | 2024-03-01 00:00 | usage | Amazon S3 | Storage | SKU3 | 2 | GB | 0 | USD | AWS | no | yes | - | 3
aws | 999900000001 | 111100000002 | dev | 2024-03 | 2024-03-01 00:00 | credit | Amazon Elastic Compute Cloud | Compute | - | - | - | -1.5 | USD | AWS | no | no | - | 4
aws | 999900000001 | 111100000002 | dev | 2024-03 | 2024-03-01 00:00 | support | AWS Support (Business) | Management and Governance | SKU4 | - | - | 29 | USD | AWS | no | no | - | 5
"""


def test_focus_1_0_csv(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    result = read_report(con, write("focus.csv", FOCUS_1_0))
    assert (result.format, result.vendor, result.problems, result.row_count) == ("focus-1.0", "aws", (), 5)
    assert as_table(con, "canonical_usage", COLUMNS) == expected(FOCUS_1_0_ROWS)


FOCUS_1_2 = """
BilledCost,BillingAccountId,BillingAccountType,BillingCurrency,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargePeriodStart,ChargePeriodEnd,ConsumedQuantity,ConsumedUnit,InvoiceId,ProviderName,PublisherName,ServiceCategory,ServiceName,ServiceSubcategory,SkuId,SubAccountId,SubAccountName,SubAccountType
1.8E-9,/providers/Microsoft.Billing/billingAccounts/1,Billing Profile,EUR,2024-05-01T00:00:00Z,Usage,,Blob storage,2024-05-03T00:00:00Z,2024-05-04T00:00:00Z,0.001,GB/Month,G0001,Microsoft,Microsoft,Storage,Storage Accounts,Object Storage,m-7,/subscriptions/sub-c,Shop,Subscription
0.25,billing-1,Billing Account,EUR,2024-05-01T00:00:00Z,Usage,,BigQuery analysis,2024-05-03T00:00:00Z,2024-05-04T00:00:00Z,1,TiB,,Google Cloud,Google Cloud,Analytics,BigQuery,Data Warehouse,sku-bq,shop-prod,Shop,Project
"""

FOCUS_1_2_ROWS = """
azure | /providers/Microsoft.Billing/billingAccounts/1 | sub-c | Shop | 2024-05 | 2024-05-03 00:00 | usage | Storage Accounts | Storage | m-7 | 0.001 | GB/Month | 0.0000000018 | EUR | Microsoft | no | no | G0001 | 1
gcp | billing-1 | shop-prod | Shop | 2024-05 | 2024-05-03 00:00 | usage | BigQuery | BigQuery | sku-bq | 1 | TiB | 0.25 | EUR | Google Cloud | no | no | - | 2
"""


def test_focus_1_2_csv_mixed_providers(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    result = read_report(con, write("focus12.csv", FOCUS_1_2))
    # Two providers in one file: the result names no single vendor, each row has its own.
    assert (result.format, result.vendor, result.problems, result.row_count) == ("focus-1.2", None, (), 2)
    assert as_table(con, "canonical_usage", COLUMNS) == expected(FOCUS_1_2_ROWS)


def test_focus_1_2_parquet(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(FOCUS_1_2.strip())))
    path = tmp_path / "focus.parquet"
    pq.write_table(pa.table({name: [r[name] or None for r in rows] for name in rows[0]}), path)
    result = read_report(con, path)
    assert (result.format, result.problems, result.row_count) == ("focus-1.2", (), 2)
    assert as_table(con, "canonical_usage", COLUMNS) == expected(FOCUS_1_2_ROWS)


# The providers' own columns: AWS's product code, Microsoft's meter category, service family and
# meter id; what the CUR and the Azure cost details call the same things.
FOCUS_WITH_PROVIDER_COLUMNS = """
BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ProviderName,PublisherName,ServiceCategory,ServiceName,SkuId,SubAccountId,x_ServiceCode,x_SkuMeterCategory,x_SkuServiceFamily,x_SkuMeterId
200,999900000001,USD,2024-07-01T00:00:00Z,Usage,2024-07-02T00:00:00Z,2024-07-03T00:00:00Z,AWS,AWS,Compute,Amazon Elastic Compute Cloud,6TW5QKFYDWFVJ8Q4,111100000001,AmazonEC2,,,
3,999900000001,USD,2024-07-01T00:00:00Z,Usage,2024-07-02T00:00:00Z,2024-07-03T00:00:00Z,AWS,AWS,Storage,Amazon Simple Storage Service,WP9ANXZGBYYSGJEA,111100000001,,,,
5,billing-1,USD,2024-07-01T00:00:00Z,Usage,2024-07-02T00:00:00Z,2024-07-03T00:00:00Z,Microsoft,Microsoft,Storage,Storage Accounts,DZH318Z0BQPS/00TG,/subscriptions/6f8e2c1a-0000-4000-8000-000000000001,,Storage,Storage,2b3c1d9e-7a4f-4c55-9d61-000000000007
"""


def test_a_providers_own_columns_give_its_exports_names(con: duckdb.DuckDBPyConnection,
                                                        write: Callable[[str, str], Path]) -> None:
    """A pricebook rule `aws,service,AmazonEC2` or `azure,sku,<MeterId>`, and an Azure account
    listed by its SubscriptionId, match the same usage read from FOCUS as from the vendor's own
    export. The S3 row has no x_ServiceCode: ServiceName stands in."""
    result = read_report(con, write("focus.csv", FOCUS_WITH_PROVIDER_COLUMNS))
    assert (result.format, result.problems, result.row_count) == ("focus-1.0", (), 3)
    assert as_table(con, "canonical_usage", "vendor, sub_account_id, service, product_type, sku") == expected("""
        aws | 111100000001 | AmazonEC2 | Compute | 6TW5QKFYDWFVJ8Q4
        aws | 111100000001 | Amazon Simple Storage Service | Storage | WP9ANXZGBYYSGJEA
        azure | 6f8e2c1a-0000-4000-8000-000000000001 | Storage | Storage | 2b3c1d9e-7a4f-4c55-9d61-000000000007
    """)


def test_focus_version_from_columns(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    header = "BilledCost,BillingCurrency,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,BillingPeriodStart,ProviderName,SubAccountId"
    assert detect_format(con, write("a.csv", header + "\n")) == "focus-1.0"
    assert detect_format(con, write("b.csv", header + ",SkuMeter\n")) == "focus-1.1"
    assert detect_format(con, write("c.csv", header + ",SkuMeter,InvoiceId\n")) == "focus-1.2"


def test_focus_unknown_provider(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    text = FOCUS_1_0.replace(",AWS,AWS,Storage", ",Oracle,Oracle,Storage")
    result = read_report(con, write("focus.csv", text))
    assert result.table is None
    assert [(p.code, p.row) for p in result.problems] == [("unknown-provider", 3)]
    assert "'Oracle'" in result.problems[0].message
    # Said by the caller: read as that vendor, with a warning.
    said = read_report(con, write("focus.csv", text), vendor="aws")
    assert (said.table, [(p.code, p.severity.value) for p in said.problems]) == (
        "canonical_usage", [("unknown-provider", "warning")])


def test_focus_vendor_mismatch(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    result = read_report(con, write("focus.csv", FOCUS_1_0), vendor="azure")
    assert (result.table, [p.code for p in result.problems]) == (None, ["vendor-mismatch"])


def test_every_problem_of_a_focus_file_at_once(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    """An unknown provider, a charge category FOCUS does not have, a cost that is no number and an
    empty billing period: all in one answer, each with its row (the import used to stop at the
    provider, then at the cost, then said 'billing period None is not a month')."""
    from workbench.billing.readers import open_report

    rows = [line for line in FOCUS_1_0.strip().splitlines()]
    header, good = rows[0], rows[1]
    bad = [good.replace(",AWS,AWS,", ",Oracle,Oracle,"),
           good.replace(",Usage,", ",Usagee,"),
           good.replace("0.0104000001,", "12 USD,", 1),
           good.replace("2024-03-01T00:00:00Z,Usage", ",Usage", 1)]
    path = write("focus.csv", "\n".join([header, good, *bad]) + "\n")
    for validate_rows in (True, False):  # read_report, and the import's way (rows checked in its own pass)
        with open_report(con, path, validate_rows=validate_rows) as report:
            assert report.select is None
            assert sorted((p.code, p.row) for p in report.problems) == [
                ("missing-period", 5), ("non-numeric-cost", 4), ("unknown-charge-category", 3), ("unknown-provider", 2)]
