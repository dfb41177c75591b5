"""Formats that plug in: registered in this process, or published through an entry point."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from readers.tiny_format import TINY, publish
from workbench.billing.core.problems import Problem, Severity
from workbench.billing.readers import known_formats, open_report, plugin_problems, read_report, register, unregister
from workbench.billing.readers.format import Staging
from workbench.billing.readers.registry import ReportFormatConflict, ReportFormatPluginError, formats

OCTOBER = """
    Day,Account,Product,Amount,Currency
    2025-10-01,111111111111,Compute,1.50,USD
    2025-10-02,111111111111,Storage,0.25,usd
    """
BUILT_IN = ["aws-cur-legacy", "aws-cur2", "focus-1.0", "focus-1.1", "focus-1.2",
            "azure-csp", "azure-ea", "azure-mca", "gcp-billing-export"]


@pytest.fixture
def registered() -> Iterator[None]:
    register(TINY)
    yield
    unregister(TINY.name)


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Publish the tiny format's package, with these entry point lines, on sys.path."""

    def _publish(entry_points: str = "tiny-usage = tiny_reports:TINY") -> None:
        monkeypatch.syspath_prepend(str(publish(tmp_path / "site", entry_points)))

    return _publish


def test_a_registered_format_is_recognised_and_named_in_refusals(con: duckdb.DuckDBPyConnection,
                                                                 write: Callable[[str, str], Path]) -> None:
    usage = write("portal-2025-10.csv", OCTOBER)
    assert read_report(con, usage).problems[0].code == "unknown-format"

    register(TINY)
    try:
        result = read_report(con, usage)
        assert (result.format, result.vendor, result.row_count, result.problems) == ("tiny-usage", "aws", 2, ())
        rows = con.execute(f"SELECT billing_period, sub_account_id, service, billed_cost, currency FROM {result.table}")
        assert [(p, a, s, str(c), cur) for p, a, s, c, cur in rows.fetchall()] == [
            ("2025-10", "111111111111", "Compute", "1.500000000000000000", "USD"),
            ("2025-10", "111111111111", "Storage", "0.250000000000000000", "USD"),
        ]
        # a file of no known format is refused with the list of the formats known now
        refused = read_report(con, write("sales.csv", "Customer,Amount\nacme,12\n"))
        assert known_formats() == [*BUILT_IN, "tiny-usage"]
        assert refused.problems[0].fix == f"Export one of the known formats unchanged: {', '.join(BUILT_IN)}, tiny-usage."
    finally:
        unregister("tiny-usage")
    assert known_formats() == BUILT_IN


def test_a_published_format_is_found_through_its_entry_point(con: duckdb.DuckDBPyConnection,
                                                             write: Callable[[str, str], Path],
                                                             published: Callable[[str], None]) -> None:
    published()
    assert known_formats() == [*BUILT_IN, "tiny-usage"]
    result = read_report(con, write("portal-2025-10.csv", OCTOBER))
    assert (result.format, result.vendor, result.row_count) == ("tiny-usage", "aws", 2)


def test_a_format_cannot_take_a_name_in_use(published: Callable[[str], None], registered: None) -> None:
    with pytest.raises(ReportFormatConflict, match="register\\(aws-cur2\\): a report format named 'aws-cur2' already exists"):
        register(dataclasses.replace(TINY, name="aws-cur2"))
    published()  # another tiny-usage than the one registered
    with pytest.raises(ReportFormatConflict,
                       match="plug-in tiny-usage = tiny_reports:TINY: a report format named 'tiny-usage' already exists"):
        formats()


CUR = """
    lineItem/UsageAccountId,bill/PayerAccountId,lineItem/LineItemType,lineItem/UnblendedCost,lineItem/CurrencyCode,lineItem/UsageStartDate,bill/BillingPeriodStartDate
    111100000001,999900000001,Usage,0.5,USD,2025-10-02T00:00:00Z,2025-10-01T00:00:00Z
    """
REINSTALL = "reinstall the package tiny-reports (pip install --force-reinstall tiny-reports)"


@pytest.mark.parametrize(("entry_point", "error"), [
    ("tiny-gone = tiny_reports_gone:TINY",
     "failed to load: ModuleNotFoundError: No module named 'tiny_reports_gone'"),
    ("tiny-columns = tiny_reports:COLUMNS", "is not a report format (a workbench.billing.readers.ReportFormat)"),
])
def test_a_broken_plug_in_leaves_out_only_itself_and_is_said_once(
        con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path], published: Callable[[str], None],
        entry_point: str, error: str) -> None:
    """One package's broken entry point must not stop every vendor file from being read."""
    published(f"tiny-usage = tiny_reports:TINY\n{entry_point}")
    assert known_formats() == [*BUILT_IN, "tiny-usage"]  # the working plug-in is still there
    cur = read_report(con, write("cur-2025-10.csv", CUR))
    assert (cur.format, cur.row_count, cur.problems) == ("aws-cur-legacy", 1, ())
    tiny = read_report(con, write("portal-2025-10.csv", OCTOBER))
    assert (tiny.format, tiny.row_count, tiny.problems) == ("tiny-usage", 2, ())

    name, target = entry_point.split(" = ")
    assert plugin_problems() == [Problem(
        "plugin-unusable", f"plug-in {name} = {target} {error}; files of its report formats are not recognised "
        "until it is fixed", fix=f"{REINSTALL}; or, if its formats are no longer used, uninstall it. Every other "
        "format reads as before", severity=Severity.WARNING)]


