"""Files that cannot be read to the end (a .gz cut short, a JSONL line cut in half, binary bytes
after a CSV header, a parquet file with damaged pages) are refused with a Problem naming the file,
the row when there is one, and what to do; never a DuckDB traceback.

Every file here is a real file made damaged: the real AWS sample gzipped and cut, its parquet
copy with its data pages overwritten.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from damaged_files import damaged_parquet
from workbench.billing.readers import read_report

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "vendor-samples" / "aws-cur-legacy-2023-11.csv"


def no_temps_left(con: duckdb.DuckDBPyConnection) -> bool:
    tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '__wb_%'").fetchone()
    views = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name LIKE '__wb_%'").fetchone()
    return tables == (0,) and views == (0,)


def test_a_gzip_cut_short_says_the_file_ends_early(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # A download stopped halfway: the header and the first rows decompress, the end is missing.
    whole = gzip.compress(SAMPLE.read_bytes())
    cut = tmp_path / "cur-2023-11.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])

    result = read_report(con, cut)

    assert (result.format, result.table) == ("aws-cur-legacy", None)
    [problem] = result.problems
    assert (problem.code, problem.file, problem.row) == ("truncated-file", "cur-2023-11.csv.gz", None)
    assert "the file ends early: it is truncated or still downloading" in problem.message
    assert problem.fix is not None and "Download it again" in problem.fix
    assert no_temps_left(con)


def test_the_same_gzip_whole_reads(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    whole = tmp_path / "cur-2023-11.csv.gz"
    whole.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    result = read_report(con, whole)
    assert (result.table, result.row_count) == ("canonical_usage", 1281)


GCP_ROW = {
    "billing_account_id": "01A2B3-C4D5E6-F7A8B9",
    "service": {"id": "6F81-5844-456A", "description": "Compute Engine"},
    "sku": {"id": "2E27-4F75-95CD", "description": "N2 Instance Core running in Americas"},
    "usage_start_time": "2026-11-14 09:00:00 UTC", "usage_end_time": "2026-11-14 10:00:00 UTC",
    "project": {"id": "quarry-media-prod-561815", "name": "Quarry Media prod"},
    "cost": 1.426018805, "currency": "USD",
    "usage": {"amount": 162401.3064, "unit": "seconds", "amount_in_pricing_units": 45.111474, "pricing_unit": "hour"},
    "credits": [], "invoice": {"month": "202611"}, "cost_type": "regular",
}


def gcp_lines(count: int) -> list[str]:
    return [json.dumps(GCP_ROW) for _ in range(count)]


def test_a_jsonl_line_cut_in_the_middle_of_the_file_is_reported_by_row(
        con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    # Line 3 stops after its first key: DuckDB's json_type raised "Malformed JSON at byte 26".
    lines = gcp_lines(5)
    lines[2] = '{"billing_account_id": "x"'
    result = read_report(con, write("gcp-2026-11.jsonl", "\n".join(lines) + "\n"))
    assert result.table is None
    assert [(p.code, p.file, p.row) for p in result.problems] == [("bad-json", "gcp-2026-11.jsonl", 3)]
    assert "not a JSON object" in result.problems[0].message
    assert no_temps_left(con)


def test_a_jsonl_file_whose_last_line_is_cut_short_says_it_is_truncated(
        con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    lines = gcp_lines(4)
    lines[-1] = lines[-1][:80]  # the download stopped inside the last object
    result = read_report(con, write("gcp-2026-11.jsonl", "\n".join(lines)))
    [problem] = result.problems
    assert (problem.code, problem.file, problem.row) == ("bad-json", "gcp-2026-11.jsonl", 4)
    assert "the last line is cut short" in problem.message and "truncated or still downloading" in problem.message
    assert problem.fix is not None and "Download it again" in problem.fix


def test_blank_lines_in_jsonl_are_still_skipped(con: duckdb.DuckDBPyConnection,
                                                write: Callable[[str, str], Path]) -> None:
    lines = gcp_lines(3)
    result = read_report(con, write("gcp-2026-11.jsonl", "\n\n".join(lines) + "\n"))
    assert (result.problems, result.row_count) == ((), 3)


def test_binary_bytes_after_a_csv_header_are_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # A CUR header, then bytes that are no CSV at all (an archive renamed .csv, a damaged disk).
    header = SAMPLE.read_bytes().split(b"\n", 1)[0]
    noise = bytes((i * 97 + 13) % 256 for i in range(20_000))  # fixed, so the test never varies
    path = tmp_path / "cur.csv"
    path.write_bytes(header + b"\n" + noise)

    result = read_report(con, path)

    assert result.table is None
    [problem] = result.problems
    assert (problem.code, problem.file) == ("unreadable-file", "cur.csv")
    assert "cannot be read as CSV text" in problem.message
    assert no_temps_left(con)


def test_a_parquet_file_with_damaged_pages_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = damaged_parquet(SAMPLE, tmp_path)
    result = read_report(con, path)
    assert (result.format, result.table) == ("aws-cur-legacy", None)
    [problem] = result.problems
    assert (problem.code, problem.file) == ("corrupt-file", "cur-2023-11.parquet")
    assert "the parquet file is damaged" in problem.message
    assert no_temps_left(con)


def test_a_file_that_only_looks_gzipped_or_parquet_is_refused(con: duckdb.DuckDBPyConnection,
                                                              tmp_path: Path) -> None:
    # The magic bytes say gzip / parquet, the rest is not: refused when probed.
    fake_gz = tmp_path / "cur.csv.gz"
    fake_gz.write_bytes(b"\x1f\x8b" + b"not really compressed" * 50)
    fake_parquet = tmp_path / "cur.parquet"
    fake_parquet.write_bytes(b"PAR1" + b"not really parquet" * 50)
    for path in (fake_gz, fake_parquet):
        [problem] = read_report(con, path).problems
        assert (problem.code, problem.file) == ("unreadable-file", path.name)
        assert problem.fix and "\n" not in problem.message


def _workbook(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["lineItem/UsageAccountId", "lineItem/UnblendedCost"])
    book.save(path)


@pytest.mark.parametrize(("name", "write", "says"), [
    ("cur.csv", _workbook, "this is a zip archive (an Excel .xlsx workbook is one), not a vendor report"),
    ("cur-utf16.csv", lambda p: p.write_bytes(SAMPLE.read_text(encoding="utf-8").encode("utf-16")),
     "this is UTF-16 text, not a vendor report"),
    ("header.csv", lambda p: p.write_bytes(b'lineItem/UsageAccountId,lineItem/Un\rblendedCost\n1,2\n'),
     "the first line is not a CSV header"),
])
def test_a_file_that_is_no_vendor_export_says_what_it_is(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                         name: str, write: Callable[[Path], None], says: str) -> None:
    """An Excel workbook renamed .csv, a CSV saved as UTF-16, a header with a stray line break:
    what the file is and what to give instead (a csv.Error traceback before)."""
    path = tmp_path / name
    write(path)
    result = read_report(con, path)
    assert result.table is None
    [problem] = result.problems
    assert (problem.code, problem.file) == ("not-a-report", name)
    assert problem.message.startswith(says) and problem.fix
    assert no_temps_left(con)


def test_an_unknown_header_is_shown_escaped_and_cut_short(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # control bytes reached the terminal as they were (an escape sequence recolours it); a JSON
    # array export showed its whole first record
    path = tmp_path / "odd.csv"
    path.write_bytes(b"a\x1b[31mred,b\x07bell," + b",".join(b"column%d" % i for i in range(100)) + b"\n1,2\n")
    [problem] = read_report(con, path).problems
    assert problem.code == "unknown-format"
    assert problem.message.startswith("not a known billing export; header columns seen: a\\x1b[31mred, b\\x07bell, column0")
    assert problem.message.endswith(" ...") and len(problem.message) < 400 and problem.message.isprintable()


@pytest.mark.parametrize("error", [duckdb.BinderException("Referenced column x not found"),
                                   duckdb.OutOfMemoryException("could not allocate"),
                                   duckdb.InterruptException("INTERRUPT"),
                                   duckdb.IOException("Could not write file: No space left on device")])
def test_errors_that_are_not_about_the_file_are_not_blamed_on_it(error: duckdb.Error) -> None:
    """Our own SQL, memory, a full disk, an interrupt on purpose: the caller re-raises them."""
    from workbench.billing.readers.source import read_failure

    assert read_failure(Path("cur.csv"), error) is None
