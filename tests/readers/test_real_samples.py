"""The real vendor samples import unchanged, and their totals are exact to the last decimal."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import duckdb

from workbench.billing.core.money import EXACT, D
from workbench.billing.readers import read_report

from reader_tables import SAMPLES


def vendor_totals(name: str, account: str, cost: str, scale: int | None = None) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with open(SAMPLES / name, newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            amount = D(row[cost])
            if scale is not None:
                amount = amount.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
            totals[row[account]] = EXACT.add(totals[row[account]], amount)
    return dict(totals)


def read_totals(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Decimal]:
    rows = con.execute(f"SELECT sub_account_id, sum(billed_cost) FROM {table} GROUP BY 1").fetchall()
    return {account: total for account, total in rows}


def test_aws_cur_sample_totals_are_exact(con: duckdb.DuckDBPyConnection) -> None:
    result = read_report(con, SAMPLES / "aws-cur-legacy-2023-11.csv")
    assert (result.format, result.vendor, result.problems, result.row_count) == ("aws-cur-legacy", "aws", (), 1281)
    expected = vendor_totals("aws-cur-legacy-2023-11.csv", "lineItem/UsageAccountId", "lineItem/UnblendedCost")
    assert read_totals(con, "canonical_usage") == expected
    assert expected == {"123412340534": Decimal("1.6823086974")}
    # The smallest cost in the file survives whole.
    assert con.execute("SELECT min(billed_cost) FROM canonical_usage WHERE billed_cost > 0").fetchone() == (
        Decimal("7.0E-10"),)


def test_aws_cur_sample_rows(con: duckdb.DuckDBPyConnection) -> None:
    read_report(con, SAMPLES / "aws-cur-legacy-2023-11.csv")
    summary = con.execute("""
        SELECT charge_category, count(*), sum(is_free_tier::INT), count(invoice_id), min(billing_period),
               max(billing_period), count(DISTINCT source_row), min(source_row), max(source_row)
        FROM canonical_usage GROUP BY 1 ORDER BY 1""").fetchall()
    assert summary == [
        ("tax", 12, 0, 0, "2023-11", "2023-11", 12, 1, 12),
        ("usage", 1269, 383, 0, "2023-11", "2023-11", 1269, 13, 1281),
    ]
    # Free-tier rows are all billed zero.
    assert con.execute("SELECT sum(billed_cost) FROM canonical_usage WHERE is_free_tier").fetchone() == (Decimal(0),)


def test_azure_ea_sample_totals(con: duckdb.DuckDBPyConnection) -> None:
    result = read_report(con, SAMPLES / "azure-ea-cost-2023-09.csv")
    assert (result.format, result.vendor, result.row_count) == ("azure-ea", "azure", 27)
    # Two costs (6.65679E-09 and another) carry 14 decimals: DECIMAL(38,18) keeps them whole.
    assert result.problems == ()
    assert read_totals(con, "canonical_usage") == vendor_totals(
        "azure-ea-cost-2023-09.csv", "SubscriptionId", "CostInBillingCurrency")
    assert con.execute("SELECT DISTINCT currency, billing_period FROM canonical_usage").fetchall() == [("CAD", "2023-09")]
    # Its dates (9/2/2023, period 9/1/2023) read both ways: month first, the order that puts the
    # usage in its billing period.
    assert con.execute("SELECT DISTINCT strftime(charge_period_start, '%Y-%m-%d') FROM canonical_usage").fetchall() == [
        ("2023-09-02",)]
