"""An account id that lost its leading zero in a spreadsheet is named as the likely cause.

Beta's AWS account is 022222222222. Opened in Excel and saved, a file has the number 22222222222:
- accounts.csv saved that way is refused at import: an AWS account id has 12 digits;
- a CUR saved that way imports (the vendor's ids are not checked), and Beta's usage belongs to no
  customer. Every place that reports the unassigned account (the generation warning, the import's
  summary and `workbench unassigned`) says which assigned id it matches and what to do.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from workbench.billing.core.periods import given_month
from workbench.billing.core.usage import same_but_leading_zeros, unassigned_fix
from workbench.billing.generate import generate_invoices
from workbench.billing.store import models as m
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.table_import import import_tables
from workbench.billing.store.usage_queries import unassigned_usage

from .conftest import cur_rows, load, write_tables
from .test_cli_end_to_end import workbench
from .worked_example import CUR, TABLES, TODAY

ASSIGNED = {**TABLES, "accounts": TABLES["accounts"].replace("222222222222", "022222222222")}
EXCEL_SAVED = {**TABLES, "accounts": TABLES["accounts"].replace("222222222222", "22222222222")}
EXCEL_SAVED_CUR = [{**row, "account": "22222222222"} if row["account"] == "222222222222" else row for row in CUR]
HINT = ("accounts.csv has 022222222222: the report's id lost its leading zero(s), as when a spreadsheet opens and "
        "saves the file; import the vendor's original file instead, then generate again")


def test_only_leading_zeros_make_a_match() -> None:
    assert same_but_leading_zeros("022222222222", ["22222222222", "111111111111"]) == "22222222222"
    assert same_but_leading_zeros("22222222222", ["022222222222"]) == "022222222222"  # either way round
    assert same_but_leading_zeros("022222222222", ["222222222220", "2222222222"]) is None
    assert same_but_leading_zeros("sub-0042", ["sub-42"]) is None  # not an id a spreadsheet turns into a number
    assert unassigned_fix("022222222222", "22222222222").startswith(
        "accounts.csv has 22222222222, the same id without its leading zero(s) (a spreadsheet drops them): "
        "write it as 022222222222, with the column formatted as text")


def test_an_aws_account_id_short_of_twelve_digits_is_refused_at_import(workspace, tmp_path: Path) -> None:
    summary, problems = import_tables(workspace, write_tables(tmp_path, EXCEL_SAVED))
    assert [(p.code, p.file, p.row, p.message, p.fix) for p in problems] == [(
        "aws-account-id", "accounts.csv", 2,
        "aws account_id 22222222222 has 11 digits; an AWS account id has 12, so it lost its leading zero(s)",
        "write it as 022222222222, with the column formatted as text (a spreadsheet drops leading zeros of numbers)")]
    with workspace.session() as session:
        assert session.scalar(select(func.count()).select_from(m.Account)) == 0  # nothing of the files was stored


def test_generation_warning_and_unassigned_listing_name_the_account_to_correct(workspace, tmp_path: Path) -> None:
    load(workspace, tmp_path, ASSIGNED)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(EXCEL_SAVED_CUR, "2025-10"))
    import_reports(workspace, [report])
    warned = {p.message.split()[2]: p.fix for p in generate_invoices(workspace, "aws", given_month("2025-10"), today=TODAY).problems
              if p.code == "unassigned-account"}
    assert warned == {
        "22222222222": HINT,
        "444444444444": "assign it in accounts.csv and import it (`workbench customers import`), then generate again",
    }
    assert [(u.account_id, u.similar) for u in unassigned_usage(workspace, "aws")] == [
        ("22222222222", "022222222222"), ("444444444444", "")]


def test_the_command_line_says_it_at_import_and_in_the_listing(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    workbench("init", ws)
    workbench("customers", "import", ws, *map(str, write_tables(tmp_path, ASSIGNED)))
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(EXCEL_SAVED_CUR, "2025-10"))
    imported = workbench("import", ws, str(report)).stderr.splitlines()
    assert imported[imported.index("unassigned: aws account 22222222222: 1 row(s), 10.00 USD belong to no customer") + 1] \
        == f"  {HINT}"
    listed = workbench("unassigned", ws)
    assert f"aws account 22222222222: {HINT}" in listed.stderr.splitlines()
    assert "aws account 444444444444:" not in listed.stderr
    assert [u["similar"] for u in json.loads(workbench("unassigned", ws, "--json").stdout)] == ["022222222222", ""]
