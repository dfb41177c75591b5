"""Formats that plug in: registered in this process, or published through an entry point."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from readers.tiny_format import TINY, publish
from workbench.billing.readers import known_formats, open_report, read_report, register, unregister
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


@pytest.mark.parametrize(("entry_point", "says"), [
    ("tiny-usage = tiny_reports_gone:TINY", "plug-in tiny-usage = tiny_reports_gone:TINY failed to load: No module named 'tiny_reports_gone'"),
    ("tiny-usage = tiny_reports:COLUMNS", "plug-in tiny-usage = tiny_reports:COLUMNS is not a report format"),
])
def test_a_broken_plug_in_is_reported_not_hidden(published: Callable[[str], None], entry_point: str, says: str) -> None:
    published(entry_point)
    with pytest.raises(ReportFormatPluginError, match=says.replace("(", "\\(")):
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
