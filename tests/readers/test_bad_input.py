"""Bad input is reported as Problems with file, row and fix; all problems at once, no exception."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb

from workbench.billing.core.problems import Problem
from workbench.billing.readers import known_formats, read_report

HEADER = ("lineItem/UsageAccountId,bill/PayerAccountId,lineItem/LineItemType,lineItem/UnblendedCost,"
          "lineItem/CurrencyCode,lineItem/UsageStartDate,bill/BillingPeriodStartDate")
GOOD = "111100000001,999900000001,Usage,0.5,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z"


def found(problems: tuple[Problem, ...]) -> list[tuple[str, str | None, int | None]]:
    return [(p.code, p.file, p.row) for p in problems]


def test_unknown_format_lists_formats_and_header(con: duckdb.DuckDBPyConnection,
                                                 write: Callable[[str, str], Path]) -> None:
    result = read_report(con, write("sales.csv", "Customer,Amount\nacme,12\n"))
    assert (result.format, result.vendor, result.table) == ("unknown", None, None)
    assert found(result.problems) == [("unknown-format", "sales.csv", 0)]
    problem = result.problems[0]
    assert "Customer, Amount" in problem.message
    assert problem.fix is not None and all(name in problem.fix for name in known_formats())


def test_missing_columns_named(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    header = HEADER.replace(",lineItem/UnblendedCost", "").replace(",lineItem/CurrencyCode", "")
    result = read_report(con, write("cur.csv", header + "\n"))
    assert (result.format, found(result.problems)) == ("aws-cur-legacy", [("missing-columns", "cur.csv", 0)])
    assert "lineItem/UnblendedCost, lineItem/CurrencyCode" in result.problems[0].message


def test_wrong_delimiter(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    result = read_report(con, write("cur.csv", HEADER.replace(",", ";") + "\n" + GOOD.replace(",", ";") + "\n"))
    assert found(result.problems) == [("wrong-delimiter", "cur.csv", 0)]
    assert "semicolons" in result.problems[0].message
    tabbed = read_report(con, write("cur.tsv", HEADER.replace(",", "\t") + "\n"))
    assert [p.code for p in tabbed.problems] == ["wrong-delimiter"] and "tabs" in tabbed.problems[0].message


def test_truncated_file(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    text = "\n".join([HEADER, GOOD, GOOD, "111100000001,999900000001,Usage,0.5"])
    result = read_report(con, write("cur.csv", text))
    assert (result.table, found(result.problems)) == (None, [("truncated-row", "cur.csv", 3)])
    assert result.problems[0].message == ("the file ends in the middle of this row (with 4 of the header's 7 "
                                          "fields): it is truncated or still downloading")


DESCRIBED = HEADER + ",lineItem/LineItemDescription"
QUOTED = GOOD + ',"EC2, Linux"'


def test_a_file_cut_inside_a_quoted_field_is_truncated_not_a_bad_row(
        con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    """DuckDB says 'unterminated quote'; what the analyst needs to know is that the download
    stopped there."""
    result = read_report(con, write("cur.csv", "\n".join([DESCRIBED, QUOTED, QUOTED, GOOD + ',"EC2, Li'])))
    assert found(result.problems) == [("truncated-row", "cur.csv", 3)]
    assert "inside a quoted field" in result.problems[0].message
    assert "Download" in (result.problems[0].fix or "")


def test_a_damaged_row_before_good_ones_is_not_called_a_truncated_file(
        con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    short = "111100000001,999900000001,Usage,0.5"
    result = read_report(con, write("cur.csv", "\n".join([DESCRIBED, QUOTED, short, QUOTED, QUOTED]) + "\n"))
    assert found(result.problems) == [("short-row", "cur.csv", 2)]
    assert "truncated" not in result.problems[0].message and "lost its quotes" in (result.problems[0].fix or "")
    stray = GOOD + ',"EC2, Linux'
    result = read_report(con, write("cur.csv", "\n".join([DESCRIBED, QUOTED, stray, QUOTED, QUOTED]) + "\n"))
    assert [p.code for p in result.problems] == ["unclosed-quote"]
    assert "stray double quote" in (result.problems[0].fix or "")


def test_every_row_problem_at_once(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    rows = [
        GOOD,
        "111100000001,999900000001,Usage,12.5 USD,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z",
        "111100000001,999900000001,Usage,1.5,XYZ,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z",
        "111100000001,999900000001,Usage,1.5,USD,2023-11-31,2023-11-01T00:00:00Z",
        "111100000001,999900000001,Usage,1.5,USD,2023-11-02T00:00:00Z,soon",
        "111100000001,999900000001,Usage,,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z",
        "111100000001,999900000001,Usage,1.5",
    ]
    result = read_report(con, write("cur.csv", "\n".join([HEADER, *rows]) + "\n"))
    assert result.table is None
    assert sorted(found(result.problems), key=lambda p: p[2] or 0) == [
        ("non-numeric-cost", "cur.csv", 2),
        ("unknown-currency", "cur.csv", 3),
        ("bad-date", "cur.csv", 4),
        ("bad-date", "cur.csv", 5),
        ("missing-cost", "cur.csv", 6),
        ("truncated-row", "cur.csv", 7),
    ]
    by_code = {p.code: p for p in result.problems}
    assert "'12.5 USD'" in by_code["non-numeric-cost"].message
    assert "'XYZ'" in by_code["unknown-currency"].message
    assert all(p.fix for p in result.problems)
    # Nothing half-made is left behind.
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '__wb_%'").fetchone() == (0,)


def test_row_problems_are_capped_with_a_summary(con: duckdb.DuckDBPyConnection,
                                                write: Callable[[str, str], Path]) -> None:
    bad = "111100000001,999900000001,Usage,n/a,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z"
    result = read_report(con, write("cur.csv", "\n".join([HEADER, *[bad] * 25]) + "\n"))
    assert [p.row for p in result.problems] == [*range(1, 21), None]
    assert result.problems[-1].message == "... and 5 more rows like these"


def test_unknown_vendor_argument(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    path = write("cur.csv", HEADER + "\n" + GOOD + "\n")
    assert [p.code for p in read_report(con, path, vendor="oracle").problems] == ["unknown-vendor"]
    assert [p.code for p in read_report(con, path, vendor="gcp").problems] == ["vendor-mismatch"]
    assert read_report(con, path, vendor="aws").problems == ()


def test_empty_and_missing_files(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path],
                                 tmp_path: Path) -> None:
    assert found(read_report(con, write("empty.csv", "")).problems) == [("empty-file", "empty.csv", None)]
    assert [p.code for p in read_report(con, tmp_path / "nope.csv").problems] == ["unreadable-file"]


def test_header_only_file_gives_an_empty_table(con: duckdb.DuckDBPyConnection,
                                               write: Callable[[str, str], Path]) -> None:
    result = read_report(con, write("cur.csv", HEADER + "\n"))
    assert (result.table, result.row_count, result.problems) == ("canonical_usage", 0, ())


def test_rows_after_a_truncated_row_keep_their_file_numbers(con: duckdb.DuckDBPyConnection,
                                                           write: Callable[[str, str], Path]) -> None:
    bad_cost = "111100000001,999900000001,Usage,abc,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z"
    text = "\n".join([HEADER, "111100000001,999900000001", GOOD, bad_cost, GOOD, bad_cost])
    result = read_report(con, write("cur.csv", text + "\n"))
    assert found(result.problems) == [
        ("short-row", "cur.csv", 1), ("non-numeric-cost", "cur.csv", 3), ("non-numeric-cost", "cur.csv", 5)]


def test_a_cost_of_ten_billion_or_more_is_read_and_other_problems_still_reported(
        con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    """12,345,678,901.5 is a cost like any other (DuckDB failed the whole file on the rounding
    check, 'the file looks damaged', hiding the bad cost of row 2)."""
    big = "111100000001,999900000001,Usage,12345678901.5,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z"
    bad = "111100000001,999900000001,Usage,abc,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z"
    result = read_report(con, write("cur.csv", "\n".join([HEADER, big, bad]) + "\n"))
    assert found(result.problems) == [("non-numeric-cost", "cur.csv", 2)]
    fine = read_report(con, write("big.csv", "\n".join([HEADER, big, GOOD]) + "\n"))
    assert fine.problems == ()
    assert con.execute(f"SELECT sum(billed_cost) FROM {fine.table}").fetchone()[0] == Decimal("12345678902.0")
