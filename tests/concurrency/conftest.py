"""Races between two analysts, on SQLite and on PostgreSQL (see tests/db/plugin.py), over the
worked example of tests/billing with usage on 1 and 16 October 2025 (`october`), so that custom
ranges inside the month have something to bill."""

import csv
import io
from pathlib import Path

import pytest

from billing.conftest import cur_rows, load
from db.plugin import *  # noqa: F403 - the fixtures db_url, any_db_workspace, second_analyst
from db.worked_example import CUR, TABLES
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.workspace import Workspace

# The worked example's rows on 1 October, and a second day of use on 16 October.
LATER = [
    {**row, "cost": "1.25"} for row in CUR if row["account"] in ("111111111111", "222222222222") and row["type"] == "Usage"
]


def _cur_with_days(first: list[dict[str, str]], later: list[dict[str, str]]) -> str:
    """A legacy CUR for 2025-10: the `first` rows used on 1 October, the `later` ones on the 16th."""
    rows = list(csv.DictReader(io.StringIO(cur_rows(first + later, "2025-10"))))
    for row in rows[len(first):]:
        row["lineItem/UsageStartDate"] = "2025-10-16T00:00:00.000Z"
        row["lineItem/UsageEndDate"] = "2025-10-16T01:00:00.000Z"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def october(any_db_workspace: Workspace, tmp_path: Path) -> Workspace:
    tables = tmp_path / "tables"
    tables.mkdir()
    load(any_db_workspace, tables, TABLES)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(_cur_with_days(CUR, LATER))
    assert [f.status for f in import_reports(any_db_workspace, [report]).files] == ["imported"]
    return any_db_workspace


