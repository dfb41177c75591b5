"""Rating: price aggregated usage with a pricebook version and an FX rate.

Input is usage already aggregated per customer (the DuckDB step never hands Python one row
per vendor line); output is one `RatedLine` per group with its exact, unrounded amounts.

- usage (and the vendor's own credits, refunds and discounts, which are negative costs) is
  priced with the most specific pricebook rule: amount = cost x (1 + markup%) x fx;
- marketplace lines pass through at 0 margin: amount = cost x fx;
- vendor tax and free-tier rows never reach rating (the reseller's own tax table applies).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from workbench.billing.core.money import EXACT
from workbench.billing.core.pricebook import AT_COST, PricebookVersion

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class UsageGroup:
    section: str  # product type: the invoice section
    service: str
    sku: str
    description: str
    unit: str
    quantity: Decimal
    vendor_cost: Decimal  # usage currency, exact sum of the rows
    is_marketplace: bool
    charge_category: str
    source_rows: int


@dataclass(frozen=True, slots=True)
class RatedLine:
    kind: str  # usage | marketplace
    charge_category: str
    section: str
    service: str
    sku: str
    description: str
    unit: str
    quantity: Decimal
    vendor_cost: Decimal  # usage currency
    markup_percent: Decimal
    rule: str
    amount: Decimal  # invoice currency, unrounded
    margin: Decimal  # invoice currency, unrounded
    source_rows: int


def factor(markup_percent: Decimal) -> Decimal:
    return EXACT.add(Decimal(1), EXACT.divide(markup_percent, HUNDRED))


def rate(group: UsageGroup, version: PricebookVersion, fx_rate: Decimal) -> RatedLine:
    cost_in_invoice_currency = EXACT.multiply(group.vendor_cost, fx_rate)
    if group.is_marketplace:
        markup, rule_text, kind = Decimal(0), "marketplace: pass-through at 0 margin", "marketplace"
    else:
        rule = version.rule_for(group.service, group.section, group.sku)
        markup, kind = rule.markup_percent, "usage"
        rule_text = f"{version.label} " + ("no rule: at cost" if rule is AT_COST else rule.describe())
    amount = EXACT.multiply(cost_in_invoice_currency, factor(markup))
    return RatedLine(
        kind=kind,
        charge_category=group.charge_category,
        section=group.section,
        service=group.service,
        sku=group.sku,
        description=group.description,
        unit=group.unit,
        quantity=group.quantity,
        vendor_cost=group.vendor_cost,
        markup_percent=markup,
        rule=rule_text,
        amount=amount,
        margin=EXACT.subtract(amount, cost_in_invoice_currency),
        source_rows=group.source_rows,
    )
