"""Once invoices of a month are generated, the reference data they were priced from stays as it
was: pricebook, tax and FX changes apply from the next open month, and a customer's pricebook,
currency and tax jurisdiction wait until its invoices are deleted or voided. One rule, one
wording: the refusal names the invoices holding the month and what releases them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import update

from workbench.billing.store import Workspace, import_tables
from workbench.billing.store.models import Invoice

Writer = Callable[[Path, str, str], Path]
Dump = Callable[[Workspace], tuple[bytes, str]]
Lock = Callable[[Workspace, str, str, str], None]


def test_a_rule_reaching_into_a_closed_month_is_refused(
    base: Workspace, tmp_path: Path, write: Writer, db_dump: Dump, lock_period: Lock
) -> None:
    lock_period(base, "C001", "aws", "2024-03")  # C001 uses pricebook "standard" on aws
    before = db_dump(base)
    _, problems = import_tables(base, [write(tmp_path, "pricebooks.csv", """
        pricebook,effective_from,vendor,scope,match,markup_percent
        standard,2024-03,aws,service,AmazonEC2,20
        """)])
    assert [str(p) for p in problems] == [
        "pricebooks.csv, row 1, customer C001: pricebook rule of pricebook standard (aws) takes effect from 2024-03, "
        "but 2024-03 is closed for customer(s) C001 (Acme Ltd) by invoice(s) DRAFT-C001-aws-2024-03 (draft)\n"
        "  fix: changes take effect from the current open month: set effective_from to 2024-04 or later; or delete "
        "the draft invoice(s) DRAFT-C001-aws-2024-03 first, then import again (and generate those invoices anew)"
    ]
    assert db_dump(base) == before


def test_changing_an_existing_rule_of_an_earlier_version_is_refused_too(
    base: Workspace, tmp_path: Path, write: Writer, db_dump: Dump, lock_period: Lock
) -> None:
    lock_period(base, "C001", "aws", "2024-03")
    before = db_dump(base)
    _, problems = import_tables(base, [write(tmp_path, "pricebooks.csv", """
        pricebook,effective_from,vendor,scope,match,markup_percent
        standard,2024-01,aws,default,,16
        """), write(tmp_path, "support_plans.csv", """
        pricebook,effective_from,vendor,percent,monthly_minimum
        standard,2024-02,aws,4,100
        """)])
    assert [(p.code, p.file, p.row) for p in problems] == [
        ("pricebook-month-closed", "pricebooks.csv", 1),
        ("pricebook-month-closed", "support_plans.csv", 1),
    ]
    assert db_dump(base) == before


def test_the_same_change_from_the_open_month_is_accepted(base: Workspace, tmp_path: Path, write: Writer, lock_period: Lock) -> None:
    lock_period(base, "C001", "aws", "2024-03")
    summary, problems = import_tables(base, [write(tmp_path, "pricebooks.csv", """
        pricebook,effective_from,vendor,scope,match,markup_percent
        partner,2024-01,aws,default,,-5
        standard,2024-01,aws,default,,15
        standard,2024-04,aws,default,,16
        """)])
    assert problems == ()  # unchanged rows of closed months are no change
    assert (summary.count("pricebooks").inserted, summary.count("pricebooks").unchanged) == (1, 2)


def test_pricebooks_of_customers_without_locks_stay_editable(base: Workspace, tmp_path: Path, write: Writer, lock_period: Lock) -> None:
    lock_period(base, "C001", "aws", "2024-03")
    lock_period(base, "C002", "azure", "2024-03")  # C002's aws pricebook "partner" is not locked on aws
    summary, problems = import_tables(base, [write(tmp_path, "pricebooks.csv", """
        pricebook,effective_from,vendor,scope,match,markup_percent
        partner,2024-01,aws,default,,-6
        """)])
    assert problems == ()
    assert summary.count("pricebooks").updated == 1


def test_assigning_a_pricebook_in_the_same_import_counts(base: Workspace, tmp_path: Path, write: Writer, lock_period: Lock) -> None:
    lock_period(base, "C002", "aws", "2024-02")
    _, problems = import_tables(base, [write(tmp_path, "customer_vendors.csv", """
        customer_id,vendor,pricebook,invoice_currency
        C002,aws,gold,USD
        """), write(tmp_path, "pricebooks.csv", """
        pricebook,effective_from,vendor,scope,match,markup_percent
        gold,2024-01,aws,default,,8
        """)])
    # the assignment itself is a change of C002's aws pricebook, refused as such
    assert [(p.code, p.file, p.customer_id) for p in problems] == [
        ("profile-month-closed", "customer_vendors.csv", "C002"), ("pricebook-month-closed", "pricebooks.csv", "C002")]


def test_an_issued_invoice_holds_the_month_until_it_is_voided(
    base: Workspace, tmp_path: Path, write: Writer, lock_period: Lock
) -> None:
    lock_period(base, "C001", "aws", "2024-03")
    with base.session() as session:
        session.execute(update(Invoice).values(status="past_due"))
    _, problems = import_tables(base, [write(tmp_path, "support_plans.csv", """
        pricebook,effective_from,vendor,percent,monthly_minimum
        standard,2024-02,aws,4,100
        """)])
    assert [p.message for p in problems] == [
        "support plan of pricebook standard (aws) takes effect from 2024-02, but 2024-03 is closed for customer(s) "
        "C001 (Acme Ltd) by invoice(s) DRAFT-C001-aws-2024-03 (past due)"]
    assert [p.fix for p in problems] == [
        "changes take effect from the current open month: set effective_from to 2024-04 or later; or void the "
        "issued invoice(s) DRAFT-C001-aws-2024-03 (issued invoices never change; re-issue after) first, then import "
        "again (and generate those invoices anew)"]


# --- FX rates, tax rates, and the customer's profile: the same rule ---------------------------------

REFERENCE = {
    "fx_rates.csv": """
        period,from_currency,to_currency,rate
        2024-03,USD,CAD,1.35
        2024-03,USD,EUR,0.92
        """,
    "tax_rates.csv": """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-ON,HST,13,2020-01
        CA-QC,GST,5,2020-01
        """,
}


def test_fx_tax_and_profile_changes_reaching_a_closed_month_are_refused_all_at_once(
    base: Workspace, tmp_path: Path, write: Writer, db_dump: Dump, lock_period: Lock
) -> None:
    """C001 (Acme, CA-ON, pricebook standard in CAD) has a draft for March 2024, priced from
    USD at the March rate to CAD and Ontario's HST: none of them may change under it."""
    assert import_tables(base, [write(tmp_path / "ref", name, text) for name, text in REFERENCE.items()])[1] == ()
    lock_period(base, "C001", "aws", "2024-03")
    before = db_dump(base)
    _, problems = import_tables(base, [write(tmp_path, "fx_rates.csv", """
        period,from_currency,to_currency,rate
        2024-03,USD,CAD,1.40
        """), write(tmp_path, "tax_rates.csv", """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-ON,HST,15,2024-01
        """), write(tmp_path, "customer_vendors.csv", """
        customer_id,vendor,pricebook,invoice_currency
        C001,aws,standard,USD
        """), write(tmp_path, "customers.csv", """
        customer_id,name,tax_jurisdiction
        C001,Acme Ltd,CA-QC
        """)])
    held = "closed for customer(s) C001 (Acme Ltd) by invoice(s) DRAFT-C001-aws-2024-03 (draft)"
    undo = "delete the draft invoice(s) DRAFT-C001-aws-2024-03 first, then import again (and generate those invoices anew)"
    assert [str(p) for p in problems] == [
        f"customer_vendors.csv, row 1, customer C001: customer C001's aws pricebook and currency would change from "
        f"standard CAD to standard USD, but 2024-03 is {held}\n  fix: {undo}",
        f"customers.csv, row 1, customer C001: customer C001's tax jurisdiction would change from CA-ON to CA-QC, "
        f"but 2024-03 is {held}\n  fix: {undo}",
        f"fx_rates.csv, row 1, customer C001: the 2024-03 FX rate USD -> CAD would be 1.40, but 2024-03 is {held}\n"
        f"  fix: {undo}",
        f"tax_rates.csv, row 1, customer C001: tax HST of jurisdiction CA-ON takes effect from 2024-01, but 2024-03 is "
        f"{held}\n  fix: changes take effect from the current open month: set effective_from to 2024-04 or later; "
        f"or {undo}",
    ]
    assert [p.code for p in problems] == ["profile-month-closed", "profile-month-closed", "fx-month-closed",
                                          "tax-month-closed"]
    assert db_dump(base) == before


