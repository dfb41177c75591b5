from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from workbench.billing.store.migrate import current_revision, head_revision, upgrade_to_head
from workbench.billing.store.models import Base
from workbench.billing.store.workspace import Workspace


def test_upgrading_an_empty_database_gives_exactly_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert set(inspect(connection).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_a_new_workspace_is_at_head_and_upgrading_again_is_a_no_op(ws: Workspace) -> None:
    assert current_revision(ws.engine) == head_revision()
    before = (ws.root / "workbench.db").read_bytes()
    upgrade_to_head(str(ws.engine.url))
    assert (ws.root / "workbench.db").read_bytes() == before
