"""Azure cost details exports (EA, MCA, CSP) as worked examples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from reader_tables import as_table, expected
from workbench.billing.readers import read_report

COLUMNS = ("sub_account_id, sub_account_name, billing_period, charge_period_start, charge_period_end, "
           "charge_category, service, product_type, sku, quantity, billed_cost, currency, publisher, "
           "is_marketplace, invoice_id, source_row")


def test_azure_ea(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    path = write("ea.csv", """
        BillingAccountId,SubscriptionId,SubscriptionName,Date,BillingPeriodStartDate,MeterCategory,ServiceFamily,MeterId,PartNumber,ProductName,Quantity,UnitOfMeasure,CostInBillingCurrency,BillingCurrencyCode,PublisherType,PublisherName,ChargeType,AccountOwnerId
        12345678,sub-a,Prod,9/2/2023,9/1/2023,Virtual Machines,Compute,m-1,P-1,D2s v3,24,1 Hour,1.2345678901,CAD,Azure,,Usage,owner@example.com
        12345678,sub-a,Prod,9/30/2023,9/1/2023,,,,,Firewall VM,1,1 Month,50,CAD,Marketplace,Acme,Purchase,owner@example.com
        12345678,sub-b,Test,9/15/2023,9/1/2023,Virtual Machines,Compute,m-1,,Reservation refund,1,,-20,CAD,Azure,Microsoft,Refund,owner@example.com
        12345678,sub-b,Test,9/15/2023,9/1/2023,Virtual Machines,Compute,,P-9,Reserved VM,1,,3.5,CAD,Azure,Microsoft,UnusedReservation,owner@example.com
    """)
    result = read_report(con, path)
    assert (result.format, result.vendor, result.problems, result.row_count) == ("azure-ea", "azure", (), 4)
    assert as_table(con, "canonical_usage", COLUMNS) == expected("""
        sub-a | Prod | 2023-09 | 2023-09-02 00:00 | 2023-09-03 00:00 | usage | Virtual Machines | Compute | m-1 | 24 | 1.2345678901 | CAD | Microsoft | no | - | 1
        sub-a | Prod | 2023-09 | 2023-09-30 00:00 | 2023-10-01 00:00 | purchase | - | - | - | 1 | 50 | CAD | Acme | yes | - | 2
        sub-b | Test | 2023-09 | 2023-09-15 00:00 | 2023-09-16 00:00 | credit | Virtual Machines | Compute | m-1 | 1 | -20 | CAD | Microsoft | no | - | 3
        sub-b | Test | 2023-09 | 2023-09-15 00:00 | 2023-09-16 00:00 | purchase | Virtual Machines | Compute | P-9 | 1 | 3.5 | CAD | Microsoft | no | - | 4
    """)


def test_azure_mca_camel_case_iso_dates(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    path = write("mca.csv", """
        invoiceId,billingAccountId,billingProfileId,subscriptionId,subscriptionName,date,billingPeriodStartDate,meterCategory,serviceFamily,meterId,productName,quantity,unitOfMeasure,costInBillingCurrency,billingCurrency,publisherType,publisherName,chargeType
        G012345678,acct:1,bp-1,sub-c,Shop,2024-01-05,2024-01-01,Storage,Storage,m-7,Blob storage,10.5,1 GB/Month,0.000000001,EUR,Azure,Microsoft,Usage
        ,acct:1,bp-1,sub-c,Shop,2024-01-06,2024-01-01,Storage,Storage,m-7,Blob storage,1,1 GB/Month,0.2,EUR,Azure,Microsoft,Usage
    """)
    result = read_report(con, path)
    assert (result.format, result.problems) == ("azure-mca", ())
    assert as_table(con, "canonical_usage", COLUMNS) == expected("""
        sub-c | Shop | 2024-01 | 2024-01-05 00:00 | 2024-01-06 00:00 | usage | Storage | Storage | m-7 | 10.5 | 0.000000001 | EUR | Microsoft | no | G012345678 | 1
        sub-c | Shop | 2024-01 | 2024-01-06 00:00 | 2024-01-07 00:00 | usage | Storage | Storage | m-7 | 1 | 0.2 | EUR | Microsoft | no | - | 2
    """)


def test_azure_csp_keyed_by_customer_tenant(con: duckdb.DuckDBPyConnection,
                                            write: Callable[[str, str], Path]) -> None:
    path = write("csp.csv", """
        billingAccountId,customerTenantId,customerName,subscriptionId,date,billingPeriodStartDate,meterCategory,serviceFamily,meterId,productName,quantity,unitOfMeasure,costInBillingCurrency,billingCurrency,publisherType,publisherName,chargeType
        pa:1,11111111-aaaa-bbbb-cccc-000000000001,Contoso,sub-1,2024-02-01,2024-02-01,Virtual Machines,Compute,m-1,D2s v3,2,1 Hour,0.19,USD,Azure,Microsoft,Usage
        pa:1,11111111-aaaa-bbbb-cccc-000000000002,Fabrikam,sub-2,2024-02-01,2024-02-01,SaaS,,,Backup SaaS,1,1 Month,30,USD,Marketplace,Backup Co,Purchase
    """)
    result = read_report(con, path)
    assert (result.format, result.problems) == ("azure-csp", ())
    assert as_table(con, "canonical_usage", COLUMNS) == expected("""
        11111111-aaaa-bbbb-cccc-000000000001 | Contoso | 2024-02 | 2024-02-01 00:00 | 2024-02-02 00:00 | usage | Virtual Machines | Compute | m-1 | 2 | 0.19 | USD | Microsoft | no | - | 1
        11111111-aaaa-bbbb-cccc-000000000002 | Fabrikam | 2024-02 | 2024-02-01 00:00 | 2024-02-02 00:00 | purchase | SaaS | SaaS | - | 1 | 30 | USD | Backup Co | yes | - | 2
    """)
