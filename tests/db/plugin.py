"""Run a test on SQLite and on PostgreSQL: the fixtures `db_url` and `any_db_workspace`.

    def test_round_trip(any_db_workspace): ...      # runs twice: [sqlite] and [postgresql]

- `db_url` is parametrised: `sqlite` (a file under tmp_path) and `postgresql` (a database
  `test_<random>` created for the test on the test server and dropped after it).
- The server: $WORKBENCH_TEST_PG_URL if set (any PostgreSQL >= 13 where the user may CREATE
  DATABASE), else `scripts/postgres-test-server.sh start` (idempotent, fast when running; it
  installs and starts a private server on 127.0.0.1). WORKBENCH_TEST_PG=skip skips the
  postgresql cases, for a machine where neither is possible; CI never sets it.
- `any_db_workspace` is a workspace on that database: SQLite in its own file as analysts use
  it, PostgreSQL as an external database (workspace.json says "external").
- `second_analyst(ws)` opens the same workspace again with its own engine, as a second notebook
  kernel would: the concurrency tests race two of them.

Not a conftest, so that any test folder can use it: the folders in tests/ with this plugin
import it (`from db.plugin import *`); tests/conftest.py may load it for every folder with
`pytest_plugins = ["db.plugin"]`. It defines fixtures only, no hooks, so both may coexist.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from workbench.billing.store.workspace import DB_URL_ENV, Workspace, init_workspace, open_workspace

__all__ = ["any_db_workspace", "db_url", "postgres_server_url", "second_analyst"]

REPO = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = REPO / "scripts" / "postgres-test-server.sh"
PG_URL_ENV = "WORKBENCH_TEST_PG_URL"
PG_SWITCH_ENV = "WORKBENCH_TEST_PG"


def _start_server() -> str:
    try:
        done = subprocess.run(["sh", str(SERVER_SCRIPT), "start"], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"{SERVER_SCRIPT.name} start: {exc}")
    if done.returncode != 0:
        pytest.fail(
            f"{SERVER_SCRIPT.name} start failed (set {PG_URL_ENV} to use another server, or "
            f"{PG_SWITCH_ENV}=skip to skip the postgresql cases):\n{done.stderr}"
        )
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The URL of the test server's maintenance database (the tests create their own)."""
    if os.environ.get(PG_SWITCH_ENV, "").lower() == "skip":
        pytest.skip(f"{PG_SWITCH_ENV}=skip")
    url = os.environ.get(PG_URL_ENV) or _start_server()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure here means "no server"
        pytest.fail(f"cannot reach the PostgreSQL test server at {make_url(url)!r}: {exc}")
    finally:
        engine.dispose()
    return url


def _database_url(server: str, name: str) -> URL:
    return make_url(server).set(database=name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for this test. SQLite: the file `any_db_workspace` would create.
    PostgreSQL: a fresh database, dropped (with any connection left open) after the test."""
    if request.param == "sqlite":
        folder = tmp_path / "any-db-ws"
        folder.mkdir()
        yield f"sqlite:///{folder / 'workbench.db'}"
        return
    server = request.getfixturevalue("postgres_server_url")
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield _database_url(server, name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def any_db_workspace(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """A new workspace named "test" on the database of `db_url`."""
    # a developer's WORKBENCH_DB_URL must not send every workspace to one shared database
    monkeypatch.delenv(DB_URL_ENV, raising=False)
    external = None if db_url.startswith("sqlite") else db_url
    workspace = init_workspace(tmp_path / "any-db-ws", name="test", db_url=external)
    assert workspace.engine.dialect.name == make_url(db_url).get_backend_name()
    yield workspace
    workspace.close()


@pytest.fixture
def second_analyst() -> Iterator[Callable[[Workspace], Workspace]]:
    """`second_analyst(ws)`: the same workspace opened again, with its own engine."""
    opened: list[Workspace] = []

    def reopen(ws: Workspace) -> Workspace:
        url = ws.engine.url
        external = None if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=False)
        again = open_workspace(ws.root, db_url=external)
        opened.append(again)
        return again

    yield reopen
    for workspace in opened:
        workspace.close()
