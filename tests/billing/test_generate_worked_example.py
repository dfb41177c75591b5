"""From an inline AWS CUR and inline reference tables to draft invoices, asserted as tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import custom, given_month
from workbench.billing.generate import AlreadyBilled, generate_invoices, preview_customers
from workbench.billing.invoices import approve, delete_drafts, issued_from_preliminary, list_invoices, set_status
from workbench.billing.core.lifecycle import Status
from workbench.billing.store import models as m

from .conftest import cur_rows, load
from .worked_example import CUR, TABLES, TODAY

def lines(ws, number):
    with ws.session() as s:
        inv = s.query(m.Invoice).filter_by(number=number).one()
        return [(l.kind, l.section, l.sku, str(l.amount_rounded)) for l in inv.lines]


def test_month_end_for_three_customers(billed):
    result = generate_invoices(
        billed, "aws", given_month("2025-10"), options=InvoiceOptions(apply_credits=True, include_marketplace=True),
        today=TODAY,
    )
    made = {i.customer_id: i for i in result.invoices}
    assert sorted(made) == ["100001", "100002"]

    # Acme: USD usage converted at 1.3712 into CAD; EC2 +10 %, S3 storage SKU -5 %,
    # marketplace at cost, free tier and vendor tax left out, 3 % support with a 25 minimum,
    # 50 CAD of Azure credit, GST + QST.
    assert lines(billed, made["100001"].number) == [
        ("usage", "Compute Instance", "USE1-BoxUsage:m5.large", "150.83"),  # 100.0000000028 * 1.3712 * 1.10
        ("usage", "Storage", "USE1-TimedStorage-ByteHrs", "26.70"),  # 20.5 * 1.3712 * 0.95 = 26.70412
        ("marketplace", "SaaS", "SoftwareUsage", "54.85"),  # 40 * 1.3712
        ("support", "Support", "", "25.00"),  # 3 % of 177.536... = 5.33 < the 25 minimum
        ("credit", "Credits", "", "-50.00"),
        ("tax", "Tax", "", "10.37"),  # GST 5 % of 207.3841...
        ("tax", "Tax", "", "20.69"),  # QST 9.975 % of 207.3841...
    ]
    with billed.session() as s:
        acme = s.query(m.Invoice).filter_by(number=made["100001"].number).one()
        assert (acme.currency, acme.fx_rate, acme.subtotal, acme.total) == ("CAD", Decimal("1.3712"), Decimal("207.38"), Decimal("238.44"))
        assert acme.due_date == TODAY + dt.timedelta(days=30)
        assert (acme.pricebook, acme.pricebook_version, acme.preliminary) == ("Standard", "2025-01", False)

    # Beta: USD, RDS at the default 15 %, support minimum, HST 13 %, 15-day terms
    assert lines(billed, made["100002"].number) == [
        ("usage", "Database Instance", "USE1-InstanceUsage:db.t3", "11.51"),
        ("support", "Support", "", "25.00"),
        ("tax", "Tax", "", "4.75"),
    ]
    assert made["100002"].total == Decimal("41.26")

    # Gamma has no pricebook for aws: the seed's error, with the fix; the others still generated.
    gamma = [p for p in result.problems if p.customer_id == "100003"]
    assert [p.message for p in gamma] == ["The customer with ID #100003 does not have the currency USD enabled"]
    assert "customer_vendors.csv" in gamma[0].fix
    # The unassigned account is reported with its rows and cost, never dropped silently.
    assert any(p.code == "unassigned-account" and "444444444444" in p.message and "3.5" in p.message for p in result.problems)


def test_generating_locks_the_period_until_drafts_are_deleted(billed):
    first = generate_invoices(billed, "aws", given_month("2025-10"), ["100002"], today=TODAY)
    again = generate_invoices(billed, "aws", given_month("2025-10"), ["100002"], today=TODAY)
    assert again.invoices == ()
    number = first.invoices[0].number
    assert [(p.code, p.message, p.fix) for p in again.problems if p.severity.value == "error"] == [(
        "period-locked", f"aws 2025-10 is already billed for #100002 ({number}, 2025-10-01..2025-10-31)",
        f"delete the draft invoice(s) {number} first, then generate again")]

    delete_drafts(billed, [number])
    third = generate_invoices(billed, "aws", given_month("2025-10"), ["100002"], today=TODAY)
    assert len(third.invoices) == 1


def test_issued_invoices_never_change_and_voiding_frees_the_period(billed):
    made = generate_invoices(billed, "aws", given_month("2025-10"), ["100001"],
                             InvoiceOptions(apply_credits=True), today=TODAY).invoices[0]
    approve(billed, [made.number], today=dt.date(2025, 11, 21))
    with pytest.raises(ValueError, match="only drafts can be deleted"):
        delete_drafts(billed, [made.number])
    with pytest.raises(ValueError, match="cannot become Draft|cannot become"):
        set_status(billed, [made.number], Status.OPEN)
    [locked] = [p for p in generate_invoices(billed, "aws", given_month("2025-10"), ["100001"], today=TODAY).problems
                if p.code == "period-locked"]
    assert locked.fix == (f"void the issued invoice(s) {made.number} (issued invoices never change; re-issue after) "
                          "first, then generate again")
    set_status(billed, [made.number], Status.VOID)
    # the 50 CAD credit is back on the balance and the period can be billed again
    again = generate_invoices(billed, "aws", given_month("2025-10"), ["100001"],
                              InvoiceOptions(apply_credits=True), today=TODAY).invoices
    assert len(again) == 1
    statuses = {i.number: i.status for i in list_invoices(billed)}
    assert statuses == {made.number: "void", again[0].number: "draft"}
    with billed.session() as s:
        assert s.query(m.Invoice).filter_by(number=again[0].number).one().credits == Decimal("50.00")


def test_a_paid_invoice_keeps_its_period_billed(billed):
    """Paid (Closed with an amount) is final: generating the month again is refused, and the fix
    does not offer a void that would be refused too."""
    made = generate_invoices(billed, "aws", given_month("2025-10"), ["100002"], today=TODAY).invoices[0]
    approve(billed, [made.number], today=dt.date(2025, 11, 21))
    set_status(billed, [made.number], Status.CLOSED, reason="paid")
    with pytest.raises(ValueError, match="a paid invoice is final"):
        set_status(billed, [made.number], Status.VOID)
    again = generate_invoices(billed, "aws", given_month("2025-10"), ["100002"], today=TODAY)
    assert (again.invoices, [p.fix for p in again.problems if p.code == "period-locked"]) == ((), [
        f"invoice(s) {made.number} is paid: a Closed invoice with an amount is final, never voided; "
        "the period stays as billed"])
    assert (again.already_billed, [p.code for p in again.to_report], again.customers_to_fix) == (
        (AlreadyBilled("100002", made.number, "closed"),), ["unassigned-accounts"], [])

    # half of the month is not the month: that run has a problem to report, and a customer to fix
    half = generate_invoices(billed, "aws", custom(dt.date(2025, 10, 1), dt.date(2025, 10, 15)), ["100002"], today=TODAY)
    assert (half.already_billed, [p.code for p in half.to_report], half.customers_to_fix) == (
        (), ["period-locked", "unassigned-accounts"], ["100002"])


def test_the_report_cost_is_the_cost_of_what_the_invoice_bills(billed):
    """Acme's 40 USD marketplace charge is in its vendor cost only when the invoice includes
    marketplace fees, so that the report's margin is its price less its cost. Once the month is
    billed, the report shows the invoice's stored figures, its cost still in the usage currency."""
    def acme(options, today=TODAY):
        [row] = [p for p in preview_customers(billed, "aws", given_month("2025-10"), options)[0]
                 if p.customer_id == "100001"]
        return row

    without = acme(InvoiceOptions(include_marketplace=False))
    with_fees = acme(InvoiceOptions(include_marketplace=True))
    assert with_fees.vendor_cost - without.vendor_cost == Decimal("40")
    assert (without.usage_currency, with_fees.usage_currency) == ("USD", "USD")

    generate_invoices(billed, "aws", given_month("2025-10"), ["100001"], options=InvoiceOptions(include_marketplace=True),
                      today=TODAY)
    after = acme(InvoiceOptions(include_marketplace=False))  # the report's options do not change what was billed
    assert after.billed is not None
    assert (after.usage_currency, after.vendor_cost, after.price, after.margin) == (
        "USD", with_fees.vendor_cost, with_fees.price, with_fees.margin)