def test_changes_that_reach_no_closed_month_are_accepted(
    base: Workspace, tmp_path: Path, write: Writer, lock_period: Lock
) -> None:
    """Another month's rate, another currency pair, a tax from the open month, another
    jurisdiction's tax, C001's name, and C002 (no invoices) changing everything."""
    assert import_tables(base, [write(tmp_path / "ref", name, text) for name, text in REFERENCE.items()])[1] == ()
    lock_period(base, "C001", "aws", "2024-03")
    summary, problems = import_tables(base, [write(tmp_path, "fx_rates.csv", """
        period,from_currency,to_currency,rate
        2024-03,USD,CAD,1.35
        2024-03,USD,EUR,0.93
        2024-04,USD,CAD,1.40
        """), write(tmp_path, "tax_rates.csv", """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-ON,HST,15,2024-04
        CA-QC,GST,6,2024-01
        """), write(tmp_path, "customer_vendors.csv", """
        customer_id,vendor,pricebook,invoice_currency
        C001,aws,standard,CAD
        C002,aws,standard,CAD
        """), write(tmp_path, "customers.csv", """
        customer_id,name,tax_jurisdiction
        C001,Acme Limited,CA-ON
        C002,Globex,CA-ON
        """)])
    assert problems == ()
    assert [(c.table, c.inserted, c.updated, c.unchanged) for c in summary.counts] == [
        ("customers", 0, 2, 0), ("customer_vendors", 0, 1, 1), ("tax_rates", 2, 0, 0), ("fx_rates", 1, 1, 1)]


