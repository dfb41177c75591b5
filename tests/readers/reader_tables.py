"""Helpers for the reader tests: rows of a canonical table as text."""

from __future__ import annotations

import textwrap
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

SAMPLES = Path(__file__).parent.parent / "data" / "vendor-samples"


def show(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def as_table(con: duckdb.DuckDBPyConnection, table: str, columns: str) -> str:
    """The canonical rows (in table order) as text: one line per row, ' | ' between columns."""
    rows = con.execute(f'SELECT {columns} FROM "{table}"').fetchall()
    return "\n".join(" | ".join(show(v) for v in row) for row in rows)


def expected(text: str) -> str:
    return "\n".join(line.strip() for line in textwrap.dedent(text).strip().splitlines())
