"""What a vendor format is to the registry: how to recognise it and how to stage its rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import duckdb

from workbench.billing.core.problems import Problem
from workbench.billing.core.usage import Vendor
from workbench.billing.readers.source import Probe, RawTable

__all__ = ["NAME_LENGTH", "ReportFormat", "StageContext", "Staging"]


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

    `measures` (optional, for speed): staged column -> the source column it is (`staging.MEASURES`:
    cost, quantity, usage start and end), when the SELECT reads that source column for that staged
    column only, but for comparing the cost with 0, and yields one row per source row with
    `line_order` 0. A summary then groups the file's other columns first, reading the measures per
    row and staging each distinct combination of the rest once (`readers.fold`): a ten-million-row
    CUR has some 30,000. Left empty, every row is staged.
    """

    sql: str
    problems: tuple[Problem, ...] = ()
    ordered: bool = True
    measures: Mapping[str, str] = field(default_factory=dict)


# The stored report keeps the format's name (`store.models.VendorReport.format`, 32 characters),
# and a later read of its kept file looks the format up by it.
NAME_LENGTH = 32


@dataclass(frozen=True)
class ReportFormat:
    """One vendor export format: how to recognise its header and how to stage its rows.

    `carries_invoice_ids` says how a report of the format becomes final (`store.finality`). True:
    the vendor puts its invoice id on every row once it has invoiced the month (AWS
    `bill/InvoiceId`), so a period is final exactly when every row has one, and a file without any
    is not final yet. False: the same when the file has any invoice id (FOCUS `InvoiceId`), else
    final 10 business days after the month (Azure, Google Cloud). Left out: True for an AWS format.
    """

    name: str  # registry name, e.g. "aws-cur-legacy"; at most NAME_LENGTH characters
    vendor: Vendor | None  # None: the vendor is per row (FOCUS ProviderName)
    recognises: Callable[[Probe], bool]  # from the header alone
    required: tuple[str, ...]  # columns that must be present (case-insensitive)
    stage: Callable[[StageContext], Staging]
    cost_column: str
    currency_column: str
    optional: tuple[str, ...] = field(default=())  # columns used when present
    carries_invoice_ids: bool | None = None  # None: derived from the vendor (see above)
    # The file's (usage account, payer account) columns when they hold AWS account ids: every
    # value must then be 12 digits (`staging.validate`), or the file is refused. None: not checked.
    aws_account_columns: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.carries_invoice_ids is None:
            object.__setattr__(self, "carries_invoice_ids", self.vendor is Vendor.AWS)

    def missing(self, found: Probe) -> list[str]:
        return [name for name in self.required if not found.has(name)]