def test_usage_in_two_currencies_is_not_added_up(billed, tmp_path):
    """Acme's account also appears in a second payer's CUR, billed in EUR: its invoice cannot be
    made (mixed-usage-currencies), and the report shows no vendor cost rather than EUR + USD
    added as if they were one currency."""
    from workbench.billing.store.report_import import import_reports

    euros = tmp_path / "cur-eur-2025-10.csv"
    text = cur_rows([{"account": "111111111111", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance",
                      "usage_type": "EU-BoxUsage:m5.large", "cost": "80"}], "2025-10")
    euros.write_text(text.replace("999999999999", "888888888888").replace(",USD,", ",EUR,"))
    assert [f.status.value for f in import_reports(billed, [euros]).files] == ["imported"]

    rows = {p.customer_id: p for p in preview_customers(billed, "aws", given_month("2025-10"))[0]}
    acme = rows["100001"]
    assert (acme.usage_currency, acme.vendor_cost, acme.price) == ("EUR, USD", None, None)
    assert "mixed-usage-currencies" in [p.code for p in acme.problems if p.severity.value == "error"]
    assert rows["100002"].vendor_cost is not None  # the others as before


def test_a_billed_customer_with_usage_in_two_currencies_shows_no_summed_cost(billed, tmp_path):
    """Acme's October draft is made from its USD usage. Then a second payer's CUR, billed in
    EUR, brings account 555555555555 (nobody's yet), and that account is given to Acme. The
    report still shows Acme's billed figures, but no vendor cost: its usage is in EUR and USD
    now, and 80 EUR + 180.5 USD is no amount in either currency (as an unbilled row shows it)."""
    from workbench.billing.store.report_import import import_reports

    made = generate_invoices(billed, "aws", given_month("2025-10"), ["100001"], today=TODAY)
    euros = tmp_path / "cur-eur-2025-10.csv"
    text = cur_rows([{"account": "555555555555", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance",
                      "usage_type": "EU-BoxUsage:m5.large", "cost": "80"}], "2025-10")
    euros.write_text(text.replace("999999999999", "888888888888").replace(",USD,", ",EUR,"))
    assert [f.status.value for f in import_reports(billed, [euros]).files] == ["imported"]
    # accounts.csv cannot do this any more (the period lock holds accounts too): a workspace
    # changed before that, or by hand, can still hold it, and the preview must not add the two
    with billed.session() as s:
        s.add(m.Account(vendor="aws", account_id="555555555555", customer_id="100001", account_name="acme-eu"))

    rows = {p.customer_id: p for p in preview_customers(billed, "aws", given_month("2025-10"))[0]}
    acme = rows["100001"]
    assert acme.billed == made.invoices[0].number
    assert (acme.usage_currency, acme.vendor_cost) == ("EUR, USD", None)
    assert (acme.currency, acme.total) == ("CAD", made.invoices[0].total)  # what was billed, as stored
    assert "mixed-usage-currencies" in [p.code for p in acme.problems]  # says why there is no cost
    assert (rows["100002"].usage_currency, rows["100002"].vendor_cost) == ("USD", Decimal("10.004999999"))