# --- a new version replaces the previous one whole ----------------------------------------------

def test_a_version_leaving_out_rules_of_the_one_before_is_a_warning(base: Workspace, tmp_path: Path, write: Writer) -> None:
    assert import_tables(base, [write(tmp_path / "v1", "pricebooks.csv", """
        pricebook,effective_from,vendor,scope,match,markup_percent
        standard,2024-01,aws,service,AmazonEC2,10
        standard,2024-01,aws,service,AmazonS3,8
        standard,2024-01,aws,sku,USE1-TimedStorage-ByteHrs,-5
        standard,2024-01,aws,product_type,Storage,4
        """)])[1] == ()
    summary, problems = import_tables(base, [write(tmp_path, "pricebooks.csv", """
        pricebook,effective_from,vendor,scope,match,markup_percent
        standard,2024-11,aws,service,AmazonEC2,9
        """)])
    assert summary.count("pricebooks").inserted == 1  # a warning: imported
    assert [str(p) for p in problems] == [
        "warning: pricebooks.csv, row 1: standard (aws) 2024-11 has no default rule (its 2024-01 version's was +15 %) "
        "and leaves out 3 rule(s) of its 2024-01 version (product_type Storage +4 %, service AmazonS3 +8 %, "
        "sku USE1-TimedStorage-ByteHrs -5 %): from 2024-11 lines no rule matches are billed at cost\n"
        "  fix: a version replaces the previous one whole: repeat in 2024-11 the rules of 2024-01 you keep"]


def test_a_version_repeating_the_rules_it_keeps_is_no_warning(base: Workspace, tmp_path: Path, write: Writer) -> None:
    _, problems = import_tables(base, [write(tmp_path, "pricebooks.csv", """
        pricebook,effective_from,vendor,scope,match,markup_percent
        standard,2024-11,aws,default,,16
        standard,2024-11,aws,service,AmazonEC2,9
        partner,2024-01,aws,default,,-5
        """)])
    assert problems == ()
    _, problems = import_tables(base, [write(tmp_path / "again", "pricebooks.csv", """
        pricebook,effective_from,vendor,scope,match,markup_percent
        standard,2024-12,aws,service,AmazonEC2,9
        """)])
    assert [p.message for p in problems] == [
        "standard (aws) 2024-12 has no default rule (its 2024-11 version's was +16 %): from 2024-12 lines no rule "
        "matches are billed at cost"]
