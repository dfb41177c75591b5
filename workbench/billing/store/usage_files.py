"""The files of a stored vendor report, and the ones written the first time they are needed.

    usage/<vendor>/sources/<sha16>/<file name>        the vendor file as imported, never changed
    usage/<vendor>/sources/<sha16>/<file name>.columns.parquet
                                                      a CSV's or JSONL's parse, until its rows are written
    usage/<vendor>/<period>/<sha16>.summary.parquet   the usage summary: one row per invoice-line key
    usage/<vendor>/<period>/<sha16>.days.parquet      the day summary: the same, per usage day too
    usage/<vendor>/<period>/<sha16>.parquet           the canonical rows (`core.usage.COLUMNS`)

Why so many: pricing needs sums, not rows. An import reads the vendor file once, validates it and
writes only its summary (tens of thousands of rows for a 10-million-row CUR) and a copy of the
file. The rest is written from the kept source the first time something needs it. The day
summary (`day_summaries`), for a custom date range that cuts through a summary row and for the
usage explorer's daily chart: about 750,000 rows (15 MB) for ten million, written in two thirds
of the time the rows take (189 MB). The canonical rows (`rows_files`), for a detailed export:
writing ten million of them costs several times more than reading them. Each is written once,
under a file lock (two processes never do the work twice), to a temporary name first, and
renamed into place. A CSV or JSONL file is not parsed twice for that: the import keeps its parse
(the needed columns, as parquet) beside the file, and removes it once the rows are written from
it (a gzipped CSV of ten million rows: 15 s instead of 42 s).

The summary is exact: money and quantity are sums of the canonical DECIMAL values; pricing the
summary gives the same invoice lines, to the last decimal, as pricing the rows (tested). Its
`first_usage_start` / `last_usage_start` let a custom range use it when every summary row lies
wholly inside or outside the range (month to date, typically).

Reports stored from canonical tables (`store_usage_table`: tests, the demo) have rows and no
source. Workspaces from before the summaries get theirs written from the rows when first read.

A file being written has a temporary name that says who writes it (`pending_path`); the files a
killed process left behind (SIGKILL, a lost Dask worker, power loss: hundreds of megabytes for a
copied vendor file) are removed by the next import or rows writer on the same host
(`sweep_abandoned`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import socket
import tempfile
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from pathlib import Path

import duckdb
from sqlalchemy import select

from workbench.billing.core.problems import Problem, errors
from workbench.billing.core.usage import MONEY_SQL, QUANTITY_SQL
from workbench.billing.store.models import VendorReport
from workbench.billing.store.workspace import Workspace

if TYPE_CHECKING:
    from workbench.billing.readers.fold import Fold

try:  # POSIX; elsewhere two processes may both write the rows (harmless: atomic renames)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "SUMMARY_COLUMNS", "SUMMARY_KEYS", "UsageUnavailable", "bounded_duckdb", "copy_parquet", "day_summaries", "duckdb_cursor",
    "days_path", "fold_groups_select", "folded_summary_select", "parsed_path", "pending_path", "rows_cache", "rows_files", "source_dir", "sql_list", "sql_text",
    "summary_files", "summary_path", "summary_select", "sweep_abandoned", "text_table", "this_process",
    "write_atomically", "write_period",
]

# The invoice-line key of a usage row: what pricing groups by, plus what the import checks
# (vendor, billing account, currency, period) and what it leaves out (free tier, vendor tax).
SUMMARY_KEYS: tuple[str, ...] = (
    "vendor", "billing_account_id", "billing_period", "sub_account_id", "currency", "charge_category",
    "product_type", "service", "sku", "unit", "is_marketplace", "is_free_tier",
)
# (name, DuckDB type, aggregate over the canonical rows of the key)
SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    *((key, "", key) for key in SUMMARY_KEYS),
    ("sub_account_name", "VARCHAR", "max(sub_account_name)"),
    ("description", "VARCHAR", "min(coalesce(description, ''))"),
    ("quantity", QUANTITY_SQL, "sum(coalesce(quantity, 0))"),
    ("billed_cost", MONEY_SQL, "sum(billed_cost)"),
    ("row_count", "BIGINT", "count(*)"),
    ("invoice_rows", "BIGINT", "count(invoice_id)"),  # rows the vendor has invoiced (finality)
    ("first_row", "BIGINT", "min(source_row)"),
    ("first_usage_start", "TIMESTAMP", "min(charge_period_start)"),
    ("last_usage_start", "TIMESTAMP", "max(charge_period_start)"),
)

# DuckDB's memory while reading one vendor file: within 1 GB it takes the same time as unbounded
# (a COPY of ten million rows otherwise buffers ~1.7 GB of row groups) and spills past it.
MEMORY_LIMIT = "1GB"
# Parquet as the usage store writes it: zstd (a third smaller than snappy for the same time),
# row groups of 122,880 rows (DuckDB's own), so readers scan them on every thread.
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"


# `.wb-<host>-<pid>-<random>.<what>.tmp`: the host as a short hash (names stay one pattern)
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
_PENDING = re.compile(r"^\.wb-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[0-9a-f]{12}\..+\.tmp$")

Owner = tuple[str, int]  # (host, pid) of the process that renames a pending file into place


def this_process() -> Owner:
    return _HOST, os.getpid()


def pending_path(folder: Path, what: str, owner: Owner | None = None) -> Path:
    """A temporary name in `folder` for a file being written, renamed into place when whole by
    `owner` (default: this process; a Dask worker writes for the process that will store)."""
    host, pid = owner or this_process()
    return folder / f".wb-{host}-{pid}-{uuid.uuid4().hex[:12]}.{what}.tmp"


def sweep_abandoned(folder: Path) -> list[Path]:
    """Remove the temporary files under `folder` (`pending_path`) whose owner, a process of this
    host, no longer runs; those of running processes and of other hosts stay (and so does what
    cannot be removed: a read-only share)."""
    removed: list[Path] = []
    for path in list(folder.rglob(".wb-*.tmp")):  # listed first: a spill folder goes with what is in it
        found = _PENDING.match(path.name)
        if found is None or found["host"] != _HOST or _running(int(found["pid"])):
            continue
        try:
            if path.is_dir():  # a DuckDB spill folder (`bounded_duckdb`)
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError:
            continue
        removed.append(path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class UsageUnavailable(Exception):
    """The canonical rows of a report cannot be written: its source is gone or unreadable, or
    this process does not know its format (`fix` then says how to make it known)."""

    def __init__(self, report: VendorReport, reason: str, problems: Sequence[Problem] = (), *,
                 fix: str | None = None) -> None:
        self.message = (f"the usage rows of {report.file_name} ({report.vendor} {report.billing_period}) "
                        f"are not available: {reason}")
        shown = [p.message for p in errors(problems)][:3]
        if shown:  # why the kept file can no longer be read
            more = len(errors(problems)) - len(shown)
            self.message += f" ({'; '.join(shown)}{f'; and {more} more' if more else ''})"
        self.fix = fix or f"import {report.file_name} again (`workbench import`) to restore them"
        self.problems = tuple(problems)
        super().__init__(f"{self.message}; {self.fix}")

    def problem(self) -> Problem:
        return Problem("usage-unavailable", self.message, fix=self.fix)


def sql_text(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def sql_list(paths: Sequence[Path | str]) -> str:
    """A SQL list of quoted paths, for `read_parquet` in a view (a view takes no parameters)."""
    return "[" + ", ".join(sql_text(p) for p in paths) + "]"


def summary_select(rows: str, extra: dict[str, str] | None = None, *, by_day: bool = False) -> str:
    """The summary of `rows` (a SELECT or relation of canonical rows), in key order; `extra`:
    more aggregates (name -> SQL) after the summary's own. `by_day`: the day summary, keyed by
    the usage day too (the same columns: its first and last usage start lie in that day)."""
    keys = ", ".join([*SUMMARY_KEYS, *(["CAST(charge_period_start AS DATE)"] if by_day else [])])
    aggregates = ", ".join([*(f"CAST({agg} AS {sql_type}) AS {name}" for name, sql_type, agg in SUMMARY_COLUMNS
                              if name not in SUMMARY_KEYS),
                            *(f"{sql} AS {name}" for name, sql in (extra or {}).items())])
    return f"SELECT {', '.join(SUMMARY_KEYS)}, {aggregates} FROM ({rows}) GROUP BY {keys} ORDER BY {keys}"


# A fold (`readers.fold`): its rows added up per distinct combination of the file's other columns
# (numbered `__group`), then those groups, staged, added up per summary key: every aggregate of
# `SUMMARY_COLUMNS` over the groups (`f`) and their canonical rows (`c`).
_FOLDED: dict[str, str] = {
    "sub_account_name": "max(c.sub_account_name)",
    "description": "min(coalesce(c.description, ''))",
    "quantity": "sum(f.quantity)",
    "billed_cost": "sum(f.billed_cost)",
    "row_count": "sum(f.row_count)",
    "invoice_rows": "coalesce(sum(f.row_count) FILTER (WHERE c.invoice_id IS NOT NULL), 0)",
    "first_row": "min(f.first_row)",
    "first_usage_start": "min(f.first_usage_start)",
    "last_usage_start": "max(f.last_usage_start)",
}


def fold_groups_select(fold: Fold) -> str:
    """The fold's rows added up per group (`__group`): the step `summary_select` needs once per row."""
    dims = ", ".join(fold.dims)
    return (f"SELECT {dims}, row_number() OVER () AS __group, sum(coalesce(quantity, 0)) AS quantity, "
            "sum(billed_cost) AS billed_cost, count(*) AS row_count, min(source_row) AS first_row, "
            "min(charge_period_start) AS first_usage_start, max(charge_period_start) AS last_usage_start, "
            "count(*) FILTER (WHERE __suspect) AS __suspect, count(*) FILTER (WHERE __rounded) AS __rounded"
            f"{''.join(f', {sql} AS {name}' for name, sql in fold.carried.items())} "
            f"FROM ({fold.rows}) GROUP BY {dims}")


