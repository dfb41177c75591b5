"""Import vendor billing reports into the usage store.

Per file: hash it (a file already imported is a no-op) -> open it with the reader for its
format, validated (errors: refused, nothing written) -> summarise its canonical rows in one pass
(the usage summary, see `usage_files.py`) while a copy of the file goes into the workspace ->
check the summary by billing period -> check that a period it replaces is not locked by
generated invoices -> move the source and one summary per period into place -> record a
`VendorReport` per period and mark the reports it replaces as superseded, in one transaction.
If anything is refused or the transaction fails, the files are removed again. The canonical
rows are written from the kept source when first needed (`usage_files.rows_files`).

The hash and the copy run on threads beside DuckDB's pass (both release the GIL). They work in
blocks and give up at the next one once the read is left without keeping the copy (a Ctrl-C, an
error, a refusal): leaving it waits for them, and must not wait for them to read the rest of a
multi-GB file. DuckDB's own queries stop at a Ctrl-C at once too (`interrupt_on_ctrl_c`): Python's
handler would wait for DuckDB's threads to be through their part of the file.

Reading (hash, validate, summarise, copy: `_read_file`) and storing (`_commit`) are apart, so
that with a Dask `scheduler` the files are read on the cluster's workers at once while this
process stores them one by one, in the order given.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import shutil
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.billing.core.money import D, Money, is_known_currency
from workbench.billing.core.problems import Problem, Severity, errors
from workbench.billing.core.usage import BAD_AWS_ACCOUNT_SQL, COLUMNS
from workbench.billing.file_hash import Stopped, file_sha256
from workbench.billing.store import audit
from workbench.billing.store.finality import is_final
from workbench.billing.store.in_lists import chunks
from workbench.billing.store.interrupt_on_ctrl_c import interrupt_on_ctrl_c
from workbench.billing.store.locking import lock_usage_months
from workbench.billing.store.models import Account, Customer, PeriodLock, VendorReport
from workbench.billing.store.periods import (
    few, final_fix, held_by, invoices_text, locks_overlapping, month_bounds, unlock_steps,
)
from workbench.billing.store.usage_files import (
    SUMMARY_COLUMNS,
    Owner,
    bounded_duckdb,
    copy_parquet,
    fold_groups_select,
    folded_summary_select,
    parsed_path,
    pending_path,
    source_dir,
    sql_text,
    summary_files,
    summary_path,
    summary_select,
    sweep_abandoned,
    this_process,
    write_atomically,
    write_period,
)
from workbench.billing.store.usage_queries import UnassignedAccount, unassigned_usage
from workbench.billing.store.workspace import Workspace

if TYPE_CHECKING:
    from workbench.billing.readers import OpenReport

PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class FileStatus(str, Enum):
    IMPORTED = "imported"
    UNCHANGED = "unchanged"  # the same content (sha256) was imported before
    REPLACED = "replaced"  # imported, and it superseded an earlier report of its periods
    REFUSED = "refused"  # nothing written; see problems


@dataclass(frozen=True, slots=True)
class FileOutcome:
    path: Path
    status: FileStatus
    sha256: str = ""
    vendor: str | None = None
    format: str | None = None
    periods: tuple[str, ...] = ()
    row_count: int = 0
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    files: tuple[FileOutcome, ...]
    unassigned: tuple[UnassignedAccount, ...] = field(default=())  # after the import, in its periods
    # about no one file: a broken report-format plug-in (`readers.plugin_problems`), said once
    plugin_problems: tuple[Problem, ...] = field(default=())

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (*self.plugin_problems, *(p for f in self.files for p in f.problems))

    @property
    def ok(self) -> bool:
        return all(f.status is not FileStatus.REFUSED for f in self.files)

    def __str__(self) -> str:
        lines = [f"{f.path.name}: {f.status.value}" + (f" ({', '.join(f.periods)})" if f.periods else "") for f in self.files]
        lines += [str(p) for p in self.problems]
        lines += [f"unassigned: {u.vendor} account {u.account_id or '(none)'}: {u.rows} rows, {u.cost} {u.currency}" for u in self.unassigned]
        return "\n".join(lines)


Progress = Callable[[int, int, str], None]  # (files done, files in all, what is going on)


def import_reports(
    ws: Workspace, paths: Iterable[Path], vendor: str | None = None, *, today: dt.date | None = None,
    scheduler: object = None, progress: Progress | None = None, accept_smaller: bool = False,
) -> ImportOutcome:
    """Import vendor files one by one; each file is all-or-nothing. `today` decides finality of
    formats without invoice ids (injectable for tests).

    `accept_smaller`: let a file replace a month's report with one of fewer than half its rows
    (refused otherwise: `_shrinking`).

    `progress(done, total, text)`: called as each file starts, about every half second while it
    is read ("cur.csv.gz: 43%"; a CSV is read in two passes, the second shown as "pass 2"), and
    as it ends ("cur.csv.gz: imported").

    `scheduler`: a Dask scheduler address ("tcp://host:8786") or a `distributed.Client`. Each
    file is then read, checked and summarised on the cluster's workers, all files at once; this
    process stores them one by one, in the order given (as locally: of two different files for
    the same vendor, billing account and period, the later is refused: `_given_twice`). Workers
    open the workspace and the files by their paths, so both must be on storage they share, at
    the same paths."""
    from workbench.billing.readers import plugin_problems

    today = today or dt.date.today()
    paths = [Path(p) for p in paths]
    broken = tuple(plugin_problems())  # its formats are left out; every other file reads as before
    if ws.usage_dir.is_dir():
        sweep_abandoned(ws.usage_dir)  # what an import killed midway left
    tell = progress or (lambda done, total, text: None)
    given: dict[tuple[str, str, str], str] = {}  # the reports of the files given so far, by key
    if scheduler is None:
        outcomes: list[FileOutcome] = []
        for path in paths:
            tell(len(outcomes), len(paths), path.name)
            read = _read_file(ws, path, vendor, lambda text: tell(len(outcomes), len(paths), text))
            outcomes.append(_commit(ws, read, vendor, today, given, accept_smaller))
            tell(len(outcomes), len(paths), f"{path.name}: {outcomes[-1].status.value}")
    else:
        outcomes = _import_on_dask(scheduler, ws, paths, vendor, today, tell, given, accept_smaller)
    touched = sorted({(f.vendor, p) for f in outcomes if f.status is not FileStatus.REFUSED and f.vendor for p in f.periods})
    unassigned: list[UnassignedAccount] = []
    for v in sorted({v for v, _ in touched}):
        unassigned += unassigned_usage(ws, v, [p for vv, p in touched if vv == v])
    return ImportOutcome(tuple(outcomes), tuple(unassigned), broken)


@dataclass(frozen=True)
class _ReadFile:
    """A vendor file read, checked and summarised, its files under temporary names in the usage
    folder, to be stored by `_commit`; or, in `outcome`, why there is nothing to store."""

    path: Path
    sha256: str
    outcome: FileOutcome | None = None  # unchanged (imported before) or refused
    format: str = ""
    vendor: str | None = None
    problems: tuple[Problem, ...] = ()
    summary: Path | None = None  # the summary of its canonical rows
    source: Path | None = None  # the copy of the vendor file
    parsed: Path | None = None  # a CSV's or JSONL's parse (`readers.open_report(parsed=...)`)

    def discard(self) -> None:
        for pending in (self.summary, self.source, self.parsed):
            if pending is not None:
                pending.unlink(missing_ok=True)


def _read_file(ws: Workspace, path: Path, vendor: str | None, progress: Callable[[str], None] | None = None,
               owner: Owner | None = None) -> _ReadFile:
    """`owner`: the process that will store what is read (`usage_files.pending_path`)."""
    from workbench.billing.readers import open_report
    from workbench.billing.readers.source import read_failure

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="import") as threads, \
            bounded_duckdb(ws.usage_dir, owner) as con, \
            _reporting(con, path.name, progress), \
            interrupt_on_ctrl_c(con) as ctrl_c:  # DuckDB's pass stops at once, not seconds later
        # The hash runs beside DuckDB's pass over the file (a gzipped CSV leaves a core idle) and
        # interrupts it when the file was imported before: re-importing a folder of months costs
        # little more than hashing them.
        interrupting = threading.Event()  # set by the hash thread before it interrupts DuckDB
        # Set as this block is left without the copy kept (refused, known, a Ctrl-C, an error):
        # the hash and the copy give up at their next block, not at the end of a multi-GB file.
        stop = threading.Event()
        pending = pending_path(ws.usage_dir, "summary", owner)
        # A CSV's or JSONL's parse, kept until the canonical rows are written from it (not parsed again)
        parsed = pending_path(ws.usage_dir, "columns", owner)
        copying: Future[str | None] | None = None
        kept = False
        try:  # the threads start inside it: a Ctrl-C right after them left their whole copy behind
            known = threads.submit(_look_up, ws, path, con, interrupting, stop)
            ws.usage_dir.mkdir(parents=True, exist_ok=True)
            copying = threads.submit(_copy_source, ws, path, known, owner, stop)
            with open_report(con, path, vendor, validate_rows=False, parsed=parsed) as report:
                refused = report.select is None or errors(report.problems)
                problems = list(report.problems)
                refused = refused or _summarise_checked(con, report, pending, problems, path.name)
                sha, done = known.result()
                if done is not None:
                    return _ReadFile(path, sha, done)
                if refused:
                    return _ReadFile(path, sha, FileOutcome(path, FileStatus.REFUSED, sha, report.vendor, report.format,
                                                            problems=tuple(problems)))
                copied = copying.result()
                assert copied is not None  # a file already known never gets here
                kept = True
                return _ReadFile(path, sha, None, report.format, report.vendor or vendor, tuple(problems), pending,
                                 Path(copied), parsed if parsed.exists() else None)
        except duckdb.InterruptException:
            if not interrupting.is_set() or ctrl_c.is_set():
                raise  # not (only) the hash thread's: a stop asked for; a Ctrl-C's leaves as KeyboardInterrupt
            sha, done = known.result()
            assert done is not None
            return _ReadFile(path, sha, done)
        except duckdb.Error as error:  # the summary pass is the first to read all of a parquet file
            failure = read_failure(path, error)
            if failure is None:
                raise
            sha, done = known.result()
            return _ReadFile(path, sha, done or FileOutcome(path, FileStatus.REFUSED, sha, problems=(failure,)))
        finally:
            if not kept:
                stop.set()
                pending.unlink(missing_ok=True)
                parsed.unlink(missing_ok=True)
                if copying is not None:
                    _discard(copying)


@contextlib.contextmanager
def _reporting(con: duckdb.DuckDBPyConnection, name: str, progress: Callable[[str], None] | None) -> Iterator[None]:
    """While the block runs, tell `progress` how far DuckDB's current query is, every half second."""
    if progress is None:
        yield
        return
    con.execute("SET enable_progress_bar = true")  # DuckDB tracks progress for query_progress()...
    con.execute("SET enable_progress_bar_print = false")  # ...without printing a bar of its own
    con.execute("SET progress_bar_time = 0")
    done = threading.Event()

    def poll() -> None:
        passes, last = 1, 0.0
        while not done.wait(0.5):
            percent = con.query_progress()
            if percent < 0:
                continue
            if percent < last - 20:  # a new query: the second pass, over a CSV's or JSONL's parse
                passes += 1
            last = percent
            progress(f"{name}: {'' if passes == 1 else f'pass {passes}, '}{percent:.0f}%")

    poller = threading.Thread(target=poll, name="import-progress", daemon=True)
    poller.start()
    try:
        yield
    finally:
        done.set()
        poller.join()


