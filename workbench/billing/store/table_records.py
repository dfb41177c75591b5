"""A parsed row of a table file (`Record`), and how it compares with what is stored."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from workbench.billing.core.problems import Problem, Severity
from workbench.billing.store.table_bindings import BINDINGS
from workbench.billing.store.table_values import Value

__all__ = ["Record", "changes_store", "stored_rows"]


@dataclass(frozen=True, slots=True)
class Record:
    """One parsed data row of a table file."""

    table: str
    source: str
    row: int
    values: dict[str, Value]
    present: frozenset[str]  # the columns the file has (absent optional columns keep stored values)

    @property
    def customer_id(self) -> str | None:
        value = self.values.get("customer_id")
        return value if isinstance(value, str) and value else None

    @property
    def key(self) -> tuple[Value, ...]:
        return tuple(self.values[k] for k in BINDINGS[self.table].format.key) if self.table in BINDINGS else ()

    def problem(self, code: str, message: str, fix: str, severity: Severity = Severity.ERROR) -> Problem:
        return Problem(code, message, self.source, self.row, self.customer_id, fix, severity)


def stored_rows(session: Session, tables: Iterable[str]) -> dict[str, dict[tuple[object, ...], dict[str, Any]]]:
    """The stored rows of `tables` by key (`Binding.stored_by_key`): read once per import."""
    return {table: BINDINGS[table].stored_by_key(session) for table in sorted(tables)}


def changes_store(stored: dict[tuple[object, ...], dict[str, Any]], r: Record) -> bool:
    binding = BINDINGS[r.table]
    found = stored.get(r.key)
    if found is None:
        return True
    return any(found[binding.attribute(c)] != r.values[c] for c in r.present)
