"""Vendor reports into the usage store: hashed, split by period, superseded, locked, final."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from workbench.billing.core.problems import Severity, errors
from workbench.billing.core.usage import BILLABLE_SQL, COLUMN_NAMES, create_table_sql
from workbench.billing.store import (
    FileOutcome,
    FileStatus,
    Workspace,
    business_days_elapsed,
    current_usage_files,
    customer_for_accounts,
    import_reports,
    report_periods,
    store_usage_table,
    unassigned_usage,
)
from workbench.billing.store.models import Invoice, VendorReport
from workbench.billing.store.workspace import init_workspace, open_workspace
from workbench.billing.store.usage_files import day_summaries
from workbench.billing.store.usage_queries import current_reports

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "vendor-samples"
AWS_SAMPLE = SAMPLES / "aws-cur-legacy-2023-11.csv"
AZURE_SAMPLE = SAMPLES / "azure-ea-cost-2023-09.csv"
Dump = Callable[[Workspace], tuple[bytes, str]]
Lock = Callable[[Workspace, str, str, str], None]


def parquet_files(ws: Workspace) -> list[str]:
    return sorted(p.relative_to(ws.root).as_posix() for p in ws.usage_dir.rglob("*") if p.is_file())


def store(ws: Workspace, name: str, rows: str, *, vendor: str = "aws", format: str = "aws-cur2",
          today: dt.date = dt.date(2024, 6, 1)) -> FileOutcome:
    """Store canonical usage given as a small CSV of the columns that matter here; the other
    canonical columns get plain values. `name` stands for the vendor file (its sha256 too)."""
    con = duckdb.connect()
    con.execute(create_table_sql("canonical_usage"))
    given = list(csv.DictReader(io.StringIO(textwrap.dedent(rows).strip())))
    for number, row in enumerate(given, start=1):
        period = row["billing_period"]
        values = {
            "vendor": vendor, "billing_account_id": row.get("billing_account_id", "999999999999"),
            "sub_account_id": row["sub_account_id"], "sub_account_name": "", "billing_period": period,
            "charge_period_start": dt.datetime.fromisoformat(period + "-01"), "charge_period_end": None,
            "charge_category": "usage", "service": "AmazonEC2", "product_type": "Compute", "sku": "BoxUsage",
            "description": "", "quantity": Decimal(1), "unit": "Hrs", "billed_cost": Decimal(row["billed_cost"]),
            "currency": row.get("currency", "USD"), "publisher": vendor, "is_marketplace": False,
            "is_free_tier": False, "invoice_id": row.get("invoice_id") or None, "source_file": name,
            "source_row": number,
        }
        con.execute(f"INSERT INTO canonical_usage VALUES ({', '.join('?' for _ in COLUMN_NAMES)})",
                    [values[c] for c in COLUMN_NAMES])
    sha = name.ljust(64, "0")
    try:
        return store_usage_table(ws, con, "canonical_usage", path=Path(name), sha256=sha, format=format,
                                 vendor=vendor, today=today)
    finally:
        con.close()


MARCH = """
    sub_account_id,billing_period,billed_cost
    111111111111,2024-03,10.000000001
    111111111111,2024-03,0.0000000018
    222222222222,2024-03,5.50
    333333333333,2024-03,2
    """
MARCH_CORRECTED = """
    sub_account_id,billing_period,billed_cost
    111111111111,2024-03,10.000000001
    222222222222,2024-03,5.25
    333333333333,2024-03,2
    """


# --- real vendor files through the readers ---------------------------------------------------

def test_real_samples_import(ws: Workspace) -> None:
    outcome = import_reports(ws, [AWS_SAMPLE, AZURE_SAMPLE], today=dt.date(2023, 12, 1))
    assert [(f.path.name, f.status, f.vendor, f.format, f.periods, f.row_count) for f in outcome.files] == [
        ("aws-cur-legacy-2023-11.csv", FileStatus.IMPORTED, "aws", "aws-cur-legacy", ("2023-11",), 1281),
        ("azure-ea-cost-2023-09.csv", FileStatus.IMPORTED, "azure", "azure-ea", ("2023-09",), 27),
    ]
    periods = [(p.vendor, p.period, p.currency, p.is_final, p.rows, p.cost, p.billing_accounts) for p in report_periods(ws)]
    assert periods == [
        # bill/InvoiceId is empty in the sample: AWS has not finalised November
        ("aws", "2023-11", "USD", False, 1281, Decimal("1.6823086974"), ("123412340534",)),
        # an Azure export imported 1 December is well past 10 business days after September
        ("azure", "2023-09", "CAD", True, 27, Decimal("1.26136926505726"), ("12345678",)),
    ]
    assert [(p.code, p.severity) for p in outcome.problems if p.code == "preliminary-usage"] == [("preliminary-usage", Severity.WARNING)]
    aws, azure = (f.sha256[:16] for f in outcome.files)
    # the import keeps each vendor file as it came, and its parse (a CSV's needed columns), and
    # writes its usage summary; no rows yet
    assert parquet_files(ws) == [
        f"usage/aws/2023-11/{aws}.summary.parquet", f"usage/aws/sources/{aws}/aws-cur-legacy-2023-11.csv",
        f"usage/aws/sources/{aws}/aws-cur-legacy-2023-11.csv.columns.parquet",
        f"usage/azure/2023-09/{azure}.summary.parquet", f"usage/azure/sources/{azure}/azure-ea-cost-2023-09.csv",
        f"usage/azure/sources/{azure}/azure-ea-cost-2023-09.csv.columns.parquet",
    ]
    assert (ws.usage_dir / f"aws/sources/{aws}/aws-cur-legacy-2023-11.csv").read_bytes() == AWS_SAMPLE.read_bytes()
    # the canonical rows are written from the parse when first asked for, exact; the parse goes
    assert current_usage_files(ws, "aws", ["2023-11"]) == [ws.root / f"usage/aws/2023-11/{aws}.parquet"]
    assert not (ws.usage_dir / f"aws/sources/{aws}/aws-cur-legacy-2023-11.csv.columns.parquet").exists()
    with duckdb.connect() as con:
        rows = con.execute("SELECT sum(billed_cost), count(*), min(source_file) FROM read_parquet(?)",
                           [str(ws.root / f"usage/aws/2023-11/{aws}.parquet")]).fetchall()
        summed = con.execute("SELECT sum(billed_cost), sum(row_count) FROM read_parquet(?)",
                             [str(ws.root / f"usage/aws/2023-11/{aws}.summary.parquet")]).fetchall()
    assert rows == [(Decimal("1.6823086974"), 1281, "aws-cur-legacy-2023-11.csv")]
    assert summed == [(Decimal("1.6823086974"), 1281)]
    # nobody owns these accounts yet: all its billable usage is unassigned (the vendor's tax rows
    # and the free-tier rows would not be invoiced to an owner either)
    with duckdb.connect() as con:
        billable = con.execute("SELECT sum(row_count) FROM read_parquet(?) AS u WHERE " + BILLABLE_SQL,
                               [str(ws.root / f"usage/aws/2023-11/{aws}.summary.parquet")]).fetchone()
    assert billable == (886,)
    assert [(u.vendor, u.account_id, u.rows) for u in outcome.unassigned if u.vendor == "aws"] == [("aws", "123412340534", 886)]


def test_progress_names_each_file_and_how_far_a_long_one_is(ws: Workspace, tmp_path: Path) -> None:
    from workbench.billing.demo import write_aws_cur

    big = write_aws_cur(tmp_path / "cur-2025-10.csv", rows=300_000, accounts=20, period="2025-10", fmt="csv",
                        legacy=True, seed=1)  # a second or two to read: its progress shows
    seen: list[tuple[int, int, str]] = []
    import_reports(ws, [big, AZURE_SAMPLE, AZURE_SAMPLE], today=dt.date(2025, 11, 20),
                   progress=lambda done, total, text: seen.append((done, total, text)))
    assert seen[0] == (0, 3, "cur-2025-10.csv")
    during = [text for done, _, text in seen if done == 0 and text.endswith("%")]
    assert during and all(re.fullmatch(r"cur-2025-10\.csv: (pass 2, )?\d+%", t) for t in during), seen
    assert seen[len(during) + 1:] == [
        (1, 3, "cur-2025-10.csv: imported"),
        (1, 3, "azure-ea-cost-2023-09.csv"), (2, 3, "azure-ea-cost-2023-09.csv: imported"),
        (2, 3, "azure-ea-cost-2023-09.csv"), (3, 3, "azure-ea-cost-2023-09.csv: unchanged"),
    ]


def test_the_same_file_twice_is_a_no_op(ws: Workspace, tmp_path: Path, db_dump: Dump) -> None:
    import_reports(ws, [AZURE_SAMPLE], today=dt.date(2023, 12, 1))
    files, before = parquet_files(ws), db_dump(ws)
    renamed = tmp_path / "september-again.csv"  # same content under another name
    shutil.copy(AZURE_SAMPLE, renamed)
    outcome = import_reports(ws, [AZURE_SAMPLE, renamed], today=dt.date(2023, 12, 1))
    assert [f.status for f in outcome.files] == [FileStatus.UNCHANGED, FileStatus.UNCHANGED]
    assert outcome.files[0].periods == ("2023-09",)
    assert (parquet_files(ws), db_dump(ws)) == (files, before)


def test_a_corrected_real_export_replaces_the_earlier_one(ws: Workspace, tmp_path: Path) -> None:
    first = import_reports(ws, [AZURE_SAMPLE], today=dt.date(2023, 10, 2))
    lines = AZURE_SAMPLE.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    corrected = tmp_path / "azure-ea-cost-2023-09-v2.csv"
    corrected.write_text("".join(lines[:-1]), encoding="utf-8")  # the vendor dropped a row
    second = import_reports(ws, [corrected], today=dt.date(2023, 10, 20))
    assert second.files[0].status is FileStatus.REPLACED
    assert [(p.rows, p.is_final, p.files) for p in report_periods(ws)] == [(26, True, ("azure-ea-cost-2023-09-v2.csv",))]
    with ws.session() as session:
        old = session.scalars(select(VendorReport).where(VendorReport.sha256 == first.files[0].sha256)).one()
        assert old.superseded_by is not None and old.is_final is False
    # both files, their parses and their summaries: the superseded ones kept for audit, no longer current
    assert len(parquet_files(ws)) == 6


def test_a_file_with_fewer_than_half_a_month_s_rows_does_not_replace_its_report_unasked(
    ws: Workspace, tmp_path: Path, db_dump: Dump
) -> None:
    """An export of the month's last days, imported as the month: it replaced the whole month's
    report (a warning said so, exit 0) and the month was billed for three days."""
    import_reports(ws, [AZURE_SAMPLE], today=dt.date(2023, 10, 20))
    header, *rows = AZURE_SAMPLE.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    last_days = tmp_path / "azure-last-days.csv"
    last_days.write_text(header + "".join(rows[-10:]), encoding="utf-8")
    files, before = parquet_files(ws), db_dump(ws)

    refused = import_reports(ws, [last_days], today=dt.date(2023, 10, 20))
    assert [f.status for f in refused.files] == [FileStatus.REFUSED]
    [shrinks] = [p for p in refused.problems if p.code == "replacement-shrinks"]
    assert str(shrinks).startswith(
        "azure-last-days.csv: would replace azure-ea-cost-2023-09.csv (27 rows, ")
    assert " for 2023-09 with 10 rows, " in str(shrinks) and "fewer than half the rows" in str(shrinks)
    assert "import it again with --accept-smaller" in str(shrinks)
    assert (parquet_files(ws), db_dump(ws)) == (files, before)

    asked = import_reports(ws, [last_days], today=dt.date(2023, 10, 20), accept_smaller=True)
    assert [f.status for f in asked.files] == [FileStatus.REPLACED]
    assert [(p.rows, p.files) for p in report_periods(ws)] == [(10, ("azure-last-days.csv",))]


def test_two_parts_of_one_export_in_one_import_refuse_the_second_rather_than_bill_half_the_month(
    ws: Workspace, tmp_path: Path, db_dump: Dump
) -> None:
    """AWS splits a large CUR into numbered parts: each part is the same payer's report for the
    same month. Imported as two reports, the second would replace the first, and half the month
    would be billed without a word."""
    header, *rows = AWS_SAMPLE.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    parts = [tmp_path / "cur-00001.csv", tmp_path / "cur-00002.csv"]
    parts[0].write_text(header + "".join(rows[:600]), encoding="utf-8")
    parts[1].write_text(header + "".join(rows[600:]), encoding="utf-8")
    outcome = import_reports(ws, parts, today=dt.date(2023, 12, 1))
    assert [(f.status, f.row_count) for f in outcome.files] == [(FileStatus.IMPORTED, 600), (FileStatus.REFUSED, 0)]
    [twice] = [p for p in outcome.problems if p.code == "same-report-twice"]
    assert (twice.file, twice.severity) == ("cur-00002.csv", Severity.ERROR)
    assert "cur-00001.csv, given before it in this import, is aws billing account 123412340534's report for 2023-11" in str(twice)
    assert "join them into one file and import that" in str(twice)
    assert [(p.rows, p.files) for p in report_periods(ws)] == [(600, ("cur-00001.csv",))]  # the first stays

    # the parts joined into one file replace the first part: the whole month is billed
    whole = tmp_path / "cur-2023-11.csv"
    whole.write_text(header + "".join(rows), encoding="utf-8")
    assert [f.status for f in import_reports(ws, [whole], today=dt.date(2023, 12, 1)).files] == [FileStatus.REPLACED]
    assert [(p.rows, p.files) for p in report_periods(ws)] == [(len(rows), ("cur-2023-11.csv",))]


def test_the_replaced_file_imported_again_is_current_again(ws: Workspace, tmp_path: Path) -> None:
    """An analyst imported a corrected export by mistake: importing the first file again puts it
    back (it answered "unchanged" and did nothing, so the wrong file priced the month)."""
    first = import_reports(ws, [AZURE_SAMPLE], today=dt.date(2023, 10, 20))
    lines = AZURE_SAMPLE.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    corrected = tmp_path / "azure-ea-cost-2023-09-v2.csv"
    corrected.write_text("".join(lines[:-1]), encoding="utf-8")
    import_reports(ws, [corrected], today=dt.date(2023, 10, 20))
    again = import_reports(ws, [AZURE_SAMPLE], today=dt.date(2023, 10, 20))
    assert [(f.status, f.periods, f.row_count) for f in again.files] == [(FileStatus.REPLACED, ("2023-09",), 27)]
    assert [(p.rows, p.files) for p in report_periods(ws)] == [(27, ("azure-ea-cost-2023-09.csv",))]
    with ws.session() as session:
        reports = {r.file_name: r for r in session.scalars(select(VendorReport))}
        assert reports["azure-ea-cost-2023-09.csv"].superseded_by is None
        assert reports["azure-ea-cost-2023-09-v2.csv"].superseded_by == reports["azure-ea-cost-2023-09.csv"].id
        assert reports["azure-ea-cost-2023-09.csv"].sha256 == first.files[0].sha256
    # and once current, the same file is a no-op again
    assert [f.status for f in import_reports(ws, [AZURE_SAMPLE], today=dt.date(2023, 10, 20)).files] == [
        FileStatus.UNCHANGED]


def test_a_file_the_reader_refuses_writes_nothing(ws: Workspace, tmp_path: Path, db_dump: Dump) -> None:
    before = db_dump(ws)
    bad = tmp_path / "bill.csv"
    bad.write_text("when,what\n2024-01-01,coffee\n")
    outcome = import_reports(ws, [bad, tmp_path / "missing.csv"])
    assert [f.status for f in outcome.files] == [FileStatus.REFUSED, FileStatus.REFUSED]
    assert [p.code for p in outcome.problems] == ["unknown-format", "unreadable-file"]
    assert not outcome.ok
    assert (parquet_files(ws), db_dump(ws)) == ([], before)


def test_asking_for_the_wrong_vendor_is_refused(ws: Workspace) -> None:
    outcome = import_reports(ws, [AWS_SAMPLE], vendor="azure")
    assert outcome.files[0].status is FileStatus.REFUSED
    assert [p.code for p in outcome.problems] == ["vendor-mismatch"]
    assert parquet_files(ws) == []


# --- supersession, locks and unassigned usage on small canonical tables -----------------------

def test_a_newer_report_replaces_the_older_while_the_period_is_open(base: Workspace) -> None:
    first = store(base, "march-v1", MARCH)
    assert first.status is FileStatus.IMPORTED
    second = store(base, "march-v2", MARCH_CORRECTED)
    assert second.status is FileStatus.REPLACED
    # what the replacement takes out of use, beside what it brings, and how to take it back; its
    # costs (exact: 17.5000000028 and 17.250000001) as every amount is shown, exact in `reports --json`
    assert [str(p) for p in second.problems if p.code == "report-replaced"] == [
        "warning: march-v2: replaces march-v1 for 2024-03: 4 rows, 17.50 USD -> 3 rows, 17.25 USD "
        "in this file\n  fix: if this file was not meant to replace it, import march-v1 again: it becomes current again"]
    assert current_usage_files(base, "aws", ["2024-03"]) == [base.root / "usage/aws/2024-03/march-v200000000.parquet"]
    [period] = report_periods(base)
    assert (period.rows, period.cost, period.files) == (3, Decimal("17.250000001"), ("march-v2",))


def test_replacing_a_locked_period_is_refused_and_names_the_customers(base: Workspace, db_dump: Dump, lock_period: Lock) -> None:
    store(base, "march-v1", MARCH)
    lock_period(base, "C002", "aws", "2024-03")
    files, before = parquet_files(base), db_dump(base)
    outcome = store(base, "march-v2", MARCH_CORRECTED)
    assert outcome.status is FileStatus.REFUSED
    assert [str(p) for p in outcome.problems] == [
        "march-v2, customer C002: aws 2024-03 is locked for customer(s) C002 (Globex) by invoice(s) "
        "DRAFT-C002-aws-2024-03 (draft); its usage cannot be replaced\n"
        "  fix: delete the draft invoice(s) DRAFT-C002-aws-2024-03 first, then import again"
    ]
    assert (parquet_files(base), db_dump(base)) == (files, before)


def test_an_issued_invoice_locking_the_period_is_named_with_its_status_and_voided(
        base: Workspace, db_dump: Dump, lock_period: Lock) -> None:
    """An issued invoice is not deleted: the refusal says Open and to void it."""
    store(base, "march-v1", MARCH)
    lock_period(base, "C002", "aws", "2024-03")
    lock_period(base, "C001", "aws", "2024-03")
    with base.session() as session:
        session.execute(update(Invoice).where(Invoice.customer_id == "C002").values(status="open"))
    outcome = store(base, "march-v2", MARCH_CORRECTED)
    assert [(p.message, p.fix) for p in outcome.problems] == [(
        "aws 2024-03 is locked for customer(s) C001 (Acme Ltd), C002 (Globex) by invoice(s) DRAFT-C001-aws-2024-03 "
        "(draft), DRAFT-C002-aws-2024-03 (open); its usage cannot be replaced",
        "delete the draft invoice(s) DRAFT-C001-aws-2024-03 and void the issued invoice(s) DRAFT-C002-aws-2024-03 "
        "(issued invoices never change; re-issue after) first, then import again")]


def test_a_paid_invoice_holds_its_period_for_good_and_the_fix_says_so(
        base: Workspace, db_dump: Dump, lock_period: Lock) -> None:
    """A Closed invoice with an amount was paid and is final: it is never voided, so the refusal
    does not tell the analyst to void it (the void would be refused too). It says the month stays
    as billed and how a difference is settled. A Closed invoice of 0.00 (nothing was due) may
    still be voided, and alone it gets the usual steps."""
    store(base, "march-v1", MARCH)
    lock_period(base, "C001", "aws", "2024-03")
    lock_period(base, "C002", "aws", "2024-03")
    with base.session() as session:
        session.execute(update(Invoice).where(Invoice.customer_id == "C001").values(status="closed"))
        session.execute(update(Invoice).where(Invoice.customer_id == "C002").values(status="closed", total=Decimal("120.50")))
    files, before = parquet_files(base), db_dump(base)
    outcome = store(base, "march-v2", MARCH_CORRECTED)
    assert [p.fix for p in outcome.problems] == [
        "invoice(s) DRAFT-C002-aws-2024-03 is paid: a Closed invoice with an amount is final, never voided; "
        "the month stays as billed; settle any difference on a later invoice (credits.csv grants a credit for an overcharge)"]
    assert (parquet_files(base), db_dump(base)) == (files, before)

    with base.session() as session:  # the paid one was a refund, settled: final as well
        session.execute(update(Invoice).where(Invoice.customer_id == "C002").values(total=Decimal("-4.00")))
    assert store(base, "march-v2", MARCH_CORRECTED).problems[0].fix.startswith(
        "the refund(s) DRAFT-C002-aws-2024-03 is settled: a Closed invoice with an amount is final")

    with base.session() as session:  # both of 0.00: voidable
        session.execute(update(Invoice).where(Invoice.customer_id == "C002").values(total=Decimal("0.00")))
    assert store(base, "march-v2", MARCH_CORRECTED).problems[0].fix == (
        "void the issued invoice(s) DRAFT-C001-aws-2024-03, DRAFT-C002-aws-2024-03 "
        "(issued invoices never change; re-issue after) first, then import again")


def test_another_billing_accounts_report_cannot_add_usage_to_a_locked_period(
        base: Workspace, db_dump: Dump, lock_period: Lock) -> None:
    """The lock holds whichever billing account a new report comes from: Globex's March is
    billed, so a second payer's file with Globex's account is refused (it was stored beside the
    first, and the issued invoice no longer matched its usage). An account of no locked customer
    still comes in."""
    store(base, "march-v1", MARCH)
    lock_period(base, "C002", "aws", "2024-03")
    files, before = parquet_files(base), db_dump(base)
    outcome = store(base, "payer-b", """
        sub_account_id,billing_period,billed_cost,billing_account_id
        222222222222,2024-03,600,888888888888
        """)
    assert outcome.status is FileStatus.REFUSED
    assert [(p.code, p.customer_id) for p in outcome.problems] == [("period-locked", "C002")]
    assert outcome.problems[0].message.endswith(
        "locked for customer(s) C002 (Globex) by invoice(s) DRAFT-C002-aws-2024-03 (draft); no usage can be added to it")
    assert (parquet_files(base), db_dump(base)) == (files, before)

    elsewhere = store(base, "payer-c", """
        sub_account_id,billing_period,billed_cost,billing_account_id
        444444444444,2024-03,1,777777777777
        """)
    assert (elsewhere.status, list(errors(elsewhere.problems))) == (FileStatus.IMPORTED, [])


def test_an_account_already_in_another_billing_accounts_report_is_a_warning(base: Workspace) -> None:
    """The same bill exported twice (a CUR and a FOCUS file without its BillingAccountId): Acme's
    account would be billed from both. Said at import, with both files; stored, since an account
    that moved between payers within the month has usage in both."""
    store(base, "march-v1", MARCH)
    outcome = store(base, "focus-march", """
        sub_account_id,billing_period,billed_cost,billing_account_id
        111111111111,2024-03,10.000000001,
        """)
    assert outcome.status is FileStatus.IMPORTED
    [warning] = [p for p in outcome.problems if p.code != "preliminary-usage"]
    assert (warning.code, warning.severity) == ("account-in-two-reports", Severity.WARNING)
    assert warning.message == ("1 account(s) with 2024-03 usage here already have usage in march-v1 "
                               "(billing account 999999999999): 111111111111; both are billed")


def test_a_lock_of_another_month_or_vendor_does_not_block(base: Workspace, lock_period: Lock) -> None:
    store(base, "march-v1", MARCH)
    lock_period(base, "C002", "aws", "2024-02")
    lock_period(base, "C001", "azure", "2024-03")
    assert store(base, "march-v2", MARCH_CORRECTED).status is FileStatus.REPLACED


def test_other_billing_accounts_do_not_supersede_each_other(base: Workspace) -> None:
    store(base, "payer-a", MARCH)
    other = store(base, "payer-b", """
        sub_account_id,billing_period,billed_cost,billing_account_id
        444444444444,2024-03,1,888888888888
        """)
    assert other.status is FileStatus.IMPORTED
    assert len(current_usage_files(base, "aws", ["2024-03"])) == 2


def test_one_file_spanning_two_months_is_split_by_period(base: Workspace) -> None:
    outcome = store(base, "q1", """
        sub_account_id,billing_period,billed_cost
        111111111111,2024-01,1.5
        111111111111,2024-02,2.5
        222222222222,2024-02,0.25
        """)
    assert outcome.periods == ("2024-01", "2024-02")
    assert parquet_files(base) == [
        "usage/aws/2024-01/q100000000000000.parquet", "usage/aws/2024-01/q100000000000000.summary.parquet",
        "usage/aws/2024-02/q100000000000000.parquet", "usage/aws/2024-02/q100000000000000.summary.parquet",
    ]
    assert [(p.period, p.rows, p.cost) for p in report_periods(base)] == [("2024-01", 1, Decimal("1.5")), ("2024-02", 2, Decimal("2.75"))]


def test_the_rows_of_a_vendor_file_spanning_two_months_are_written_in_one_pass(ws: Workspace, tmp_path: Path) -> None:
    from workbench.billing.demo import write_aws_cur

    months = [write_aws_cur(tmp_path / f"cur-{m}.csv", rows=50, accounts=3, period=m, fmt="csv", legacy=True, seed=1)
              for m in ("2025-09", "2025-10")]
    both = tmp_path / "cur-2025-q3-q4.csv"  # one export of two months, as a custom date range gives
    first, second = (m.read_text(encoding="utf-8").splitlines(keepends=True) for m in months)
    both.write_text("".join(first + second[1:]), encoding="utf-8")
    [outcome] = import_reports(ws, [both], today=dt.date(2025, 11, 20)).files
    assert (outcome.status, outcome.periods, outcome.row_count) == (FileStatus.IMPORTED, ("2025-09", "2025-10"), 100)
    sha = outcome.sha256[:16]
    with ws.session() as session:  # the day summaries: the same, one pass, one file per month
        [september_report] = current_reports(session, "aws", ["2025-09"])
    [september_days], [] = day_summaries(ws, [september_report])
    assert sorted(p.relative_to(ws.root).as_posix() for p in ws.usage_dir.rglob(f"{sha}.days.parquet")) == [
        f"usage/aws/2025-09/{sha}.days.parquet", f"usage/aws/2025-10/{sha}.days.parquet"]
    with duckdb.connect() as con:
        found = con.execute("SELECT sum(row_count), min(billing_period), max(billing_period) FROM read_parquet(?)",
                            [str(september_days)]).fetchone()
    assert found == (50, "2025-09", "2025-09")
    assert len(list(ws.usage_dir.rglob("*.columns.parquet"))) == 1  # kept for the rows
    september = current_usage_files(ws, "aws", ["2025-09"])  # writes both months: one pass over the file
    assert sorted(p.relative_to(ws.root).as_posix() for p in ws.usage_dir.rglob(f"{sha}.parquet")) == [
        f"usage/aws/2025-09/{sha}.parquet", f"usage/aws/2025-10/{sha}.parquet"]
    with duckdb.connect() as con:
        for month, rows in (("2025-09", september), ("2025-10", current_usage_files(ws, "aws", ["2025-10"]))):
            found = con.execute("SELECT count(*), min(billing_period), max(billing_period) FROM read_parquet(?)",
                                [str(rows[0])]).fetchone()
            assert found == (50, month, month)
    assert not list(ws.usage_dir.rglob("*.columns.parquet")) and not list(ws.usage_dir.rglob("*.tmp"))


def test_unassigned_accounts_are_summarised(base: Workspace) -> None:
    outcome = store(base, "march-v1", MARCH)
    [stray] = unassigned_usage(base, "aws", ["2024-03"])
    assert (stray.account_id, stray.rows, stray.cost, stray.currency, stray.periods) == ("333333333333", 1, Decimal(2), "USD", ("2024-03",))
    assert unassigned_usage(base, "azure") == []
    assert customer_for_accounts(base, "aws") == {"111111111111": "C001", "222222222222": "C002"}
    assert outcome.status is FileStatus.IMPORTED


def test_mixed_billing_accounts_or_currencies_in_one_period_are_refused(ws: Workspace, db_dump: Dump) -> None:
    before = db_dump(ws)
    outcome = store(ws, "mixed", """
        sub_account_id,billing_period,billed_cost,billing_account_id,currency
        1,2024-03,1,A,USD
        2,2024-03,1,B,EUR
        """)
    assert [p.code for p in outcome.problems] == ["several-billing-accounts", "bad-currency"]
    assert (parquet_files(ws), db_dump(ws)) == ([], before)


def test_a_file_refused_for_its_rows_also_says_its_months_refusals(ws: Workspace, tmp_path: Path, db_dump: Dump) -> None:
    """A cost that is not a number, a row in euros and a row of another payer: all three at once,
    with the rows to look at, so that one re-export fixes them (not one more try per problem)."""
    rows = list(csv.reader(io.StringIO(AWS_SAMPLE.read_text(encoding="utf-8"))))
    header = rows[0]
    payer, currency, cost = (header.index(c) for c in ("bill/PayerAccountId", "lineItem/CurrencyCode", "lineItem/UnblendedCost"))
    rows[5][currency] = "EUR"
    rows[7][cost] = "1,5"
    rows[9][payer], other = "999999999999", rows[1][payer]
    bad = tmp_path / "aws-cur-2023-11.csv"
    with open(bad, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    before = db_dump(ws)

    [refused] = import_reports(ws, [bad]).files

    assert refused.status is FileStatus.REFUSED
    assert [(p.code, p.row) for p in refused.problems] == [
        ("non-numeric-cost", 7), ("several-billing-accounts", None), ("bad-currency", None)]
    assert refused.problems[1].message == (f"2023-11 holds 2 billing accounts: {other} ({len(rows) - 2:,} rows), "
                                           "999999999999 (1 row: row 9)")
    assert refused.problems[2].message == f"2023-11 is billed in 'USD' ({len(rows) - 2:,} rows), 'EUR' (1 row: row 5)"
    assert (parquet_files(ws), db_dump(ws)) == ([], before)


def test_a_currency_code_the_rows_name_as_unknown_is_not_said_again_for_the_month(ws: Workspace, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(AWS_SAMPLE.read_text(encoding="utf-8"))))
    rows[5][rows[0].index("lineItem/CurrencyCode")] = "EUX"
    bad = tmp_path / "aws-cur-2023-11.csv"
    with open(bad, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    [refused] = import_reports(ws, [bad]).files
    assert [(p.code, p.row) for p in refused.problems] == [("unknown-currency", 5)]


def test_when_the_database_step_fails_the_parquet_files_are_removed(ws: Workspace) -> None:
    with ws.engine.begin() as con:
        con.execute(text("CREATE TRIGGER no_reports BEFORE INSERT ON vendor_reports BEGIN SELECT RAISE(ABORT, 'disk full'); END"))
    with pytest.raises(DBAPIError, match="disk full"):
        store(ws, "march-v1", MARCH)
    with pytest.raises(DBAPIError, match="disk full"):  # a vendor file: its kept copy goes too
        import_reports(ws, [AWS_SAMPLE], today=dt.date(2023, 12, 1))
    assert parquet_files(ws) == []
    assert [p.name for p in (ws.usage_dir / "aws" / "2024-03").iterdir()] == []
    assert [p.name for p in (ws.usage_dir / "aws" / "sources").iterdir()] == []


# --- finality --------------------------------------------------------------------------------

def test_aws_is_final_when_every_row_has_an_invoice_id(ws: Workspace) -> None:
    partly = store(ws, "nov-v1", """
        sub_account_id,billing_period,billed_cost,invoice_id
        1,2023-11,1,EUINGB23-123
        1,2023-11,1,
        """)
    assert [p.code for p in partly.problems] == ["preliminary-usage"]
    store(ws, "nov-v2", """
        sub_account_id,billing_period,billed_cost,invoice_id
        1,2023-11,1,EUINGB23-123
        1,2023-11,1,EUINGB23-123
        """)
    assert [p.is_final for p in report_periods(ws)] == [True]


@pytest.mark.parametrize(("today", "final"), [(dt.date(2023, 10, 13), False), (dt.date(2023, 10, 14), True)])
def test_azure_is_final_ten_business_days_after_the_month(ws: Workspace, today: dt.date, final: bool) -> None:
    # September 2023 ends on a Saturday; 2-6 and 9-13 October are its ten business days.
    store(ws, "sep", "sub_account_id,billing_period,billed_cost\nsub-1,2023-09,1\n", vendor="azure", format="azure-ea", today=today)
    assert [p.is_final for p in report_periods(ws)] == [final]


def test_business_days_count_monday_to_friday() -> None:
    assert business_days_elapsed("2023-09", dt.date(2023, 10, 1)) == 0
    assert business_days_elapsed("2023-09", dt.date(2023, 10, 13)) == 9
    assert business_days_elapsed("2023-09", dt.date(2023, 10, 16)) == 10
    assert business_days_elapsed("2023-12", dt.date(2024, 1, 15)) == 10  # across the year end


# --- validation folded into the import's one pass --------------------------------------------

CUR_HEADER = ("lineItem/UsageAccountId,bill/PayerAccountId,lineItem/LineItemType,lineItem/UnblendedCost,"
              "lineItem/CurrencyCode,lineItem/UsageStartDate,bill/BillingPeriodStartDate")
CUR_GOOD = "111100000001,999900000001,Usage,0.5,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z"


@pytest.mark.parametrize(("bad_row", "codes"), [
    ("111100000001,999900000001,Usage,12.5 USD,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z", ["non-numeric-cost"]),
    ("111100000001,999900000001,Usage,,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z", ["missing-cost"]),
    ("111100000001,999900000001,Usage,1.5,XYZ,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z", ["unknown-currency"]),
    ("111100000001,999900000001,Usage,1.5,USD,2023-11-31,2023-11-01T00:00:00Z", ["bad-date"]),
    ("111100000001,999900000001,Usage,1.5,,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z", ["missing-currency"]),
    ("111100000001,999900000001,Usage,0.0000000000000000012,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z",
     ["cost-rounded"]),
], ids=["text-cost", "no-cost", "currency-code", "date", "no-currency", "19-decimals"])
def test_the_import_reports_what_the_reader_reports(ws: Workspace, tmp_path: Path, db_dump: Dump, bad_row: str,
                                                    codes: list[str]) -> None:
    """The import validates in its one pass over the file (flags counted beside the summary) and
    goes back for the rows only when a flag is set: the same problems, file and row as `read_report`."""
    from workbench.billing.readers import read_report

    path = tmp_path / "cur.csv"
    path.write_text("\n".join([CUR_HEADER, CUR_GOOD, bad_row, CUR_GOOD]) + "\n")
    before = db_dump(ws)
    outcome = import_reports(ws, [path], today=dt.date(2023, 12, 1))
    with duckdb.connect() as con:
        expected = read_report(con, path).problems
    assert [(p.code, p.row) for p in expected if p.code != "preliminary-usage"] == [(c, 2) for c in codes]
    assert [p for p in outcome.problems if p.code != "preliminary-usage"] == list(expected)
    refused = any(p.severity is Severity.ERROR for p in expected)
    assert outcome.files[0].status is (FileStatus.REFUSED if refused else FileStatus.IMPORTED)
    if refused:
        assert (parquet_files(ws), db_dump(ws)) == ([], before)


def test_usage_dated_outside_its_billing_month_is_a_warning(ws: Workspace, tmp_path: Path) -> None:
    """A November CUR with one row dated 11 March (a day and month read the wrong way round, or a
    stray row): imported, with a warning that names the dates. Late usage a few days before the
    month (Google bills it in the month it is processed) is no warning."""
    from billing.conftest import cur_rows
    from billing.worked_example import CUR

    text = cur_rows(CUR, "2025-11")
    lines = text.splitlines(keepends=True)
    lines[1] = lines[1].replace("2025-11-01T00:00:00.000Z,2025-11-01T01:00:00.000Z", "2025-03-11T00:00:00.000Z,2025-03-11T01:00:00.000Z", 1)
    report = tmp_path / "cur-2025-11.csv"
    report.write_text("".join(lines))
    outcome = import_reports(ws, [report], today=dt.date(2025, 12, 20))
    [file] = outcome.files
    assert file.status is FileStatus.IMPORTED
    [warning] = [p for p in file.problems if p.code == "usage-outside-period"]
    assert warning.severity is Severity.WARNING
    assert warning.message == "usage billed in 2025-11 is dated 2025-03-11 to 2025-11-01: some rows lie outside the month"

    late = tmp_path / "cur-2025-10.csv"
    late.write_text(cur_rows(CUR, "2025-10").replace("2025-10-01T00:00:00.000Z,2025-10-01T01:00:00.000Z",
                                                     "2025-09-29T00:00:00.000Z,2025-09-29T01:00:00.000Z", 1))
    [file] = import_reports(ws, [late], today=dt.date(2025, 12, 20)).files
    assert [p.code for p in file.problems if p.code == "usage-outside-period"] == []


def test_a_ctrl_c_right_after_the_commit_keeps_the_stored_report_s_files(ws: Workspace) -> None:
    """Ctrl-C arrives once the report's transaction is committed, before the import has left the
    block that committed it (raised here from SQLAlchemy's after_commit, the first moment it can
    be). The report is stored and current: its kept vendor file, parse and summary stay with it
    (the cleanup used to remove them, leaving a current report without files)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def storing(session: Session, _context: object) -> None:
        if any(isinstance(o, VendorReport) for o in session.new):
            session.info["stores a report"] = True

    def ctrl_c(session: Session) -> None:
        if session.info.get("stores a report"):
            raise KeyboardInterrupt

    event.listen(Session, "after_flush", storing)
    event.listen(Session, "after_commit", ctrl_c)
    try:
        with pytest.raises(KeyboardInterrupt):
            import_reports(ws, [AWS_SAMPLE], today=dt.date(2023, 12, 1))
    finally:
        event.remove(Session, "after_flush", storing)
        event.remove(Session, "after_commit", ctrl_c)
    [aws] = [r.sha256[:16] for r in current_reports_of(ws)]
    assert parquet_files(ws) == [
        f"usage/aws/2023-11/{aws}.summary.parquet", f"usage/aws/sources/{aws}/aws-cur-legacy-2023-11.csv",
        f"usage/aws/sources/{aws}/aws-cur-legacy-2023-11.csv.columns.parquet",
    ]
    assert current_usage_files(ws, "aws", ["2023-11"]) == [ws.root / f"usage/aws/2023-11/{aws}.parquet"]
    assert [f.status for f in import_reports(ws, [AWS_SAMPLE], today=dt.date(2023, 12, 1)).files] == [
        FileStatus.UNCHANGED]


