"""Opening a workspace upgrades its database in one transaction, one process at a time.

A workspace of revision 0005 (one customer) is opened by real processes that stop right after the
N-th ALTER TABLE of the upgrade (0006 adds five columns to invoices, 0007 one to credit_entries)
and wait there: the test kills them (SIGKILL), or lets them go on while a second process opens
the same workspace.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from workbench.billing.store.migrate import alembic_config, head_revision
from workbench.billing.store.workspace import DB_FILE, WorkspaceError, init_workspace, open_workspace

# Opens the workspace argv[1]; with argv[2] = N, stops after the N-th ALTER TABLE of the upgrade,
# says "paused" and waits for a line on stdin. Prints "opened" when done.
OPENER = r"""
import sys
from pathlib import Path
from sqlalchemy import event
from sqlalchemy.engine import Engine
from workbench.billing.store.workspace import open_workspace

stop_after = int(sys.argv[2]) if len(sys.argv) > 2 else 0
altered = 0

@event.listens_for(Engine, "after_cursor_execute")
def _pause(conn, cursor, statement, parameters, context, executemany):
    global altered
    if statement.lstrip().upper().startswith("ALTER TABLE"):
        altered += 1
        if altered == stop_after:
            print("paused", statement.split("ADD COLUMN")[-1].split()[0], flush=True)
            sys.stdin.readline()