def _commit(ws: Workspace, read: _ReadFile, vendor: str | None, today: dt.date,
            given: dict[tuple[str, str, str], str], accept_smaller: bool = False) -> FileOutcome:
    """Store what `_read_file` found (or say why not); its temporary files are gone afterwards.
    `given`: the reports of the files given before it in the same import, (vendor, billing
    account, period) -> file name; this file's are added once it is stored (or known)."""
    try:
        if read.outcome is not None:
            outcome = read.outcome
        # the same content as a file stored since it was read (earlier in the same import)
        elif (again := _already_imported(ws, read.path, read.sha256)) is not None:
            outcome = again
        else:
            with bounded_duckdb(ws.usage_dir) as con:
                outcome = _store_report(
                    ws, con, read.summary, path=read.path, sha256=read.sha256,  # type: ignore[arg-type]
                    format=read.format, vendor=read.vendor, today=today, problems=list(read.problems),
                    source=read.source, parsed=read.parsed, read_as=vendor, given=given,
                    accept_smaller=accept_smaller)
    finally:
        read.discard()
    if outcome.status is not FileStatus.REFUSED and outcome.sha256:
        with ws.session() as session:
            for key in session.execute(select(VendorReport.vendor, VendorReport.billing_account_id,
                                              VendorReport.billing_period).where(VendorReport.sha256 == outcome.sha256)):
                given.setdefault(tuple(key), outcome.path.name)  # type: ignore[arg-type]
    return outcome


