"""Who owns an account decides whose invoice its usage is priced into: once a period is locked
(invoices generated), the accounts with usage in it stay with their customers, as the usage
itself does (`period-locked` on import), until the drafts are deleted or the invoices voided."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import custom, given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.integrity import verify
from workbench.billing.invoices import approve, delete_drafts, set_status
from workbench.billing.store import models as m
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.table_import import import_tables, remove_account
from workbench.billing.store.usage_files import rows_files
from workbench.billing.store.usage_queries import current_reports
from workbench.billing.store.workspace import Workspace

from .conftest import cur_rows, write_tables
from .worked_example import TODAY

OPTIONS = InvoiceOptions(apply_credits=True, include_marketplace=True)

# October usage of a second payer account: one linked account that no customer has yet
MAPLE_EU = [{"account": "300000000004", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance",
             "usage_type": "EUC1-BoxUsage:m5.large", "cost": "80.25"}]


def generate(ws: Workspace) -> dict[str, str]:
    """October's drafts: customer id -> invoice number (Gamma has no pricebook: no invoice)."""
    made = generate_invoices(ws, "aws", given_month("2025-10"), options=OPTIONS, today=TODAY).invoices
    return {i.customer_id: i.number for i in made}


def import_second_payer(ws: Workspace, tmp_path: Path, currency: str = "USD") -> None:
    report = tmp_path / f"cur-2025-10-eu-{currency}.csv"
    report.write_text(cur_rows(MAPLE_EU, "2025-10", payer="888888888888", currency=currency))
    assert [f.status.value for f in import_reports(ws, [report]).files] == ["imported"]  # unassigned usage is fine


def accounts(ws: Workspace, tmp_path: Path, text: str):
    folder = tmp_path / "accounts-import"
    folder.mkdir(exist_ok=True)
    return import_tables(ws, write_tables(folder, {"accounts": "customer_id,vendor,account_id,account_name\n" + text.strip()}))


def owners(ws: Workspace) -> dict[str, str]:
    with ws.session() as s:
        return {a.account_id: a.customer_id for a in s.query(m.Account)}


def test_assigning_an_account_with_usage_in_an_issued_period_is_refused(billed, tmp_path):
    """The reviewer's back door: the account is assigned after the invoice was issued and the
    issued invoice no longer matches its usage. Now refused; nothing stored; verify stays clean."""
    import_second_payer(billed, tmp_path)
    numbers = generate(billed)
    approve(billed, [numbers["100002"]], today=dt.date(2025, 11, 21))
    before = owners(billed)

    _, problems = accounts(billed, tmp_path, """
        100002,aws,300000000004,Maple Finance EU
        100002,aws,555555555555,no usage yet
    """)
    assert [str(p) for p in problems] == [
        "accounts.csv, row 1, customer 100002: aws account 300000000004 has usage in 2025-10, locked for customer(s) "
        f"100002 (Beta Ltd) by invoice(s) {numbers['100002']} (open): assigning it to customer 100002 would change "
        "the usage those invoices were priced from\n"
        f"  fix: void the issued invoice(s) {numbers['100002']} (issued invoices never change; re-issue after) first, "
        "then import the file again; or keep the account unassigned"
    ]
    assert owners(billed) == before  # the row without usage was not stored either: all or nothing
    assert all(r.ok for r in verify(billed))

    # an account without usage in a locked period is assigned as before
    summary, problems = accounts(billed, tmp_path, "100002,aws,555555555555,no usage yet\n")
    assert (problems, summary.count("accounts").inserted) == ((), 1)

    # once the invoice is void the period is open again: the account can be assigned
    set_status(billed, [numbers["100002"]], Status.VOID, reason="account was missing")
    summary, problems = accounts(billed, tmp_path, "100002,aws,300000000004,Maple Finance EU\n")
    assert (problems, summary.count("accounts").inserted) == ((), 1)


def test_a_draft_holds_the_account_until_it_is_deleted(billed, tmp_path):
    import_second_payer(billed, tmp_path)
    numbers = generate(billed)
    _, problems = accounts(billed, tmp_path, "100001,aws,300000000004,Maple Finance EU\n")
    assert [(p.code, p.customer_id) for p in problems] == [("period-locked", "100001")]
    assert problems[0].fix == (f"delete the draft invoice(s) {numbers['100001']} first, then import the file again; "
                               "or keep the account unassigned")

    delete_drafts(billed, [numbers["100001"]])
    summary, problems = accounts(billed, tmp_path, "100001,aws,300000000004,Maple Finance EU\n")
    assert (problems, summary.count("accounts").inserted) == ((), 1)