print("ready", flush=True)
open_workspace(Path(sys.argv[1])).close()
print("opened", flush=True)
"""


@pytest.fixture
def workspace_at_0005(tmp_path: Path) -> Path:
    """A workspace whose database is at revision 0005, with customer 100001 in it."""
    root = tmp_path / "ws"
    init_workspace(root).close()
    db = root / DB_FILE
    db.unlink()
    engine = create_engine(f"sqlite:///{db}", poolclass=NullPool)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
    engine.dispose()
    with sqlite3.connect(db) as con:
        con.execute("INSERT INTO customers (customer_id, name, contact_name, contact_email, billing_address, "
                    "tax_jurisdiction) VALUES ('100001', 'Acme Corp', 'Ann Smith', 'ann@acme.example', "
                    "'1 Main St', 'CA-QC')")
    con.close()
    return root


def schema(root: Path) -> tuple[str, list[str], list[str], list[tuple[str, str]]]:
    """Revision, invoices' and credit_entries' new columns, customers: read by plain sqlite3."""
    con = sqlite3.connect(root / DB_FILE)
    try:
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        invoices = [r[1] for r in con.execute("PRAGMA table_info(invoices)")
                    if r[1] in ("tax_jurisdiction", "tax_rates", "priced_from", "bill_to", "issued_by")]
        credits = [r[1] for r in con.execute("PRAGMA table_info(credit_entries)") if r[1] == "fx_rate"]
        customers = con.execute("SELECT customer_id, name FROM customers").fetchall()
        return revision, invoices, credits, customers
    finally:
        con.close()


class Opener:
    """A real process opening the workspace, stopped after its `stop_after`-th ALTER TABLE."""

    def __init__(self, root: Path, stop_after: int = 0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", OPENER, str(root), str(stop_after)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def said(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        assert line, f"the opener ended: {self.proc.wait()} {self.proc.stderr.read() if self.proc.stderr else ''}"
        return line

    def go_on(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def finish(self) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.communicate()


@pytest.fixture
def openers() -> Iterator[list[Opener]]:
    started: list[Opener] = []
    yield started
    for opener in started:
        if opener.proc.poll() is None:
            opener.kill()


@pytest.mark.parametrize(("stop_after", "column"), [(1, "tax_jurisdiction"), (3, "priced_from"), (6, "fx_rate")])
def test_a_process_killed_in_the_middle_of_the_upgrade_leaves_the_database_as_it_was(
    workspace_at_0005: Path, openers: list[Opener], stop_after: int, column: str,
) -> None:
    opener = Opener(workspace_at_0005, stop_after)
    openers.append(opener)
    assert opener.said() == "ready"
    assert opener.said() == f"paused {column}"  # 6: 0006 is applied, 0007 is half-way
    opener.kill()

    assert schema(workspace_at_0005) == ("0005", [], [], [("100001", "Acme Corp")])
    ws = open_workspace(workspace_at_0005)  # the next open upgrades it cleanly
    ws.close()
    assert schema(workspace_at_0005) == (
        head_revision(), ["tax_jurisdiction", "tax_rates", "priced_from", "bill_to", "issued_by"], ["fx_rate"],
        [("100001", "Acme Corp")])


def test_two_processes_opening_a_workspace_at_once_upgrade_it_one_after_the_other(
    workspace_at_0005: Path, openers: list[Opener],
) -> None:
    first = Opener(workspace_at_0005, stop_after=2)
    openers.append(first)
    assert first.said() == "ready"
    assert first.said() == "paused tax_rates"
    second = Opener(workspace_at_0005)
    openers.append(second)
    assert second.said() == "ready"
    with pytest.raises(subprocess.TimeoutExpired):  # it waits for the first one's upgrade
        second.proc.wait(timeout=3)

    first.go_on()
    assert first.finish()[:2] == (0, "opened\n")
    rc, out, err = second.finish()
    assert (rc, out) == (0, "opened\n"), err
    assert schema(workspace_at_0005)[:3] == (
        head_revision(), ["tax_jurisdiction", "tax_rates", "priced_from", "bill_to", "issued_by"], ["fx_rate"])


def test_an_upgrade_that_fails_says_so_and_what_to_do(workspace_at_0005: Path) -> None:
    """A database that an older workbench left half-upgraded (0006's first column is there, the
    revision still says 0005): the error names the upgrade and its revision, not the URL."""
    with sqlite3.connect(workspace_at_0005 / DB_FILE) as con:
        con.execute("ALTER TABLE invoices ADD COLUMN tax_jurisdiction VARCHAR(64)")
    con.close()

    with pytest.raises(WorkspaceError) as refused:
        open_workspace(workspace_at_0005)
    message = str(refused.value)
    assert f"the schema upgrade of sqlite:///{workspace_at_0005 / DB_FILE} from revision 0005 to {head_revision()} " \
           "failed at revision 0006: duplicate column name: tax_jurisdiction" in message
    assert "Nothing of the upgrade was kept: the database is still at revision 0005. Restore the database from " \
           "a backup" in message and "or report this message" in message and "URL" not in message
    assert schema(workspace_at_0005) == ("0005", ["tax_jurisdiction"], [], [("100001", "Acme Corp")])


def test_a_database_a_newer_workbench_upgraded_is_refused_saying_so(workspace_at_0005: Path) -> None:
    with sqlite3.connect(workspace_at_0005 / DB_FILE) as con:
        con.execute("UPDATE alembic_version SET version_num = '0099'")
    con.close()

    with pytest.raises(WorkspaceError, match="is at schema revision 0099, which this workbench does not know .it "
                                             f"knows up to {head_revision()}.: it was upgraded by a newer workbench; "
                                             "upgrade workbench to open it"):
        open_workspace(workspace_at_0005)
    assert schema(workspace_at_0005)[0] == "0099"


def test_the_upgrade_check_waits_for_another_process_s_write_as_long_as_every_connection(
    workspace_at_0005: Path,
) -> None:
    """SQLite's default busy timeout is 5 s; the workspace's connections wait 30 s. A process
    holding the write lock for 7 s (a large table import) delays an open, and does not fail it."""
    root = workspace_at_0005
    open_workspace(root).close()  # at head: opening only reads the revision
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         f"con = sqlite3.connect({str(root / DB_FILE)!r}, isolation_level=None)\n"
         "con.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(7); con.execute('COMMIT')"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        started = time.monotonic()
        open_workspace(root).close()
        assert time.monotonic() - started > 5
    finally:
        holder.communicate(timeout=60)