def _read_at(root: str, path: str, vendor: str | None, owner: Owner) -> _ReadFile:
    """`_read_file` on a Dask worker: the workspace opened by its path; what it writes belongs to
    `owner`, the process that stores it (a worker that dies after reading leaves files that stay
    until that process is gone)."""
    from workbench.billing.store.workspace import open_workspace

    ws = open_workspace(Path(root))
    try:
        return _read_file(ws, Path(path), vendor, owner=owner)
    finally:
        ws.close()


def _import_on_dask(scheduler: object, ws: Workspace, paths: Sequence[Path], vendor: str | None,
                    today: dt.date, tell: Progress, given: dict[tuple[str, str, str], str],
                    accept_smaller: bool) -> list[FileOutcome]:
    """Every file read on the cluster at once; each stored here, in the order given, once read."""
    from distributed import Client

    own = not isinstance(scheduler, Client)
    client = Client(str(scheduler), set_as_default=False) if own else scheduler
    run = uuid.uuid4().hex[:8]
    futures = [client.submit(_read_at, str(ws.root.resolve()), str(path.resolve()), vendor,  # type: ignore[attr-defined]
                             this_process(), key=f"import-{i}-{run}", pure=False) for i, path in enumerate(paths)]
    outcomes: list[FileOutcome] = []
    try:
        for path, future in zip(paths, futures):
            try:
                read = future.result()
            except Exception as exc:  # the worker died or could not reach the file or the workspace
                outcomes.append(FileOutcome(path, FileStatus.REFUSED, problems=(Problem(
                    "import-failed", f"the Dask worker reading it failed: {type(exc).__name__}: {exc}", file=path.name,
                    fix="check that the workers reach the file and the workspace at the same paths; import it again"),)))
            else:
                outcomes.append(_commit(ws, read, vendor, today, given, accept_smaller))
            tell(len(outcomes), len(paths), f"{path.name}: {outcomes[-1].status.value}")
    finally:
        for future in futures[len(outcomes):]:  # stopped early: what the rest wrote is not kept
            with contextlib.suppress(Exception):
                future.result().discard()
        if own:
            client.close()  # type: ignore[attr-defined]
    return outcomes


def _look_up(ws: Workspace, path: Path, con: duckdb.DuckDBPyConnection,
             interrupting: threading.Event, stop: threading.Event) -> tuple[str, FileOutcome | None]:
    """The file's sha256, and its outcome when that is already known (imported before:
    unchanged; unreadable: refused), in which case DuckDB's work on it is interrupted (after
    `interrupting` is set: an interrupt without it is someone else's, to be raised). Raises
    `Stopped` when `stop` is set before the file is hashed."""
    try:
        sha = file_sha256(path, stop)
    except OSError as exc:
        done: FileOutcome | None = FileOutcome(path, FileStatus.REFUSED, problems=(
            Problem("unreadable-file", f"cannot read {path}: {exc.strerror}", file=path.name, fix="check the path"),
        ))
        sha = ""
    else:
        done = _already_imported(ws, path, sha)
    if done is not None:
        interrupting.set()
        con.interrupt()
    return sha, done


_FLAG_COUNTS = {"__suspect": "count(*) FILTER (WHERE __suspect)", "__rounded": "count(*) FILTER (WHERE __rounded)"}
# The same counts of a folded file: a group's rows are all flagged when its other columns are, else
# those its measures flag (`readers.fold`)
_FOLDED_FLAG_COUNTS = {"__suspect": "sum(CASE WHEN c.__suspect THEN f.row_count ELSE f.__suspect END)",
                       "__rounded": "sum(f.__rounded)"}


