"""Vendor readers: one reader per billing export format, all mapping into the canonical usage
schema (`workbench.billing.core.usage.COLUMNS`) inside DuckDB. See docs.md.

    result = read_report(con, Path("cur-2023-11.csv.gz"))
    if result.table is None:
        print("\\n".join(map(str, result.problems)))

    with open_report(con, path) as report:  # validated, nothing copied yet
        if report.select is not None:
            con.execute(f"COPY ({report.select}) TO 'usage.parquet' (FORMAT parquet)")

A format plugs in through the entry point group `workbench.report_formats` (every process), or
`register(ReportFormat(...))` (this process only): see docs.md. A broken plug-in is left out:
`plugin_problems()` says which, and why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from workbench.billing.core.problems import Problem, errors
from workbench.billing.core.usage import Vendor
from workbench.billing.readers.fold import Fold, fold
from workbench.billing.readers.format import ReportFormat, StageContext, Staging
from workbench.billing.readers.registry import (ENTRY_POINT_GROUP, broken_plugins, by_name, formats, missing_format_problem,
                                                plugin_problems, recognise, register, unregister)
from workbench.billing.readers.source import Probe, TempObjects, describe_parquet, load, probe, read_failure
from workbench.billing.readers.sql import ident
from workbench.billing.readers.staging import canonical_select, decide_date_order, row_flags, staged_types, validate

__all__ = ["ENTRY_POINT_GROUP", "OpenReport", "ReadResult", "ReportFormat", "StageContext", "Staging", "open_report",
           "read_report", "detect_format", "known_formats", "plugin_problems", "register", "unregister"]

UNKNOWN_FORMAT = "unknown"


@dataclass(frozen=True)
class ReadResult:
    path: Path
    format: str  # registry name, e.g. "aws-cur-legacy"; "unknown" when not recognised
    vendor: str | None  # "aws" | "azure" | "gcp"; None when refused (or mixed, for FOCUS)
    table: str | None  # TEMP table in the connection with the canonical rows; None when refused
    problems: tuple[Problem, ...]  # errors => table is None; warnings may come with a table
    row_count: int


def known_formats() -> list[str]:
    """The names of every format this process knows, in the order headers are tried."""
    return list(formats())


def _probe(con: duckdb.DuckDBPyConnection, path: Path) -> Probe:
    found = probe(path)
    if found.container == "parquet" and not found.problems:
        found = describe_parquet(con, found)
    return found


def detect_format(con: duckdb.DuckDBPyConnection, path: Path) -> str | None:
    """The registry name of the file's format, from its header; None when not recognised."""
    found = _probe(con, Path(path))
    if found.problems:
        return None
    report_format = recognise(found)
    return report_format.name if report_format else None


def _refused(path: Path, fmt: str, problems: list[Problem]) -> ReadResult:
    return ReadResult(path=path, format=fmt, vendor=None, table=None, problems=tuple(problems), row_count=0)


@dataclass
class OpenReport:
    """A vendor file read as far as it can be without copying it: recognised, validated, and
    `select`, the SQL of its canonical rows in source order (None when refused). The TEMP views
    and tables it reads from stay in the connection until `close()` (or the `with` block ends).
    """

    path: Path
    format: str  # registry name; "unknown" when not recognised
    vendor: str | None  # "aws" | "azure" | "gcp"; None when refused or mixed (FOCUS)
    select: str | None
    problems: tuple[Problem, ...]
    _temps: TempObjects | None = None
    # opened with validate=False: `select` plus the `row_flags` columns, and the validation to run
    # when a pass over it counted any flagged row (`row_problems()`)
    flagged_select: str | None = None
    _validate: Callable[[], list[Problem]] | None = None
    # opened with validate=False, a format declaring its measures: the summary's faster way (`fold.py`)
    fold: Fold | None = None

    def row_problems(self) -> list[Problem]:
        """Every bad value by row (errors refuse the file), for a report opened with
        validate_rows=False; [] otherwise (they are in `problems` already)."""
        return self._validate() if self._validate is not None else []

    def close(self) -> None:
        if self._temps is not None:
            self._temps.drop()

    def __enter__(self) -> "OpenReport":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _closed(path: Path, fmt: str, problems: list[Problem]) -> OpenReport:
    return OpenReport(path=path, format=fmt, vendor=None, select=None, problems=tuple(problems))


