"""The public surface and the canonical schema of what the readers produce."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

import workbench.billing.readers as readers
from workbench.billing.core.usage import COLUMNS
from workbench.billing.readers import known_formats, read_report


def test_public_names() -> None:
    assert sorted(readers.__all__) == ["ENTRY_POINT_GROUP", "OpenReport", "ReadResult", "ReportFormat", "StageContext",
                                      "Staging", "detect_format", "known_formats", "open_report", "plugin_problems",
                                      "read_report", "register", "unregister"]
    assert all(hasattr(readers, name) for name in readers.__all__)
    assert known_formats() == ["aws-cur-legacy", "aws-cur2", "focus-1.0", "focus-1.1", "focus-1.2",
                               "azure-csp", "azure-ea", "azure-mca", "gcp-billing-export"]


def test_table_has_exact_canonical_columns_and_types(con: duckdb.DuckDBPyConnection,
                                                     write: Callable[[str, str], Path]) -> None:
    path = write("cur.csv", "lineItem/UsageAccountId,bill/PayerAccountId,lineItem/LineItemType,"
                 "lineItem/UnblendedCost,lineItem/CurrencyCode,lineItem/UsageStartDate,bill/BillingPeriodStartDate\n"
                 "111100000001,999900000001,Usage,1.8E-9,USD,2023-11-02T00:00:00Z,2023-11-01T00:00:00Z\n")
    result = read_report(con, path, table="usage_2023_11")
    described = con.execute("DESCRIBE usage_2023_11").fetchall()
    assert [(name, kind) for name, kind, *_ in described] == [(name, kind) for name, kind, _ in COLUMNS]
    assert result.row_count == 1
