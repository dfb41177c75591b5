"""The totals of a report list (`generate.preview_customers`' rows), per currency, never across two.

    totals = report_totals(previews)
    totals.costs        # (CostTotal("USD", 3, Decimal("170.504999999")),): vendor cost per usage currency
    totals.prices       # (PriceTotal("CAD", 1, ...), PriceTotal("USD", 2, ...)): per invoice currency
    totals.left_out     # ("100003",): rows without a price, in no total

Only priced rows count (a price and an invoice currency); a row with a problem that stops its
invoice has no price and is left out of every total, vendor cost included, and named in
`left_out`. A priced row whose usage is in several currencies has no vendor cost
(`CustomerPreview.vendor_cost` None): its price and margin count, its cost is in no total, and
it is named in `cost_unknown`. Price and margin add the rows' unrounded `price_exact` and
`margin_exact` (rounded once when shown, not the sum of the rounded rows); vendor cost adds the
exact vendor costs. The margin percent is of the exact sums (`core.money.percent`), as
`analytics.margin_totals` computes it. No I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from workbench.billing.core.money import exact_sum, percent
from workbench.billing.generate import CustomerPreview

__all__ = ["CostTotal", "PriceTotal", "ReportTotals", "report_totals"]


@dataclass(frozen=True, slots=True)
class CostTotal:
    currency: str  # a usage currency
    customers: int
    vendor_cost: Decimal  # exact sum


@dataclass(frozen=True, slots=True)
class PriceTotal:
    currency: str  # an invoice currency
    customers: int
    price: Decimal  # exact sum of price_exact
    margin: Decimal  # exact sum of margin_exact
    margin_percent: Decimal | None  # margin of price, 0.01 %, half-up; None for a price of 0


@dataclass(frozen=True, slots=True)
class ReportTotals:
    costs: tuple[CostTotal, ...]  # per usage currency, alphabetical
    prices: tuple[PriceTotal, ...]  # per invoice currency, alphabetical
    left_out: tuple[str, ...]  # customer IDs without a price: in no total
    cost_unknown: tuple[str, ...] = ()  # priced, usage in several currencies: their cost in no total

    @property
    def counted(self) -> int:
        return sum(t.customers for t in self.prices)


def _priced(p: CustomerPreview) -> bool:
    return p.currency is not None and p.price_exact is not None and p.margin_exact is not None


def report_totals(previews: Iterable[CustomerPreview]) -> ReportTotals:
    rows = list(previews)
    priced = [p for p in rows if _priced(p)]
    costs: dict[str, list[Decimal]] = defaultdict(list)
    prices: dict[str, list[CustomerPreview]] = defaultdict(list)
    for p in priced:
        if p.vendor_cost is not None:
            costs[p.usage_currency].append(p.vendor_cost)
        prices[p.currency or ""].append(p)
    price_totals = []
    for currency in sorted(prices):
        part = prices[currency]
        price = exact_sum(p.price_exact for p in part if p.price_exact is not None)
        margin = exact_sum(p.margin_exact for p in part if p.margin_exact is not None)
        price_totals.append(PriceTotal(currency, len(part), price, margin, percent(margin, price)))
    return ReportTotals(
        costs=tuple(CostTotal(c, len(costs[c]), exact_sum(costs[c])) for c in sorted(costs)),
        prices=tuple(price_totals),
        left_out=tuple(p.customer_id for p in rows if not _priced(p)),
        cost_unknown=tuple(p.customer_id for p in priced if p.vendor_cost is None),
    )