def test_a_file_or_a_stored_report_of_a_broken_plug_ins_format_says_why(
        con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path], published: Callable[[str], None]) -> None:
    published("tiny-usage = tiny_reports_gone:TINY")
    broken = "plug-in tiny-usage = tiny_reports_gone:TINY failed to load: ModuleNotFoundError: No module named 'tiny_reports_gone'"
    usage = write("portal-2025-10.csv", OCTOBER)
    # recognised among all formats: not a known one, and the broken plug-in is named as not counted
    [unknown] = read_report(con, usage).problems
    assert unknown.code == "unknown-format"
    assert unknown.fix == (f"Export one of the known formats unchanged: {', '.join(BUILT_IN)}. Not among them, the "
                           "formats of the broken plug-in(s) tiny-usage (plugin-unusable).")
    # read again by its stored format's name: the plug-in of that name is broken, and how to mend it
    with open_report(con, usage, format_name="tiny-usage") as report:
        assert report.select is None
        [problem] = report.problems
    assert (problem.code, problem.file, problem.message, problem.fix) == (
        "plugin-unusable", "portal-2025-10.csv",
        f"its format tiny-usage is not available in this process: the plug-in that provides it is broken: {broken}",
        f"{REINSTALL} (uninstalling it would not do: this stored report needs its format); then the file is read "
        "again as it was imported")
    # no entry point of that name: the broken one may be the one that provided it
    with open_report(con, usage, format_name="tiny-usage-v2") as report:
        [problem] = report.problems
    assert (problem.code, problem.message) == (
        "plugin-unusable", f"its format tiny-usage-v2 is not available in this process: no plug-in provides it, "
        f"and one that may is broken: {broken}")


def test_a_broken_plug_in_does_not_hide_a_conflict(published: Callable[[str], None], registered: None) -> None:
    published("tiny-usage = tiny_reports:TINY\ntiny-gone = tiny_reports_gone:TINY")
    with pytest.raises(ReportFormatConflict, match="a report format named 'tiny-usage' already exists"):
        known_formats()


def test_a_name_longer_than_a_stored_report_keeps_is_refused() -> None:
    with pytest.raises(ReportFormatPluginError, match="a format's name has 1 to 32 characters"):
        register(dataclasses.replace(TINY, name="tiny-usage-" + "x" * 22))


def test_a_plug_in_reads_rows_only_for_the_vendors_workbench_bills(con: duckdb.DuckDBPyConnection,
                                                                   write: Callable[[str, str], Path]) -> None:
    """A per-row vendor (vendor=None, as FOCUS) must still be aws, azure or gcp: a new vendor is
    more than a reader (pricing terms, the CLI's and the API's choices)."""
    oracle = dataclasses.replace(TINY, name="tiny-oracle", vendor=None,
                                 stage=lambda ctx: Staging(TINY.stage(ctx).sql.replace("'aws' AS vendor", "'oci' AS vendor")))
    register(oracle)
    try:
        result = read_report(con, write("oci.csv", OCTOBER))
    finally:
        unregister("tiny-oracle")
    assert (result.format, result.table) == ("tiny-oracle", None)
    [problem] = result.problems
    assert (problem.code, problem.file, problem.message) == (
        "unknown-vendor", "oci.csv", "the rows of this tiny-oracle file name the vendor oci, which workbench does not bill")


def test_a_kept_file_is_read_as_the_format_it_was_imported_as(con: duckdb.DuckDBPyConnection,
                                                             write: Callable[[str, str], Path], registered: None) -> None:
    usage = write("portal-2025-10.csv", OCTOBER)
    with open_report(con, usage, format_name="tiny-usage") as report:
        assert (report.format, report.vendor, report.problems) == ("tiny-usage", "aws", ())
    with open_report(con, usage, format_name="tiny-usage-v2") as report:
        assert report.select is None
        [problem] = report.problems
    assert (problem.code, problem.message) == ("unregistered-format", "its format tiny-usage-v2 is not registered in this process")
    assert problem.fix is not None and "entry point group workbench.report_formats" in problem.fix
    # read as a format, a file is not recognised among the others: one changed since says so
    with open_report(con, write("changed.csv", "lineItem/UsageAccountId,bill/PayerAccountId\n1,2\n"),
                     format_name="tiny-usage") as report:
        assert report.select is None
        [problem] = report.problems
    assert (problem.code, problem.message) == (
        "unknown-format", "no longer a tiny-usage file; header columns seen: lineItem/UsageAccountId, bill/PayerAccountId")


def test_built_in_formats_declare_whether_they_carry_invoice_ids() -> None:
    assert {name: f.carries_invoice_ids for name, f in formats().items()} == {
        "aws-cur-legacy": True, "aws-cur2": True, "focus-1.0": False, "focus-1.1": False, "focus-1.2": False,
        "azure-csp": False, "azure-ea": False, "azure-mca": False, "gcp-billing-export": False,
    }
    # left out, it follows the vendor: an AWS format carries them, as the CUR does
    assert dataclasses.replace(TINY, carries_invoice_ids=None).carries_invoice_ids is True
    assert dataclasses.replace(TINY, vendor=None, carries_invoice_ids=None).carries_invoice_ids is False