def current_reports_of(ws: Workspace) -> list[VendorReport]:
    with ws.session() as session:
        return list(session.scalars(select(VendorReport).where(VendorReport.superseded_by.is_(None))))


def test_a_copy_the_disk_cannot_hold_is_removed_at_once(tmp_path: Path) -> None:
    """The vendor file's copy into usage/ fails part-way (a real write refused by the system: a
    process whose files may not grow past 600 KB, the 1 MB sample does not fit; a full disk fails
    the same way). The import fails, and the part copied is gone at once, not left for the next
    import to sweep."""
    root = tmp_path / "ws"
    init_workspace(root).close()
    script = (
        "import datetime as dt, pathlib, resource, signal, sys\n"
        "from workbench.billing.store import open_workspace, import_reports\n"
        "ws = open_workspace(pathlib.Path(sys.argv[1]))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG), as ENOSPC does\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (600_000, resource.RLIM_INFINITY))\n"
        "try:\n"
        "    import_reports(ws, [pathlib.Path(sys.argv[2])], today=dt.date(2023, 12, 1))\n"
        "except OSError as exc:\n"
        "    print('failed', exc.strerror)\n")
    done = subprocess.run([sys.executable, "-c", script, str(root), str(AWS_SAMPLE)], capture_output=True, text=True,
                          timeout=120)
    assert (done.returncode, done.stdout) == (0, "failed File too large\n"), done.stderr
    assert sorted(p.name for p in (root / "usage").rglob("*") if p.is_file()) == []


