"""Worked examples of the invoice computation: priced lines in, the invoice as a table out."""

from decimal import Decimal

import pytest

from workbench.billing.core.credits import CreditBalance
from workbench.billing.core.invoice import InvoiceOptions, Tax, compute_invoice
from workbench.billing.core.money import D
from workbench.billing.core.pricebook import PricebookVersion, Rule, SupportPlan, select_version
from workbench.billing.core.rating import UsageGroup, rate

STANDARD = PricebookVersion(
    "Standard", "aws", "2025-01",
    rules=(
        Rule("default", "", D("15")),
        Rule("service", "AmazonEC2", D("10")),
        Rule("product_type", "Storage", D("20")),
        Rule("sku", "USE1-BoxUsage:t3.micro", D("-5")),
    ),
    support=SupportPlan(percent=D("3"), monthly_minimum=D("25")),
)


def group(section, service, sku, cost, *, marketplace=False, rows=1):
    return UsageGroup(section, service, sku, f"{service} {sku}", "Hrs", D("1"), D(cost), marketplace, "usage", rows)


def table(figures):
    return [(l.kind, l.section, l.description, str(l.amount_rounded)) for l in figures.lines]


def test_most_specific_rule_wins():
    rules = {
        ("AmazonEC2", "Compute", "USE1-BoxUsage:t3.micro"): "-5",  # sku
        ("AmazonS3", "Storage", "TimedStorage"): "20",  # product type beats the default
        ("AmazonEC2", "Compute", "USE1-BoxUsage:m5.large"): "10",  # service
        ("AWSLambda", "Serverless", "Request"): "15",  # default
    }
    for (service, section, sku), pct in rules.items():
        assert STANDARD.rule_for(service, section, sku).markup_percent == D(pct)


def test_pricebook_version_in_force_for_a_period():
    v1 = PricebookVersion("Standard", "aws", "2025-01")
    v2 = PricebookVersion("Standard", "aws", "2025-06")
    assert select_version([v1, v2], "2025-05") is v1
    assert select_version([v1, v2], "2025-06") is v2
    assert select_version([v1, v2], "2024-12") is None


def test_invoice_with_markup_support_credits_and_two_taxes():
    rated = [
        rate(group("Compute", "AmazonEC2", "USE1-BoxUsage:m5.large", "100.000000001"), STANDARD, D("1")),
        rate(group("Compute", "AmazonEC2", "USE1-BoxUsage:t3.micro", "10.004999999"), STANDARD, D("1")),
        rate(group("Storage", "AmazonS3", "TimedStorage", "0.000000009"), STANDARD, D("1")),
        rate(group("SaaS", "Acme Firewall", "fw", "50"), STANDARD, D("1")),  # default 15%
        rate(group("Marketplace", "Vendor X", "lic", "40", marketplace=True), STANDARD, D("1")),
    ]
    figures = compute_invoice(
        rated,
        currency="CAD",
        fx_rate=D("1"),
        options=InvoiceOptions(apply_credits=True, include_tax=True, include_marketplace=True),
        support=STANDARD.support,
        balance=CreditBalance(general=D("30"), marketplace=D("5")),
        taxes=[Tax("GST", D("5")), Tax("QST", D("9.975"))],
    )
    # usage: 110.0000000011 + 9.50474999905 + 0.0000000108 + 57.5 = 177.00475001095
    assert figures.usage_price == D("177.00475001095")
    assert table(figures) == [
        ("usage", "Compute", "AmazonEC2 USE1-BoxUsage:m5.large", "110.00"),
        ("usage", "Compute", "AmazonEC2 USE1-BoxUsage:t3.micro", "9.50"),
        ("usage", "SaaS", "Acme Firewall fw", "57.50"),
        ("usage", "Storage", "AmazonS3 TimedStorage", "0.00"),
        ("marketplace", "Marketplace", "Vendor X lic", "40.00"),
        ("support", "Support", "Support plan 3%", "25.00"),  # 3% = 5.31 < minimum 25
        ("credit", "Credits", "Credits applied", "-30.00"),  # marketplace credits not used
        ("tax", "Tax", "GST 5%", "10.60"),
        ("tax", "Tax", "QST 9.975%", "21.15"),
    ]
    # net = 177.00475001095 + 25 + 40 - 30 = 212.00475001095 -> 212.00
    assert figures.subtotal == D("212.00")
    assert figures.tax_total == D("31.75")  # 10.6002375 -> 10.60 ; 21.1474738... -> 21.15
    assert figures.total == D("243.75")
    # displayed lines 110.00+9.50+57.50+0.00+40.00+25.00-30.00 = 212.00: no difference here
    assert figures.rounding_difference == D("0.00")


