"""Invoice numbers on each database: VENDOR-YYYYMM-NNNNN, counted per vendor and month, never
given twice (store/invoice_numbers.py, revision 0008).

The worked example of tests/billing, with an Azure side too: Acme and Beta each have an Azure
subscription (Standard pricebook, 12% on Azure) and an inline Azure EA export for October 2025.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, update

from billing.conftest import cur_rows, load
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import delete_drafts
from workbench.billing.store import audit
from workbench.billing.store import models as m
from workbench.billing.store.invoice_numbers import take_numbers
from workbench.billing.store.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.workspace import Workspace

from .worked_example import CUR, TABLES, TODAY

OCTOBER = given_month("2025-10")
ACME, BETA = "100001", "100002"

AZURE_TABLES = {
    **TABLES,
    "customer_vendors": TABLES["customer_vendors"] + """
        100001,azure,Standard,CAD
        100002,azure,Standard,USD
    """,
    "accounts": TABLES["accounts"] + """
        100001,azure,sub-acme,acme-azure
        100002,azure,sub-beta,beta-azure
    """,
    "pricebooks": TABLES["pricebooks"] + """
        Standard,2025-01,azure,default,,12
    """,
}

AZURE_OCTOBER = """\
SubscriptionId,Date,BillingPeriodStartDate,MeterCategory,CostInBillingCurrency,BillingCurrencyCode,ChargeType
sub-acme,10/5/2025,10/1/2025,Storage,20,USD,Usage
sub-beta,10/6/2025,10/1/2025,Storage,30,USD,Usage
"""


@pytest.fixture
def two_vendors(any_db_workspace: Workspace, tmp_path: Path) -> Workspace:
    tables = tmp_path / "tables"
    tables.mkdir()
    load(any_db_workspace, tables, AZURE_TABLES)
    (tmp_path / "cur-2025-10.csv").write_text(cur_rows(CUR, "2025-10"))
    (tmp_path / "azure-2025-10.csv").write_text(AZURE_OCTOBER)
    outcome = import_reports(any_db_workspace, [tmp_path / "cur-2025-10.csv", tmp_path / "azure-2025-10.csv"])
    assert [f.status.value for f in outcome.files] == ["imported", "imported"]
    return any_db_workspace


def _generate(ws: Workspace, vendor: str, *customers: str) -> list[str]:
    return [i.number for i in generate_invoices(ws, vendor, OCTOBER, list(customers), today=TODAY).invoices]


def test_each_vendor_numbers_its_month_from_00001_whatever_the_others_generate(two_vendors: Workspace) -> None:
    # runs of the two vendors in turn: each vendor's numbers still follow on without a gap
    assert _generate(two_vendors, "aws", ACME) == ["AWS-202510-00001"]
    assert _generate(two_vendors, "azure", ACME) == ["AZURE-202510-00001"]
    assert _generate(two_vendors, "azure", BETA) == ["AZURE-202510-00002"]
    assert _generate(two_vendors, "aws", BETA) == ["AWS-202510-00002"]


def test_a_run_of_several_customers_takes_consecutive_numbers_in_customer_order(two_vendors: Workspace) -> None:
    made = generate_invoices(two_vendors, "aws", OCTOBER, today=TODAY).invoices
    assert [(i.customer_id, i.number) for i in made] == [(ACME, "AWS-202510-00001"), (BETA, "AWS-202510-00002")]


def test_a_deleted_drafts_number_is_never_given_again(two_vendors: Workspace) -> None:
    """SQLite gives the highest row id of a deleted row to the next one: the number made from the
    id, and the month-end folder named by it, went to the next invoice."""
    assert _generate(two_vendors, "aws", ACME, BETA) == ["AWS-202510-00001", "AWS-202510-00002"]
    assert delete_drafts(two_vendors, ["AWS-202510-00002"], reason="wrong pricebook") == ["AWS-202510-00002"]
    assert _generate(two_vendors, "aws", BETA) == ["AWS-202510-00003"]
    # the gap is the deleted draft, and the audit trail says so
    assert [(e.action, e.entity_id) for e in audit.events(two_vendors, entity="invoice")] == [
        ("invoice.generate", "AWS-202510-00001"),
        ("invoice.generate", "AWS-202510-00002"),
        ("invoice.delete", "AWS-202510-00002"),
        ("invoice.generate", "AWS-202510-00003"),
    ]


def test_each_month_has_its_own_counter_and_a_rolled_back_run_takes_no_number(two_vendors: Workspace) -> None:
    with two_vendors.session() as session:
        assert take_numbers(session, "aws", dt.date(2025, 10, 1), 2) == ["AWS-202510-00001", "AWS-202510-00002"]
        assert take_numbers(session, "aws", dt.date(2025, 11, 15), 1) == ["AWS-202511-00001"]  # the start's month
        assert take_numbers(session, "aws", dt.date(2025, 10, 20), 0) == []
    with pytest.raises(RuntimeError), two_vendors.session() as session:
        assert take_numbers(session, "aws", dt.date(2025, 10, 1), 1) == ["AWS-202510-00003"]
        raise RuntimeError("the run fails before it commits")
    with two_vendors.session() as session:
        assert take_numbers(session, "aws", dt.date(2025, 10, 1), 1) == ["AWS-202510-00003"]


def test_a_workspace_at_revision_0007_continues_after_its_highest_number(two_vendors: Workspace) -> None:
    """Before 0008 a number was the invoice's row id, shared by every vendor: a workspace whose
    October AWS invoice is 00016 (other vendors took the ids before it) and whose draft 00018 was
    deleted (only the audit trail names it now) goes on at 00019 once upgraded; a vendor and
    month it never billed starts at 00001."""
    assert _generate(two_vendors, "aws", ACME, BETA) == ["AWS-202510-00001", "AWS-202510-00002"]
    engine = two_vendors.engine
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0007")
    assert current_revision(engine) == "0007"
    old_numbers = {"AWS-202510-00001": "AWS-202510-00016", "AWS-202510-00002": "AWS-202510-00018"}
    with two_vendors.session() as session:  # as 0007 had numbered them, and the trail named them
        for new, old in old_numbers.items():
            session.execute(update(m.Invoice).where(m.Invoice.number == new).values(number=old))
            session.execute(update(m.AuditEvent).where(m.AuditEvent.entity_id == new).values(entity_id=old))
    delete_drafts(two_vendors, ["AWS-202510-00018"])

    upgrade_to_head(engine.url.render_as_string(hide_password=False))
    assert current_revision(engine) == head_revision()
    with two_vendors.session() as session:
        assert [(s.vendor, s.month, s.last_number) for s in session.scalars(select(m.InvoiceNumberSequence))] == [
            ("aws", "2025-10", 18)]
    assert _generate(two_vendors, "aws", BETA) == ["AWS-202510-00019"]
    assert _generate(two_vendors, "azure", BETA) == ["AZURE-202510-00001"]
