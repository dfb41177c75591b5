"""Slash dates read in one order per file: month first (Azure's documented M/D/YYYY), or day first
(D/M/YYYY, a portal with a UK or European locale) when the file says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from reader_tables import as_table, expected
from workbench.billing.readers import open_report, read_report

HEADER = "SubscriptionId,Date,BillingPeriodStartDate,MeterCategory,CostInBillingCurrency,BillingCurrencyCode,ChargeType"
COLUMNS = "sub_account_id, billing_period, charge_period_start, charge_period_end, billed_cost, source_row"


def azure(write: Callable[[str, str], Path], name: str, *rows: str) -> Path:
    """An Azure EA cost export of `rows`, each `subscription,date,period start,cost`."""
    lines = [f"{sub},{day},{period},Storage,{cost},EUR,Usage"
             for sub, day, period, cost in (row.split(",") for row in rows)]
    return write(name, "\n".join([HEADER, *lines]) + "\n")


def test_a_day_first_file_reads_every_date_day_first(con: duckdb.DuckDBPyConnection,
                                                     write: Callable[[str, str], Path]) -> None:
    """25/10/2025 (row 2) can only be 25 October, so the whole file is day first: 05/10/2025 is
    5 October, not 10 May, and the period start 01/10/2025 is October, not January."""
    path = azure(write, "uk.csv", "sub-a,05/10/2025,01/10/2025,2", "sub-a,25/10/2025,01/10/2025,1.5")
    result = read_report(con, path)
    assert (result.format, result.problems) == ("azure-ea", ())
    assert as_table(con, "canonical_usage", COLUMNS) == expected("""
        sub-a | 2025-10 | 2025-10-05 00:00 | 2025-10-06 00:00 | 2 | 1
        sub-a | 2025-10 | 2025-10-25 00:00 | 2025-10-26 00:00 | 1.5 | 2
    """)


def test_a_month_first_file_reads_as_before(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    path = azure(write, "us.csv", "sub-a,10/25/2025,10/1/2025,1.5", "sub-a,10/5/2025,10/1/2025,2")
    result = read_report(con, path)
    assert result.problems == ()
    assert as_table(con, "canonical_usage", COLUMNS) == expected("""
        sub-a | 2025-10 | 2025-10-25 00:00 | 2025-10-26 00:00 | 1.5 | 1
        sub-a | 2025-10 | 2025-10-05 00:00 | 2025-10-06 00:00 | 2 | 2
    """)


def test_a_file_mixing_orders_is_refused_naming_the_rows(con: duckdb.DuckDBPyConnection,
                                                         write: Callable[[str, str], Path]) -> None:
    """Rows 1 and 4 are day first, row 2 month first, row 3 either: refused, with the rows of each
    order. The dates that read one way are not also called bad dates; 31/02/2025 is no date at all."""
    path = azure(write, "edited.csv", "sub-a,25/10/2025,01/10/2025,1", "sub-a,10/26/2025,10/1/2025,1",
                 "sub-a,05/10/2025,01/10/2025,1", "sub-a,27/10/2025,01/10/2025,1", "sub-a,31/02/2025,01/10/2025,1")
    result = read_report(con, path)
    assert result.table is None
    fix = ("Export the report again with one date format throughout (the portal's language and region settings "
           "decide it); a file opened and saved in a spreadsheet may have had some of its dates rewritten.")
    assert [(p.code, p.row, p.message) for p in result.problems] == [  # the odd one out first
        ("mixed-date-order", None, "1 date(s) read only month first (M/D/YYYY) and 2 only day first (D/M/YYYY): "
                                   "the file mixes date orders (the 1 first, below)"),
        ("mixed-date-order", 2, "the usage start date '10/26/2025' is month first (M/D/YYYY), but row 1 has "
                                "'25/10/2025', day first (D/M/YYYY): the file mixes date orders"),
        ("mixed-date-order", 1, "the usage start date '25/10/2025' is day first (D/M/YYYY), but row 2 has "
                                "'10/26/2025', month first (M/D/YYYY): the file mixes date orders"),
        ("mixed-date-order", 4, "the usage start date '27/10/2025' is day first (D/M/YYYY), but row 2 has "
                                "'10/26/2025', month first (M/D/YYYY): the file mixes date orders"),
        ("bad-date", 5, "the usage start date is not a date: '31/02/2025'"),
    ]
    assert {p.fix for p in result.problems if p.code == "mixed-date-order"} == {fix}

    # The import opens files without the validation pass: the mixed orders refuse the file all the same.
    with open_report(con, path, validate_rows=False) as report:
        assert report.select is None
        assert [p.code for p in report.problems].count("mixed-date-order") == 4


def test_mixed_orders_name_twenty_rows_of_each_and_count_the_rest(con: duckdb.DuckDBPyConnection,
                                                                   write: Callable[[str, str], Path]) -> None:
    day_first = [f"sub-a,{day}/10/2025,01/10/2025,1" for day in range(13, 31)] * 2  # 36 rows
    path = azure(write, "many.csv", "sub-a,10/26/2025,10/1/2025,1", *day_first)
    problems = [(p.row, p.message) for p in read_report(con, path).problems if p.code == "mixed-date-order"]
    assert [row for row, _ in problems] == [None, 1, *range(2, 22), None]  # the one month-first row first
    assert problems[0][1].startswith("1 date(s) read only month first (M/D/YYYY) and 36 only day first")
    assert problems[-1] == (None, "... and 16 more rows like these")


def test_a_bad_date_says_day_first_dates_are_read(con: duckdb.DuckDBPyConnection,
                                                  write: Callable[[str, str], Path]) -> None:
    path = azure(write, "typo.csv", "sub-a,25/10/2025,01/10/2025,1", "sub-a,32/10/2025,01/10/2025,1")
    [problem] = read_report(con, path).problems
    assert (problem.code, problem.row, problem.message) == ("bad-date", 2, "the usage start date is not a date: '32/10/2025'")
    assert problem.fix == ("Dates must be ISO 8601 (2023-11-01T00:00:00Z), M/D/YYYY, D/M/YYYY (when every slash date "
                           "of the file is day first) or YYYYMM for an invoice month.")


def usage_dates(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    result = read_report(con, path)
    assert result.problems == ()
    return [(period, f"{start:%Y-%m-%d}") for period, start in
            con.execute("SELECT billing_period, charge_period_start FROM canonical_usage").fetchall()]


def test_every_date_ambiguous_month_first_when_the_billing_period_allows(
        con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    """Every date reads both ways: month first (Azure's documented order) when the rows lie in
    their billing period read so, as this early-October export of a US portal does."""
    path = azure(write, "us-early.csv", "sub-a,10/5/2025,10/1/2025,1", "sub-a,10/6/2025,10/1/2025,1")
    assert usage_dates(con, path) == [("2025-10", "2025-10-05"), ("2025-10", "2025-10-06")]


def test_every_date_ambiguous_day_first_when_only_that_fits_the_billing_period(
        con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    """An export of the first days of October from a UK portal: month first, its billing period
    would start on 10 January (never the 1st of a month) and its usage run into July. Day first,
    the period starts on 1 October and the usage lies in it."""
    path = azure(write, "uk-early.csv", "sub-a,05/10/2025,01/10/2025,1", "sub-a,06/10/2025,01/10/2025,1")
    assert usage_dates(con, path) == [("2025-10", "2025-10-05"), ("2025-10", "2025-10-06")]
    # January: the period start 01/01/2026 reads the same both ways; the usage does not (1 May).
    path = azure(write, "uk-january.csv", "sub-a,05/01/2026,01/01/2026,1", "sub-a,06/01/2026,01/01/2026,1")
    assert usage_dates(con, path) == [("2026-01", "2026-01-05"), ("2026-01", "2026-01-06")]


def test_every_date_ambiguous_and_neither_order_fits_reads_month_first(
        con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    """No order puts the period start on the 1st of a month: Azure's documented order."""
    path = azure(write, "odd.csv", "sub-a,2/4/2025,2/3/2025,1")
    assert usage_dates(con, path) == [("2025-02", "2025-02-04")]


def test_iso_dates_are_unchanged(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    path = azure(write, "iso.csv", "sub-a,2025-10-05,2025-10-01,1", "sub-a,2025-10-25T00:00:00Z,2025-10-01,1")
    assert usage_dates(con, path) == [("2025-10", "2025-10-05"), ("2025-10", "2025-10-25")]
