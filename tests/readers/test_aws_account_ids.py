"""An AWS CUR whose account ids are not 12 digits is refused, naming the rows: a spreadsheet
opened and saved it.

Excel writes a 12-digit id it read as a number in scientific notation (222222222222 ->
2.22222E+11: the last digits lost, so the million accounts from 222221500000 to 222222499999
all read alike and would be billed as one), drops leading zeros (022222222222 -> 22222222222)
or adds a decimal (22222222222.0). AWS writes nothing but 12 digits, in the usage account and the payer column
alike; a payer id that changed would even keep the original file's month current beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest

from workbench.billing.readers import open_report, read_report

from test_aws_cur import cur2_columns

HEADER = ("lineItem/UsageAccountId,bill/PayerAccountId,lineItem/LineItemType,lineItem/UnblendedCost,"
          "lineItem/CurrencyCode,lineItem/UsageStartDate,bill/BillingPeriodStartDate")
REST = "Usage,0.5,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z"
FIX = ("Import the vendor's original file, as AWS delivered it, not one opened and saved in a spreadsheet: a "
       "spreadsheet writes 12-digit account ids as numbers (2.22222E+11, its digits lost, so accounts merge) and drops "
       "their leading zeros. A file with other ids was changed after AWS wrote it.")
SCIENTIFIC = ("is a number in scientific notation, as a spreadsheet writes a 12-digit id when it re-saves the file: "
              "the id's digits are lost, and two accounts may be written alike")


def found(problems) -> list[tuple[str, str | None, int | None, str]]:
    return [(p.code, p.file, p.row, p.message) for p in problems]


def test_a_legacy_cur_re_saved_by_a_spreadsheet_is_refused_row_by_row(con: duckdb.DuckDBPyConnection,
                                                                       write: Callable[[str, str], Path]) -> None:
    path = write("cur.csv", "\n".join([
        HEADER,
        f"111100000001,999900000001,{REST}",
        f"2.22222E+11,999900000001,{REST}",
        f"22222222222,999900000001,{REST}",
        f"022222222222.0,999900000001,{REST}",
        f"1234567890123,999900000001,{REST}",
        f"111100000001,1E+12,{REST}",
        ",999900000001,Tax,0.5,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z",  # no usage account: not an id
    ]) + "\n")
    result = read_report(con, path)
    assert result.table is None
    usage = "the usage account id (lineItem/UsageAccountId)"
    assert found(result.problems) == [
        ("aws-account-id", "cur.csv", 2, f"{usage} '2.22222E+11' {SCIENTIFIC}"),
        ("aws-account-id", "cur.csv", 3, f"{usage} '22222222222' has 11 digits; an AWS account id has 12, so it lost "
                                         "its leading zero(s)"),
        ("aws-account-id", "cur.csv", 4, f"{usage} '022222222222.0' ends in .0, as a spreadsheet writes an id it read "
                                         "as a number when it re-saves the file"),
        ("aws-account-id", "cur.csv", 5, f"{usage} '1234567890123' has 13 digits; an AWS account id has exactly 12"),
        ("aws-account-id", "cur.csv", 6, f"the payer account id (bill/PayerAccountId) '1E+12' {SCIENTIFIC}"),
    ]
    assert {p.fix for p in result.problems} == {FIX}


@pytest.mark.parametrize("container", ["parquet", "csv"])
def test_a_cur2_re_saved_by_a_spreadsheet_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                     container: str) -> None:
    columns = cur2_columns()
    columns["line_item_usage_account_id"] = ["111100000001", "2.22222E+11", "111100000002"]
    table = pa.table(columns)
    path = tmp_path / f"cur2.{container}"
    if container == "parquet":
        pq.write_table(table, path)
    else:
        pa.csv.write_csv(table, path)
    result = read_report(con, path)
    assert (result.format, result.table) == ("aws-cur2", None)
    assert found(result.problems) == [("aws-account-id", path.name, 2, "the usage account id "
                                       f"(line_item_usage_account_id) '2.22222E+11' {SCIENTIFIC}")]


def test_a_parquet_cur2_that_typed_the_ids_as_numbers_is_refused(con: duckdb.DuckDBPyConnection,
                                                                  tmp_path: Path) -> None:
    """A tool that re-wrote the parquet file with the ids as integers dropped their leading zeros."""
    columns = cur2_columns()
    columns["line_item_usage_account_id"] = pa.array([111100000001, 22222222222, 111100000002], pa.int64())
    path = tmp_path / "cur2.parquet"
    pq.write_table(pa.table(columns), path)
    assert [(p.code, p.row) for p in read_report(con, path).problems] == [("aws-account-id", 2)]


def test_a_kept_file_read_again_is_not_checked(con: duckdb.DuckDBPyConnection,
                                               write: Callable[[str, str], Path]) -> None:
    """A stored report's file, read again to write its rows, was admitted by the import that stored
    it; one stored before the check may hold ids it refuses now."""
    path = write("cur.csv", f"{HEADER}\n22222222222,999900000001,{REST}\n")
    with open_report(con, path, check_account_ids=False) as report:
        assert report.problems == () and report.select is not None
        assert con.execute(f"SELECT sub_account_id FROM ({report.select})").fetchall() == [("22222222222",)]
    with open_report(con, path) as report:
        assert report.select is None and [p.code for p in report.problems] == ["aws-account-id"]
