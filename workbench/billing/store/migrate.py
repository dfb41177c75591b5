"""Schema migrations of the workspace database, run from code (no alembic.ini at runtime).

The Alembic scripts live in `store/migrations/` inside the package; `alembic_config` points an
`alembic.config.Config` at them and hands the open connection to `env.py` through
`config.attributes`, so the same code migrates SQLite and PostgreSQL.

An upgrade is one transaction, so a process killed in the middle of it leaves the database as
it was: on PostgreSQL DDL is transactional anyway; on SQLite the driver's legacy transaction
control would commit each ALTER TABLE on its own, so the migration engine turns it off and
begins the transaction itself (`_migration_engine`). Two processes opening one workspace at once
upgrade it one after the other (`_one_upgrader`); the second finds it done.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's write lock alone serialises upgrades
    fcntl = None  # type: ignore[assignment]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# How long a SQLite connection waits for another process's write before "database is locked":
# every connection the workspace opens, the upgrade check included (a table import or month end
# may hold the write lock for many seconds).
SQLITE_BUSY_TIMEOUT_S = 30
# the execution option under which the migration engine begins with SQLite's write lock
_WRITE_LOCK = "workbench_write_lock"


class SchemaUpgradeError(Exception):
    """Upgrading the database to this version's schema failed; nothing of the upgrade was kept."""


def connect_args(url: str) -> dict[str, Any]:
    """The driver arguments of every connection to the workspace database at `url`."""
    return {"timeout": SQLITE_BUSY_TIMEOUT_S} if url.startswith("sqlite") else {}


def alembic_config(connection: Connection | None = None, db_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if db_url is not None:
        # ConfigParser treats % as interpolation; URL-escaped passwords contain it.
        config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    """The newest revision of this package's migrations. Read once per process: finding it
    loads and compiles every migration script (~10 ms), and every `open_workspace` asks (a
    month end's kernel opens the workspace once per invoice)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations directory has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(db_url: str) -> None:
    """Apply every pending migration, all in one transaction: a failure or a kill keeps none.

    A private engine without the foreign-key pragma is used, because SQLite batch migrations
    recreate tables and must not trip over references. A database at head is only read (no
    lock is taken, so opening a workspace does not wait for another process's long write);
    otherwise the upgrade runs under the upgrade lock and the database's write lock, and reads
    the revision again under them (another process may have upgraded meanwhile)."""
    engine = _migration_engine(db_url)
    try:
        head = head_revision()
        with engine.connect() as connection:
            if MigrationContext.configure(connection).get_current_revision() == head:
                return
        with _one_upgrader(engine), engine.connect() as connection:
            connection.execution_options(**{_WRITE_LOCK: True})
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    # the PostgreSQL counterpart of the upgrade lock, released with the transaction
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
                found = MigrationContext.configure(connection).get_current_revision()
                if found == head:
                    return
                _upgrade(connection, found, head, engine)
    finally:
        engine.dispose()


def _upgrade(connection: Connection, found: str | None, head: str, engine: Engine) -> None:
    """command.upgrade on the open transaction; a failure is said as what it is."""
    script = ScriptDirectory.from_config(alembic_config())
    where = engine.url.render_as_string(hide_password=True)
    try:
        pending = [s.revision for s in reversed(list(script.iterate_revisions(head, found)))]
    except RevisionError:
        raise SchemaUpgradeError(
            f"the database {where} is at schema revision {found}, which this workbench does not know (it "
            f"knows up to {head}): it was upgraded by a newer workbench; upgrade workbench to open it"
        ) from None
    applied: list[str] = []
    config = alembic_config(connection)
    config.attributes["on_version_apply"] = lambda *, step, **_: applied.append(step.up_revision_id)
    try:
        command.upgrade(config, "head")
    except Exception as exc:
        failed = pending[len(applied)] if len(applied) < len(pending) else head
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise SchemaUpgradeError(
            f"the schema upgrade of {where} from revision {found or '(empty)'} to {head} failed at revision "
            f"{failed}: {reason}. Nothing of the upgrade was kept: the database is still at revision "
            f"{found or '(empty)'}. Restore the database from a backup made before it was damaged (a workbench "
            "before 2026-12 killed during an upgrade could leave it half upgraded), or report this message with "
            "your workbench version; until then every command stops here"
        ) from exc


# pg_advisory_xact_lock takes a bigint: a fixed one derived from a name, the same in every process
_ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"workbench schema upgrade").digest()[:8], "big", signed=True)


@contextlib.contextmanager
def _one_upgrader(engine: Engine) -> Iterator[None]:
    """One process at a time upgrades a SQLite database: an exclusive flock on the folder that
    holds it (the workspace folder; no file is left behind), waited for without a time limit (an
    upgrade of a big database may take longer than the busy timeout). Where the file system has
    no flock for folders (some network mounts), SQLite's own write lock, taken first (BEGIN
    IMMEDIATE) with the revision read under it, is what keeps a second upgrader out."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    try:
        folder = os.open(Path(database).resolve().parent, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # lets go of the flock


def _migration_engine(db_url: str) -> Engine:
    # PostgreSQL: READ COMMITTED whatever the server's default, so that the revision read after the
    # advisory lock sees the upgrade another process committed while we waited (under REPEATABLE
    # READ the snapshot is the lock statement's, taken before the wait: 0006 ran a second time)
    isolation = {"isolation_level": "READ COMMITTED"} if db_url.startswith("postgres") else {}
    engine = create_engine(db_url, poolclass=NullPool, connect_args=connect_args(db_url), **isolation)
    if engine.dialect.name == "sqlite":
        # SQLAlchemy's recipe for transactional DDL on pysqlite before Python 3.12 (its
        # `autocommit=False` needs 3.12): the driver emits no BEGIN (it would not before an
        # ALTER TABLE, which then commits alone), the "begin" hook emits it for every statement.
        @event.listens_for(engine, "connect")
        def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            # the upgrade takes the write lock before it reads the revision it starts from
            immediate = connection.get_execution_options().get(_WRITE_LOCK)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def autogenerate_revision(message: str, db_url: str) -> None:
    """For developers after changing models.py: diff the migrated database `db_url` against the
    models and write a new script into `migrations/versions/` (review it before committing)."""
    upgrade_to_head(db_url)
    engine = _migration_engine(db_url)
    try:
        with engine.begin() as connection:
            command.revision(alembic_config(connection), message=message, autogenerate=True)
    finally:
        engine.dispose()
