"""A workspace: one directory holding everything an analyst works on.

    DIR/
      workspace.json   marker: {"kind": "workbench-workspace", "format_version": 1, ...}
      workbench.db     SQLite database (unless a db_url points elsewhere)
      usage/           canonical usage as parquet: usage/<vendor>/<period>/<sha256[:16]>.parquet
      imports/         free place for the vendor files and table files the analyst brings in
      output/          rendered invoices and exports
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from workbench.atomic_files import write_atomic
from workbench.billing.store.migrate import SchemaUpgradeError, connect_args, upgrade_to_head

MARKER = "workspace.json"
KIND = "workbench-workspace"
FORMAT_VERSION = 1
DB_FILE = "workbench.db"
SUBDIRS = ("usage", "imports", "output")
# The database URL of workspaces kept in a server database (e.g. PostgreSQL), when no db_url
# is passed: it holds a password, so it lives in the environment, never in workspace.json.
DB_URL_ENV = "WORKBENCH_DB_URL"


class WorkspaceError(Exception):
    """The directory is not a workspace, or not one this version can open."""


@dataclass(frozen=True)
class Workspace:
    root: Path
    engine: Engine
    name: str = ""
    # Whether the files derived from a kept vendor file when first needed (`usage_files`: the
    # canonical rows of a detailed export, day summaries) are written into the workspace. A view
    # that must change nothing of it (the dashboards' read-only view) says no: they go to the
    # user's cache, as for a workspace on a read-only share.
    writes_derived_files: ClassVar[bool] = True

    @property
    def usage_dir(self) -> Path:
        return self.root / "usage"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def imports_dir(self) -> Path:
        return self.root / "imports"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()


def init_workspace(path: Path, *, name: str = "", db_url: str | None = None) -> Workspace:
    """Create a workspace in `path` (made if missing, or empty) and migrate its database.

    An existing workspace is opened instead. A non-empty directory that is not a workspace is
    refused, so a typo cannot scatter files into someone's home directory. Without `db_url`,
    the database is the one named by $WORKBENCH_DB_URL if set, else a SQLite file inside.
    """
    root = Path(path).expanduser().resolve()
    if (root / MARKER).exists():
        return open_workspace(root, db_url=db_url)
    db_url = _with_driver(db_url or os.environ.get(DB_URL_ENV) or None)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise WorkspaceError(
            f"{root} is not empty and is not a workspace (no {MARKER}); choose a new or empty directory"
        )
    root.mkdir(parents=True, exist_ok=True)
    for sub in SUBDIRS:
        (root / sub).mkdir(exist_ok=True)
    url = db_url or _sqlite_url(root)
    _upgrade(root, url)
    marker: dict[str, Any] = {
        "kind": KIND,
        "format_version": FORMAT_VERSION,
        "name": name,
        # A server database's URL may hold a password: it is passed on each open, never stored.
        "database": "external" if db_url else DB_FILE,
    }
    write_text_atomic(root / MARKER, json.dumps(marker, indent=2) + "\n")
    return Workspace(root=root, engine=_engine(url), name=name)


def open_workspace(path: Path, *, db_url: str | None = None) -> Workspace:
    """Open a workspace and apply pending database migrations.

    A workspace kept in a server database takes its URL from `db_url` or $WORKBENCH_DB_URL; a
    workspace with its own SQLite file ignores the variable (it must not open other data).
    """
    root = Path(path).expanduser().resolve()
    marker = read_marker(root)
    if marker.get("database") == "external" and not db_url:
        db_url = os.environ.get(DB_URL_ENV) or None
        if not db_url:
            raise WorkspaceError(
                f"{root} keeps its data in an external database: pass its URL with --db URL (or set {DB_URL_ENV}; "
                "in Python, open_workspace(..., db_url=...))"
            )
    if not db_url and not (root / DB_FILE).is_file():
        # never a new empty database in its place: invoice numbers would start again at 00001
        raise WorkspaceError(
            f"{root} is a workspace whose database {DB_FILE} is missing: restore it from your backup or shared "
            "storage (nothing was changed; a new empty one would restart invoice numbering)"
        )
    url = _with_driver(db_url) or _sqlite_url(root)
    _upgrade(root, url)
    for sub in SUBDIRS:
        (root / sub).mkdir(exist_ok=True)
    return Workspace(root=root, engine=_engine(url), name=str(marker.get("name", "")))


def _upgrade(root: Path, url: str) -> None:
    """The database brought to this version's schema (`migrate.upgrade_to_head`: one transaction,
    one process at a time), or a WorkspaceError saying the upgrade failed and what to do."""
    try:
        upgrade_to_head(url)
    except SchemaUpgradeError as exc:
        raise WorkspaceError(f"cannot open {root}: {exc}") from exc


def read_marker(root: Path) -> dict[str, Any]:
    marker_path = root / MARKER
    if not marker_path.is_file():
        raise WorkspaceError(
            f"{root} is not a workspace (no {MARKER}); create one with `workbench init {root}` "
            f"(in Python: init_workspace({str(root)!r}))"
        )
    try:
        marker = json.loads(marker_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"{marker_path} is unreadable: {exc}") from None
    if not isinstance(marker, dict) or marker.get("kind") != KIND:
        raise WorkspaceError(f"{marker_path} is not a workbench workspace marker")
    version = marker.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise WorkspaceError(
            f"{root} has workspace format {version!r}; this workbench reads up to {FORMAT_VERSION}: upgrade workbench"
        )
    return marker


# Where a relative `reseller.logo_file` is looked for, in order. The table import stores the
# name as written in reseller.csv; the analyst keeps table files in the workspace's imports/
# (the demo: imports/tables/), so the folder next to reseller.csv is among these.
LOGO_FOLDERS = (".", "imports", "imports/tables")


def logo_candidates(root: Path, logo: str) -> list[Path]:
    """The places the reseller's logo file is looked for: itself when absolute, else under the
    workspace in LOGO_FOLDERS order (the renderer takes the first that is a file)."""
    path = Path(logo).expanduser()
    return [path] if path.is_absolute() else [root / folder / logo for folder in LOGO_FOLDERS]


def write_text_atomic(path: Path, text: str) -> None:
    """`text` to `path` whole or not at all, with the mode a plain open() gives (`atomic_files`)."""
    write_atomic(path, text)


def _sqlite_url(root: Path) -> str:
    return f"sqlite:///{root / DB_FILE}"


def _with_driver(url: str | None) -> str | None:
    """`postgresql://...` as people write it, with the driver we ship (psycopg 3): SQLAlchemy
    would pick psycopg2, which is not installed."""
    if url is None:
        return None
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _engine(url: str) -> Engine:
    if url.startswith("postgresql"):
        # A notebook kernel keeps its workspace open for hours: a connection the server closed
        # meanwhile (restart, idle timeout) is replaced instead of failing the next click.
        # READ COMMITTED (the default) is what store.locking's row locks are written for.
        engine = create_engine(url, pool_pre_ping=True, isolation_level="READ COMMITTED")
    elif url.startswith("sqlite"):
        # a second analyst waits for the first one's write (up to 30 s, as the upgrade check
        # does: migrate.SQLITE_BUSY_TIMEOUT_S) instead of failing
        engine = create_engine(url, connect_args=connect_args(url))
    else:
        engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        # SQLite ignores foreign keys unless asked, per connection; PostgreSQL always checks them.
        @event.listens_for(engine, "connect")
        def _foreign_keys_on(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine
