"""Once invoices of a month are generated, pricebook changes apply from the next open month."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workbench.billing.store import Workspace, import_tables

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
        "but 2024-03 is closed: invoices were generated for customer(s) C001\n"
        "  fix: changes take effect from the current open month: set effective_from to 2024-04 or later"
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
    assert [(p.code, p.customer_id) for p in problems] == [("pricebook-month-closed", "C002")]
