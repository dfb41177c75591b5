"""Bad table files: every problem is reported at once, with where and how to fix it, and the
database stays byte-for-byte as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.billing.core.problems import Problem, Severity
from workbench.billing.store import Workspace, import_tables

Writer = Callable[[Path, str, str], Path]
Dump = Callable[[Workspace], tuple[bytes, str]]

# (file, text, expected problems as (code, row, customer_id))
CASES: dict[str, tuple[str, str, list[tuple[str, int | None, str | None]]]] = {
    "missing column": ("customers.csv", """
        customer_id,contact_name
        C009,Zoe
        """, [("missing-columns", 0, None)]),
    "misspelt column": ("accounts.csv", """
        customer_id,vendor,account_id,acount_name
        C001,aws,333333333333,x
        """, [("unknown-columns", 0, None)]),
    "duplicate customer ids": ("customers.csv", """
        customer_id,name
        C009,Zeta
        C010,Eta
        C009,Zeta again
        """, [("duplicate-customer", 3, "C009")]),
    "account mapped to two customers in the file": ("accounts.csv", """
        customer_id,vendor,account_id,account_name
        C001,aws,333333333333,
        C002,aws,333333333333,
        """, [("account-two-customers", 2, "C002")]),
    "account already owned by another stored customer": ("accounts.csv", """
        customer_id,vendor,account_id,account_name
        C002,aws,111111111111,taken
        """, [("account-two-customers", 1, "C002")]),
    "unknown vendor": ("customer_vendors.csv", """
        customer_id,vendor,pricebook,invoice_currency
        C001,oracle,standard,CAD
        """, [("unknown-vendor", 1, "C001")]),
    "unknown currency": ("customer_vendors.csv", """
        customer_id,vendor,pricebook,invoice_currency
        C001,azure,standard,CAN
        """, [("unknown-currency", 1, "C001")]),
    "numbers that are not numbers": ("pricebooks.csv", """
        pricebook,effective_from,vendor,scope,match,markup_percent
        standard,2024-05,aws,default,,15%
        standard,2024-05,aws,service,AmazonEC2,"1,5"
        standard,2024-05,aws,service,AmazonS3,
        """, [("not-a-number", 1, None), ("not-a-number", 2, None), ("missing-value", 3, None)]),
    "bad months": ("fx_rates.csv", """
        period,from_currency,to_currency,rate
        2024-13,USD,CAD,1.3
        Jan 2024,USD,CAD,1.3
        """, [("bad-month", 1, None), ("bad-month", 2, None)]),
    "bad dates": ("credits.csv", """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        C001,X1,2024-02-30,10,CAD,general,aws,
        C001,X2,15/01/2024,10,CAD,general,aws,
        """, [("bad-date", 1, "C001"), ("bad-date", 2, "C001")]),
    "a credit row with a bad date and a negative amount: both at once": ("credits.csv", """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        C001,CR-X,2023-13-01,-5,CAD,general,,
        """, [("bad-date", 1, "C001"), ("bad-credit", 1, "C001")]),
    "an fx row with a bad month and a negative rate: both at once": ("fx_rates.csv", """
        period,from_currency,to_currency,rate
        2024-13,USD,CAD,-1.35
        """, [("bad-month", 1, None), ("bad-fx-rate", 1, None)]),
    "unknown customers": ("accounts.csv", """
        customer_id,vendor,account_id,account_name
        C404,aws,333333333333,
        """, [("unknown-customer", 1, "C404")]),
    "negative and zero fx rates": ("fx_rates.csv", """
        period,from_currency,to_currency,rate
        2024-01,USD,CAD,-1.35
        2024-01,USD,EUR,0
        2024-01,USD,USD,1
        """, [("bad-fx-rate", 1, None), ("bad-fx-rate", 2, None), ("bad-fx-rate", 3, None)]),
    "default rule with a match, service rule without": ("pricebooks.csv", """
        pricebook,effective_from,vendor,scope,match,markup_percent
        standard,2024-05,aws,default,AmazonEC2,10
        standard,2024-05,aws,service,,10
        standard,2024-05,aws,region,us-east-1,10
        """, [("bad-match", 1, None), ("bad-match", 2, None), ("bad-choice", 3, None)]),
    "negative support fee and tax": ("support_plans.csv", """
        pricebook,effective_from,vendor,percent,monthly_minimum
        standard,2024-05,aws,-3,-100
        """, [("negative-amount", 1, None), ("negative-amount", 1, None)]),
    "a file that is no table": ("clients.csv", """
        customer_id,name
        C009,Zeta
        """, [("unknown-table", None, None)]),
    "two reseller rows": ("reseller.csv", """
        name,address,contact_email,logo_file,payment_terms_days,portal_url
        Northwind,,,,30,
        Southwind,,,,thirty,
        """, [("bad-days", 2, None)]),
    "cells beyond the header": ("customers.csv", """
        customer_id,name
        C009,Zeta,Inc
        """, [("extra-cells", 1, "C009")]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_reported_and_nothing_changes(base: Workspace, tmp_path: Path, write: Writer, db_dump: Dump, case: str) -> None:
    name, text, expected = CASES[case]
    before = db_dump(base)
    summary, problems = import_tables(base, [write(tmp_path, name, text)])
    assert [(p.code, p.row, p.customer_id) for p in problems] == expected
    for p in problems:
        assert p.file == name and p.fix and p.severity is Severity.ERROR
    assert summary.changed == 0
    assert db_dump(base) == before


def test_two_reseller_rows_are_refused(base: Workspace, tmp_path: Path, write: Writer, db_dump: Dump) -> None:
    before = db_dump(base)
    _, problems = import_tables(base, [write(tmp_path, "reseller.csv", """
        name,address,contact_email,logo_file,payment_terms_days,portal_url
        Northwind,,,,30,
        Southwind,,,,30,
        """)])
    assert [(p.code, p.row) for p in problems] == [("reseller-rows", 2)]
    assert db_dump(base) == before


def test_one_bad_file_keeps_every_good_file_out_too(base: Workspace, tmp_path: Path, write: Writer, db_dump: Dump) -> None:
    before = db_dump(base)
    good = write(tmp_path, "customers.csv", """
        customer_id,name
        C003,Initech
        """)
    bad = write(tmp_path, "tax_rates.csv", """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-ON,HST,thirteen,2024-01
        """)
    summary, problems = import_tables(base, [good, bad])
    assert [str(p) for p in problems] == [
        "tax_rates.csv, row 1: rate_percent 'thirteen' is not a number\n"
        "  fix: write a plain number with a dot for decimals and no % sign, thousands separator or currency, e.g. -7.5"
    ]
    assert db_dump(base) == before


def test_references_to_customers_in_the_same_import_are_fine(ws: Workspace, tmp_path: Path, write: Writer) -> None:
    accounts = write(tmp_path, "accounts.csv", """
        customer_id,vendor,account_id,account_name
        C001,gcp,acme-data,
        """)
    customers = write(tmp_path, "customers.csv", """
        customer_id,name
        C001,Acme
        """)
    summary, problems = import_tables(ws, [accounts, customers])  # order of files does not matter
    assert problems == ()
    assert summary.count("accounts").inserted == 1


def test_a_customer_row_that_is_itself_bad_does_not_also_orphan_its_accounts(ws: Workspace, tmp_path: Path, write: Writer) -> None:
    customers = write(tmp_path, "customers.csv", """
        customer_id,name,payment_terms_days
        C001,Acme,soon
        """)
    accounts = write(tmp_path, "accounts.csv", """
        customer_id,vendor,account_id,account_name
        C001,gcp,acme-data,
        """)
    _, problems = import_tables(ws, [customers, accounts])
    assert [p.code for p in problems] == ["bad-days"]


def test_warnings_do_not_stop_an_import(base: Workspace, tmp_path: Path, write: Writer) -> None:
    summary, problems = import_tables(base, [write(tmp_path, "customer_vendors.csv", """
        customer_id,vendor,pricebook,invoice_currency
        C002,gcp,gold,USD
        """)])
    assert problems == (
        Problem("pricebook-undefined", "pricebook gold has no rules for gcp yet", "customer_vendors.csv", 1, "C002",
                "add its rules to pricebooks.csv before generating invoices", Severity.WARNING),
    )
    assert summary.count("customer_vendors").inserted == 1


def test_an_unreadable_workbook_is_a_problem(base: Workspace, tmp_path: Path, db_dump: Dump) -> None:
    before = db_dump(base)
    fake = tmp_path / "tables.xlsx"
    fake.write_text("not a zip")
    _, problems = import_tables(base, [fake])
    assert [(p.code, p.file) for p in problems] == [("unreadable-workbook", "tables.xlsx")]
    assert db_dump(base) == before


def test_a_logo_the_statements_will_not_find_is_a_warning_at_import(ws: Workspace, tmp_path: Path, write: Writer) -> None:
    """brand.png next to reseller.csv outside the workspace: imported, but every statement PDF would
    fail to print and every email go without its PDF. Said at once, with where to put it."""
    tables = tmp_path / "tables"
    reseller = write(tables, "reseller.csv", """
        name,address,contact_email,logo_file,payment_terms_days
        Northwind Cloud,1 Harbour Rd,billing@northwind.example,brand.png,30
        """)
    (tables / "brand.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    _, problems = import_tables(ws, [reseller])
    assert [(p.code, p.severity, p.row) for p in problems] == [("logo-not-found", Severity.WARNING, 1)]
    assert problems[0].message == (f"the logo file 'brand.png' is not found (looked under {ws.root} in ., imports, "
                                   "imports/tables): statements cannot be printed")
    assert problems[0].fix == f"copy it into {ws.imports_dir} (or give an absolute path in logo_file)"
    (ws.imports_dir / "brand.png").write_bytes((tables / "brand.png").read_bytes())
    assert import_tables(ws, [reseller])[1] == ()  # where the statements look: nothing to say


def test_a_tax_jurisdiction_the_tax_table_does_not_know_is_a_warning_with_the_nearest(base: Workspace, tmp_path: Path,
                                                                                     write: Writer) -> None:
    """'CA-ONT' for 'CA-ON': the customer's invoices would carry no tax, which generation would
    only say weeks later, per invoice. The import says it now and names what was meant."""
    tax_rates = write(tmp_path, "tax_rates.csv", """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-ON,HST,13,2024-01
        CA-QC,GST,5,2024-01
        CA-QC,QST,9.975,2024-01
        """)
    customers = write(tmp_path, "customers.csv", """
        customer_id,name,tax_jurisdiction
        C001,Acme Ltd,CA-ONT
        C002,Globex,ca-qc
        C003,Initech,US-DE
        """)
    summary, problems = import_tables(base, [tax_rates, customers])
    assert [(p.code, p.severity, p.row, p.customer_id) for p in problems] == [
        ("unknown-tax-jurisdiction", Severity.WARNING, 1, "C001"),
        ("unknown-tax-jurisdiction", Severity.WARNING, 2, "C002"),
        ("unknown-tax-jurisdiction", Severity.WARNING, 3, "C003"),
    ]
    assert problems[0].message == ("tax jurisdiction 'CA-ONT' of customer C001 has no rates in the tax table: "
                                   "its invoices would have no tax")
    assert problems[0].fix.startswith("did you mean 'CA-ON'? Fix the customer's tax_jurisdiction in customers.csv")
    assert problems[1].fix.startswith("did you mean 'CA-QC'?")  # a different case is the nearest of all
    assert problems[2].fix == "if it is a jurisdiction of its own, add its taxes to tax_rates.csv (0 % for none)"
    assert summary.count("customers").inserted == 1  # a warning: the import went in all the same

    fixed = write(tmp_path, "customers.csv", """
        customer_id,name,tax_jurisdiction
        C001,Acme Ltd,CA-ON
        C002,Globex,CA-QC
        """)
    assert import_tables(base, [fixed])[1] == ()  # the stored tax table is what it checks against now


def test_no_jurisdiction_warning_while_the_workspace_keeps_no_tax_table(base: Workspace, tmp_path: Path,
                                                                         write: Writer) -> None:
    """A reseller that charges no tax, or has not imported its rates yet, is not told about every customer."""
    customers = write(tmp_path, "customers.csv", """
        customer_id,name,tax_jurisdiction
        C003,Initech,US-DE
        """)
    assert import_tables(base, [customers])[1] == ()