def test_total_rounds_the_unrounded_sum_once_and_shows_the_difference():
    version = PricebookVersion("AtCost", "aws", "2025-01")
    rated = [rate(group("Compute", "S", f"sku{i}", "0.004"), version, D("1")) for i in range(3)]
    figures = compute_invoice(rated, currency="USD", fx_rate=D("1"), options=InvoiceOptions(include_tax=False))
    assert [l.amount_rounded for l in figures.lines] == [D("0.00")] * 3
    assert figures.subtotal == D("0.01")  # 0.012 rounded once
    assert figures.rounding_difference == D("0.01")
    assert figures.lines[0].rule == "AtCost 2025-01 no rule: at cost"


def test_marketplace_excluded_unless_included_and_never_marked_up():
    rated = [rate(group("Marketplace", "Vendor X", "lic", "40", marketplace=True), STANDARD, D("1.25"))]
    assert rated[0].amount == D("50") and rated[0].margin == D("0")
    without = compute_invoice(rated, currency="EUR", fx_rate=D("1.25"), options=InvoiceOptions())
    assert without.lines == () and without.total == D("0.00")
    with_fees = compute_invoice(rated, currency="EUR", fx_rate=D("1.25"), options=InvoiceOptions(include_marketplace=True))
    assert with_fees.total == D("50.00") and with_fees.support_fee == 0


def test_credits_for_marketplace_use_marketplace_then_spare_general_credits():
    rated = [
        rate(group("Compute", "AmazonEC2", "x", "10"), PricebookVersion("P", "aws", "2025-01"), D("1")),
        rate(group("Marketplace", "V", "lic", "40", marketplace=True), STANDARD, D("1")),
    ]
    figures = compute_invoice(
        rated, currency="USD", fx_rate=D("1"),
        options=InvoiceOptions(apply_credits=True, include_marketplace=True, credits_for_marketplace=True, include_tax=False),
        balance=CreditBalance(general=D("25"), marketplace=D("30")),
    )
    assert (figures.credits.general, figures.credits.marketplace) == (D("20"), D("30"))
    assert figures.total == D("0.00")


def test_fx_conversion_applies_to_cost_and_price_and_records_margin():
    rated = rate(group("Compute", "AmazonEC2", "m5", "100"), STANDARD, D("1.3712"))
    assert (rated.amount, rated.margin) == (D("150.832"), D("13.712"))


@pytest.mark.parametrize(("currency", "expected"), [("JPY", "1235"), ("KWD", "1234.568"), ("USD", "1234.57")])
def test_minor_units(currency, expected):
    rated = [rate(group("C", "S", "k", "1234.5675"), PricebookVersion("P", "aws", "2025-01"), D("1"))]
    figures = compute_invoice(rated, currency=currency, fx_rate=D("1"), options=InvoiceOptions(include_tax=False))
    assert figures.total == Decimal(expected)


# --- credits in another currency than the invoice's ------------------------------------------
# The review's case: a customer invoiced in CAD holds 1.00 USD of credit; November's rate is
# 1 USD = 1.3719 CAD. Figures worked by hand:
#   worth of the whole credit   1.00 x 1.3719 = 1.3719 CAD -> 1.37 CAD (down to the cent)
#   an invoice owing 0.50 CAD   0.50 / 1.3719 = 0.36445... USD -> 0.37 USD taken (up to the cent):
#                               0.37 x 1.3719 = 0.507603 >= 0.50, while 0.36 x 1.3719 = 0.493884 < 0.50;
#                               1.00 - 0.37 = 0.63 USD stays on the balance


def usd_credit(amount, rate="1.3719"):
    from workbench.billing.core.credits import ForeignCredit

    return CreditBalance(foreign=(ForeignCredit("USD", D(rate), general=D(amount)),))


def test_a_credit_in_another_currency_pays_its_worth_when_the_invoice_takes_all_of_it():
    from workbench.billing.core.credits import ForeignTake, apply_credits

    taken = apply_credits(usd_credit("1.00"), billable=D("5.00"), marketplace_fees=D("0"), use_for_marketplace=False,
                          currency="CAD")
    assert taken.foreign == (ForeignTake("USD", "general", D("1.3719"), taken=D("1.00"), paid=D("1.37")),)
    assert (taken.own, taken.total) == (D("0"), D("1.37"))


