from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from workbench.billing.store import Workspace, WorkspaceError, init_workspace, open_workspace
from workbench.billing.store.models import Setting


def test_init_creates_the_layout_and_marker(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "acme", name="Acme books")
    assert sorted(p.name for p in ws.root.iterdir()) == ["imports", "output", "usage", "workbench.db", "workspace.json"]
    marker = json.loads((ws.root / "workspace.json").read_text())
    assert marker == {"kind": "workbench-workspace", "format_version": 1, "name": "Acme books", "database": "workbench.db"}
    assert str(ws.engine.url) == f"sqlite:///{ws.root / 'workbench.db'}"
    ws.close()


def test_open_reads_back_what_init_wrote(tmp_path: Path) -> None:
    init_workspace(tmp_path / "acme", name="Acme books").close()
    ws = open_workspace(tmp_path / "acme")
    assert ws.name == "Acme books"
    ws.close()


def test_init_refuses_a_non_empty_directory_that_is_not_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(WorkspaceError, match="not empty and is not a workspace"):
        init_workspace(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_init_on_an_existing_workspace_opens_it(ws: Workspace) -> None:
    with ws.session() as session:
        session.add(Setting(key="reseller.name", value="Northwind"))
    again = init_workspace(ws.root, name="ignored")
    with again.session() as session:
        assert session.get(Setting, "reseller.name") is not None
    assert again.name == "Northwind"
    again.close()


def test_open_explains_a_directory_that_is_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="is not a workspace .*init_workspace"):
        open_workspace(tmp_path)


def test_open_refuses_a_workspace_from_a_newer_workbench(ws: Workspace) -> None:
    (ws.root / "workspace.json").write_text(json.dumps({"kind": "workbench-workspace", "format_version": 99}))
    with pytest.raises(WorkspaceError, match="upgrade workbench"):
        open_workspace(ws.root)


def test_an_external_database_must_be_named_on_open(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    init_workspace(tmp_path / "ws", db_url=url).close()
    assert not (tmp_path / "ws" / "workbench.db").exists()
    with pytest.raises(WorkspaceError, match="db_url=..."):
        open_workspace(tmp_path / "ws")
    ws = open_workspace(tmp_path / "ws", db_url=url)
    assert str(ws.engine.url) == url
    ws.close()


def test_session_commits_on_success_and_rolls_back_on_error(ws: Workspace) -> None:
    with ws.session() as session:
        session.add(Setting(key="a", value="kept"))
    with pytest.raises(RuntimeError):
        with ws.session() as session:
            session.add(Setting(key="b", value="lost"))
            session.flush()
            raise RuntimeError("boom")
    with ws.session() as session:
        assert list(session.scalars(select(Setting.key))) == ["a"]


def test_foreign_keys_are_enforced_on_sqlite(ws: Workspace) -> None:
    from sqlalchemy.exc import IntegrityError

    from workbench.billing.store.models import Account

    with pytest.raises(IntegrityError):
        with ws.session() as session:
            session.add(Account(vendor="aws", account_id="1", customer_id="nobody"))


def test_the_public_surface_is_what_all_says() -> None:
    import workbench.billing.store as store

    exported = {name for name in dir(store) if not name.startswith("_")}
    modules = {name for name in exported if type(getattr(store, name)).__name__ == "module"}
    assert sorted(exported - modules) == sorted(store.__all__)
    assert all(getattr(store, name) is not None for name in store.__all__)  # each loads on first use
