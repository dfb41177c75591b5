"""Two imports of one payer's month at once, on SQLite and on PostgreSQL: exactly one report stays
current, so the month is billed once.

An import reads the month's current reports (to supersede them), then writes. Left to chance the
two imports overlap there a few times in a hundred; here the test holds the database's write
side itself (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `LOCK TABLE vendor_reports IN EXCLUSIVE
MODE`, which lets reads through), starts both imports, and lets go only once both are stuck on
a write. Without the import's lock both have read the month by then and both supersede the old
report; with it, the second one reads the month only after the first one's commit.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.pool import NullPool

from workbench.billing.store import models as m
from workbench.billing.store.report_import import FileStatus, ImportOutcome, import_reports
from workbench.billing.store.workspace import Workspace

from db.worked_example import CUR, TODAY

from .conftest import LATER, _cur_with_days
from .race import LIMIT, run_together

PAYER_MONTH = ("aws", "999999999999", "2025-10")


@contextmanager
def writers_waiting(ws: Workspace, importers: list[Workspace]) -> Iterator[Callable[[], bool]]:
    """While the block runs: whether all `importers` are stuck on a write. SQLite cannot show a
    waiting writer, so each importer's engine tells when it sends its first write (its reads
    before it have all been made); PostgreSQL shows its backends waiting on a lock."""
    if ws.engine.dialect.name == "sqlite":
        writers: set[int] = set()

        def note(conn, cursor, statement: str, *args) -> None:  # noqa: ANN001 - SQLAlchemy's event signature
            if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
                writers.add(threading.get_ident())

        for importer in importers:
            event.listen(importer.engine, "before_cursor_execute", note)
        try:
            yield lambda: len(writers) == len(importers)
        finally:
            for importer in importers:
                event.remove(importer.engine, "before_cursor_execute", note)
        return
    engine = create_engine(ws.engine.url, poolclass=NullPool)
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")

    def stuck() -> bool:  # a transaction of its own each time: pg_stat_activity is read once per transaction
        with engine.connect() as watcher:
            return watcher.execute(waiting).scalar() == len(importers)

    try:
        yield stuck
    finally:
        engine.dispose()


@contextmanager
def holding_the_writes(ws: Workspace, importers: list[Workspace]) -> Iterator[Callable[[], bool]]:
    """Hold every write to the workspace's database (reads go on) until the block ends; yields
    whether all `importers` are stuck on a write (`writers_waiting`)."""
    with writers_waiting(ws, importers) as stuck:
        if ws.engine.dialect.name == "sqlite":
            holder = sqlite3.connect(ws.engine.url.database, timeout=LIMIT, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            try:
                yield stuck
            finally:
                holder.execute("COMMIT")
                holder.close()
            return
        engine = create_engine(ws.engine.url, poolclass=NullPool)
        with engine.connect() as holder:
            holder.execute(text("LOCK TABLE vendor_reports IN EXCLUSIVE MODE"))
            try:
                yield stuck
            finally:
                holder.commit()
        engine.dispose()


def _import_both_at_once(ws: Workspace, second: Workspace, files: tuple[Path, Path]) -> list[ImportOutcome]:
    importers = [ws, second]
    results: list[list[ImportOutcome]] = []
    failed: list[BaseException] = []

    def both() -> None:
        try:
            results.append(run_together(*(lambda w=w, f=f: import_reports(w, [f]) for w, f in zip(importers, files))))
        except BaseException as exc:  # noqa: BLE001 - raised in the test's thread below
            failed.append(exc)

    with holding_the_writes(ws, importers) as both_stuck:
        runner = threading.Thread(target=both)
        runner.start()
        deadline = time.monotonic() + LIMIT
        while not both_stuck() and runner.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
    runner.join(timeout=LIMIT)
    if failed:
        raise failed[0]
    return results[0]


def _current(ws: Workspace) -> list[tuple[int, str]]:
    vendor, payer, month = PAYER_MONTH
    with ws.session() as session:
        return [(r.id, r.file_name) for r in session.scalars(select(m.VendorReport).where(
            m.VendorReport.vendor == vendor, m.VendorReport.billing_account_id == payer,
            m.VendorReport.billing_period == month, m.VendorReport.superseded_by.is_(None)))]


def test_two_files_of_one_payers_month_imported_at_once_leave_one_current(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace], tmp_path: Path,
) -> None:
    """October is imported (cur-2025-10.csv); two analysts import a corrected file each at the
    same moment. Both replace something, and exactly one file prices October: the one stored
    last, which superseded the one stored first."""
    morning, noon = tmp_path / "cur-2025-10-morning.csv", tmp_path / "cur-2025-10-noon.csv"
    morning.write_text(_cur_with_days(CUR, []))
    noon.write_text(_cur_with_days(CUR, [{**row, "cost": "2.50"} for row in LATER]))
    outcomes = _import_both_at_once(october, second_analyst(october), (morning, noon))
    assert sorted(o.files[0].status for o in outcomes) == [FileStatus.REPLACED, FileStatus.REPLACED]
    [(_, last)] = _current(october)
    first = noon.name if last == morning.name else morning.name
    with october.session() as session:
        ids = dict(session.execute(select(m.VendorReport.file_name, m.VendorReport.id)).all())
        superseded_by = dict(session.execute(select(m.VendorReport.file_name, m.VendorReport.superseded_by)).all())
    assert superseded_by == {"cur-2025-10.csv": ids[first], first: ids[last], last: None}


def test_the_same_file_imported_twice_at_once_is_stored_once(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace], tmp_path: Path,
) -> None:
    corrected = tmp_path / "cur-2025-10-corrected.csv"
    corrected.write_text(_cur_with_days(CUR, []))
    outcomes = _import_both_at_once(october, second_analyst(october), (corrected, corrected))
    assert sorted(o.files[0].status.value for o in outcomes) == ["replaced", "unchanged"]
    assert [name for _, name in _current(october)] == [corrected.name]


@pytest.fixture(autouse=True)
def _no_leftover_pending_files(october: Workspace) -> Iterator[None]:
    yield
    assert not list(october.usage_dir.glob(".wb-*")), "an import left a temporary file behind"


def test_an_import_while_generation_stores_waits_and_is_refused(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace], tmp_path: Path,
) -> None:
    """Generation stores Beta's October draft (its `progress` is called under the lock, as each
    draft is figured); a corrected October file is imported right then. The import waits for the
    draft to commit, then finds October billed for Beta and is refused: the draft and the month's
    report agree. Without the months' lock (shared by generation), the import committed its file
    beside the uncommitted draft, which then billed a report no longer current."""
    from workbench.billing.core.invoice import InvoiceOptions
    from workbench.billing.core.periods import given_month
    from workbench.billing.generate import generate_invoices

    corrected = tmp_path / "cur-2025-10-corrected.csv"
    corrected.write_text(_cur_with_days(CUR, [{**row, "cost": "2.50"} for row in LATER]))
    other = second_analyst(october)
    imported: list[ImportOutcome] = []
    threads: list[threading.Thread] = []

    def import_while_storing(done: int, total: int, customer_id: str) -> None:
        with writers_waiting(october, [other]) as stuck:
            importer = threading.Thread(target=lambda: imported.append(import_reports(other, [corrected])))
            importer.start()
            threads.append(importer)
            deadline = time.monotonic() + LIMIT
            while importer.is_alive() and not stuck() and time.monotonic() < deadline:
                time.sleep(0.01)

    result = generate_invoices(october, "aws", given_month("2025-10"), ["100002"], InvoiceOptions(),
                               today=TODAY, progress=import_while_storing)
    [importer] = threads
    importer.join(timeout=LIMIT)
    assert len(result.invoices) == 1
    [outcome] = imported[0].files
    assert outcome.status is FileStatus.REFUSED
    assert [p.code for p in outcome.problems] == ["period-locked"]
    assert [name for _, name in _current(october)] == ["cur-2025-10.csv"]
