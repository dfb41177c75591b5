"""What a vendor format is to the registry: how to recognise it and how to stage its rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from workbench.billing.core.problems import Problem
from workbench.billing.core.usage import Vendor
from workbench.billing.readers.source import Probe, RawTable

__all__ = ["ReportFormat", "StageContext", "Staging"]


@dataclass(frozen=True)
class StageContext:
    con: duckdb.DuckDBPyConnection
    raw: RawTable
    file: str
    vendor: Vendor | None  # what the user said the file is, if anything


@dataclass(frozen=True)
class Staging:
    """A SELECT producing `staging.STAGED` columns from the raw table, and what staging found.

    Money, quantity and date columns are vendor text, or typed where the file types them exactly
    (`RawTable.value`). `ordered`: the SELECT yields one row per source row, in source order, so
    the canonical rows need no sort.
    """

    sql: str
    problems: tuple[Problem, ...] = ()
    ordered: bool = True


@dataclass(frozen=True)
class ReportFormat:
    name: str  # registry name, e.g. "aws-cur-legacy"
    vendor: Vendor | None  # None: the vendor is per row (FOCUS ProviderName)
    recognises: Callable[[Probe], bool]  # from the header alone
    required: tuple[str, ...]  # columns that must be present (case-insensitive)
    stage: Callable[[StageContext], Staging]
    cost_column: str
    currency_column: str
    optional: tuple[str, ...] = field(default=())  # columns used when present

    def missing(self, found: Probe) -> list[str]:
        return [name for name in self.required if not found.has(name)]