def cur_with_a_hole(folder: Path, hole: int) -> Path:
    """A real CUR 2.0 parquet file of 1,000 rows with `hole` bytes of nothing before its footer (a
    sparse file: no disk taken). DuckDB reads what the footer points at, in a moment; the hash
    reads every byte of the hole, and the copy writes them. Skips where the file cannot be sparse."""
    from workbench.billing.demo import write_aws_cur

    plain = write_aws_cur(folder / "plain.parquet", rows=1_000, accounts=3, period="2025-10", fmt="parquet",
                          legacy=False, seed=1).read_bytes()
    footer = len(plain) - 8 - int.from_bytes(plain[-8:-4], "little")  # where the footer starts
    holed = folder / "cur-2025-10.parquet"
    with open(holed, "wb") as out:
        out.write(plain[:footer])
        out.seek(footer + hole)  # the column chunks' offsets are counted from the start: unchanged
        out.write(plain[footer:])
    if holed.stat().st_blocks * 512 > len(plain) + (64 << 20):
        holed.unlink()
        pytest.skip("this file system does not keep sparse files")
    return holed


def copied_so_far(usage: Path) -> int:
    """The bytes of the import's copy of the vendor file, while it is written."""
    size = 0
    for copy in usage.glob(".wb-*.source.tmp"):
        with contextlib.suppress(FileNotFoundError):  # removed meanwhile
            size += copy.stat().st_size
    return size


