"""The folded summary (`readers.fold`) is the summary of every row, staged one by one: the same
rows, keys, sums, counts, first rows and dates, and the same flagged rows, whatever the file."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import pyarrow as pa
import pyarrow.parquet as pq

from test_aws_cur import LEGACY, cur2_columns
from workbench.billing.demo import write_aws_cur
from workbench.billing.readers import open_report
from workbench.billing.store.report_import import _FLAG_COUNTS, _FOLDED_FLAG_COUNTS
from workbench.billing.store.usage_files import fold_groups_select, folded_summary_select, summary_select

SAMPLES = Path(__file__).parents[1] / "data" / "vendor-samples"


def both_ways(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The summary of `path` with its row flags counted, row by row and folded."""
    with open_report(con, path, validate_rows=False) as report:
        assert report.flagged_select is not None and report.fold is not None
        each = con.execute(summary_select(report.flagged_select, _FLAG_COUNTS)).fetchall()
        con.execute(f"CREATE OR REPLACE TEMP TABLE groups AS {fold_groups_select(report.fold)}")
        folded = con.execute(folded_summary_select(report.fold, "groups", _FOLDED_FLAG_COUNTS)).fetchall()
        return each, folded


@pytest.mark.parametrize("fmt, legacy", [("parquet", False), ("csv", False), ("csv.gz", True), ("parquet", True)])
def test_a_generated_cur_summarises_alike(con: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: str, legacy: bool) -> None:
    path = write_aws_cur(tmp_path / f"cur.{fmt}", rows=20_000, accounts=40, period="2025-10", fmt=fmt,  # type: ignore[arg-type]
                         legacy=legacy)
    each, folded = both_ways(con, path)
    assert len(each) > 100 and folded == each


def test_the_real_aws_sample_summarises_alike(con: duckdb.DuckDBPyConnection) -> None:
    each, folded = both_ways(con, SAMPLES / "aws-cur-legacy-2023-11.csv")
    assert len(each) > 1 and folded == each


# Values that differ in the file but not once staged (spaces, blanks), free tier next to costs of
# both signs that add up to 0, and bad values of every kind the flags count.
HEADER, *_ = LEGACY.strip().splitlines()
ROW = (",AWS,999900000001,2023-11-01T00:00:00.000Z,{account},{kind},{start},2023-11-03T00:00:00.000Z,{product},"
       "{usage},{amount},{currency},{cost},{description},Amazon Web Services Canada Inc.,S3,Data Transfer,GB,")
EDGES = [
    dict(account="111100000001", kind="Usage", product="AmazonS3", usage="Out-Bytes", amount="1", cost="0.0",
         description="free tier transfer"),
    dict(account="111100000001", kind="Usage", product=" AmazonS3 ", usage="Out-Bytes", amount="2", cost="0",
         description="free tier transfer "),  # the same line staged: trimmed
    dict(account="111100000001", kind="Usage", product="AmazonS3", usage="Out-Bytes", amount="1", cost="0.25",
         description="free tier transfer"),  # the same text, but it costs: never free tier
    dict(account="111100000001", kind="Usage", product="AmazonS3", usage="Out-Bytes", amount="1", cost="-0.25",
         description="free tier transfer"),  # with the one before, 0 in all: still not free tier
    dict(account="111100000002", kind=" Usage", product="AmazonEC2", usage="BoxUsage", amount="x", cost="",
         description=""),  # no cost, a quantity that is no number, a blank description
    dict(account="111100000002", kind="Usage", product="AmazonEC2", usage="BoxUsage", amount="3", cost="abc",
         description="box"),
    dict(account="111100000002", kind="Usage", product="AmazonEC2", usage="BoxUsage", amount="3", cost="1.5",
         description="box", currency=" ", start=""),  # no currency, no usage date
    dict(account="111100000002", kind="Usage", product="AmazonEC2", usage="BoxUsage", amount="3",
         cost="0.1234567890123456789012", description="box"),  # rounded to 18 places
]


def test_edge_values_summarise_alike(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    rows = [ROW.format(**{"currency": "USD", "start": "2023-11-02T00:00:00.000Z", **edge}) for edge in EDGES]
    each, folded = both_ways(con, write("cur.csv", "\n".join([HEADER, *rows]) + "\n"))
    assert folded == each
    # (account, currency, free tier, description, quantity, cost, rows, first row, flagged, rounded)
    assert [(r[3], r[4], r[11], r[13], str(r[14]), str(r[15]), r[16], r[18], r[21], r[22]) for r in each] == [
        ("111100000001", "USD", False, "free tier transfer", "2.000000000000", "0E-18", 2, 3, 0, 0),
        ("111100000001", "USD", True, "free tier transfer", "3.000000000000", "0E-18", 2, 1, 0, 0),
        ("111100000002", "USD", False, "", "6.000000000000", "0.123456789012345679", 3, 5, 2, 1),
        ("111100000002", None, False, "box", "3.000000000000", "1.500000000000000000", 1, 7, 1, 0),
    ]


@pytest.mark.parametrize("cost_type", [pa.decimal128(10, 10), pa.binary()], ids=["DECIMAL(10,10)", "BLOB"])
def test_a_cost_column_of_any_parquet_type_summarises_alike(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                            cost_type: pa.DataType) -> None:
    # costs all below 1 (pandas writes them as DECIMAL(10,10)), or text without its UTF-8 mark:
    # a group's stand-in cost keeps the file's type (a cast of the group's sign to it failed)
    data: dict[str, object] = dict(cur2_columns())
    costs = ["0.25", "0", "-0.05"]
    data["line_item_unblended_cost"] = pa.array(
        [Decimal(c) if pa.types.is_decimal(cost_type) else c.encode() for c in costs], type=cost_type)
    data["line_item_line_item_description"] = ["t3.micro hour", "free tier", "Credit"]
    path = tmp_path / "cur2.parquet"
    pq.write_table(pa.table(data), path)
    each, folded = both_ways(con, path)
    assert folded == each
    assert [(r[5], r[11], str(r[15])) for r in each] == [  # (category, free tier, cost)
        ("usage", False, "0.250000000000000000"), ("credit", False, "-0.050000000000000000"), ("usage", True, "0E-18")]


def test_a_format_without_measures_is_not_folded(con: duckdb.DuckDBPyConnection) -> None:
    with open_report(con, SAMPLES / "azure-ea-cost-2023-09.csv", validate_rows=False) as report:
        assert report.select is not None and report.fold is None
