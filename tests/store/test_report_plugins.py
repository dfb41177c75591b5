"""A report of a plug-in format in the store: read again by its format's name in any process
that knows the format, and final as the format declares."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import workbench
from readers.tiny_format import TINY, publish
from workbench.billing.readers import register, unregister
from workbench.billing.store import Workspace, import_reports, report_periods

OCTOBER = """\
Day,Account,Product,Amount,Currency
2025-10-01,111111111111,Compute,1.50,USD
2025-10-02,111111111111,Storage,0.25,USD
"""
# What another process does when the rows of a kept file are first needed (a detailed export
# from the CLI, a custom range in a dashboard's kernel, a month-end worker).
WRITE_ROWS = textwrap.dedent("""
    import sys
    import duckdb
    from workbench.billing.store import open_workspace
    from workbench.billing.store.usage_files import UsageUnavailable, rows_files
    from workbench.billing.store.usage_queries import current_reports
    ws = open_workspace(sys.argv[1])
    with ws.session() as session:
        reports = current_reports(session, "aws", ["2025-10"])
    try:
        [rows] = rows_files(ws, reports)
    except UsageUnavailable as exc:
        print(exc)
    else:
        for row in duckdb.sql(f"SELECT sub_account_id, service, billed_cost FROM read_parquet('{rows}')").fetchall():
            print(*row)
""")


def in_another_process(ws: Workspace, *folders: Path) -> str:
    """What WRITE_ROWS prints in a fresh Python with `folders` (and this workbench) on its path."""
    code = Path(workbench.__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", WRITE_ROWS, str(ws.root)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(map(str, [*folders, code]))})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture
def usage(tmp_path: Path) -> Path:
    path = tmp_path / "portal-2025-10.csv"
    path.write_text(OCTOBER, encoding="utf-8")
    return path


@pytest.fixture
def registered() -> Iterator[None]:
    register(TINY)
    yield
    unregister(TINY.name)


def test_a_published_format_reads_a_kept_file_again_in_another_process(ws: Workspace, usage: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    site = publish(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    outcome = import_reports(ws, [usage], today=dt.date(2025, 11, 25))
    [file] = outcome.files
    assert (file.status.value, file.format, file.vendor, file.periods, file.row_count) == (
        "imported", "tiny-usage", "aws", ("2025-10",), 2)
    # the import wrote the summary; the rows are written from the kept file when first needed,
    # by a process that finds the format through the installed package's entry point
    assert in_another_process(ws, site) == (
        "111111111111 Compute 1.500000000000000000\n"
        "111111111111 Storage 0.250000000000000000\n")


def test_a_format_registered_in_one_process_only_is_named_in_the_others(ws: Workspace, usage: Path,
                                                                        registered: None) -> None:
    [file] = import_reports(ws, [usage], today=dt.date(2025, 11, 25)).files
    assert (file.status.value, file.format) == ("imported", "tiny-usage")

    said = in_another_process(ws)  # register() was not called there: importing the file again cannot help
    assert said == (
        "the usage rows of portal-2025-10.csv (aws 2025-10) are not available: its format tiny-usage is not "
        "registered in this process; install the package that provides tiny-usage so that it declares it under "
        "the entry point group workbench.report_formats (then every process finds it: the CLI, the dashboards, "
        "the API, the month-end workers); register() makes a format known only to the process that calls it\n")


NOVEMBER = OCTOBER.replace("2025-10", "2025-11")
BROKEN = ("plug-in tiny-gone = tiny_reports_gone:TINY failed to load: ModuleNotFoundError: No module named "
          "'tiny_reports_gone'")


def test_a_broken_plug_in_is_one_warning_of_the_import_and_the_other_files_import(
        ws: Workspace, usage: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(publish(tmp_path / "site", "tiny-usage = tiny_reports:TINY\n"
                                                               "tiny-gone = tiny_reports_gone:TINY")))
    november = tmp_path / "portal-2025-11.csv"
    november.write_text(NOVEMBER, encoding="utf-8")

    outcome = import_reports(ws, [usage, november], today=dt.date(2025, 12, 20))

    assert [(f.status.value, f.format, f.periods, f.problems) for f in outcome.files] == [
        ("imported", "tiny-usage", ("2025-10",), ()), ("imported", "tiny-usage", ("2025-11",), ())]
    assert [(p.code, p.severity.value, p.file, p.message) for p in outcome.problems] == [
        ("plugin-unusable", "warning", None,
         f"{BROKEN}; files of its report formats are not recognised until it is fixed")]  # once, not per file
    assert str(outcome).count("plug-in tiny-gone") == 1


def test_a_stored_report_whose_plug_in_is_broken_elsewhere_says_so(ws: Workspace, usage: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(publish(tmp_path / "site")))
    [file] = import_reports(ws, [usage], today=dt.date(2025, 11, 25)).files
    assert (file.status.value, file.format) == ("imported", "tiny-usage")

    # where the rows are first needed, the package is broken: its module is gone
    broken = publish(tmp_path / "broken-site", "tiny-usage = tiny_reports_gone:TINY")
    assert in_another_process(ws, broken) == (
        "the usage rows of portal-2025-10.csv (aws 2025-10) are not available: its format tiny-usage is not available "
        "in this process: the plug-in that provides it is broken: plug-in tiny-usage = tiny_reports_gone:TINY failed "
        "to load: ModuleNotFoundError: No module named 'tiny_reports_gone'; reinstall the package tiny-reports "
        "(pip install --force-reinstall tiny-reports) (uninstalling it would not do: this stored report needs its "
        "format); then the file is read again as it was imported\n")


@pytest.mark.parametrize(("today", "final"), [(dt.date(2025, 11, 14), False), (dt.date(2025, 11, 15), True)])
def test_a_format_without_invoice_ids_is_final_ten_business_days_after_the_month(
        ws: Workspace, usage: Path, registered: None, today: dt.date, final: bool) -> None:
    # TINY is AWS usage that declares no invoice ids: final as an Azure export is, once ten whole
    # business days after October have passed (3-7 and 10-14 November), not when ids arrive as in a CUR
    [file] = import_reports(ws, [usage], today=today).files
    assert [p.code for p in file.problems] == ([] if final else ["preliminary-usage"])
    assert [p.is_final for p in report_periods(ws)] == [final]


def test_an_aws_format_that_leaves_it_out_carries_invoice_ids(ws: Workspace, usage: Path) -> None:
    register(dataclasses.replace(TINY, carries_invoice_ids=None))
    try:
        [file] = import_reports(ws, [usage], today=dt.date(2026, 1, 15)).files
    finally:
        unregister(TINY.name)
    assert [p.code for p in file.problems] == ["preliminary-usage"]  # no invoice ids yet, months later
    assert [p.is_final for p in report_periods(ws)] == [False]