def test_moving_or_removing_an_account_is_refused_for_either_customer_s_locked_period(billed, tmp_path):
    """Gamma (100003) has no invoice, Beta (100002) has: moving Gamma's account (usage in
    October) to Beta would add usage to Beta's invoice, removing Beta's own takes usage away."""
    numbers = generate(billed)
    approve(billed, [numbers["100002"]], today=dt.date(2025, 11, 21))
    before = owners(billed)

    _, problems = accounts(billed, tmp_path, """
        100002,aws,333333333333,gamma-now-beta
        100003,aws,222222222222,beta-now-gamma
    """)
    assert [(p.code, p.row) for p in problems] == [
        ("account-two-customers", 1), ("period-locked", 1), ("account-two-customers", 2), ("period-locked", 2)]
    locked = [p.message for p in problems if p.code == "period-locked"]
    assert locked == [
        f"aws account 333333333333 has usage in 2025-10, locked for customer(s) 100002 (Beta Ltd) by invoice(s) "
        f"{numbers['100002']} (open): moving it from customer 100003 to customer 100002 would change the usage "
        "those invoices were priced from",
        f"aws account 222222222222 has usage in 2025-10, locked for customer(s) 100002 (Beta Ltd) by invoice(s) "
        f"{numbers['100002']} (open): moving it from customer 100002 to customer 100003 would change the usage "
        "those invoices were priced from",
    ]

    owner, problems = remove_account(billed, "aws", "222222222222")
    assert owner == "100002"
    assert [(p.code, p.customer_id, p.fix) for p in problems] == [(
        "period-locked", "100002",
        f"void the issued invoice(s) {numbers['100002']} (issued invoices never change; re-issue after) first, "
        "then remove the account again; or keep the account with customer 100002")]
    assert owners(billed) == before
    assert all(r.ok for r in verify(billed))

    # Gamma has no locked period: its account can leave it
    assert remove_account(billed, "aws", "333333333333") == ("100003", ())


def test_a_paid_invoice_keeps_its_accounts_for_good(billed, tmp_path):
    """Beta paid October: its invoice is final, never voided, so the refusal says the account
    stays, not to void the invoice (which would be refused too)."""
    numbers = generate(billed)
    approve(billed, [numbers["100002"]], today=dt.date(2025, 11, 21))
    set_status(billed, [numbers["100002"]], Status.CLOSED, reason="paid")
    before = owners(billed)

    _, problems = accounts(billed, tmp_path, "100003,aws,222222222222,beta-now-gamma\n")
    assert [(p.code, p.fix) for p in problems if p.code == "period-locked"] == [(
        "period-locked",
        f"invoice(s) {numbers['100002']} is paid: a Closed invoice with an amount is final, never voided; "
        "keep the account with customer 100002")]
    _, problems = remove_account(billed, "aws", "222222222222")
    assert [p.fix for p in problems] == [
        f"invoice(s) {numbers['100002']} is paid: a Closed invoice with an amount is final, never voided; "
        "keep the account with customer 100002"]
    assert owners(billed) == before


# An invoice of a custom range is priced from the usage on the range's days, and locks those days only.
FIRST_HALF = custom(dt.date(2025, 10, 1), dt.date(2025, 10, 15))


def used_on(account: str, *days: str) -> list[dict[str, str]]:
    """One invoice line of `account`, used on each of `days`: one summary row from the first day to the last."""
    return [{"account": account, "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance",
             "usage_type": "EUC1-BoxUsage:m5.large", "cost": "20.25", "day": day} for day in days]


def import_october(ws: Workspace, tmp_path: Path, payer: str, rows: list[dict[str, str]]) -> None:
    report = tmp_path / f"cur-2025-10-{payer}.csv"
    report.write_text(cur_rows(rows, "2025-10", payer=payer))
    assert [f.status.value for f in import_reports(ws, [report]).files] == ["imported"]


def day_summaries(ws: Workspace) -> int:
    return len(list(ws.usage_dir.rglob("*.days.parquet")))


def test_a_custom_range_locks_its_days_not_the_whole_month(billed, tmp_path):
    """Beta's invoice for 1-15 October (its usage is on the 1st) holds the account of usage on
    the 10th, not the one used only on the 20th: the analyst assigns that one before billing the
    second half. A line used on the 10th and the 20th is held too (one summary row across both:
    its days decide, read from the report's day summary)."""
    beta = generate_invoices(billed, "aws", FIRST_HALF, ["100002"], options=OPTIONS, today=TODAY).invoices[0].number
    import_october(billed, tmp_path, "888888888888", [
        *used_on("300000000004", "2025-10-20"), *used_on("300000000005", "2025-10-10"),
        *used_on("300000000006", "2025-10-10", "2025-10-20")])

    summary, problems = accounts(billed, tmp_path, "100002,aws,300000000004,used on the 20th\n")
    assert (problems, summary.count("accounts").inserted) == ((), 1)
    assert day_summaries(billed) == 0  # the summaries said so: no day summary written for it

    _, problems = accounts(billed, tmp_path, """
        100002,aws,300000000005,used on the 10th
        100002,aws,300000000006,used on the 10th and the 20th
    """)
    assert [(p.code, p.row) for p in problems] == [("period-locked", 1), ("period-locked", 2)]
    assert str(problems[0]) == (
        "accounts.csv, row 1, customer 100002: aws account 300000000005 has usage in 2025-10, locked for customer(s) "
        f"100002 (Beta Ltd) by invoice(s) {beta} (draft): assigning it to customer 100002 would change "
        "the usage those invoices were priced from\n"
        f"  fix: delete the draft invoice(s) {beta} first, then import the file again; or keep the account unassigned")
    assert day_summaries(billed) == 1  # the straddling line's report, read by day
    assert owners(billed).keys() >= {"300000000004"} and not owners(billed).keys() & {"300000000005", "300000000006"}