def two_payers(workspace, tmp_path) -> list:
    """The worked example's tables, and its October in two payers' CURs: 999999999999's (Acme's
    account) issued by AWS, 888888888888's (Beta's) not yet (no bill/InvoiceId)."""
    load(workspace, tmp_path, TABLES)
    final = tmp_path / "cur-payer-999-2025-10.csv"
    final.write_text(cur_rows([r for r in CUR if r["account"] == "111111111111"], "2025-10"))
    pending = tmp_path / "cur-payer-888-2025-10.csv"
    pending.write_text(cur_rows([r for r in CUR if r["account"] == "222222222222"], "2025-10", invoice_id="")
                       .replace("999999999999", "888888888888"))
    return [final, pending]


def test_a_draft_is_preliminary_only_when_a_report_with_its_customers_usage_is_not_final(workspace, tmp_path):
    """October comes in two payers' CURs: AWS has issued the invoice of payer 999999999999
    (Acme's account) but not yet that of payer 888888888888 (Beta's): its rows have no
    bill/InvoiceId. Acme's draft is final, Beta's preliminary, and the warning names the report
    that is not final and the customer whose draft it makes preliminary."""
    from workbench.billing.store.report_import import import_reports

    assert [f.status.value for f in import_reports(workspace, two_payers(workspace, tmp_path)).files] == [
        "imported", "imported"]

    previews, general = preview_customers(workspace, "aws", given_month("2025-10"))
    [warning] = [p for p in general if p.code == "preliminary"]
    assert warning.message == ("the aws data for 2025-10 is not final yet in 1 of 2 reports: cur-payer-888-2025-10.csv "
                               "(billing account 888888888888); drafts of the customers with usage in it are marked "
                               "preliminary: #100002 Beta Ltd")

    result = generate_invoices(workspace, "aws", given_month("2025-10"), today=TODAY)
    assert {i.customer_id: i.preliminary for i in result.invoices} == {"100001": False, "100002": True}
    with workspace.session() as s:
        assert {i.customer_id: i.preliminary for i in s.query(m.Invoice)} == {"100001": False, "100002": True}
    assert [p.message for p in result.problems if p.code == "preliminary"] == [warning.message]

    # Approving both: only Beta's is issued from preliminary usage, and only it is warned about
    issued = approve(workspace, [i.number for i in result.invoices], today=TODAY)
    assert [p.customer_id for p in issued_from_preliminary(issued)] == ["100002"]


