"""An account id that lost its leading zero in a spreadsheet is named as the likely cause.

The analyst opened accounts.csv in Excel and saved it: Beta's AWS account 022222222222 became the
number 22222222222. The vendor's report still says 022222222222, so Beta's usage belongs to no
customer. Every place that reports the unassigned account (the generation warning, the import's
summary and `workbench unassigned`) says which assigned id it matches and how to write it.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.billing.core.periods import given_month
from workbench.billing.core.usage import same_but_leading_zeros
from workbench.billing.generate import generate_invoices
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.usage_queries import unassigned_usage

from .conftest import cur_rows, load, write_tables
from .test_cli_end_to_end import workbench
from .worked_example import CUR, TABLES, TODAY

EXCEL_SAVED = {**TABLES, "accounts": TABLES["accounts"].replace("222222222222", "22222222222")}
VENDOR_SAYS = [{**row, "account": "022222222222"} if row["account"] == "222222222222" else row for row in CUR]
HINT = ("accounts.csv has 22222222222, the same id without its leading zero(s) (a spreadsheet drops them): "
        "write it as 022222222222, with the column formatted as text, import it (`workbench customers import`), "
        "then generate again")


def test_only_leading_zeros_make_a_match() -> None:
    assert same_but_leading_zeros("022222222222", ["22222222222", "111111111111"]) == "22222222222"
    assert same_but_leading_zeros("22222222222", ["022222222222"]) == "022222222222"  # either way round
    assert same_but_leading_zeros("022222222222", ["222222222220", "2222222222"]) is None
    assert same_but_leading_zeros("sub-0042", ["sub-42"]) is None  # not an id a spreadsheet turns into a number


def test_generation_warning_and_unassigned_listing_name_the_account_to_correct(workspace, tmp_path: Path) -> None:
    load(workspace, tmp_path, EXCEL_SAVED)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(VENDOR_SAYS, "2025-10"))
    import_reports(workspace, [report])
    warned = {p.message.split()[2]: p.fix for p in generate_invoices(workspace, "aws", given_month("2025-10"), today=TODAY).problems
              if p.code == "unassigned-account"}
    assert warned == {
        "022222222222": HINT,
        "444444444444": "assign it in accounts.csv and import it (`workbench customers import`), then generate again",
    }
    assert [(u.account_id, u.similar) for u in unassigned_usage(workspace, "aws")] == [
        ("022222222222", "22222222222"), ("444444444444", "")]


def test_the_command_line_says_it_at_import_and_in_the_listing(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    workbench("init", ws)
    workbench("customers", "import", ws, *map(str, write_tables(tmp_path, EXCEL_SAVED)))
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(VENDOR_SAYS, "2025-10"))
    imported = workbench("import", ws, str(report)).stderr.splitlines()
    assert imported[imported.index("unassigned: aws account 022222222222: 1 row(s), 10.00 USD belong to no customer") + 1] \
        == f"  {HINT}"
    listed = workbench("unassigned", ws)
    assert f"aws account 022222222222: {HINT}" in listed.stderr.splitlines()
    assert "aws account 444444444444:" not in listed.stderr
    assert [u["similar"] for u in json.loads(workbench("unassigned", ws, "--json").stdout)] == ["22222222222", ""]
