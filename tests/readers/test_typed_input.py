"""Typed parquet columns are read as they are (no text round trip), with the same canonical rows
as text; `open_report` validates without copying; the fast paths agree with the general ones."""

from __future__ import annotations

import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reader_tables import as_table
from test_aws_cur import cur2_columns
from workbench.billing.readers import open_report, read_report
from workbench.billing.readers.sql import to_utc_timestamp
from workbench.billing.readers.staging import StagedTypes, _quantity

ALL_COLUMNS = "* EXCLUDE (source_file)"


def _utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def typed_cur2(zoned: bool) -> pa.Table:
    """`cur2_columns` as Athena / the CUR 2.0 export type them: timestamps and decimals."""
    data = cur2_columns()
    stamp = pa.timestamp("us", tz="UTC") if zoned else pa.timestamp("us")
    typed: dict[str, pa.Array] = {name: pa.array(values, pa.string()) for name, values in data.items()}
    for name in ("bill_billing_period_start_date", "line_item_usage_start_date", "line_item_usage_end_date"):
        moments = [_utc(v) for v in data[name]]  # type: ignore[arg-type]
        typed[name] = pa.array([m if zoned or m is None else m.replace(tzinfo=None) for m in moments], stamp)
    typed["line_item_unblended_cost"] = pa.array(
        [Decimal(str(v)) for v in data["line_item_unblended_cost"]], pa.decimal128(18, 10))
    typed["line_item_usage_amount"] = pa.array(
        [None if v is None else Decimal(str(v)) for v in data["line_item_usage_amount"]], pa.decimal128(18, 10))
    return pa.table(typed)


@pytest.mark.parametrize("zoned", [False, True], ids=["timestamp", "timestamptz"])
def test_typed_cur2_parquet_reads_like_its_text(con: duckdb.DuckDBPyConnection, tmp_path: Path, zoned: bool) -> None:
    con.execute("SET TimeZone = 'America/Toronto'")  # a zoned timestamp is converted to UTC all the same
    pq.write_table(typed_cur2(zoned), tmp_path / "typed.parquet")
    pq.write_table(pa.table({k: pa.array(v, pa.string()) for k, v in cur2_columns().items()}), tmp_path / "text.parquet")
    typed = read_report(con, tmp_path / "typed.parquet", table="typed")
    text = read_report(con, tmp_path / "text.parquet", table="text")
    assert (typed.problems, typed.row_count) == ((), 3) == (text.problems, text.row_count)
    assert con.execute("SELECT charge_period_start, charge_period_end, quantity, billed_cost FROM typed").fetchall() == [
        (datetime(2023, 11, 2), datetime(2023, 11, 3), Decimal(24), Decimal("0.2496")),
        (datetime(2023, 11, 2), datetime(2023, 11, 3), Decimal(1), Decimal("0.0000000018")),
        (datetime(2023, 11, 1), datetime(2023, 12, 1), None, Decimal("-0.05"))]
    assert as_table(con, "typed", ALL_COLUMNS) == as_table(con, "text", ALL_COLUMNS)


