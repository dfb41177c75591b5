"""The usage store's files per report: the kept vendor file, the summary that pricing reads,
and the day summary and canonical rows written the first time they are needed.

The demo workspace is built the way an analyst builds one (`import_reports` of an AWS CUR, an
Azure EA export and a Google Cloud JSONL export), so its reports have summaries and sources but
no rows until something asks for them.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select

from workbench.billing.core.periods import DateRange, given_month
from workbench.billing.store import Workspace, current_usage_files, import_reports, unassigned_usage
from workbench.billing.store import usage_files
from workbench.billing.store.models import Account, VendorReport
from workbench.billing.store.usage_files import UsageUnavailable, rows_files, summary_files
from workbench.billing.usage_groups import open_usage

OCTOBER = given_month("2025-10")


def _reports(ws: Workspace, vendor: str | None = None) -> list[VendorReport]:
    with ws.session() as session:
        query = select(VendorReport).where(VendorReport.superseded_by.is_(None)).order_by(VendorReport.id)
        if vendor:
            query = query.where(VendorReport.vendor == vendor)
        return list(session.scalars(query))


def _accounts(ws: Workspace, vendor: str) -> dict[str, str]:
    with ws.session() as session:
        return {a.account_id: a.customer_id for a in session.scalars(select(Account).where(Account.vendor == vendor))}


def _rows_written(ws: Workspace) -> list[str]:
    return sorted(r.stored_path for r in _reports(ws) if (ws.root / r.stored_path).exists())


def _days_written(ws: Workspace) -> list[str]:
    return sorted(r.stored_path for r in _reports(ws) if usage_files.days_path(ws.root / r.stored_path).exists())


def test_an_import_keeps_the_file_and_its_summary_and_no_rows(demo_workspace_copy: Workspace) -> None:
    ws = demo_workspace_copy
    reports = _reports(ws)
    assert {r.vendor for r in reports} == {"aws", "azure", "gcp"}
    for report in reports:
        assert report.source_path and (ws.root / report.source_path).is_file()
        assert Path(report.source_path).name == report.file_name
        assert usage_files.summary_path(ws.root / report.stored_path).is_file()
    assert _rows_written(ws) == []


@pytest.mark.parametrize("vendor", ["aws", "azure", "gcp"])
@pytest.mark.parametrize("period", ["2025-09", "2025-10"])
def test_pricing_groups_from_the_summary_equal_those_from_the_rows(demo_workspace_copy: Workspace, vendor: str,
                                                                   period: str) -> None:
    ws, month = demo_workspace_copy, given_month(period)
    reports = [r for r in _reports(ws, vendor) if r.billing_period == period]
    accounts = _accounts(ws, vendor)
    with open_usage(ws, reports, accounts, month) as summary:
        assert summary.form == "summaries"
        from_summary = (summary.groups(), summary.unassigned(vendor))
    assert _rows_written(ws) == []  # a whole month never needs the rows
    with open_usage(ws, reports, accounts, month, form="rows") as rows:
        assert rows.form == "rows"
        from_rows = (rows.groups(), rows.unassigned(vendor))
    assert from_summary == from_rows  # every group: cost, quantity, description and row count, exactly
    (groups, _currencies), _unassigned = from_summary
    assert sum(len(g) for g in groups.values()) > 10 and sum(x.source_rows for g in groups.values() for x in g) > 100


def test_a_custom_range_reads_day_summaries_only_when_it_cuts_through_a_summary_row(
        demo_workspace_copy: Workspace) -> None:
    ws = demo_workspace_copy
    reports, accounts = [r for r in _reports(ws, "aws") if r.billing_period == "2025-10"], _accounts(ws, "aws")
    # month to date on 4 November: October's rows all start before the 5th of November
    to_date = DateRange(dt.date(2025, 10, 1), dt.date(2025, 11, 5), "2025-10-01..2025-11-04")
    with open_usage(ws, reports, accounts, to_date) as usage:
        assert usage.form == "summaries"
        whole, _ = usage.groups()
    with open_usage(ws, reports, accounts, OCTOBER) as usage:
        assert whole == usage.groups()[0]
    assert _days_written(ws) == []
    # the first half of October splits daily usage: priced from the day summaries, written now
    half = DateRange(dt.date(2025, 10, 1), dt.date(2025, 10, 16), "2025-10-01..2025-10-15")
    with open_usage(ws, reports, accounts, half) as usage:
        assert usage.form == "days"
        first_half, _ = usage.groups()
    assert _days_written(ws) == [r.stored_path for r in reports] and _rows_written(ws) == []
    total = lambda groups: sum(g.vendor_cost for gs in groups.values() for g in gs)  # noqa: E731
    assert 0 < total(first_half) < total(whole)


@pytest.mark.parametrize("vendor", ["aws", "azure", "gcp"])
def test_day_summaries_price_a_range_of_days_as_the_rows_do(demo_workspace_copy: Workspace, vendor: str) -> None:
    ws, accounts = demo_workspace_copy, _accounts(demo_workspace_copy, vendor)
    reports = [r for r in _reports(ws, vendor) if r.billing_period == "2025-10"]
    for start, end in [(dt.date(2025, 10, 1), dt.date(2025, 10, 16)), (dt.date(2025, 10, 9), dt.date(2025, 10, 10)),
                       (dt.date(2025, 9, 20), dt.date(2025, 10, 31))]:
        days = DateRange(start, end, f"{start}..{end}")
        with open_usage(ws, reports, accounts, days, form="days") as usage:
            from_days = (usage.groups(), usage.unassigned(vendor))
        with open_usage(ws, reports, accounts, days, form="rows") as usage:
            from_rows = (usage.groups(), usage.unassigned(vendor))
        assert from_days == from_rows  # every group: cost, quantity, description and row count, exactly
        (groups, _currencies), _unassigned = from_days
        assert sum(x.source_rows for g in groups.values() for x in g) > 0
    [day_file] = usage_files.day_summaries(ws, reports)[0]
    assert day_file == usage_files.days_path(ws.root / reports[0].stored_path)


def test_day_summaries_are_not_written_where_the_rows_are(demo_workspace_copy: Workspace) -> None:
    ws = demo_workspace_copy
    reports = _reports(ws, "azure")
    rows = rows_files(ws, reports)
    assert usage_files.day_summaries(ws, reports) == ([], rows)
    assert _days_written(ws) == []
    half = DateRange(dt.date(2025, 10, 1), dt.date(2025, 10, 16), "2025-10-01..2025-10-15")
    with open_usage(ws, reports, _accounts(ws, "azure"), half) as usage:
        assert usage.form == "days" and usage.groups()[0]


def test_rows_are_the_canonical_rows_of_the_kept_file(demo_workspace_copy: Workspace) -> None:
    ws = demo_workspace_copy
    [report] = [r for r in _reports(ws, "azure") if r.billing_period == "2025-10"]
    [rows] = current_usage_files(ws, "azure", ["2025-10"])
    assert rows == ws.root / report.stored_path
    with duckdb.connect() as con:
        stored = con.execute(f"SELECT * FROM read_parquet('{rows}')").fetchall()
        summary = con.execute(f"SELECT sum(billed_cost), sum(row_count) FROM read_parquet('{summary_files(ws, [report])[0]}')"
                              ).fetchone()
    assert summary == (sum(r[14] for r in stored), len(stored)) == (report.cost_total, report.row_count)
    assert {r[20] for r in stored} == {report.file_name} and [r[21] for r in stored] == sorted(r[21] for r in stored)


def test_two_at_once_write_the_rows_once(demo_workspace_copy: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = demo_workspace_copy
    reports = _reports(ws, "aws")
    written: list[str] = []
    real = usage_files._materialise

    def counting(source: Path, targets: dict[str, Path], **kwargs: object) -> None:
        written.append(source.name)
        real(source, targets, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(usage_files, "_materialise", counting)
    start, results = threading.Barrier(2), []

    def work() -> None:
        start.wait()
        results.append(rows_files(ws, reports))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] == results[1] == [ws.root / r.stored_path for r in reports]
    assert sorted(written) == sorted({r.file_name for r in reports})  # each vendor file read once, not twice
    assert not [p for p in ws.usage_dir.rglob("*.tmp")]


def test_a_lost_source_is_a_clear_error(demo_workspace_copy: Workspace) -> None:
    ws = demo_workspace_copy
    [report] = [r for r in _reports(ws, "gcp") if r.billing_period == "2025-10"]
    assert report.source_path
    (ws.root / report.source_path).unlink()
    with pytest.raises(UsageUnavailable) as raised:
        rows_files(ws, [report])
    assert str(raised.value) == (
        f"the usage rows of {report.file_name} (gcp 2025-10) are not available: its kept vendor file "
        f"{report.source_path} is missing; import {report.file_name} again (`workbench import`) to restore them")
    # pricing a whole month does not need it
    with open_usage(ws, [report], _accounts(ws, "gcp"), OCTOBER) as usage:
        assert usage.groups()[0]


def test_a_kept_file_that_no_longer_reads_says_why(demo_workspace_copy: Workspace) -> None:
    ws = demo_workspace_copy
    [report] = [r for r in _reports(ws, "gcp") if r.billing_period == "2025-10"]
    assert report.source_path
    (ws.root / report.source_path).write_text("Customer,Amount\nacme,12\n")  # someone overwrote it
    with pytest.raises(UsageUnavailable) as raised:
        rows_files(ws, [report])
    assert raised.value.message == (
        f"the usage rows of {report.file_name} (gcp 2025-10) are not available: {report.file_name} can no longer "
        "be read (no longer a gcp-billing-export file; header columns seen: Customer, Amount)")
    assert [p.code for p in raised.value.problems] == ["unknown-format"]


def test_a_workspace_from_before_summaries_gets_them_from_its_rows(demo_workspace_copy: Workspace) -> None:
    ws = demo_workspace_copy
    reports = _reports(ws)
    rows_files(ws, reports)
    before = unassigned_usage(ws)
    for path in summary_files(ws, reports):
        path.unlink()
    assert unassigned_usage(ws) == before
    assert all(p.is_file() for p in summary_files(ws, reports))


def test_an_unchanged_parquet_file_is_recognised_by_its_hash(demo_workspace_copy: Workspace, tmp_path: Path) -> None:
    from workbench.billing.demo import write_aws_cur

    ws = demo_workspace_copy
    cur = write_aws_cur(tmp_path / "cur2.parquet", rows=500, accounts=4, period="2025-08", fmt="parquet", legacy=False, seed=1)
    first = import_reports(ws, [cur], today=dt.date(2025, 11, 25))
    files = sorted(p for p in ws.usage_dir.rglob("*") if p.is_file())
    again = import_reports(ws, [cur], today=dt.date(2025, 11, 25))
    assert [f.status.value for f in (*first.files, *again.files)] == ["imported", "unchanged"]
    assert again.files[0].sha256 == first.files[0].sha256 and again.files[0].row_count == 500
    assert sorted(p for p in ws.usage_dir.rglob("*") if p.is_file()) == files


def test_a_read_only_workspace_writes_its_rows_elsewhere(demo_workspace_copy: Workspace, tmp_path: Path) -> None:
    """A workspace on a read-only share (here: bind-mounted read-only in a private mount
    namespace) still gives its day summaries and rows, written once to the user's cache, where
    the next process (the next dashboard visit) finds them."""
    ws = demo_workspace_copy
    ws.close()
    script = textwrap.dedent(f"""
        import duckdb
        from workbench.billing.store import current_usage_files, open_workspace
        from workbench.billing.store.usage_queries import current_reports
        from workbench.billing.store.usage_files import day_summaries
        ws = open_workspace({str(ws.root)!r})
        with ws.session() as session:
            reports = current_reports(session, "aws", ["2025-10"])
        [days], [] = day_summaries(ws, reports)
        [rows] = current_usage_files(ws, "aws", ["2025-10"])
        count = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{{rows}}')").fetchone()[0]
        in_days = duckdb.connect().execute(f"SELECT sum(row_count) FROM read_parquet('{{days}}')").fetchone()[0]
        print(rows, rows.stat().st_mtime_ns, count, days, days.stat().st_mtime_ns, in_days)
    """)
    root = str(ws.root)

    def visit(cache: Path) -> list[str]:
        done = subprocess.run(
            ["unshare", "-m", "--map-root-user", "sh", "-c",
             'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$1" -c "$2"', root, sys.executable,
             script],
            capture_output=True, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "XDG_CACHE_HOME": str(cache)})
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.split()

    first, second = visit(tmp_path / "cache"), visit(tmp_path / "cache")
    [report] = [r for r in _reports(ws, "aws") if r.billing_period == "2025-10"]
    assert first[0].startswith(str(tmp_path / "cache" / "workbench" / "rows" / "aws" / "sources"))
    assert int(first[2]) == report.row_count
    assert Path(first[3]) == Path(first[0]).with_suffix(".days.parquet") and int(first[5]) == report.row_count
    assert second == first  # the same files, not written again
    # no cache to write either (here: inside the read-only share): a folder of the process
    private = visit(ws.root / "cache")
    assert Path(private[0]).name == "2025-10.parquet" and not private[0].startswith(root)
    assert Path(private[3]).name == "2025-10.days.parquet" and not private[3].startswith(root)
    assert int(private[2]) == int(private[5]) == report.row_count
    assert _rows_written(ws) == [] and _days_written(ws) == []


def test_importing_the_file_again_restores_a_lost_copy(demo_workspace_copy: Workspace, tmp_path: Path) -> None:
    ws = demo_workspace_copy
    [report] = [r for r in _reports(ws, "azure") if r.billing_period == "2025-10"]
    assert report.source_path
    kept = ws.root / report.source_path
    original = tmp_path / report.file_name
    original.write_bytes(kept.read_bytes())
    kept.unlink()
    with pytest.raises(UsageUnavailable):
        rows_files(ws, [report])
    outcome = import_reports(ws, [original], today=dt.date(2025, 11, 25))
    assert [(f.status.value, [(p.code, p.severity.value) for p in f.problems]) for f in outcome.files] == [
        ("unchanged", [("source-restored", "warning")])]
    assert kept.read_bytes() == original.read_bytes()
    assert rows_files(ws, [report]) == [ws.root / report.stored_path]


def test_usage_opened_twice_at_once_each_reads_its_own(demo_workspace_copy: Workspace) -> None:
    """open_usage queries one in-memory DuckDB per process (`duckdb_cursor`): each opening has a
    connection of its own there, and its `usage` view and account table are that connection's."""
    ws = demo_workspace_copy
    aws = _reports(ws, "aws")

    with open_usage(ws, aws, {}, OCTOBER, form="rows") as rows, open_usage(ws, [], {}, OCTOBER) as nothing:
        assert rows.con.execute("SELECT count(*) FROM usage").fetchone()[0] > 0
        assert nothing.con.execute("SELECT count(*) FROM usage").fetchone()[0] == 0

    with usage_files.duckdb_cursor() as con:  # nothing of theirs stays in the database
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0] == 0
