"""`write_aws_cur`: exact row counts in every format, and the same rows whatever the format."""

from __future__ import annotations

import csv
import gzip
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from workbench.billing.demo import AWS_CUR2_COLUMNS, AWS_CUR_LEGACY_COLUMNS, write_aws_cur
from workbench.billing.demo._formats import snake_case


def _data_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def test_200k_rows_csv(tmp_path: Path) -> None:
    started = time.perf_counter()
    out = write_aws_cur(tmp_path / "cur.csv", rows=200_000, accounts=40, period="2024-03", fmt="csv", legacy=True, seed=3)
    elapsed = time.perf_counter() - started
    assert _data_lines(out) == 200_000
    count, accounts, total = duckdb.sql(
        f"""SELECT count(*), count(DISTINCT "lineItem/UsageAccountId"), sum("lineItem/UnblendedCost")
            FROM read_csv('{out}', all_varchar = true, header = true)"""
        .replace('sum("lineItem/UnblendedCost")', 'sum(CAST("lineItem/UnblendedCost" AS DECIMAL(38, 9)))')
    ).fetchall()[0]
    assert (count, accounts) == (200_000, 40)
    assert isinstance(total, Decimal) and total > 0
    assert elapsed < 60


@pytest.mark.parametrize("legacy", [True, False])
def test_formats_hold_the_same_rows(tmp_path: Path, legacy: bool) -> None:
    kwargs = dict(rows=1_000, accounts=7, period="2024-02", legacy=legacy, seed=11)
    plain = write_aws_cur(tmp_path / "cur.csv", fmt="csv", **kwargs)  # type: ignore[arg-type]
    zipped = write_aws_cur(tmp_path / "cur.csv.gz", fmt="csv.gz", **kwargs)  # type: ignore[arg-type]
    parquet = write_aws_cur(tmp_path / "cur.parquet", fmt="parquet", **kwargs)  # type: ignore[arg-type]
    assert gzip.decompress(zipped.read_bytes()) == plain.read_bytes()
    with plain.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1_000
    expected_header = list(AWS_CUR_LEGACY_COLUMNS) if legacy else list(AWS_CUR2_COLUMNS)
    assert list(rows[0]) == expected_header
    cost_column = "lineItem/UnblendedCost" if legacy else "line_item_unblended_cost"
    parquet_cost = snake_case("lineItem/UnblendedCost")
    described = dict((name, kind) for name, kind, *_ in duckdb.sql(f"DESCRIBE SELECT * FROM '{parquet}'").fetchall())
    assert list(described) == ([snake_case(c) for c in AWS_CUR_LEGACY_COLUMNS] if legacy else list(AWS_CUR2_COLUMNS))
    assert described[parquet_cost] == "DECIMAL(18,9)"
    assert described["line_item_usage_start_date"] == "TIMESTAMP"
    from_parquet = [row[0] for row in duckdb.sql(f"SELECT {parquet_cost} FROM '{parquet}'").fetchall()]
    assert from_parquet == [Decimal(r[cost_column]) for r in rows]


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    first = write_aws_cur(tmp_path / "a.csv.gz", rows=5_000, accounts=3, period="2023-12", fmt="csv.gz", seed=5)
    second = write_aws_cur(tmp_path / "b.csv.gz", rows=5_000, accounts=3, period="2023-12", fmt="csv.gz", seed=5)
    other = write_aws_cur(tmp_path / "c.csv.gz", rows=5_000, accounts=3, period="2023-12", fmt="csv.gz", seed=6)
    assert first.read_bytes() == second.read_bytes() != other.read_bytes()


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_aws_cur(tmp_path / "x", rows=10, accounts=1, period="2024-01", fmt="xlsx")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        write_aws_cur(tmp_path / "x", rows=10, accounts=0, period="2024-01")