def test_parquet_double_costs_go_through_their_shortest_text(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    table = pa.table({k: pa.array(v, pa.string()) for k, v in cur2_columns().items()})
    table = table.set_column(table.schema.get_field_index("line_item_unblended_cost"), "line_item_unblended_cost",
                             pa.array([0.1, 1.8e-9, -0.05], pa.float64()))
    pq.write_table(table, tmp_path / "double.parquet")
    assert read_report(con, tmp_path / "double.parquet").problems == ()
    assert [c for (c,) in con.execute("SELECT billed_cost FROM canonical_usage").fetchall()] == [
        Decimal("0.1"), Decimal("0.0000000018"), Decimal("-0.05")]


def test_parquet_decimals_finer_than_18_places_are_rounded_with_a_warning(con: duckdb.DuckDBPyConnection,
                                                                          tmp_path: Path) -> None:
    table = pa.table({k: pa.array(v, pa.string()) for k, v in cur2_columns().items()})
    fine = pa.array([Decimal("0.24960000000000000001"), Decimal("0"), Decimal("-0.05")], pa.decimal128(38, 20))
    table = table.set_column(table.schema.get_field_index("line_item_unblended_cost"), "line_item_unblended_cost", fine)
    pq.write_table(table, tmp_path / "fine.parquet")
    result = read_report(con, tmp_path / "fine.parquet")
    assert [(p.code, p.row) for p in result.problems] == [("cost-rounded", 1)]
    assert con.execute("SELECT billed_cost FROM canonical_usage LIMIT 1").fetchone() == (Decimal("0.2496"),)


def _cur2_csv(path: Path) -> Path:
    data = cur2_columns()
    path.write_text("\n".join([",".join(data), *(",".join("" if v is None else str(v) for v in row)
                                                 for row in zip(*data.values()))]) + "\n", encoding="utf-8")
    return path


def test_open_report_is_a_select_that_leaves_nothing_behind(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path = _cur2_csv(tmp_path / "cur2.csv")
    with open_report(con, path) as report:
        assert (report.format, report.vendor, report.problems) == ("aws-cur2", "aws", ())
        assert report.select is not None
        con.execute(f"COPY ({report.select}) TO '{tmp_path / 'out.parquet'}' (FORMAT parquet)")
        assert list(scratch.iterdir())  # the CSV's columns, parsed once
    assert list(scratch.iterdir()) == []
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name LIKE '__wb_%'").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '__wb_%'").fetchone() == (0,)
    rows = con.execute(f"SELECT source_row, billed_cost FROM read_parquet('{tmp_path / 'out.parquet'}')").fetchall()
    assert rows == [(1, Decimal("0.2496")), (2, Decimal("0.0000000018")), (3, Decimal("-0.05"))]


def _canonical(con: duckdb.DuckDBPyConnection, path: Path, parsed: Path | None) -> list[tuple[object, ...]]:
    with open_report(con, path, parsed=parsed) as report:
        assert report.select is not None, report.problems
        return con.execute(f"SELECT {ALL_COLUMNS} FROM ({report.select})").fetchall()


def test_a_kept_parse_is_read_instead_of_the_csv(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path, parsed = _cur2_csv(tmp_path / "cur2.csv"), tmp_path / "cur2.csv.columns.parquet"
    expected = _canonical(con, path, None)
    assert _canonical(con, path, parsed) == expected  # parsed, and the parse kept
    assert parsed.is_file()
    # the CSV's rows are gone (its header stays): the same rows come from the kept parse
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert _canonical(con, path, parsed) == expected


def test_a_parse_without_a_needed_column_is_not_used(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path, parsed = _cur2_csv(tmp_path / "cur2.csv"), tmp_path / "cur2.csv.columns.parquet"
    expected = _canonical(con, path, None)
    # as an older version might have kept it: a column short, and its rows wrong
    con.execute(f"COPY (SELECT line_item_usage_account_id FROM read_csv('{path}', all_varchar = true) LIMIT 1) "
                f"TO '{parsed}' (FORMAT parquet)")
    assert _canonical(con, path, parsed) == expected


def test_a_file_with_rejected_rows_leaves_no_parse(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path, parsed = _cur2_csv(tmp_path / "cur2.csv"), tmp_path / "cur2.csv.columns.parquet"
    with path.open("a", encoding="utf-8") as handle:
        handle.write("only,three,fields\n")
    with open_report(con, path, parsed=parsed) as report:
        assert "truncated-row" in [p.code for p in report.problems]
    assert not parsed.exists()  # its row numbers would be wrong when read again


def test_open_report_refused_has_no_select(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("Customer,Amount\nacme,12\n", encoding="utf-8")
    with open_report(con, path) as report:
        assert (report.select, [p.code for p in report.problems]) == (None, ["unknown-format"])


# The general path of `to_utc_timestamp`, as it was before the fast path for `...Z` text.
_ZONED = r"'\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)$'"


def _general_utc(t: str) -> str:
    return (
        f"(CASE WHEN {t} IS NULL THEN NULL WHEN regexp_matches({t}, {_ZONED}) "
        f"THEN CAST(timezone('UTC', TRY_CAST(regexp_replace({t}, '\\s*UTC$', '+00') AS TIMESTAMPTZ)) AS TIMESTAMP) "
        f"ELSE COALESCE(TRY_CAST({t} AS TIMESTAMP), try_strptime({t}, '%m/%d/%Y'), "
        f"try_strptime({t}, '%m/%d/%Y %H:%M'), try_strptime({t}, '%m/%d/%Y %H:%M:%S')) END)"
    )


@pytest.mark.parametrize("text", [
    "2025-10-01T00:00:00Z", "2025-10-01T00:00:00.000Z", "2025-10-01 13:05:09.123456Z", "2025-12-31T23:59:59.999Z",
    "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2025-10-01T24:00:00Z", "2025-10-01T25:00:00Z",
    "2025-10-01T00:00:60Z", "2025-10-01Taa:00:00Z", "2025-1-01T00:00:00Z", "2025-10-01T00:00:00.00aZ",
    "2025-10-01T00:00:00 Z", "2025-10-01X00:00:00Z", "2025-10-01T00:00:00.1234567Z", "2025-10-01T00:00:00+02:00",
    "2023-11-01", "11/3/2023", "2024-05-01 13:00:00 UTC", "0001-01-01T00:00:00Z", None,
])
def test_utc_fast_path_agrees_with_the_general_one(con: duckdb.DuckDBPyConnection, text: str | None) -> None:
    fast, general = con.execute(f"SELECT {to_utc_timestamp('x')}, {_general_utc('x')} FROM (SELECT ?::VARCHAR AS x)",
                                [text]).fetchone()  # type: ignore[misc]
    assert fast == general


@pytest.mark.parametrize("text", [
    "1", "24.0", "0.000000000001", "0.0000000000005", "0.00000000000049999999999999", "1e-5", "1.0E-5",
    "12345678901234567890", "-0.5", "+3.25", "abc", "1.", ".5", "1.0000000000001", "0.0000000000015", "1_000",
])
def test_quantity_in_one_cast_agrees_with_two(con: duckdb.DuckDBPyConnection, text: str) -> None:
    one = _quantity(StagedTypes({"quantity_text": "VARCHAR"}))
    two = "CAST(TRY_CAST(quantity_text AS DECIMAL(38,18)) AS DECIMAL(38,12))"
    a, b = con.execute(f"SELECT {one}, {two} FROM (SELECT ?::VARCHAR AS quantity_text)", [text]).fetchone()  # type: ignore[misc]
    assert a == b