@pytest.mark.parametrize(("hole", "when"), [
    # DuckDB's pass is through (its summary is written) and the hash has 32 GiB to go (half a
    # minute to two here), then the copy all of it
    (32 << 30, lambda usage: any(usage.glob(".wb-*.summary.tmp")) and not any(usage.glob(".wb-*.source.tmp"))),
    # the hash is through and the copy has begun: about 1 GiB to write
    (1 << 30, lambda usage: copied_so_far(usage) > 0),
], ids=["while-hashing", "while-copying"])
def test_a_ctrl_c_does_not_wait_for_the_hash_or_the_copy(tmp_path: Path, hole: int,
                                                         when: Callable[[Path], bool]) -> None:
    """A real Ctrl-C (SIGINT) while `workbench import` hashes or copies a large vendor file ends it in a
    moment: the hash and the copy give up at their next block of a few MB. Leaving the read used
    to wait for both to go through the whole file (many seconds for a file of a few GB, minutes
    on a slow share). Its part copied is removed, and nothing else is left."""
    cur = cur_with_a_hole(tmp_path, hole)
    root = tmp_path / "ws"
    init_workspace(root).close()
    usage = root / "usage"
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "import", str(root), str(cur)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (usage.is_dir() and when(usage)) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc.poll() is None, "the import ended before it could be interrupted"
        assert when(usage), "the import never got there"
        proc.send_signal(signal.SIGINT)
        pressed, copied_then, copied_most = time.monotonic(), copied_so_far(usage), 0
        while proc.poll() is None and time.monotonic() < pressed + 5:
            copied_most = max(copied_most, copied_so_far(usage))
            time.sleep(0.001)
        took = time.monotonic() - pressed
    finally:
        if proc.poll() is None:  # it went on hashing or copying: it would take the whole file
            os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    assert proc.returncode == 130, f"the import still ran {took:.1f} s after the Ctrl-C" if took >= 5 else err
    assert "Traceback" not in err
    # a few blocks at most (it wrote the whole file: 1 GiB)
    assert copied_most - copied_then < 128 << 20, f"the copy went on for {(copied_most - copied_then) >> 20} MiB"
    assert list(usage.rglob("*")) == []  # no part of the copy, no summary, no DuckDB spill folder
    ws = open_workspace(root)
    try:
        with ws.session() as session:
            assert session.scalars(select(VendorReport)).all() == []
    finally:
        ws.close()