def _header_text(columns: Sequence[str], longest: int = 300) -> str:
    """The header as a problem shows it: control bytes escaped (an image or archive given as a
    report would write them to the terminal) and cut at `longest` characters."""
    text = ", ".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in columns)
    return text if len(text) <= longest else text[:longest] + " ..."


def open_report(con: duckdb.DuckDBPyConnection, path: Path, vendor: str | None = None, *,
                validate_rows: bool = True, parsed: Path | None = None, format_name: str | None = None,
                check_account_ids: bool = True) -> OpenReport:
    """Recognise and validate one vendor export; its canonical rows as a SELECT, not yet run.

    For parquet nothing is copied: the SELECT reads the file itself, so one pass (a `COPY`)
    writes the canonical rows. CSV and JSONL are parsed once into a parquet file of the needed
    columns.
    Bad input never raises: every problem found is returned, each with file, row and a fix.

    `validate_rows=False` leaves out the pass over the rows that validation is: the caller makes
    one pass anyway, over `flagged_select`, counts its flagged rows, and calls `row_problems()` when
    there are any, or when its summary has an unknown currency or an AWS account id that is not
    12 digits (`staging.row_flags`; the import does; a big file then costs one pass less).

    `check_account_ids=False`: a format's AWS account ids (`ReportFormat.aws_account_columns`) are
    not checked. For a stored report's kept file, read again: the import that stored it admitted
    it, and one stored before the check may hold ids it would refuse now.

    `parsed` (CSV and JSONL files): where that parquet file is kept between reads. A read finds
    it there and does not parse the file again, or parses it and leaves it there (the import
    keeps it until the canonical rows are written).

    `format_name`: read the file as the format of that registry name instead of recognising it
    among all formats (a stored report's kept file, read again by the format it was imported as).
    A name this process does not know is an `unregistered-format` problem; a header that format
    does not recognise (the file was changed since) an `unknown-format` one.
    """
    path = Path(path)
    file = path.name
    problems: list[Problem] = []
    asked: Vendor | None = None
    if vendor is not None:
        try:
            asked = Vendor.parse(vendor)
        except ValueError as error:
            return _closed(path, UNKNOWN_FORMAT, [Problem("unknown-vendor", str(error), file=file,
                                                          fix="Give the vendor as aws, azure or gcp (`--vendor aws`), or leave it out: the file's format says which it is.")])
    found = _probe(con, path)
    if found.problems:
        return _closed(path, UNKNOWN_FORMAT, list(found.problems))
    shown = _header_text(found.columns)
    if format_name is not None:
        try:
            report_format: ReportFormat | None = by_name(format_name)
        except KeyError:  # not registered here, or its plug-in is broken: which, and what to do
            return _closed(path, format_name, [missing_format_problem(format_name, file)])
        if not report_format.recognises(found):  # changed since it was read as that format
            return _closed(path, UNKNOWN_FORMAT, [Problem(
                "unknown-format", f"no longer a {format_name} file; header columns seen: {shown}", file=file, row=0,
                fix=f"Put the {format_name} file back as it was exported, unchanged.")])
    else:
        report_format = recognise(found)
    if report_format is None:
        broken = broken_plugins()  # a file of a broken plug-in's format lands here: say the plug-in is not counted
        return _closed(path, UNKNOWN_FORMAT, [Problem(
            "unknown-format", f"not a known billing export; header columns seen: {shown}", file=file, row=0,
            fix="Export one of the known formats unchanged: " + ", ".join(known_formats()) + "." + (
                " Not among them, the formats of the broken plug-in(s) " + ", ".join(b.name for b in broken)
                + " (plugin-unusable)." if broken else ""))])
    missing = report_format.missing(found)
    if missing:
        problems.append(Problem(
            "missing-columns", f"looks like {report_format.name} but lacks the columns: {', '.join(missing)}",
            file=file, row=0, fix=f"Export the full {report_format.name} report; do not remove or rename columns."))
    if asked is not None and report_format.vendor is not None and report_format.vendor is not asked:
        problems.append(Problem(
            "vendor-mismatch", f"the file is {report_format.name} ({report_format.vendor.value}), "
            f"but was given as {asked.value}", file=file,
            fix=f"Give the vendor as {report_format.vendor.value} (`--vendor {report_format.vendor.value}`) or leave it out, "
                f"or check you picked the right file."))
    if errors(problems):
        return _closed(path, report_format.name, problems)

    temps = TempObjects(con)
    try:
        raw, load_problems = load(temps, found, (*report_format.required, *report_format.optional), parsed)
        problems += load_problems
        context = StageContext(con=con, raw=raw, file=file, vendor=asked)
        staging = report_format.stage(context)
        problems += staging.problems
        staged = temps.add("VIEW", raw.name + "_staged")
        con.execute(f"CREATE TEMP VIEW {staged} AS {staging.sql}")
        types = staged_types(con, staged)
        slash_order, order_problems = decide_date_order(con, staged, file, types)  # one order for the file
        problems += order_problems
        types = replace(types, slash_order=slash_order)
        cost_column, currency_column = report_format.cost_column, report_format.currency_column
        accounts = report_format.aws_account_columns if check_account_ids else None
        if validate_rows or errors(problems):  # refused already: say every problem of the rows too, at once
            problems += validate(con, staged, file, cost_column, currency_column, types, accounts=accounts)
        if errors(problems):
            temps.drop()
            return _closed(path, report_format.name, problems)
        if report_format.vendor is not None:
            result_vendor: str | None = report_format.vendor.value
        else:
            vendors = [r[0] for r in con.execute(f"SELECT DISTINCT vendor FROM {staged}").fetchall()]
            result_vendor = vendors[0] if len(vendors) == 1 else None
            unbilled = sorted(str(v) for v in vendors if v is not None and v not in {k.value for k in Vendor})
            if unbilled:  # a plug-in's rows: a vendor is more than a reader (pricing terms, choices)
                temps.drop()
                return _closed(path, report_format.name, [*problems, Problem(
                    "unknown-vendor", f"the rows of this {report_format.name} file name the vendor "
                    f"{', '.join(unbilled)}, which workbench does not bill", file=file,
                    fix=f"the reader of {report_format.name} must map every row to aws, azure or gcp; "
                        f"billing another vendor is a change to workbench itself (readers/docs.md)")])
        select = canonical_select(con, staged, file, ordered=staging.ordered, types=types)
        flagged, check, folded = None, None, None
        if not validate_rows:
            flagged = canonical_select(con, staged, file, ordered=staging.ordered, types=types,
                                       extra=row_flags(types, cost_column, currency_column))
            check = functools.partial(validate, con, staged, file, cost_column, currency_column, types,
                                      accounts=accounts)
            folded = fold(temps, raw, report_format, staging, types, file, context)
    except duckdb.Error as error:  # the file cannot be read to the end: truncated, damaged, binary
        temps.drop()
        failure = read_failure(path, error)
        if failure is None:
            raise
        return _closed(path, report_format.name, [*problems, failure])
    except BaseException:
        temps.drop()
        raise
    return OpenReport(path=path, format=report_format.name, vendor=result_vendor, select=select,
                      problems=tuple(problems), _temps=temps, flagged_select=flagged, _validate=check, fold=folded)


def read_report(con: duckdb.DuckDBPyConnection, path: Path, vendor: str | None = None,
                table: str = "canonical_usage") -> ReadResult:
    """Read one vendor export into TEMP table `table` (replaced if it exists) in canonical form.

    Bad input never raises: every problem found is returned, each with file, row and a fix.
    """
    path = Path(path)
    with open_report(con, path, vendor) as report:
        if report.select is None:
            return _refused(path, report.format, list(report.problems))
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS {report.select}")
        except duckdb.Error as error:  # a parquet file is read here first, in columns validation left alone
            failure = read_failure(path, error)
            if failure is None:
                raise
            return _refused(path, report.format, [*report.problems, failure])
    row = con.execute(f"SELECT count(*) FROM {ident(table)}").fetchone()
    return ReadResult(path=path, format=report.format, vendor=report.vendor, table=table,
                      problems=report.problems, row_count=int(row[0]) if row else 0)
