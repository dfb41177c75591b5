"""An account id a spreadsheet turned into a number is refused, or named as the likely cause.

Beta's AWS account is 022222222222. Opened in Excel and saved, a file has the number 22222222222
(and a 12-digit id such as the payer's 999999999999 becomes 1E+12: its digits are lost):
- accounts.csv saved that way is refused at import: an AWS account id has 12 digits;
- a CUR saved that way is refused at import too, naming every such row: its ids are no longer the
  accounts' (a payer id that changed would even keep the month of the original file current
  beside it, billed twice);
- a workspace from before these checks may hold such an id, in a stored report or in accounts.csv.
  Every place that reports the unassigned account (the generation warning, the import's summary
  and `workbench unassigned`) says which assigned id it matches and what to do: for an id of
  accounts.csv, to remove it before importing the right one (the import adds, never replaces).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from sqlalchemy import func, select

from workbench.billing.core.periods import given_month
from workbench.billing.core.usage import same_but_leading_zeros, unassigned_fix
from workbench.billing.generate import generate_invoices
from workbench.billing.readers import open_report
from workbench.billing.store import models as m
from workbench.billing.store.report_import import import_reports, store_usage_table
from workbench.billing.store.table_import import import_tables
from workbench.billing.store.usage_files import parsed_path, rows_files
from workbench.billing.store.usage_queries import unassigned_usage
from workbench.billing.store.workspace import open_workspace

from .conftest import cur_rows, load, write_tables
from .test_cli_end_to_end import workbench
from .worked_example import CUR, TABLES, TODAY

ASSIGNED = {**TABLES, "accounts": TABLES["accounts"].replace("222222222222", "022222222222")}
EXCEL_SAVED = {**TABLES, "accounts": TABLES["accounts"].replace("222222222222", "22222222222")}
ZERO_CUR = [{**row, "account": "022222222222"} if row["account"] == "222222222222" else row for row in CUR]
EXCEL_SAVED_CUR = [{**row, "account": "22222222222"} if row["account"] == "222222222222" else row for row in CUR]
REPORT_HINT = ("accounts.csv has 022222222222: the report's id lost its leading zero(s), as when a spreadsheet opens "
               "and saves the file; import the vendor's original file instead, then generate again")
TABLE_HINT = ("accounts.csv has 22222222222, the same id without its leading zero(s) (a spreadsheet drops them): "
              "remove it first (`workbench customers remove-account DIR aws 22222222222`: an import adds the right "
              "id beside it, it does not replace it), write it as 022222222222, with the column formatted as text, "
              "import it (`workbench customers import`), then generate again")
RESAVED_FIX = ("Import the vendor's original file, as AWS delivered it, not one opened and saved in a spreadsheet: "
               "a spreadsheet writes 12-digit account ids as numbers (2.22222E+11, its digits lost, so accounts "
               "merge) and drops their leading zeros. A file with other ids was changed after AWS wrote it.")


def test_only_leading_zeros_make_a_match() -> None:
    assert same_but_leading_zeros("022222222222", ["22222222222", "111111111111"]) == "22222222222"
    assert same_but_leading_zeros("22222222222", ["022222222222"]) == "022222222222"  # either way round
    assert same_but_leading_zeros("022222222222", ["222222222220", "2222222222"]) is None
    assert same_but_leading_zeros("sub-0042", ["sub-42"]) is None  # not an id a spreadsheet turns into a number
    assert unassigned_fix("022222222222", "22222222222", "aws") == TABLE_HINT
    assert unassigned_fix("22222222222", "022222222222", "aws") == REPORT_HINT


def test_an_aws_account_id_short_of_twelve_digits_is_refused_at_import(workspace, tmp_path: Path) -> None:
    summary, problems = import_tables(workspace, write_tables(tmp_path, EXCEL_SAVED))
    assert [(p.code, p.file, p.row, p.message, p.fix) for p in problems] == [(
        "aws-account-id", "accounts.csv", 2,
        "aws account_id 22222222222 has 11 digits; an AWS account id has 12, so it lost its leading zero(s)",
        "write it as 022222222222, with the column formatted as text (a spreadsheet drops leading zeros of numbers)")]
    with workspace.session() as session:
        assert session.scalar(select(func.count()).select_from(m.Account)) == 0  # nothing of the files was stored


def test_a_cur_saved_by_a_spreadsheet_is_refused_at_import(workspace, tmp_path: Path) -> None:
    load(workspace, tmp_path, ASSIGNED)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(EXCEL_SAVED_CUR, "2025-10", payer="1E+12"))
    outcome = import_reports(workspace, [report])
    assert [f.status.value for f in outcome.files] == ["refused"]
    found = [(p.code, p.row, p.message) for p in outcome.problems]
    assert found[0] == ("aws-account-id", 7, "the usage account id (lineItem/UsageAccountId) '22222222222' has 11 "
                                             "digits; an AWS account id has 12, so it lost its leading zero(s)")
    assert found[1:] == [("aws-account-id", row, "the payer account id (bill/PayerAccountId) '1E+12' is a number in "
                          "scientific notation, as a spreadsheet writes a 12-digit id when it re-saves the file: the "
                          "id's digits are lost, and two accounts may be written alike") for row in range(1, 10)]
    assert {p.fix for p in outcome.problems} == {RESAVED_FIX} and {p.file for p in outcome.problems} == {report.name}
    with workspace.session() as session:
        assert session.scalar(select(func.count()).select_from(m.VendorReport)) == 0
    assert not list(workspace.usage_dir.rglob("*.parquet"))


def _stored_before_the_check(ws, report: Path) -> None:
    """Store `report` as an import did before account ids were checked (a workspace of then)."""
    with duckdb.connect() as con, open_report(con, report, check_account_ids=False) as opened:
        assert opened.select is not None, opened.problems
        con.execute(f"CREATE TABLE usage AS {opened.select}")
        outcome = store_usage_table(ws, con, "usage", path=report, sha256="0" * 64, format=opened.format,
                                    vendor="aws", today=TODAY)
    assert outcome.status.value == "imported"


def test_a_report_stored_before_the_check_names_the_account_to_correct(workspace, tmp_path: Path) -> None:
    load(workspace, tmp_path, ASSIGNED)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(EXCEL_SAVED_CUR, "2025-10"))
    _stored_before_the_check(workspace, report)
    warned = {p.message.split()[2]: p.fix for p in generate_invoices(workspace, "aws", given_month("2025-10"), today=TODAY).problems
              if p.code == "unassigned-account"}
    assert warned == {
        "22222222222": REPORT_HINT,
        "444444444444": "assign it in accounts.csv and import it (`workbench customers import`), then generate again",
    }
    assert [(u.account_id, u.similar) for u in unassigned_usage(workspace, "aws")] == [
        ("22222222222", "022222222222"), ("444444444444", "")]


def test_a_kept_report_imported_before_the_check_can_still_be_read(billed, tmp_path: Path) -> None:
    """A stored report's kept file is read again to write its rows when first needed: one imported
    before the check, with an id it would refuse now, is not refused then (its usage is billed)."""
    with billed.session() as session:
        stored = session.scalars(select(m.VendorReport)).one()
    source = billed.root / str(stored.source_path)
    source.chmod(0o644)
    source.write_text(cur_rows(EXCEL_SAVED_CUR, "2025-10"))  # what such an import kept
    parsed_path(source).unlink(missing_ok=True)
    (billed.root / stored.stored_path).unlink(missing_ok=True)
    [rows] = rows_files(billed, [stored])
    with duckdb.connect() as con:
        accounts = con.execute(f"SELECT DISTINCT sub_account_id FROM '{rows}' ORDER BY 1").fetchall()
    assert accounts == [("111111111111",), ("22222222222",), ("333333333333",), ("444444444444",)]


def test_the_command_line_refuses_a_re_saved_cur_and_says_to_remove_an_old_id_first(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    workbench("init", ws)
    workbench("customers", "import", ws, *map(str, write_tables(tmp_path, {**ASSIGNED, "accounts": """
        customer_id,vendor,account_id,account_name
        100001,aws,111111111111,acme-prod
        100003,aws,333333333333,gamma
    """})))
    resaved = tmp_path / "resaved" / "cur-2025-10.csv"
    resaved.parent.mkdir()
    resaved.write_text(cur_rows(EXCEL_SAVED_CUR, "2025-10"))
    refused = workbench("import", ws, str(resaved), expect=3)
    assert ("cur-2025-10.csv, row 7: the usage account id (lineItem/UsageAccountId) '22222222222' has 11 digits; "
            "an AWS account id has 12, so it lost its leading zero(s)") in refused.stderr.splitlines()

    # Beta's account as stored before accounts.csv was checked: without its leading zero
    with open_workspace(Path(ws)).session() as session:
        session.add(m.Account(vendor="aws", account_id="22222222222", customer_id="100002", account_name="beta-main"))
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(ZERO_CUR, "2025-10"))
    imported = workbench("import", ws, str(report)).stderr.splitlines()
    assert imported[imported.index("unassigned: aws account 022222222222: 1 row(s), 10.00 USD belong to no customer") + 1] \
        == f"  {TABLE_HINT}"
    assert f"aws account 022222222222: {TABLE_HINT}" in workbench("unassigned", ws).stderr.splitlines()
    assert [u["similar"] for u in json.loads(workbench("unassigned", ws, "--json").stdout)] == ["22222222222", ""]
    exported = tmp_path / "exported"
    workbench("customers", "export", ws, str(exported))
    assert "has 11 digits" in workbench("customers", "import", ws, *map(str, exported.glob("*.csv")), expect=3).stderr

    # as the hint says: remove the old id, then import the right one
    workbench("customers", "remove-account", ws, "aws", "22222222222")
    (tmp_path / "fixed").mkdir()
    workbench("customers", "import", ws, *map(str, write_tables(tmp_path / "fixed", {"accounts": ASSIGNED["accounts"]})))
    assert [u["account_id"] for u in json.loads(workbench("unassigned", ws, "--json").stdout)] == ["444444444444"]
    workbench("customers", "export", ws, str(tmp_path / "again"))
    workbench("customers", "import", ws, *map(str, (tmp_path / "again").glob("*.csv")))  # its own export imports


def test_the_vendors_original_file_imports(workspace, tmp_path: Path) -> None:
    load(workspace, tmp_path, ASSIGNED)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(ZERO_CUR, "2025-10"))
    outcome = import_reports(workspace, [report])
    assert [f.status.value for f in outcome.files] == ["imported"]
    assert [u.account_id for u in unassigned_usage(workspace, "aws")] == ["444444444444"]