@pytest.mark.parametrize("sendfile", [True, False], ids=["sendfile", "read-and-write"])
def test_the_copy_of_a_vendor_file_is_whole_or_given_up_before_a_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        sendfile: bool) -> None:
    """The import copies a vendor file in blocks of 8 MiB, by sendfile on Linux, else read and
    written (other systems): byte for byte, an empty file too; with its stop set, it gives up
    before the next block (here the first: nothing written)."""
    import random

    from workbench.billing.file_hash import Stopped
    from workbench.billing.store import report_import

    monkeypatch.setattr(report_import, "_SENDFILE", report_import._SENDFILE and sendfile)
    for size in (0, 123, (20 << 20) + 123):  # nothing, less than a block, two blocks and a part
        source = tmp_path / f"cur-{size}.csv"
        source.write_bytes(random.Random(size).randbytes(size))
        report_import._copy_file(source, tmp_path / "copy", threading.Event())
        assert (tmp_path / "copy").read_bytes() == source.read_bytes()
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        report_import._copy_file(source, tmp_path / "given-up", stop)
    assert (tmp_path / "given-up").read_bytes() == b""


def test_an_interrupt_that_is_not_the_hash_thread_s_is_raised_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the hash thread interrupts DuckDB on its own account (the file was imported before).
    Any other interrupt of the import's DuckDB (here its connection's `interrupt()`, every 5 ms
    from a thread from the moment the connection is opened until the import ends: one that lands
    between two queries is lost) is a stop asked for: raised as it is, with nothing left
    behind (it failed an assertion, "DuckDB interrupted by someone else")."""
    from workbench.billing.demo import write_aws_cur
    from workbench.billing.store import report_import

    cur = write_aws_cur(tmp_path / "cur-2025-10.csv", rows=200_000, accounts=5, period="2025-10", fmt="csv",
                        legacy=True, seed=1)
    ws = init_workspace(tmp_path / "ws")
    connections: list[duckdb.DuckDBPyConnection] = []
    reading = threading.Event()
    real_duckdb = report_import.bounded_duckdb

    @contextlib.contextmanager
    def noted_duckdb(*args: object, **kwargs: object) -> Iterator[duckdb.DuckDBPyConnection]:
        with real_duckdb(*args, **kwargs) as con:  # type: ignore[arg-type]
            connections.append(con)
            reading.set()
            yield con

    def interrupter() -> None:  # from the import's DuckDB connection on, until the import has ended
        reading.wait(60)
        while not ended.is_set():
            if connections:
                try:
                    connections[-1].interrupt()
                except duckdb.ConnectionException:  # closed: the import is ending
                    return
            time.sleep(0.005)

    ended = threading.Event()
    thread = threading.Thread(target=interrupter, daemon=True)
    thread.start()

    monkeypatch.setattr(report_import, "bounded_duckdb", noted_duckdb)
    try:
        with pytest.raises(duckdb.InterruptException):
            try:
                import_reports(ws, [cur], today=dt.date(2025, 11, 20))
            finally:
                ended.set()
                reading.set()
                thread.join()
        assert [p.name for p in ws.usage_dir.rglob("*")] == []
        with ws.session() as session:
            assert session.scalars(select(VendorReport)).all() == []
    finally:
        ws.close()


def test_a_replaced_file_imported_again_that_fails_keeps_its_files(ws: Workspace, tmp_path: Path) -> None:
    """The first September file, replaced by a corrected one, is imported again and its database
    step fails: the files it put in place are the old report's own (same content, same names),
    kept for its audit and its invoices' rows, and stay."""
    first = import_reports(ws, [AZURE_SAMPLE], today=dt.date(2023, 10, 20))
    lines = AZURE_SAMPLE.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    corrected = tmp_path / "azure-ea-cost-2023-09-v2.csv"
    corrected.write_text("".join(lines[:-1]), encoding="utf-8")
    import_reports(ws, [corrected], today=dt.date(2023, 10, 20))
    files = parquet_files(ws)
    sha = first.files[0].sha256[:16]
    assert {f"usage/azure/2023-09/{sha}.summary.parquet", f"usage/azure/sources/{sha}/azure-ea-cost-2023-09.csv"} <= set(files)
    with ws.engine.begin() as con:
        con.execute(text("CREATE TRIGGER no_reports BEFORE UPDATE ON vendor_reports BEGIN SELECT RAISE(ABORT, 'disk full'); END"))
    with pytest.raises(DBAPIError, match="disk full"):
        import_reports(ws, [AZURE_SAMPLE], today=dt.date(2023, 10, 20))
    assert parquet_files(ws) == files