def test_part_of_a_credit_in_another_currency_is_taken_rounded_up_to_its_minor_unit():
    from workbench.billing.core.credits import ForeignTake, apply_credits

    taken = apply_credits(usd_credit("1.00"), billable=D("0.50"), marketplace_fees=D("0"), use_for_marketplace=False,
                          currency="CAD")
    assert taken.foreign == (ForeignTake("USD", "general", D("1.3719"), taken=D("0.37"), paid=D("0.50")),)
    # yen have no minor unit: 5.00 CAD owed at 0.0091 CAD per JPY is 549.45... JPY -> 550 JPY
    # (550 x 0.0091 = 5.005 >= 5.00; 549 x 0.0091 = 4.9959 < 5.00)
    from workbench.billing.core.credits import ForeignCredit

    yen = CreditBalance(foreign=(ForeignCredit("JPY", D("0.0091"), general=D("1000")),))
    taken = apply_credits(yen, billable=D("5.00"), marketplace_fees=D("0"), use_for_marketplace=False, currency="CAD")
    assert [(t.taken, t.paid) for t in taken.foreign] == [(D("550"), D("5.00"))]


def test_credits_in_the_invoice_currency_go_first_then_other_currencies_by_code():
    """10.00 CAD owed; 4.00 CAD of credit, then 2.00 EUR at 1.50 (3.00 CAD, all of it), then USD
    at 1.3719 for the last 3.00 CAD: 3.00 / 1.3719 = 2.1867... -> 2.19 USD."""
    from workbench.billing.core.credits import ForeignCredit

    rated = [rate(group("Compute", "AmazonEC2", "x", "10"), PricebookVersion("P", "aws", "2025-01"), D("1"))]
    balance = CreditBalance(general=D("4.00"), foreign=(ForeignCredit("USD", D("1.3719"), general=D("5.00")),
                                                         ForeignCredit("EUR", D("1.50"), general=D("2.00"))))
    figures = compute_invoice(rated, currency="CAD", fx_rate=D("1"), balance=balance,
                              options=InvoiceOptions(apply_credits=True, include_tax=False))
    assert table(figures)[1:] == [
        ("credit", "Credits", "Credits applied", "-4.00"),
        ("credit", "Credits", "Credits applied: 2.00 EUR at 1.5 CAD per EUR", "-3.00"),
        ("credit", "Credits", "Credits applied: 2.19 USD at 1.3719 CAD per USD", "-3.00"),
    ]
    assert [(line.quantity, line.unit, line.rule) for line in figures.lines[2:]] == [
        (D("2.00"), "EUR", "1 EUR = 1.5 CAD"), (D("2.19"), "USD", "1 USD = 1.3719 CAD")]
    assert (figures.credits.total, figures.total) == (D("10.00"), D("0.00"))


def test_the_credits_say_what_the_invoice_still_owes_that_more_credit_could_pay():
    """10.00 usage and 40.00 marketplace fees, 4.00 of general credit. Without credits for
    marketplace fees, 6.00 of usage is still owed and the fees are not credits' to pay; with
    them, the fees are owed too. A refund-only invoice (-5.00) owes nothing: no credit of any kind
    could have paid it, so a credit without a rate changed nothing (generate's warning)."""
    rated = [rate(group("Compute", "AmazonEC2", "x", "10"), PricebookVersion("P", "aws", "2025-01"), D("1")),
             rate(group("Marketplace", "V", "lic", "40", marketplace=True), STANDARD, D("1"))]

    def credits(rated, **options):
        return compute_invoice(rated, currency="USD", fx_rate=D("1"), balance=CreditBalance(general=D("4.00")),
                               options=InvoiceOptions(apply_credits=True, include_marketplace=True, include_tax=False,
                                                      **options)).credits

    owed = credits(rated)
    assert (owed.owed_general, owed.owed_marketplace) == (D("6.00"), D("0"))
    assert owed.could_take(general=D("1"), marketplace=D("0")) and not owed.could_take(general=D("0"), marketplace=D("1"))
    owed = credits(rated, credits_for_marketplace=True)
    assert (owed.owed_general, owed.owed_marketplace) == (D("6.00"), D("40.00"))
    assert owed.could_take(general=D("0"), marketplace=D("1"))
    refund = [rate(group("Compute", "AmazonEC2", "x", "-5"), PricebookVersion("P", "aws", "2025-01"), D("1"))]
    owed = credits(refund, credits_for_marketplace=True)
    assert (owed.owed_general, owed.owed_marketplace) == (D("0"), D("0"))
    assert not owed.could_take(general=D("1"), marketplace=D("1"))