def test_a_preliminary_invoice_with_nothing_due_is_closed_at_issue_and_still_warned_about(workspace, tmp_path):
    """Beta's preliminary draft is paid in full by a 100 USD credit: issuing it closes it at
    once (nothing is due), and it binds the month all the same, so the warning names it."""
    from workbench.billing.store.report_import import import_reports

    import_reports(workspace, two_payers(workspace, tmp_path))
    load(workspace, tmp_path, {"credits": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        100002,C-2,2025-09-15,100.00,USD,general,azure,Azure commitment credit
    """})
    [draft] = generate_invoices(workspace, "aws", given_month("2025-10"), ["100002"], InvoiceOptions(apply_credits=True),
                                today=TODAY).invoices
    assert (draft.preliminary, str(draft.total)) == (True, "0.00")
    issued = approve(workspace, [draft.number], today=TODAY)
    assert [s.status for s in issued] == ["closed"]
    assert [p.customer_id for p in issued_from_preliminary(issued)] == ["100002"]


def test_the_preliminary_warning_says_when_no_draft_has_usage_in_the_report_that_is_not_final(workspace, tmp_path):
    """Generating Acme alone while Beta's payer is not final: Acme's draft is final, and the
    warning still names the report, saying that none of these drafts has usage in it."""
    from workbench.billing.store.report_import import import_reports

    import_reports(workspace, two_payers(workspace, tmp_path))

    result = generate_invoices(workspace, "aws", given_month("2025-10"), ["100001"], today=TODAY)
    assert [(i.customer_id, i.preliminary) for i in result.invoices] == [("100001", False)]
    assert [p.message for p in result.problems if p.code == "preliminary"] == [
        "the aws data for 2025-10 is not final yet in 1 of 2 reports: cur-payer-888-2025-10.csv "
        "(billing account 888888888888); none of these customers has usage in it, no draft is preliminary"]


def test_a_jurisdiction_taxed_at_zero_is_known_and_one_nobody_entered_is_a_warning(billed, tmp_path):
    """Beta moves to Kuwait, where VAT is entered at 0 %: no tax line and nothing to warn about.
    Gamma's CA-ON becomes a jurisdiction with no tax rows at all: that is the warning's case."""
    (tmp_path / "kw").mkdir()
    load(billed, tmp_path / "kw", {
        "tax_rates": """
            jurisdiction,tax_name,rate_percent,effective_from
            KW,VAT,0,2020-01
        """,
        "customers": """
            customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
            100002,Beta Ltd,Bob Jones,bob@beta.example,2 High St,KW,15
            100001,Acme Corp,Ann Smith,ann@acme.example,1 Main St,XX-NONE,
        """,
    })
    result = generate_invoices(billed, "aws", given_month("2025-10"), ["100001", "100002"],
                               InvoiceOptions(apply_credits=True, include_marketplace=True), today=TODAY)
    made = {i.customer_id: i for i in result.invoices}
    assert [kind for kind, *_ in lines(billed, made["100002"].number)] == ["usage", "support"]  # no tax line
    assert [(p.code, p.customer_id) for p in result.problems if p.code == "no-tax-rates"] == [("no-tax-rates", "100001")]
