"""Importing a vendor file that cannot be read to the end, or that holds no rows: the file is
refused with a Problem naming it and saying what to do, the other files of the import go on,
and nothing stored changes (no traceback, no half-written parquet, the database untouched)."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Callable
from pathlib import Path


from readers.damaged_files import damaged_parquet
from workbench.billing.store import FileStatus, Workspace, import_reports

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "vendor-samples"
AWS_SAMPLE = SAMPLES / "aws-cur-legacy-2023-11.csv"
AZURE_SAMPLE = SAMPLES / "azure-ea-cost-2023-09.csv"
Dump = Callable[[Workspace], tuple[bytes, str]]
TODAY = dt.date(2024, 6, 1)


def usage_files(ws: Workspace) -> list[str]:
    return sorted(p.relative_to(ws.root).as_posix() for p in ws.usage_dir.rglob("*") if p.is_file())


def test_a_gzip_cut_short_is_refused_and_the_next_file_still_imports(ws: Workspace, tmp_path: Path,
                                                                     db_dump: Dump) -> None:
    # `workbench import WS aws-trunc.csv.gz azure.csv`: the .gz stopped downloading halfway.
    whole = gzip.compress(AWS_SAMPLE.read_bytes())
    cut = tmp_path / "aws-trunc.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    before = db_dump(ws)

    outcome = import_reports(ws, [cut], today=TODAY)

    [refused] = outcome.files
    assert refused.status is FileStatus.REFUSED
    assert [(p.code, p.file) for p in refused.problems] == [("truncated-file", "aws-trunc.csv.gz")]
    assert "the file ends early: it is truncated or still downloading" in refused.problems[0].message
    assert (usage_files(ws), db_dump(ws)) == ([], before)

    # In one import with a good file: the good one is stored, the cut one is not (exit code 1).
    outcome = import_reports(ws, [cut, AZURE_SAMPLE], today=TODAY)
    assert [f.status for f in outcome.files] == [FileStatus.REFUSED, FileStatus.IMPORTED]
    assert not outcome.ok


def test_a_parquet_file_with_damaged_pages_is_refused(ws: Workspace, tmp_path: Path, db_dump: Dump) -> None:
    # Its schema (the footer) is whole, so it is recognised and opened; its pages are read first by
    # the import's summary pass, which met DuckDB's "don't know what type" error there.
    damaged = damaged_parquet(AWS_SAMPLE, tmp_path)
    before = db_dump(ws)

    outcome = import_reports(ws, [damaged], today=TODAY)

    [refused] = outcome.files
    assert refused.status is FileStatus.REFUSED
    assert [(p.code, p.file) for p in refused.problems] == [("corrupt-file", "cur-2023-11.parquet")]
    assert (usage_files(ws), db_dump(ws)) == ([], before)


def test_a_jsonl_export_with_a_line_cut_short_is_refused_by_row(ws: Workspace, tmp_path: Path,
                                                                db_dump: Dump) -> None:
    line = ('{"billing_account_id":"01A2B3-C4D5E6-F7A8B9","service":{"id":"6F81-5844-456A","description":"Compute Engine"},'
            '"sku":{"id":"2E27-4F75-95CD","description":"N2 Instance Core"},"usage_start_time":"2026-11-14 09:00:00 UTC",'
            '"usage_end_time":"2026-11-14 10:00:00 UTC","project":{"id":"quarry-prod","name":"Quarry prod"},'
            '"cost":1.426018805,"currency":"USD","usage":{"amount":1,"unit":"hour"},"credits":[],'
            '"invoice":{"month":"202611"},"cost_type":"regular"}')
    path = tmp_path / "gcp-halfline.jsonl"
    path.write_text("\n".join([line] * 10 + ['{"billing_account_id": "x"'] + [line] * 3) + "\n")
    before = db_dump(ws)

    outcome = import_reports(ws, [path], today=TODAY)

    assert outcome.files[0].status is FileStatus.REFUSED
    assert [(p.code, p.file, p.row) for p in outcome.problems] == [("bad-json", "gcp-halfline.jsonl", 11)]
    assert (usage_files(ws), db_dump(ws)) == ([], before)


def test_a_csv_with_only_its_header_says_it_has_no_data_rows(ws: Workspace, tmp_path: Path, db_dump: Dump) -> None:
    # Not "the file's rows have vendor none, but aws was asked for": no vendor was asked for.
    path = tmp_path / "aws-headeronly.csv"
    path.write_text(AWS_SAMPLE.read_text().split("\n", 1)[0] + "\n")
    before = db_dump(ws)

    outcome = import_reports(ws, [path], today=TODAY)

    [refused] = outcome.files
    assert refused.status is FileStatus.REFUSED
    [problem] = refused.problems
    assert (problem.code, problem.file) == ("empty-report", "aws-headeronly.csv")
    assert problem.message == "the file has no data rows: nothing to import"
    assert "asked for" not in problem.message and problem.fix
    assert (usage_files(ws), db_dump(ws)) == ([], before)
