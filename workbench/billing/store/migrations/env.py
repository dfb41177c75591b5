"""Alembic environment for the workspace database.

Run through `workbench.billing.store.migrate`, which passes an open connection in
`config.attributes["connection"]`; `sqlalchemy.url` is the fallback for offline SQL scripts.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from workbench.billing.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        assert url, "pass a connection or set sqlalchemy.url"
        engine = create_engine(url, poolclass=NullPool)
        with engine.begin() as own_connection:
            _run(own_connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection: object) -> None:
    # render_as_batch: SQLite can only ALTER by copying the table; batch mode does that.
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        # `migrate.upgrade_to_head` hears of each revision applied, to say which one failed
        on_version_apply=config.attributes.get("on_version_apply"),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
