"""A workspace kept in a server database takes its URL from $WORKBENCH_DB_URL when none is
passed: the URL holds a password, so it is never written into workspace.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from workbench.billing.store.workspace import DB_URL_ENV, WorkspaceError, init_workspace, open_workspace

on_postgresql = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@on_postgresql
def test_the_environment_names_the_database_of_a_new_and_an_opened_workspace(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(DB_URL_ENV, db_url)
    ws = init_workspace(tmp_path / "ws", name="shared")
    assert ws.engine.dialect.name == "postgresql"
    marker = (tmp_path / "ws" / "workspace.json").read_text()
    assert json.loads(marker)["database"] == "external"
    assert make_url(db_url).password not in marker  # type: ignore[operator]
    ws.close()

    again = open_workspace(tmp_path / "ws")
    assert again.engine.url.database == make_url(db_url).database
    again.close()
    monkeypatch.delenv(DB_URL_ENV)
    with pytest.raises(WorkspaceError, match=f"pass its URL with --db URL \\(or set {DB_URL_ENV}"):
        open_workspace(tmp_path / "ws")


@on_postgresql
def test_a_plain_postgresql_url_uses_the_shipped_driver(db_url: str, tmp_path: Path) -> None:
    plain = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    assert plain.startswith("postgresql://")
    ws = init_workspace(tmp_path / "ws", db_url=plain)
    assert ws.engine.dialect.driver == "psycopg"
    ws.close()


def test_a_workspace_with_its_own_file_ignores_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DB_URL_ENV, raising=False)
    init_workspace(tmp_path / "ws").close()
    monkeypatch.setenv(DB_URL_ENV, "postgresql://nobody@127.0.0.1:9/none")
    ws = open_workspace(tmp_path / "ws")
    assert ws.engine.url.database == str(tmp_path / "ws" / "workbench.db")
    ws.close()


def test_the_cli_runs_on_the_database_given_with_db(tmp_path, db_url):
    """`workbench --db URL init` keeps the data there; the workspace folder holds no database."""
    import json
    import subprocess
    import sys

    def workbench(*args):
        done = subprocess.run([sys.executable, "-m", "workbench.cli", "--db", db_url, *args],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    ws = tmp_path / "shared"
    workbench("init", str(ws))
    (tmp_path / "customers.csv").write_text("customer_id,name\n100001,Acme Corp\n")
    workbench("customers", "import", str(ws), str(tmp_path / "customers.csv"))
    assert [c["customer_id"] for c in json.loads(workbench("customers", "list", str(ws), "--json"))] == ["100001"]
    assert not (ws / "workbench.db").exists()