def folded_summary_select(fold: Fold, groups: str, extra: dict[str, str] | None = None) -> str:
    """`summary_select` of a folded file, the same rows in the same order, from `groups` (a table
    of `fold_groups_select`); `extra`: more aggregates over `f` and `c`."""
    keys = ", ".join(f"c.{key}" for key in SUMMARY_KEYS)
    columns = ", ".join([*(f"c.{key} AS {key}" for key in SUMMARY_KEYS),
                         *(f"CAST({_FOLDED[name]} AS {sql_type}) AS {name}" for name, sql_type, _ in SUMMARY_COLUMNS
                           if name not in SUMMARY_KEYS),
                         *(f"{sql} AS {name}" for name, sql in (extra or {}).items())])
    return (f"SELECT {columns} FROM ({fold.canonical(groups)}) c JOIN {groups} f ON c.source_row = f.__group "
            f"GROUP BY {keys} ORDER BY {keys}")


def summary_path(rows_path: Path) -> Path:
    """`<sha16>.parquet` (rows) -> `<sha16>.summary.parquet` beside it."""
    return rows_path.with_name(rows_path.stem + ".summary.parquet")


def days_path(rows_path: Path) -> Path:
    """`<sha16>.parquet` (rows) -> `<sha16>.days.parquet` beside it (the day summary)."""
    return rows_path.with_name(rows_path.stem + ".days.parquet")