def _summarise_checked(con: duckdb.DuckDBPyConnection, report: OpenReport, target: Path, problems: list[Problem],
                       name: str) -> bool:
    """Write the summary of the report's rows to `target`, counting the reader's row flags in the
    same pass (folded when its format allows: `readers.fold`); add the row problems when any is
    set. True when the file must be refused, and then the file's refusals of a whole month (two
    currencies, two payers) are added too, read off the same summary: a re-export fixes them all
    at once, not one a try."""
    try:
        if report.fold is not None:
            con.execute(f"CREATE OR REPLACE TEMP TABLE __wb_groups AS {fold_groups_select(report.fold)}")
            summary = folded_summary_select(report.fold, "__wb_groups", _FOLDED_FLAG_COUNTS)
        else:
            summary = summary_select(report.flagged_select or report.select or "", _FLAG_COUNTS)
        con.execute(f"CREATE OR REPLACE TEMP TABLE __wb_summary AS {summary}")
    finally:
        con.execute("DROP TABLE IF EXISTS __wb_groups")
    try:
        found = con.execute("SELECT coalesce(sum(__suspect), 0) + coalesce(sum(__rounded), 0), "
                            "list(DISTINCT currency) FILTER (WHERE currency IS NOT NULL), "
                            f"coalesce(bool_or({BAD_AWS_ACCOUNT_SQL}), FALSE) FROM __wb_summary").fetchone()
        assert found is not None
        flagged, currencies, bad_ids = found  # ids checked on the summary's keys (`readers.staging.row_flags`)
        if flagged or bad_ids or any(not is_known_currency(c) for c in currencies or []):
            problems += report.row_problems()
            if errors(problems):
                problems += _month_refusals(con, "__wb_summary", name, problems)
                return True
        columns = ", ".join(name for name, _, _ in SUMMARY_COLUMNS)
        copy_parquet(con, f"SELECT {columns} FROM __wb_summary", target)
        return False
    finally:
        con.execute("DROP TABLE IF EXISTS __wb_summary")


def _month_refusals(con: duckdb.DuckDBPyConnection, summary: str, name: str, said: list[Problem]) -> list[Problem]:
    """The errors `_summarise` finds in the months of a file refused for its rows (a currency code
    the rows' problems name already is not said again as the month's)."""
    currency_said = any(p.code in ("unknown-currency", "missing-currency") for p in said)
    return [p for p in _summarise(con, summary, name)[1]
            if p.severity is Severity.ERROR and not (currency_said and p.code == "bad-currency")]


def _discard(copying: Future[str | None]) -> None:
    """Remove the pending copy of a source that was not moved into place (refused, failed); a copy
    that failed or was given up has removed its part itself (`_copy_source`)."""
    try:
        pending = copying.result()
    except (OSError, Stopped):
        return
    if pending is not None:
        Path(pending).unlink(missing_ok=True)


def _copy_source(ws: Workspace, path: Path, known: Future[tuple[str, FileOutcome | None]],
                 owner: Owner | None, stop: threading.Event) -> str | None:
    """A new vendor file copied to a temporary name in the usage folder (moved into place later);
    None for a file already known (no copy). Raises `Stopped` when `stop` is set before the copy
    is whole (or before the hash is: the copy waits for it)."""
    if known.result()[1] is not None:
        return None
    pending = pending_path(ws.usage_dir, "source", owner)
    try:
        _copy_file(path, pending, stop)
    except BaseException:  # a full disk, or given up: the part copied goes now, not at the next import's sweep
        with contextlib.suppress(OSError):
            pending.unlink(missing_ok=True)
        raise
    return str(pending)


_COPY_BLOCK = 1 << 23  # 8 MiB: a few milliseconds between looks at `stop`, as fast as one call for the whole file
_SENDFILE = sys.platform.startswith("linux") and hasattr(os, "sendfile")  # between files: Linux only (as shutil)


