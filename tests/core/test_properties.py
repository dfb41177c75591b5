"""Property tests: the rounding rule and the credit rules hold for any 9-decimal lines."""

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.billing.core.credits import CreditBalance
from workbench.billing.core.invoice import InvoiceOptions, compute_invoice
from workbench.billing.core.money import D
from workbench.billing.core.pricebook import PricebookVersion
from workbench.billing.core.rating import UsageGroup, rate

AT_COST = PricebookVersion("AtCost", "aws", "2025-01")
nine_decimals = st.decimals(min_value=D("-1000"), max_value=D("100000"), places=9, allow_nan=False, allow_infinity=False)
cents = st.decimals(min_value=D("0"), max_value=D("100000"), places=2, allow_nan=False, allow_infinity=False)


def lines(costs):
    return [
        rate(UsageGroup("C", "S", f"k{i}", "", "", D(0), cost, False, "usage", 1), AT_COST, D("1"))
        for i, cost in enumerate(costs)
    ]


@settings(max_examples=300)
@given(st.lists(nine_decimals, min_size=1, max_size=40))
def test_total_is_the_exact_sum_rounded_once(costs):
    figures = compute_invoice(lines(costs), currency="USD", fx_rate=D("1"), options=InvoiceOptions(include_tax=False))
    exact = sum(costs, Decimal(0))
    assert figures.total == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    shown = sum((l.amount_rounded for l in figures.lines), Decimal(0))
    # displayed lines differ from the total by at most half a cent per line, and the
    # difference is reported exactly
    assert abs(figures.total - shown) <= Decimal("0.005") * len(costs)
    assert figures.rounding_difference == figures.total - shown


@settings(max_examples=300)
@given(st.lists(nine_decimals, min_size=1, max_size=20), cents, cents, st.booleans())
def test_credits_never_take_an_invoice_below_zero_and_never_exceed_the_balance(costs, general, market, for_market):
    figures = compute_invoice(
        lines(costs), currency="USD", fx_rate=D("1"),
        options=InvoiceOptions(apply_credits=True, include_tax=False, credits_for_marketplace=for_market),
        balance=CreditBalance(general=general, marketplace=market),
    )
    # a vendor refund may make an invoice negative on its own; credits never do
    assert figures.total >= 0 or figures.credits.total == 0
    assert 0 <= figures.credits.general <= general
    assert 0 <= figures.credits.marketplace <= market
    # the credits applied are exactly what the invoice is lower by
    without = compute_invoice(
        lines(costs), currency="USD", fx_rate=D("1"),
        options=InvoiceOptions(apply_credits=False, include_tax=False, credits_for_marketplace=for_market),
        balance=CreditBalance(general=general, marketplace=market),
    )
    assert without.total - figures.credits.total == figures.total
    # credits are whole cents
    assert figures.credits.total == figures.credits.total.quantize(Decimal("0.01"))
    # if the invoice is not fully paid by credits, all usable general credit was used
    if figures.total > 0:
        assert figures.credits.general == general


@settings(max_examples=300)
@given(cents, st.decimals(min_value=D("0"), max_value=D("10000"), places=0, allow_nan=False, allow_infinity=False),
       st.decimals(min_value=D("0.0001"), max_value=D("200"), places=6, allow_nan=False, allow_infinity=False),
       st.sampled_from(["USD", "JPY", "KWD"]))
def test_a_credit_in_another_currency_never_pays_more_than_it_is_worth(owed, held, fx, credit_currency):
    """An invoice in CAD owing `owed`; a credit of `held` minor units of another currency at `fx`
    CAD each. What it pays is whole cents, at most what is owed and at most taken x rate; what it
    takes is whole minor units of its currency, at most the balance and the least that covers
    what it pays."""
    from workbench.billing.core.credits import ForeignCredit, apply_credits
    from workbench.billing.core.money import minor_unit

    unit = Decimal(1).scaleb(-minor_unit(credit_currency))
    balance = held * unit
    credits = apply_credits(CreditBalance(foreign=(ForeignCredit(credit_currency, fx, general=balance),)),
                            billable=owed, marketplace_fees=D("0"), use_for_marketplace=False, currency="CAD")
    taken = sum((t.taken for t in credits.foreign), Decimal(0))
    paid = credits.total
    assert paid == paid.quantize(Decimal("0.01")) and 0 <= paid <= owed
    assert taken == taken.quantize(unit) and 0 <= taken <= balance
    assert paid <= taken * fx
    if paid and taken < balance:  # part of it: the invoice is paid, by the least amount that covers it
        assert paid == owed and (taken - unit) * fx < owed
    if paid < owed:  # the invoice still owes: the credit went whole, or what is left is worth under a cent
        assert taken == balance or (balance - taken) * fx < Decimal("0.01")


@settings(max_examples=300)
@given(st.decimals(min_value=D("-1E15"), max_value=D("1E15"), places=9, allow_nan=False, allow_infinity=False),
       st.sampled_from(["USD", "JPY", "KWD"]))
def test_grouped_text_is_the_plain_text_with_commas_every_three_digits(amount, currency):
    """What the statement shows (1,234,567.89) and what the CSV carries (1234567.89) are one number."""
    from workbench.billing.core.money import minor_unit, money_text, round_minor

    grouped, plain = money_text(amount, currency), money_text(amount, currency, grouped=False)
    assert grouped.replace(",", "") == plain
    assert D(plain) == round_minor(amount, currency)
    assert not (D(plain).is_zero() and plain.startswith("-"))  # never -0.00
    whole = grouped.lstrip("-").split(".")[0].split(",")
    assert 1 <= len(whole[0]) <= 3 and all(len(group) == 3 for group in whole[1:])
    assert len(plain.partition(".")[2]) == minor_unit(currency)