@pytest.mark.parametrize("read_from", ["day summary", "rows"])
def test_a_line_spanning_the_locked_days_without_a_day_in_them_is_free(billed, tmp_path, read_from):
    """Beta billed for 10-15 October (its usage on the 12th). An account whose one line was used
    on the 5th and the 20th has no usage on those days: its summary row spans them, its days do
    not. Only the report of that line is read by day, from its canonical rows where they are
    written already (a detailed export, month end). The customer losing an account is checked
    the same way."""
    import_october(billed, tmp_path, "888888888888", [{**used_on("222222222222", "2025-10-12")[0], "cost": "4"}])
    mid = generate_invoices(billed, "aws", custom(dt.date(2025, 10, 10), dt.date(2025, 10, 15)), ["100002"],
                            options=OPTIONS, today=TODAY).invoices
    assert [(i.customer_id, i.period) for i in mid] == [("100002", "2025-10-10..2025-10-15")]
    import_october(billed, tmp_path, "777777777777", [
        *used_on("300000000007", "2025-10-05", "2025-10-20"), *used_on("300000000008", "2025-10-05", "2025-10-12")])
    if read_from == "rows":
        with billed.session() as s:
            rows_files(billed, current_reports(s, "aws", ["2025-10"]))

    _, problems = accounts(billed, tmp_path, """
        100002,aws,300000000007,used on the 5th and the 20th
        100002,aws,300000000008,used on the 5th and the 12th
    """)
    assert [(p.code, p.row, p.customer_id) for p in problems] == [("period-locked", 2, "100002")]
    assert day_summaries(billed) == (1 if read_from == "day summary" else 0)

    summary, problems = accounts(billed, tmp_path, "100002,aws,300000000007,used on the 5th and the 20th\n")
    assert (problems, summary.count("accounts").inserted) == ((), 1)
    assert remove_account(billed, "aws", "300000000007") == ("100002", ())
    assert [p.code for p in remove_account(billed, "aws", "222222222222")[1]] == ["period-locked"]  # used on the 12th


def test_a_whole_month_lock_holds_every_day_of_it(billed, tmp_path):
    """October billed as a month is priced by billing period: usage on the 20th is in it. No
    day summary is read for that."""
    beta = generate(billed)["100002"]
    import_october(billed, tmp_path, "888888888888", used_on("300000000004", "2025-10-20"))
    _, problems = accounts(billed, tmp_path, "100002,aws,300000000004,used on the 20th\n")
    assert [p.message for p in problems] == [
        f"aws account 300000000004 has usage in 2025-10, locked for customer(s) 100002 (Beta Ltd) by invoice(s) "
        f"{beta} (draft): assigning it to customer 100002 would change the usage those invoices were priced from"]
    assert day_summaries(billed) == 0


def test_verify_does_not_add_up_usage_of_two_currencies(billed, tmp_path):
    """An issued USD invoice whose customer's usage now includes EUR (an account assigned
    behind the workbench's back, or before the lock covered accounts): verify says so instead of
    pricing the EUR at the USD invoice's rate."""
    numbers = generate(billed)
    approve(billed, [numbers["100002"]], today=dt.date(2025, 11, 21))
    import_second_payer(billed, tmp_path, currency="EUR")
    with billed.session() as s:  # bypasses the account lock on purpose
        s.add(m.Account(vendor="aws", account_id="300000000004", customer_id="100002", account_name="Maple Finance EU"))
    result = {r.number: r for r in verify(billed)}[numbers["100002"]]
    assert [(d.what, d.stored, d.derived) for d in result.differences] == [
        ("usage currency", "USD", "EUR, USD: the invoice's usage is now in 2 currencies, not added up")]

    with billed.session() as s:  # and Beta's own USD account taken away: only EUR is left
        s.query(m.Account).filter_by(account_id="222222222222").delete()
    result = {r.number: r for r in verify(billed)}[numbers["100002"]]
    assert [(d.what, d.stored, d.derived) for d in result.differences] == [
        ("usage currency", "USD", "EUR: the invoice's usage is now in another currency, not priced at its USD rate")]