def _copy_file(source: Path, target: Path, stop: threading.Event) -> None:
    """`source` copied to `target` in blocks, `stop` looked at before each: raises `Stopped` once
    it is set (the part written stays, for the caller to remove). In the kernel (sendfile, as
    `shutil.copyfile`) where it can, else read and written."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        offset = 0
        if _SENDFILE:
            try:
                while not stop.is_set():
                    sent = os.sendfile(dst.fileno(), src.fileno(), offset, _COPY_BLOCK)
                    if sent == 0:
                        return
                    offset += sent
                raise Stopped(str(source))
            except OSError as exc:
                if offset or exc.errno == errno.ENOSPC:
                    raise
                # these two files cannot be copied with sendfile: read and write them below
        block = bytearray(_COPY_BLOCK)
        while not stop.is_set():
            size = src.readinto(block)
            if not size:
                return
            dst.write(memoryview(block)[:size])
    raise Stopped(str(source))


def _already_imported(ws: Workspace, path: Path, sha: str, session: Session | None = None) -> FileOutcome | None:
    if session is None:
        with ws.session() as session:
            return _already_imported(ws, path, sha, session)
    reports = list(session.scalars(select(VendorReport).where(VendorReport.sha256 == sha).order_by(VendorReport.billing_period)))
    if not reports or any(r.superseded_by is not None for r in reports):
        return None  # new, or replaced since: imported again, it becomes the current report again
    return FileOutcome(
        path, FileStatus.UNCHANGED, sha, reports[0].vendor, reports[0].format,
        tuple(r.billing_period for r in reports), sum(r.row_count for r in reports),
        _restore_source(ws, path, reports),
    )


def _restore_source(ws: Workspace, path: Path, reports: Sequence[VendorReport]) -> tuple[Problem, ...]:
    """The same file again, when the workspace lost its kept copy: put the copy back (the rows
    of its periods are written from it when needed)."""
    lost = sorted({r.source_path for r in reports if r.source_path and not (ws.root / r.source_path).is_file()})
    for relative in lost:
        write_atomically(ws.root / relative, lambda tmp: shutil.copyfile(path, tmp))
    return tuple(Problem("source-restored", f"the workspace had lost its copy of this file ({relative}): restored",
                         file=path.name, severity=Severity.WARNING) for relative in lost)


@dataclass(frozen=True, slots=True)
class _PeriodSummary:
    period: str
    rows: int
    cost: object
    billing_account_id: str
    currency: str
    rows_with_invoice_id: int


def store_usage_table(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    path: Path,
    sha256: str,
    format: str,
    vendor: str | None,
    today: dt.date,
    reader_problems: Sequence[Problem] = (),
) -> FileOutcome:
    """Store a canonical usage table of `con` (one vendor file) in the workspace.

    The lower half of `import_reports`, for callers that already hold canonical rows (tests,
    the demo data generator): the file at `path` is only named, not read or kept; the rows are
    written at once, with the summary.
    """
    columns = ", ".join(f"CAST({n} AS {t}) AS {n}" for n, t, _ in COLUMNS)
    ws.usage_dir.mkdir(parents=True, exist_ok=True)
    pending_rows = pending_path(ws.usage_dir, "rows")
    pending = pending_path(ws.usage_dir, "summary")
    try:
        copy_parquet(con, f"SELECT {columns} FROM {table} ORDER BY source_file, source_row", pending_rows)
        copy_parquet(con, summary_select(f"SELECT * FROM read_parquet({sql_text(pending_rows)})"), pending)
        return _store_report(ws, con, pending, path=path, sha256=sha256, format=format, vendor=vendor, today=today,
                             problems=list(reader_problems), pending_rows=pending_rows)
    finally:
        pending.unlink(missing_ok=True)
        pending_rows.unlink(missing_ok=True)


def _store_report(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    pending: Path,
    *,
    path: Path,
    sha256: str,
    format: str,
    vendor: str | None,
    today: dt.date,
    problems: list[Problem],
    source: Path | None = None,
    parsed: Path | None = None,
    read_as: str | None = None,
    pending_rows: Path | None = None,
    given: dict[tuple[str, str, str], str] | None = None,
    accept_smaller: bool = False,
) -> FileOutcome:
    """Check the summary of one vendor file (`pending`, written to a temporary name in the usage
    folder) by period, and move the files into place with the reports' records.

    `source`: the vendor file copied into the usage folder under a temporary name: it is kept,
    and the rows are written from it when needed. `parsed`: the needed columns of a
    CSV or JSONL source, kept beside it until the rows are written. `pending_rows`: the canonical rows,
    written already (`store_usage_table`). `given`: the reports of the files given before it in the
    same import (`_commit`): one of the same key refuses this file (`_given_twice`).
    `accept_smaller`: replace a report even by one of fewer than half its rows (`_shrinking`)."""
    name = path.name
    written: list[Path] = []
    committed = False
    try:
        summary = f"read_parquet({sql_text(pending)})"
        vendors = [v for (v,) in con.execute(f"SELECT DISTINCT coalesce(vendor, '') FROM {summary} ORDER BY 1").fetchall()]
        if not vendors:  # a header and nothing else (a report of a month without usage, or cut short)
            problems.append(Problem(
                "empty-report", "the file has no data rows: nothing to import", file=name,
                fix="check that you picked the right file and that the export covers a period with usage; "
                    "a file still being written may hold only its header so far, so download it again",
            ))
            return FileOutcome(path, FileStatus.REFUSED, sha256, vendor, format, problems=tuple(problems))
        if len(vendors) != 1 or not vendors[0] or (vendor and vendors[0] != vendor):
            found = ", ".join(repr(v) for v in vendors) or "none"
            problems.append(Problem(
                "vendor-mismatch" if vendors else "empty-report",
                f"the file's rows have vendor {found}" + (f", but {vendor} was asked for" if vendor else ""),
                file=name,
                fix="import one vendor per file, and check the vendor you chose",
            ))
            return FileOutcome(path, FileStatus.REFUSED, sha256, vendor, format, problems=tuple(problems))
        vendor = vendors[0]
        summaries, period_problems = _summarise(con, summary, name)
        problems += period_problems
        problems += _given_twice(given or {}, vendor, summaries, name)
        if errors(problems):
            return FileOutcome(path, FileStatus.REFUSED, sha256, vendor, format, problems=tuple(problems))

        replaced: dict[str, list[VendorReport]] = {}
        # Committed at the end of the block; leaving it otherwise rolls back (`close`, fine in any
        # state: `Workspace.session`'s rollback would raise over a Ctrl-C that came after the commit).
        with Session(ws.engine, expire_on_commit=False) as session:
            # One import of a month at a time, from here to the commit (short: the file was read and
            # summarised before). What is current, and the month's invoices, are read under the lock:
            # two imports of one payer's month cannot both supersede the same report and both stay
            # current, nor one land while generation stores drafts priced from the old one.
            lock_usage_months(session, vendor, [s.period for s in summaries])
            again = _already_imported(ws, path, sha256, session)  # the same file, stored meanwhile
            if again is not None:
                return again
            for s in summaries:
                older = _current_reports(session, vendor, s.billing_account_id, s.period, sha256)
                if older:
                    replaced[s.period] = older
                # a new report (another billing account's too) must not change a billed period either
                problems += _lock_problems(ws, session, con, summary, vendor, s.period, older, name)
            if not accept_smaller:
                problems += _shrinking(replaced, summaries, name)
            if errors(problems):
                periods = tuple(s.period for s in summaries)
                return FileOutcome(path, FileStatus.REFUSED, sha256, vendor, format, periods, problems=tuple(problems))
            for s in summaries:  # what storing it changes, for the analyst to check
                problems += _replacement_notes(replaced.get(s.period, []), s, name)
                problems += _overlap_problems(ws, session, con, summary, vendor, s, sha256, name)
            kept: str | None = None
            # `written`: the files this import adds, removed if it is not stored. A file of the same
            # name is there already when this file was imported before and superseded since: it is
            # that report's (the same content), and stays.
            if source is not None:
                target = source_dir(ws, vendor, sha256) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                written += _new(target)
                os.replace(source, target)
                kept = target.relative_to(ws.root).as_posix()
                if parsed is not None:
                    columns = parsed_path(target)
                    written += _new(columns)
                    os.replace(parsed, columns)
            only = len(summaries) == 1
            for s in summaries:
                stored_path = ws.usage_dir / vendor / s.period / f"{sha256[:16]}.parquet"
                written += _new(summary_path(stored_path))
                _place_period(con, pending, summary_path(stored_path), s.period, only=only)
                if pending_rows is not None:
                    written += _new(stored_path)
                    _place_period(con, pending_rows, stored_path, s.period, only=only)
                final = is_final(format=format, vendor=vendor, period=s.period, row_count=s.rows,
                                 rows_with_invoice_id=s.rows_with_invoice_id, today=today)
                fields = dict(
                    sha256=sha256, vendor=vendor, format=format, billing_account_id=s.billing_account_id,
                    billing_period=s.period, file_name=name, stored_path=stored_path.relative_to(ws.root).as_posix(),
                    source_path=kept, read_as=read_as,
                    row_count=s.rows, cost_total=D(s.cost), currency=s.currency, is_final=final,
                )
                # the same file imported before and replaced since: its report is current again
                report = session.scalar(select(VendorReport).where(VendorReport.sha256 == sha256,
                                                                   VendorReport.billing_period == s.period))
                if report is None:
                    report = VendorReport(**fields)
                    session.add(report)
                else:
                    for key, value in fields.items():
                        setattr(report, key, value)
                    report.superseded_by = None
                session.flush()
                for old in replaced.get(s.period, []):
                    old.superseded_by = report.id
                audit.record(session, "report.replace" if replaced.get(s.period) else "report.import", "report",
                             f"{vendor}/{s.period}/{s.billing_account_id}", reason=f"imported {name}",
                             details={"sha256": sha256, "rows": s.rows, "cost": str(s.cost), "currency": s.currency,
                                      "replaces": [o.file_name for o in replaced.get(s.period, [])], "final": final})
                if not final:
                    problems.append(Problem(
                        "preliminary-usage",
                        f"{vendor} usage of {s.period} is not final yet: invoices from it are preliminary",
                        file=name,
                        fix="import the vendor's final report for the month when it is published",
                        severity=Severity.WARNING,
                    ))
            session.commit()
            committed = True
    except BaseException:
        # The placed files go only with a report that was not stored: once the commit is through
        # they are the stored report's (a Ctrl-C there, or an error raised on its way back out of
        # the commit, must not leave a current report without its files).
        if not committed and not _stored_now(ws, sha256, vendor, [s.period for s in summaries] if written else []):
            for stored_path in written:
                stored_path.unlink(missing_ok=True)
            if vendor:
                with contextlib.suppress(OSError):
                    source_dir(ws, vendor, sha256).rmdir()  # this file's own folder, when empty
        raise
    status = FileStatus.REPLACED if replaced else FileStatus.IMPORTED
    return FileOutcome(path, status, sha256, vendor, format, tuple(s.period for s in summaries),
                       sum(s.rows for s in summaries), tuple(problems))


def _new(path: Path) -> list[Path]:
    """[path] when no file is there yet (this import adds it), else [] (another report's)."""
    return [] if path.exists() else [path]


def _stored_now(ws: Workspace, sha256: str, vendor: str | None, periods: Sequence[str]) -> bool:
    """Whether the database holds this file's reports, current, for every one of `periods`: its
    commit went through although `_store_report` did not see it return. False when it cannot
    say (the database is gone: its commit is what failed)."""
    if not periods or not vendor:
        return False
    try:
        with ws.session() as session:
            current = set(session.scalars(select(VendorReport.billing_period).where(
                VendorReport.sha256 == sha256, VendorReport.vendor == vendor,
                VendorReport.billing_period.in_(sorted(set(periods))), VendorReport.superseded_by.is_(None))))
    except Exception:  # noqa: BLE001 - the error that stopped the import is the one to raise
        return False
    return current == set(periods)


def _summarise(con: duckdb.DuckDBPyConnection, summary: str, name: str) -> tuple[list[_PeriodSummary], list[Problem]]:
    rows = con.execute(
        f"""
        SELECT billing_period, sum(row_count), coalesce(sum(billed_cost), 0),
               list(DISTINCT coalesce(billing_account_id, '') ORDER BY coalesce(billing_account_id, '')),
               list(DISTINCT coalesce(currency, '') ORDER BY coalesce(currency, '')),
               sum(invoice_rows), min(first_row), min(first_usage_start), max(last_usage_start)
        FROM {summary} GROUP BY billing_period ORDER BY billing_period
        """
    ).fetchall()
    problems: list[Problem] = []
    summaries: list[_PeriodSummary] = []
    if not rows:
        problems.append(Problem("empty-report", "the file has no usage rows", file=name, fix="check that the export covers a period with usage"))
    for period, count, cost, accounts, currencies, with_invoice, first_row, earliest, latest in rows:
        if period is None or not PERIOD_RE.match(period):
            problems.append(Problem("bad-period", f"billing period {period!r} is not a month", file=name, row=first_row,
                                    fix="the reader must give billing_period as YYYY-MM; report this file"))
            continue
        if len(accounts) != 1:
            problems.append(Problem("several-billing-accounts",
                                    f"{period} holds {len(accounts)} billing accounts: "
                                    f"{_where_each(con, summary, period, 'billing_account_id', str)}",
                                    file=name, fix="export one file per billing (payer) account"))
        if len(currencies) != 1 or not is_known_currency(currencies[0]):
            problems.append(Problem("bad-currency", f"{period} is billed in {_where_each(con, summary, period, 'currency', repr)}",
                                    file=name, fix="export one file per billing currency, with ISO 4217 codes"))
        problems += _dated_outside(period, earliest, latest, name)
        summaries.append(_PeriodSummary(period, int(count), cost, accounts[0], currencies[0], int(with_invoice)))
    return summaries, problems


def _where_each(con: duckdb.DuckDBPyConnection, summary: str, period: str, column: str,
                shown: Callable[[str], str]) -> str:
    """"'USD' (1,679 rows), 'EUR' (1 row: row 5)": each value of `column` in the month, the most
    rows first, and where the others' rows begin (the stray rows to look at)."""
    found = con.execute(f"SELECT coalesce({column}, ''), sum(row_count), min(first_row) FROM {summary} "
                        "WHERE billing_period = ? GROUP BY 1 ORDER BY 2 DESC, 1", [period]).fetchall()
    (value, count, _), *others = found
    said = [f"{shown(value)} ({count:,} row{'' if count == 1 else 's'})"]
    said += [f"{shown(v)} (1 row: row {first})" if n == 1 else f"{shown(v)} ({n:,} rows from row {first})"
             for v, n, first in others]
    return ", ".join(said)


# Usage a vendor bills in a month may start a little before it (Google bills late-arriving usage
# in the month it is processed); weeks before it, or after the month, is a row out of place.
_EARLY_USAGE = dt.timedelta(days=7)


def _given_twice(given: dict[tuple[str, str, str], str], vendor: str, summaries: Sequence[_PeriodSummary],
                 name: str) -> list[Problem]:
    """An error for each period of this file whose report a file given before it in the same
    import is: a report is one file, and the later one would replace the earlier. Two such files
    in one import are seldom a correction: more often the numbered parts of one large export
    (AWS splits a big CUR into parts, BigQuery an export into shards), of which only the last
    would be billed, or two downloads of one month side by side."""
    problems = []
    for s in summaries:
        earlier = given.get((vendor, s.billing_account_id, s.period))
        if earlier is not None:
            problems.append(Problem(
                "same-report-twice",
                f"{earlier}, given before it in this import, is {vendor} billing account {s.billing_account_id}'s "
                f"report for {s.period} too: a report is one file, so this one would replace it",
                file=name,
                fix=f"if the two are parts of one export, join them into one file and import that (it replaces "
                    f"{earlier}); if this file corrects {earlier}, import it on its own",
            ))
    return problems


def _dated_outside(period: str, earliest: dt.datetime | None, latest: dt.datetime | None, name: str) -> list[Problem]:
    """A warning when a period's usage is dated well outside it: a stray row of another month, or
    a date read the wrong way round (3/11 for 11/3), billed in this month without a word."""
    start, end = month_bounds(period)
    first = dt.datetime.combine(start, dt.time.min)
    after = dt.datetime.combine(end, dt.time.min)
    if earliest is None or latest is None or (earliest >= first - _EARLY_USAGE and latest < after):
        return []
    return [Problem(
        "usage-outside-period",
        f"usage billed in {period} is dated {earliest:%Y-%m-%d} to {latest:%Y-%m-%d}: some rows lie outside the month",
        file=name, severity=Severity.WARNING,
        fix="check the usage dates of this file (a row of another month, or a day and month the wrong way round); "
            "the rows are billed in the month their billing period says")]


def _current_reports(session: Session, vendor: str, account: str, period: str, sha: str) -> list[VendorReport]:
    query = select(VendorReport).where(
        VendorReport.vendor == vendor,
        VendorReport.billing_account_id == account,
        VendorReport.billing_period == period,
        VendorReport.superseded_by.is_(None),
        VendorReport.sha256 != sha,
    )
    return list(session.scalars(query))


def _size(report: VendorReport | _PeriodSummary) -> str:
    """"1,680 rows, 14,243.90 USD": a stored report's or a file's period, as replacements name them."""
    if isinstance(report, VendorReport):
        return f"{report.row_count:,} rows, {Money(report.cost_total, report.currency)}"
    return f"{report.rows:,} rows, {Money(D(report.cost), report.currency)}"


def _replacement_notes(older: list[VendorReport], new: _PeriodSummary, name: str) -> list[Problem]:
    """What a replacement takes out of use, beside what it brings: a file with a stray row of
    another month replaces that month's whole report, and this is where the analyst sees it. The
    costs read as every shown amount (rounded, grouped, with the code); `workbench reports --all
    --json` has both files' exact totals."""
    return [Problem(
        "report-replaced",
        f"replaces {old.file_name} for {new.period}: {_size(old)} -> {_size(new)} in this file",
        file=name, severity=Severity.WARNING,
        fix=f"if this file was not meant to replace it, import {old.file_name} again: it becomes current again",
    ) for old in older]


def _shrinking(replaced: dict[str, list[VendorReport]], summaries: Sequence[_PeriodSummary],
               name: str) -> list[Problem]:
    """An error for each period whose report this file would replace with fewer than half its
    rows. A vendor's corrected or later report of a month holds about as many rows, or more; a
    much smaller one is part of the month: an export of a few days, one part of a split export,
    or a stray row of another month, which would replace that month's whole report."""
    problems = []
    for s in summaries:
        older = replaced.get(s.period, [])
        rows = sum(old.row_count for old in older)
        if older and s.rows * 2 < rows:
            was = ", ".join(f"{old.file_name} ({_size(old)})" for old in older)
            problems.append(Problem(
                "replacement-shrinks",
                f"would replace {was} for {s.period} with {_size(s)}: "
                "fewer than half the rows, which looks like part of the month",
                file=name,
                fix="check that the file covers the whole month (a partial export, one part of a split export, or "
                    f"a stray row of {s.period} in another month's file); if it really replaces the month's report, "
                    "import it again with --accept-smaller",
            ))
    return problems


def _accounts_in(con: duckdb.DuckDBPyConnection, summary: str, period: str) -> set[str]:
    """The sub-accounts of `period` in the summary being imported."""
    return {a for (a,) in con.execute(
        f"SELECT DISTINCT sub_account_id FROM {summary} WHERE billing_period = ? AND sub_account_id IS NOT NULL", [period]
    ).fetchall()}


def _stored_accounts(ws: Workspace, con: duckdb.DuckDBPyConnection, reports: Sequence[VendorReport]) -> set[str]:
    """The sub-accounts of stored reports, from their summaries."""
    files = [str(f) for f in summary_files(ws, reports)]
    if not files:
        return set()
    return {a for (a,) in con.execute(
        "SELECT DISTINCT sub_account_id FROM read_parquet($files) WHERE sub_account_id IS NOT NULL", {"files": files}
    ).fetchall()}


def _overlap_problems(
    ws: Workspace, session: Session, con: duckdb.DuckDBPyConnection, summary: str, vendor: str,
    new: _PeriodSummary, sha256: str, name: str,
) -> list[Problem]:
    """Accounts of this file's period that a current report of ANOTHER billing account already
    has: both reports would be billed, the account's usage twice (the same bill exported twice,
    say as CUR and as FOCUS without its BillingAccountId). A warning: an account that moved
    between billing accounts within the month is real, and its usage is in both."""
    others = list(session.scalars(select(VendorReport).where(
        VendorReport.vendor == vendor, VendorReport.billing_period == new.period, VendorReport.superseded_by.is_(None),
        VendorReport.billing_account_id != new.billing_account_id, VendorReport.sha256 != sha256)))
    if not others:
        return []
    mine = _accounts_in(con, summary, new.period)
    problems: list[Problem] = []
    for other in others:
        both = sorted(mine & _stored_accounts(ws, con, [other]))
        if both:
            shown = ", ".join(both[:5]) + (f" and {len(both) - 5} more" if len(both) > 5 else "")
            problems.append(Problem(
                "account-in-two-reports",
                f"{len(both)} account(s) with {new.period} usage here already have usage in {other.file_name} "
                f"(billing account {other.billing_account_id or 'none given'}): {shown}; both are billed",
                file=name, severity=Severity.WARNING,
                fix="if both files are exports of the same bill, keep one: delete this file's drafts and import "
                    "the other again; if the accounts moved between billing accounts this month, nothing to do"))
    return problems


def _lock_problems(
    ws: Workspace, session: Session, con: duckdb.DuckDBPyConnection, summary: str, vendor: str,
    period: str, older: list[VendorReport], name: str,
) -> list[Problem]:
    """Replacing a period's usage, or adding a report to it (another billing account's), is
    refused while any customer with usage in it (old or new report) has invoices for it."""
    if session.scalar(select(PeriodLock.vendor).where(PeriodLock.vendor == vendor).limit(1)) is None:
        return []  # nothing of this vendor is billed yet
    customers: set[str] = set()
    for chunk in chunks(_accounts_in(con, summary, period) | _stored_accounts(ws, con, older)):
        customers |= set(session.scalars(select(Account.customer_id).where(
            Account.vendor == vendor, Account.account_id.in_(chunk))))
    locks = locks_overlapping(session, vendor, period, customers)
    if not locks:
        return []
    locked = sorted({lk.customer_id for lk in locks})
    names = dict(session.execute(select(Customer.customer_id, Customer.name).where(Customer.customer_id.in_(locked))).all())
    who = few([f"{c} ({names[c]})" if names.get(c) else c for c in locked])
    held = held_by(session, locks)
    change = "its usage cannot be replaced" if older else "no usage can be added to it"
    return [Problem(
        "period-locked",
        f"{vendor} {period} is locked for customer(s) {who} by invoice(s) {invoices_text(held)}; {change}",
        file=name,
        customer_id=locked[0] if len(locked) == 1 else None,
        fix=final_fix(held) or f"{unlock_steps(held)} first, then import again",
    )]


def _place_period(con: duckdb.DuckDBPyConnection, pending: Path, final: Path, period: str, *, only: bool) -> Path:
    """Put one period of `pending` (summary or rows, parquet) at `final`: the pending file itself
    when it holds only that period, else a copy of the period's rows (temporary name, rename)."""
    if only:
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(pending, final)
    else:
        write_period(con, pending, period, final)
    return final
