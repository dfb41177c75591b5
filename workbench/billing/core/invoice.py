"""The invoice in one straight line: lines, support, marketplace, credits, subtotal, taxes, total.

`compute_invoice` is the only place figures are made. Screens, PDFs and CSVs print what it
returns (stored with the invoice), so they can never disagree by a cent.

Rounding rule (the seed's): every line is *shown* rounded to the minor unit, but the bill is
not the sum of rounded lines. The charges are the exact sum of the unrounded amounts, rounded
once; credits (whole minor units) are taken off them to give the subtotal; each tax is computed
on the unrounded taxable amount and rounded once; the total is the subtotal plus the taxes. `rounding_difference` says honestly how far the
displayed lines are from the subtotal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from workbench.billing.core.credits import NONE, CreditApplication, CreditBalance, apply_credits
from workbench.billing.core.money import EXACT, ROUND_HALF_UP, ZERO, exact_sum, money_text, plain, round_minor
from workbench.billing.core.pricebook import SupportPlan
from workbench.billing.core.rating import HUNDRED, RatedLine


@dataclass(frozen=True, slots=True)
class InvoiceOptions:
    apply_credits: bool = False
    include_tax: bool = True
    include_marketplace: bool = False
    credits_for_marketplace: bool = False

    def to_dict(self) -> dict[str, bool]:
        return {
            "apply_credits": self.apply_credits,
            "include_tax": self.include_tax,
            "include_marketplace": self.include_marketplace,
            "credits_for_marketplace": self.credits_for_marketplace,
        }


@dataclass(frozen=True, slots=True)
class Tax:
    name: str
    rate_percent: Decimal


@dataclass(frozen=True, slots=True)
class Line:
    """A displayed invoice line: `amount` exact, `amount_rounded` as shown."""

    kind: str  # usage | marketplace | support | credit | tax
    charge_category: str  # the vendor's category for usage and marketplace lines, else ""
    section: str
    service: str
    sku: str
    description: str
    unit: str
    quantity: Decimal
    vendor_cost: Decimal  # usage currency
    markup_percent: Decimal
    rule: str
    amount: Decimal
    amount_rounded: Decimal
    margin: Decimal
    source_rows: int


@dataclass(frozen=True, slots=True)
class InvoiceFigures:
    currency: str
    lines: tuple[Line, ...]
    vendor_cost: Decimal  # invoice currency, unrounded (usage + marketplace)
    usage_price: Decimal  # unrounded
    support_fee: Decimal  # unrounded
    marketplace: Decimal  # unrounded, 0 unless included
    credits: CreditApplication
    subtotal: Decimal  # rounded once
    taxes: tuple[tuple[Tax, Decimal], ...]  # each rounded once
    tax_total: Decimal
    total: Decimal
    margin: Decimal  # unrounded: price - cost on usage and support
    rounding_difference: Decimal  # subtotal - sum of displayed non-tax lines


def _line(kind: str, section: str, description: str, amount: Decimal, currency: str, rule: str = "") -> Line:
    return Line(
        kind=kind, charge_category="", section=section, service="", sku="", description=description, unit="",
        quantity=ZERO, vendor_cost=ZERO, markup_percent=ZERO, rule=rule, amount=amount,
        amount_rounded=round_minor(amount, currency), margin=ZERO, source_rows=0,
    )


def _shown(rated: RatedLine, currency: str) -> Line:
    return Line(
        kind=rated.kind, charge_category=rated.charge_category, section=rated.section, service=rated.service, sku=rated.sku,
        description=rated.description, unit=rated.unit, quantity=rated.quantity,
        vendor_cost=rated.vendor_cost, markup_percent=rated.markup_percent, rule=rated.rule,
        amount=rated.amount, amount_rounded=round_minor(rated.amount, currency),
        margin=rated.margin, source_rows=rated.source_rows,
    )


def compute_invoice(
    rated: Sequence[RatedLine],
    *,
    currency: str,
    fx_rate: Decimal,
    options: InvoiceOptions,
    support: SupportPlan | None = None,
    balance: CreditBalance = CreditBalance(),
    taxes: Sequence[Tax] = (),
    rounding: str = ROUND_HALF_UP,
) -> InvoiceFigures:
    usage = [r for r in rated if r.kind == "usage"]
    market = [r for r in rated if r.kind == "marketplace"] if options.include_marketplace else []

    usage_price = exact_sum(r.amount for r in usage)
    usage_margin = exact_sum(r.margin for r in usage)
    marketplace = exact_sum(r.amount for r in market)
    vendor_cost = exact_sum(EXACT.multiply(r.vendor_cost, fx_rate) for r in (*usage, *market))

    support_fee = ZERO
    if support is not None and usage:
        support_fee = max(EXACT.divide(EXACT.multiply(usage_price, support.percent), HUNDRED), support.monthly_minimum)

    charges = exact_sum((usage_price, support_fee, marketplace))
    charges_rounded = round_minor(charges, currency, rounding)
    credits = NONE
    if options.apply_credits:
        billable = min(round_minor(EXACT.add(usage_price, support_fee), currency, rounding), charges_rounded)
        credits = apply_credits(
            balance,
            billable=billable,
            marketplace_fees=EXACT.subtract(charges_rounded, max(billable, ZERO)),
            use_for_marketplace=options.credits_for_marketplace,
            currency=currency,
        )

    # credits are whole minor units taken off the once-rounded charges: no second rounding
    subtotal = EXACT.subtract(charges_rounded, credits.total)
    net = EXACT.subtract(charges, credits.total)  # unrounded taxable amount
    applied_taxes: tuple[tuple[Tax, Decimal], ...] = ()
    if options.include_tax:
        applied_taxes = tuple(
            (tax, round_minor(EXACT.divide(EXACT.multiply(net, tax.rate_percent), HUNDRED), currency, rounding))
            for tax in taxes
        )
    tax_total = exact_sum(amount for _, amount in applied_taxes)

    lines = [_shown(r, currency) for r in sorted((*usage, *market), key=_order)]
    if support_fee:
        pct = f"{support.percent}%" if support else ""
        lines.append(_line("support", "Support", f"Support plan {pct}".strip(), support_fee, currency))
    if credits.own:
        lines.append(_line("credit", "Credits", "Credits applied", -credits.own, currency))
    lines += _foreign_credit_lines(credits, currency)
    shown_sum = exact_sum(line.amount_rounded for line in lines)
    for tax, amount in applied_taxes:
        lines.append(_line("tax", "Tax", f"{tax.name} {tax.rate_percent}%", amount, currency))

    return InvoiceFigures(
        currency=currency,
        lines=tuple(lines),
        vendor_cost=vendor_cost,
        usage_price=usage_price,
        support_fee=support_fee,
        marketplace=marketplace,
        credits=credits,
        subtotal=_no_negative_zero(subtotal),
        taxes=applied_taxes,
        tax_total=tax_total,
        total=_no_negative_zero(EXACT.add(subtotal, tax_total)),
        margin=EXACT.add(usage_margin, support_fee),
        rounding_difference=EXACT.subtract(subtotal, shown_sum),
    )


def _foreign_credit_lines(credits: CreditApplication, currency: str) -> list[Line]:
    """One line per other currency whose credit paid the invoice, saying what was taken from it
    and at which rate: the amount is what it paid in the invoice's currency; `quantity` and
    `unit` are the amount taken and its currency, `rule` the conversion."""
    lines = []
    for other in sorted({t.currency for t in credits.foreign}):
        takes = [t for t in credits.foreign if t.currency == other]
        taken, paid, rate = exact_sum(t.taken for t in takes), exact_sum(t.paid for t in takes), takes[0].rate
        line = _line("credit", "Credits", f"Credits applied: {money_text(taken, other)} {other} at {plain(rate)} "
                     f"{currency} per {other}", -paid, currency, rule=f"1 {other} = {plain(rate)} {currency}")
        lines.append(replace(line, quantity=taken, unit=other))
    return lines


def _order(r: RatedLine) -> tuple[int, str, str, str, str]:
    return (r.kind == "marketplace", r.section, r.service, r.sku, r.description)


def _no_negative_zero(d: Decimal) -> Decimal:
    return d.copy_abs() if d.is_zero() else d
