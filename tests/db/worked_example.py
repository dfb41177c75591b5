"""The worked example of tests/billing (three customers, an inline AWS CUR for 2025-10) loaded
into any workspace, so the same invoices can be checked on every database."""

from __future__ import annotations

from pathlib import Path

from billing.conftest import cur_rows, load
from billing.worked_example import CUR, TABLES, TODAY

from workbench.billing.store.report_import import import_reports
from workbench.billing.store.workspace import Workspace

__all__ = ["CUR", "TABLES", "TODAY", "load_worked_example"]


def load_worked_example(ws: Workspace, tmp_path: Path) -> Workspace:
    tables = tmp_path / "worked-example-tables"
    tables.mkdir()
    load(ws, tables, TABLES)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR, "2025-10"))
    outcome = import_reports(ws, [report])
    assert [f.status for f in outcome.files] == ["imported"]
    return ws
