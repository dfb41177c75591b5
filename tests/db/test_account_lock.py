"""An account with usage in a generated period stays with its customer, on every database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from billing.conftest import cur_rows, write_tables

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import custom, given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import delete_drafts
from workbench.billing.store.report_import import import_reports
from workbench.billing.store import models as m
from workbench.billing.store.table_import import import_tables, remove_account
from workbench.billing.store.workspace import Workspace

from .worked_example import TODAY, load_worked_example


@pytest.fixture
def billed(any_db_workspace: Workspace, tmp_path: Path) -> Workspace:
    return load_worked_example(any_db_workspace, tmp_path)


def test_a_draft_keeps_its_accounts_until_it_is_deleted(billed: Workspace, tmp_path: Path) -> None:
    made = generate_invoices(billed, "aws", given_month("2025-10"), options=InvoiceOptions(), today=TODAY).invoices
    beta = next(i.number for i in made if i.customer_id == "100002")
    accounts = write_tables(tmp_path, {"accounts": """
        customer_id,vendor,account_id,account_name
        100002,aws,444444444444,nobody's until now
    """})
    _, problems = import_tables(billed, accounts)
    assert [(p.code, p.row, p.customer_id) for p in problems] == [("period-locked", 1, "100002")]
    _, problems = remove_account(billed, "aws", "222222222222")
    assert [(p.code, p.customer_id) for p in problems] == [("period-locked", "100002")]
    with billed.session() as s:
        assert {a.account_id: a.customer_id for a in s.query(m.Account)} == {
            "111111111111": "100001", "222222222222": "100002", "333333333333": "100003"}

    delete_drafts(billed, [beta])
    _, problems = import_tables(billed, accounts)
    assert problems == ()
    assert remove_account(billed, "aws", "222222222222") == ("100002", ())


def test_a_custom_range_holds_the_accounts_used_on_its_days(billed: Workspace, tmp_path: Path) -> None:
    """Beta billed for 1-15 October: an account used on the 20th only is assigned; one whose
    line was used on the 10th and the 20th (read by day) is not."""
    generate_invoices(billed, "aws", custom(dt.date(2025, 10, 1), dt.date(2025, 10, 15)), ["100002"],
                      options=InvoiceOptions(), today=TODAY)
    line = {"type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "EUC1-BoxUsage:m5.large",
            "cost": "20.25"}
    report = tmp_path / "cur-2025-10-second-payer.csv"
    report.write_text(cur_rows([{**line, "account": "300000000004", "day": "2025-10-20"},
                                {**line, "account": "300000000006", "day": "2025-10-10"},
                                {**line, "account": "300000000006", "day": "2025-10-20"}], "2025-10", payer="888888888888"))
    assert [f.status for f in import_reports(billed, [report]).files] == ["imported"]
    accounts = write_tables(tmp_path, {"accounts": """
        customer_id,vendor,account_id,account_name
        100002,aws,300000000004,used on the 20th
        100002,aws,300000000006,used on the 10th and the 20th
    """})
    _, problems = import_tables(billed, accounts)
    assert [(p.code, p.row, p.customer_id) for p in problems] == [("period-locked", 2, "100002")]

    accounts = write_tables(tmp_path, {"accounts": """
        customer_id,vendor,account_id,account_name
        100002,aws,300000000004,used on the 20th
    """})
    summary, problems = import_tables(billed, accounts)
    assert (problems, summary.count("accounts").inserted) == ((), 1)
