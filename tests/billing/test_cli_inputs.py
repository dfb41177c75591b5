"""What the command line does with what a person types: a bad day, range or month is a usage
error (exit 2) naming its option and the forms it takes, never a traceback; a vendor is read as
accounts.csv reads it; a file given to the wrong import is told where it belongs; and a run for a
few customers speaks of those customers.

The workspace is the worked example's, with its October CUR (usage dated 2025-10-01; account
444444444444 is nobody's) and one more customer, Delta (100004), with no aws account at all.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from workbench.cli import main

from .conftest import SAMPLES, cur_rows, write_tables
from .worked_example import CUR, TABLES, TODAY

FORMS = "mtd, last-month, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD"


def workbench(*args: str, expect: int = 0) -> Result:
    done = CliRunner().invoke(main, list(args))
    assert done.exit_code == expect, f"exit {done.exit_code}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def october(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The workspace's folder, and the folder its input files were written in."""
    files = tmp_path_factory.mktemp("inputs")
    ws = str(files / "ws")
    workbench("init", ws)
    workbench("customers", "import", ws, *map(str, write_tables(files, TABLES)))
    delta = files / "delta"
    delta.mkdir()
    workbench("customers", "import", ws, *map(str, write_tables(delta, {"customers": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        100004,Delta Co,Dee Lee,dee@delta.example,4 Side St,CA-ON,
    """})))
    report = files / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR, "2025-10"))
    workbench("import", ws, str(report))
    return ws, files


@pytest.mark.parametrize(("args", "option", "said"), [
    (["invoices", "list", "{ws}", "--range", "2025-13"], "--range", f"not a month '2025-13': expected YYYY-MM, e.g. 2025-10; a range is {FORMS}"),
    (["invoices", "approve", "{ws}", "--all-drafts", "--range", "nonsense"], "--range", f"unknown date range 'nonsense': use {FORMS}"),
    (["generate", "{ws}", "--vendor", "aws", "--range", "2025-02-30..2025-03-02"], "--range",
     f"no such day '2025-02-30' (day is out of range for month); a range is {FORMS}"),
    (["audit", "{ws}", "--since", "yesterday"], "--since", "not a date 'yesterday': expected YYYY-MM-DD, e.g. 2025-11-20"),
    (["invoices", "list", "{ws}", "--today", "2025-99-01"], "--today", "no such day '2025-99-01' (month must be in 1..12)"),
    (["invoices", "status", "{ws}", "X-1", "--to", "closed", "--today", "nope"], "--today", "not a date 'nope'"),
    # it blamed --range, which it was not given
    (["generate", "{ws}", "--vendor", "aws", "--today", "11/15/2025"], "--today", "not a date '11/15/2025'"),
    (["demo", "{ws}", "--today", "2025-11-31"], "--today", "no such day '2025-11-31'"),
    (["unassigned", "{ws}", "--period", "2025-13"], "--period", "not a month '2025-13': expected YYYY-MM, e.g. 2025-10"),
    (["month-end", "{ws}", "--period", "October"], "--period", "not a month 'October'"),
    (["month-end", "{ws}", "--period", "2025-10", "--today", "2025-1-1"], "--today", "not a date '2025-1-1'"),
    (["serve", "{ws}", "--today", "20251120"], "--today", "not a date '20251120'"),
    (["customers", "remove-account", "{ws}", "Oracle", "1"], "VENDOR", "unknown vendor 'Oracle'; known: aws, azure, gcp"),
    (["invoices", "list", "{ws}", "--vendor", "Oracle"], "--vendor", "unknown vendor 'Oracle'; known: aws, azure, gcp"),
    (["month-end", "{ws}", "--period", "2025-10", "--vendor", "oci"], "--vendor", "unknown vendor 'oci'"),
    # a script's empty "$IDS" meant some customers: it billed every one
    (["generate", "{ws}", "--vendor", "aws", "--customers", ""], "--customers", "'' names no customer"),
    (["month-end", "{ws}", "--period", "2025-10", "--customers", " , "], "--customers", "' , ' names no customer"),
])
def test_a_bad_value_is_a_usage_error_that_names_its_option(tmp_path: Path, args: list[str], option: str, said: str) -> None:
    done = workbench(*(a.format(ws=tmp_path) for a in args), expect=2)
    assert f"Error: Invalid value for '{option}': {said}" in done.stderr
    assert "Traceback" not in done.output


def test_a_range_is_read_against_today_wherever_today_stands_on_the_line(october: tuple[str, Path]) -> None:
    ws, _ = october
    made = json.loads(workbench("generate", ws, "--vendor", "aws", "--range", "2025-10", "--customers", "100002",
                                "--today", TODAY.isoformat(), "--json").stdout)["invoices"]
    [beta] = [i["number"] for i in made]
    listed = json.loads(workbench("invoices", "list", ws, "--range", "last-month", "--today", "2025-11-20", "--json").stdout)
    assert [i["number"] for i in listed] == [beta]
    assert json.loads(workbench("invoices", "list", ws, "--range", "last-month", "--today", "2025-12-20", "--json").stdout) == []


def test_unassigned_for_a_month_without_a_report_says_so(october: tuple[str, Path]) -> None:
    ws, _ = october
    # it said "every account in the imported reports belongs to a customer", exit 0
    missing = workbench("unassigned", ws, "--period", "2024-01", expect=4)
    assert missing.stderr == "no vendor report for 2024-01; imported periods: 2025-10\n"
    assert missing.stdout == ""
    assert workbench("unassigned", ws, "--vendor", "azure", "--period", "2025-10", expect=4).stderr == (
        "no azure report for 2025-10: none imported yet (`workbench import`)\n")
    assert json.loads(workbench("unassigned", ws, "--period", "2024-01", "--json", expect=4).stdout) == []
    # a month with its report: the accounts nobody owns
    found = workbench("unassigned", ws, "--vendor", "aws", "--period", "2025-10")
    assert [line.split()[:2] for line in found.stdout.splitlines()[2:]] == [["aws", "444444444444"]]



def test_every_vendor_option_takes_the_names_the_table_files_take(october: tuple[str, Path]) -> None:
    # --vendor AWS was refused ("'AWS' is not one of 'aws', 'azure', 'gcp'") where accounts.csv takes it
    ws, _ = october
    as_named = [workbench("invoices", "list", ws, "--vendor", name, "--json").stdout for name in ("aws", "AWS", "Amazon")]
    assert json.loads(as_named[0]) and as_named[1:] == as_named[:1] * 2
    assert "--vendor [aws|azure|gcp]" in workbench("invoices", "list", "--help").stdout


def test_an_output_folder_that_cannot_be_made_is_a_usage_error_naming_it(october: tuple[str, Path], tmp_path: Path) -> None:
    ws, _ = october
    (tmp_path / "a-file").write_text("")
    number = json.loads(workbench("invoices", "list", ws, "--json").stdout)[0]["number"]
    for args, option in ((["invoices", "export", ws, number, "--format", "csv", "--out"], "--out"),
                         (["customers", "export", ws], "TARGET")):
        done = workbench(*args, str(tmp_path / "a-file" / "sub"), expect=2)
        assert f"Error: Invalid value for {option}: cannot " in done.stderr
        assert f"{tmp_path / 'a-file' / 'sub'}: Not a directory" in done.stderr and "Traceback" not in done.output


def test_init_on_an_existing_workspace_says_nothing_changed(tmp_path: Path) -> None:
    # it said "workspace ready" and the next steps, and dropped --name without a word
    ws = str(tmp_path / "ws")
    assert workbench("init", ws, "--name", "Northwind").stdout.startswith("workspace ready: ")
    again = workbench("init", ws, "--name", "Other name")
    assert again.stdout == f"workspace exists already: {tmp_path / 'ws'} (nothing changed)\n"
    assert "warning: --name is not applied to an existing workspace: its name stays 'Northwind'" in again.stderr


def test_invoices_of_a_customer_that_does_not_exist_are_not_found(october: tuple[str, Path]) -> None:
    ws, _ = october
    # it printed an empty table, exit 0, as if customer 999999 had no invoice yet; generate and
    # month-end said there is no such customer
    unknown = workbench("invoices", "list", ws, "--customer", "999999", expect=4)
    assert unknown.stdout == ""
    assert unknown.stderr.splitlines() == [
        "customer 999999: there is no customer with ID #999999",
        "  fix: check the ID with `workbench customers list`, or add the customer to customers.csv and import it",
    ]
    generated = workbench("generate", ws, "--vendor", "aws", "--range", "2025-10", "--customers", "999999",
                          "--today", TODAY.isoformat(), expect=3)
    assert unknown.stderr.splitlines()[0] in generated.stderr.splitlines()
    as_json = workbench("invoices", "list", ws, "--customer", "999999", "--json", expect=4)
    assert (json.loads(as_json.stdout), as_json.stderr) == ([], unknown.stderr)
    # a customer that exists and has no invoice is an empty list, as before
    assert json.loads(workbench("invoices", "list", ws, "--customer", "100004", "--json").stdout) == []

def test_remove_account_takes_the_vendor_as_accounts_csv_does(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    workbench("init", ws)
    workbench("customers", "import", ws, *map(str, write_tables(tmp_path, TABLES)))
    # accounts.csv maps "Amazon" to aws; this said "no Amazon account 333333333333 is mapped", exit 4
    done = workbench("customers", "remove-account", ws, "Amazon", "333333333333")
    assert done.stdout == "aws account 333333333333 no longer belongs to customer 100003\n"
    workbench("customers", "remove-account", ws, "aws", "333333333333", expect=4)  # gone


def test_a_table_given_to_the_report_import_is_sent_to_customers_import(october: tuple[str, Path]) -> None:
    ws, files = october
    table = str(files / "customers.csv")
    done = workbench("import", ws, table, expect=3)
    assert (f"  fix: customers.csv holds the customers table, not a vendor report: import it with "
            f"`workbench customers import {shlex.quote(ws)} {shlex.quote(table)}`") in done.stderr
    doc = json.loads(workbench("import", ws, table, "--json", expect=3).stdout)
    assert "workbench customers import" in doc["files"][0]["problems"][0]["fix"]


def test_a_vendor_report_given_to_the_table_import_is_sent_to_import(october: tuple[str, Path]) -> None:
    ws, files = october
    report = str(files / "cur-2025-10.csv")
    done = workbench("customers", "import", ws, report, expect=3)
    assert (f"  fix: cur-2025-10.csv is a vendor billing export (aws-cur-legacy), not a table: import it with "
            f"`workbench import {shlex.quote(ws)} {shlex.quote(report)}`") in done.stderr


def test_a_run_for_named_customers_speaks_of_them(october: tuple[str, Path]) -> None:
    ws, _ = october
    # Delta has no aws account: it was told "no aws usage in 2025-10", and of account 444444444444
    done = workbench("generate", ws, "--vendor", "aws", "--range", "2025-10", "--customers", "100004", "--today",
                     TODAY.isoformat(), expect=3)
    assert done.stderr.splitlines() == [
        "warning: customer 100004: no aws account: no invoice",
        "warning: 1 aws account(s) with usage in 2025-10 belong to no customer",
        "  fix: see them with `workbench unassigned DIR --vendor aws`",
        "0 draft invoice(s) for aws 2025-10; 0 customer(s) failed",
    ]


def test_a_range_without_usage_says_why_nothing_was_made(october: tuple[str, Path]) -> None:
    ws, _ = october
    # the October usage is dated the 1st; this printed only the count of drafts
    done = workbench("generate", ws, "--vendor", "aws", "--range", "2025-10-15..2025-10-31", "--today",
                     TODAY.isoformat(), expect=3)
    assert done.stderr.splitlines()[0] == (
        "warning: no customer has aws usage in 2025-10-15..2025-10-31: no invoice to make")
    assert done.stderr.splitlines()[-1] == "0 draft invoice(s) for aws 2025-10-15..2025-10-31; 0 customer(s) failed"


def test_month_end_for_named_customers_leaves_out_the_vendors_they_do_not_use(tmp_path: Path) -> None:
    """September 2023: the worked example's CUR and the real Azure sample (its subscriptions are
    nobody's: 18 subscriptions). Beta uses aws only: the azure run says nothing of Beta (it said
    "no azure usage"), and each vendor counts the accounts nobody owns in one line (it named
    each of them)."""
    from workbench.batch.month_end import generate_period
    from workbench.cli_workspace import open_directory

    ws = str(tmp_path / "ws")
    workbench("init", ws)
    workbench("customers", "import", ws, *map(str, write_tables(tmp_path, TABLES)))
    report = tmp_path / "cur-2023-09.csv"
    report.write_text(cur_rows(CUR, "2023-09"))
    workbench("import", ws, str(report), str(SAMPLES / "azure-ea-cost-2023-09.csv"))
    workspace = open_directory(ws)
    try:
        _, problems = generate_period(workspace, "2023-09", customers=["100002"])
    finally:
        workspace.close()
    assert not [p for p in problems if p.customer_id == "100002" and "azure" in p.message]
    assert [p.message for p in problems if p.code.startswith("unassigned")] == [
        "1 aws account(s) with usage in 2023-09 belong to no customer",
        "18 azure account(s) with usage in 2023-09 belong to no customer"]
