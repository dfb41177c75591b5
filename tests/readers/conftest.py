"""Fixtures for the reader tests: a fresh DuckDB connection, inline files, and rows as a table."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write an inline report (dedented, leading newline dropped) and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write
