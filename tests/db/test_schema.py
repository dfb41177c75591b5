"""The migrations build exactly the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from workbench.billing.store.migrate import current_revision, head_revision, upgrade_to_head
from workbench.billing.store.models import Base
from workbench.billing.store.workspace import Workspace


def test_upgrading_an_empty_database_gives_exactly_the_models(db_url: str) -> None:
    upgrade_to_head(db_url)
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, Base.metadata) == []
        assert set(inspect(connection).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_upgrading_again_changes_nothing(any_db_workspace: Workspace) -> None:
    def schema() -> dict[str, object]:
        with any_db_workspace.engine.connect() as connection:
            found = inspect(connection)
            return {t: (found.get_columns(t), found.get_indexes(t), found.get_unique_constraints(t))
                    for t in sorted(found.get_table_names())}

    before = schema()
    upgrade_to_head(any_db_workspace.engine.url.render_as_string(hide_password=False))
    assert current_revision(any_db_workspace.engine) == head_revision()
    assert repr(schema()) == repr(before)
