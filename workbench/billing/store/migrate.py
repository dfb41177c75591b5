"""Schema migrations of the workspace database, run from code (no alembic.ini at runtime).

The Alembic scripts live in `store/migrations/` inside the package; `alembic_config` points an
`alembic.config.Config` at them and hands the open connection to `env.py` through
`config.attributes`, so the same code migrates SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None, db_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if db_url is not None:
        # ConfigParser treats % as interpolation; URL-escaped passwords contain it.
        config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations directory has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(db_url: str) -> None:
    """Apply every pending migration. A private engine without the foreign-key pragma is used,
    because SQLite batch migrations recreate tables and must not trip over references."""
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()


def autogenerate_revision(message: str, db_url: str) -> None:
    """For developers after changing models.py: diff the migrated database `db_url` against the
    models and write a new script into `migrations/versions/` (review it before committing)."""
    upgrade_to_head(db_url)
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            command.revision(alembic_config(connection), message=message, autogenerate=True)
    finally:
        engine.dispose()