def source_dir(ws: Workspace, vendor: str, sha256: str) -> Path:
    return ws.usage_dir / vendor / "sources" / sha256[:16]


def parsed_path(source: Path) -> Path:
    """The kept parse of a CSV or JSONL source (`readers.open_report(parsed=...)`), beside it."""
    return source.with_name(source.name + ".columns.parquet")


def text_table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, Sequence[str]]) -> None:
    """A TEMP table of text columns from Python lists (passed as list parameters: registering a
    pyarrow table would make DuckDB import pandas, 0.4 s, for a few thousand account ids)."""
    names = list(columns)
    select = ", ".join(f"unnest(${i + 1}) AS {n}" for i, n in enumerate(names))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select}", [list(columns[n]) for n in names])
    for n in names:  # an empty list has no type: make every column text
        con.execute(f"ALTER TABLE {name} ALTER {n} TYPE VARCHAR")


def copy_parquet(con: duckdb.DuckDBPyConnection, select: str, target: Path) -> None:
    con.execute(f"COPY ({select}) TO {sql_text(target)} ({PARQUET_OPTIONS})")  # COPY takes no parameters


# This process's in-memory DuckDB for `duckdb_cursor` (pid -> database), made on first use: a
# dict bound once, so that a warm kernel's check for patched modules sees no new binding.
_SHARED_DUCKDB: dict[int, duckdb.DuckDBPyConnection] = {}
_SHARED_DUCKDB_LOCK = threading.Lock()


@contextlib.contextmanager
def duckdb_cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection of its own to this process's in-memory DuckDB, closed on leaving: what
    `duckdb.connect()` gives for a query, but in 0.01 ms instead of ~28 ms (a month end read
    the rows behind each invoice in a new database: 28 of its ~70 ms). Its TEMP tables and
    views are its own, and go with it; anything else it creates, or a SET, every connection
    would see: work that needs settings of its own (memory, spilling) uses `bounded_duckdb`.
    Any thread may use it (one cursor per caller); a forked child makes its own database (and
    leaves its parent's alone: closing it there could wait for threads the child does not have)."""
    with _SHARED_DUCKDB_LOCK:
        pid = os.getpid()
        if pid not in _SHARED_DUCKDB:
            _SHARED_DUCKDB[pid] = duckdb.connect()
        cursor = _SHARED_DUCKDB[pid].cursor()
    try:
        yield cursor
    finally:
        cursor.close()


@contextlib.contextmanager
def bounded_duckdb(spill_in: Path | None = None, owner: Owner | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB capped at `MEMORY_LIMIT`, spilling to a private temporary folder: in
    `spill_in` when given (a workspace's usage folder: named by `pending_path` for `owner`, so
    that what a killed process left is removed by the next `sweep_abandoned` there), else in the
    system's."""
    if spill_in is None:
        spilling: contextlib.AbstractContextManager[str] = tempfile.TemporaryDirectory(prefix="workbench-duckdb-")
    else:
        spilling = _spill_folder(pending_path(spill_in, "spill", owner))
    with spilling as spill, duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute(f"SET temp_directory = {sql_text(spill)}")
        yield con


@contextlib.contextmanager
def _spill_folder(folder: Path) -> Iterator[str]:
    folder.mkdir(parents=True)
    try:
        yield str(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- summaries --------------------------------------------------------------------------------

def summary_files(ws: Workspace, reports: Sequence[VendorReport]) -> list[Path]:
    """The summary file of each report, written from its rows where an older workspace lacks it."""
    paths = [summary_path(ws.root / r.stored_path) for r in reports]
    missing = [(r, p) for r, p in zip(reports, paths) if not p.exists()]
    if missing:
        rows = rows_files(ws, [r for r, _ in missing])
        with bounded_duckdb() as con:
            for (report, path), source in zip(missing, rows):
                write_atomically(path, lambda tmp, s=source: copy_parquet(
                    con, summary_select(f"SELECT * FROM read_parquet({sql_text(s)})"), tmp))
    return paths


# --- canonical rows and day summaries --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Derived:
    """A file written from a kept vendor file the first time it is needed."""

    what: str  # "rows" or "days", in temporary names
    suffix: str  # after the period, in the user's cache of a read-only workspace
    path: Callable[[Path], Path]  # the report's rows path in the workspace -> this file's path there
    select: Callable[[str], str]  # the canonical rows (a SELECT) -> what is written
    uses_up_parse: bool  # the kept parse of a CSV or JSONL is not needed once this is written


_ROWS = _Derived("rows", ".parquet", lambda rows: rows, lambda rows: rows, uses_up_parse=True)
_DAYS = _Derived("days", ".days.parquet", days_path, lambda rows: summary_select(rows, by_day=True),
                 uses_up_parse=False)


def rows_files(ws: Workspace, reports: Sequence[VendorReport]) -> list[Path]:
    """The canonical rows file of each report, written from its source first where missing.

    Raises `UsageUnavailable` when a report has neither rows nor a readable source. Where the
    workspace cannot be written (a read-only share) or must not be (`ws.writes_derived_files`
    False: a read-only view), the rows go to the user's cache instead (`rows_cache`), or where
    that cannot be written either, to a folder of this process."""
    return _derived_files(ws, reports, _ROWS)


def day_summaries(ws: Workspace, reports: Sequence[VendorReport]) -> tuple[list[Path], list[Path]]:
    """Where the usage of `reports` is read day by day: (day summary files, rows files).

    A report's day summary is its summary keyed by the usage day too (`summary_select(by_day=True)`,
    the same columns): no range of whole days cuts through one of its rows, so it prices any custom
    range and draws the daily chart exactly, from about 750,000 rows for ten million vendor rows.
    It is written the first time it is needed, in one pass over the kept vendor file, like the rows
    (`rows_files`, under the same lock and in the same places), in two thirds of their time (10M
    parquet rows: 5.0 s against 7.2 s). A report whose rows are written already, or that has no
    kept file, is read from its rows."""
    from_rows = {r.id for r in reports
                 if not days_path(ws.root / r.stored_path).exists()
                 and ((ws.root / r.stored_path).exists() or not r.source_path)}
    return (_derived_files(ws, [r for r in reports if r.id not in from_rows], _DAYS),
            rows_files(ws, [r for r in reports if r.id in from_rows]))


def _derived_files(ws: Workspace, reports: Sequence[VendorReport], form: _Derived) -> list[Path]:
    paths = {r.id: form.path(ws.root / r.stored_path) for r in reports}
    if ws.writes_derived_files and not all(p.exists() for p in paths.values()):
        sweep_abandoned(ws.usage_dir)  # what a killed writer of them left
    waiting: dict[str, list[VendorReport]] = defaultdict(list)
    for report in reports:
        if not paths[report.id].exists():
            if not report.source_path:
                raise UsageUnavailable(report, f"{report.stored_path} is missing and no vendor file was kept")
            waiting[report.source_path].append(report)
    for source, group in waiting.items():
        paths.update(_write_from_source(ws, ws.root / source, group, form))
    return [paths[r.id] for r in reports]


_FALLBACK: dict[str, Path] = {}  # files written outside a read-only workspace, per source


def _write_from_source(ws: Workspace, source: Path, reports: list[VendorReport], form: _Derived) -> dict[int, Path]:
    """Write `form` for every period of `source` that lacks it (one pass over the file)."""
    relative = source.relative_to(ws.root).as_posix()
    if not source.is_file():
        raise UsageUnavailable(reports[0], f"its kept vendor file {relative} is missing")
    with ws.session() as session:  # every period of the file, so one pass writes them all
        siblings = list(session.scalars(select(VendorReport).where(VendorReport.source_path == relative)))
    periods = {r.billing_period: form.path(ws.root / r.stored_path) for r in [*siblings, *reports]}
    parsed = parsed_path(source)
    if ws.writes_derived_files:
        try:
            with _exclusive(source.with_name(".rows.lock")):
                _materialise_missing(source, periods, reports[0], parsed, form)
                if form.uses_up_parse:
                    parsed.unlink(missing_ok=True)  # every period has its rows: the parse is not needed again
            return {r.id: form.path(ws.root / r.stored_path) for r in reports}
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
    # A read-only workspace (a shared folder mounted read-only, or a view that must not write it:
    # `Workspace.writes_derived_files`, a manager's dashboard): the files go to this user's cache,
    # named by the file's content (the same for every workspace and process that reads it), or,
    # where that cannot be written either, to a folder of this process. A parse is read, not written.
    kept = parsed if parsed.is_file() else None
    folder = rows_cache() / Path(relative).parent.relative_to("usage")
    elsewhere = {p: folder / f"{p}.{reports[0].read_as or 'any'}{form.suffix}" for p in periods}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _exclusive(folder / ".rows.lock"):
            _materialise_missing(source, elsewhere, reports[0], kept, form)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        private = _FALLBACK.get(relative)
        if private is None:
            private = _FALLBACK[relative] = Path(tempfile.mkdtemp(prefix="workbench-rows-"))
        elsewhere = {p: private / f"{p}{form.suffix}" for p in periods}
        _materialise_missing(source, elsewhere, reports[0], kept, form)
    return {r.id: elsewhere[r.billing_period] for r in reports}


def rows_cache() -> Path:
    """Where the rows (and day summaries) of read-only workspaces are written:
    `$XDG_CACHE_HOME/workbench/rows` (default `~/.cache/workbench/rows`). Safe to delete: they
    are written again when needed."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "workbench" / "rows"


def _materialise_missing(source: Path, targets: dict[str, Path], report: VendorReport, parsed: Path | None,
                         form: _Derived) -> None:
    """`_materialise` the targets that do not exist (another process may have written them)."""
    todo = {p: t for p, t in targets.items() if not t.exists()}
    if todo:
        _materialise(source, todo, single=len(targets) == 1, report=report, parsed=parsed, form=form)


def _materialise(source: Path, targets: dict[str, Path], *, single: bool, report: VendorReport,
                 parsed: Path | None, form: _Derived) -> None:
    """Read `source` once through its reader and write `form` (the canonical rows, in source
    order, or the day summary) of each period in `targets` (period -> file). `single`: the file
    holds one period only. `parsed`: where a CSV or JSONL source's parse is kept (read from
    there, or written there).

    The reader is the format the file was imported as (`report.format`), looked up by name, not
    recognised again; a format this process does not know (registered only in the process that
    imported the file, or provided by a plug-in that is broken here) is said so, with how to make
    it known (or the plug-in whole again): importing the file again would not help."""
    from workbench.billing.readers import open_report

    # its account ids are not checked again: one stored before the check may hold ids it refuses now
    with bounded_duckdb() as con, open_report(con, source, report.read_as, parsed=parsed,
                                              format_name=report.format, check_account_ids=False) as opened:
        if opened.select is None:
            unknown = [p for p in opened.problems if p.code in ("unregistered-format", "plugin-unusable")]
            if unknown:
                raise UsageUnavailable(report, unknown[0].message, fix=unknown[0].fix)
            raise UsageUnavailable(report, f"{source.name} can no longer be read", opened.problems)
        written = form.select(opened.select)
        if single:
            [target] = targets.values()
            write_atomically(target, lambda tmp: copy_parquet(con, written, tmp))
            return
        beside = next(iter(targets.values())).parent  # not beside the source: it may be read-only
        beside.mkdir(parents=True, exist_ok=True)
        pending = pending_path(beside, form.what)
        try:
            copy_parquet(con, written, pending)
            for period, target in targets.items():
                write_period(con, pending, period, target)
        finally:
            pending.unlink(missing_ok=True)


def write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """`write(tmp)` a temporary name beside `target` (`pending_path`), then rename it into place:
    `target` is whole or absent, whatever happens."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = pending_path(target.parent, target.name)
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_period(con: duckdb.DuckDBPyConnection, rows: Path, period: str, target: Path) -> None:
    """The rows of one billing period of the parquet file `rows` (summary or canonical) to `target`."""
    write_atomically(target, lambda tmp: copy_parquet(
        con, f"SELECT * FROM read_parquet({sql_text(rows)}) WHERE billing_period = {sql_text(period)}", tmp))


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One writer at a time across processes (month-end workers, dashboards, the CLI)."""
    if fcntl is None:
        yield
        return
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
