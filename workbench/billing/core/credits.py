"""Applying credits: never below zero, the remainder stays on the customer's balance.

Credits are cross-cloud: a credit earned on AWS may pay an Azure invoice. Two kinds:
general credits pay usage and support; marketplace credits pay marketplace fees, and only when
the run says "use credits for marketplace fees" (then general credits may pay them too).
Credits pay the rounded charges, so balances stay in whole minor units of the currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from workbench.billing.core.money import EXACT, ZERO


@dataclass(frozen=True, slots=True)
class CreditBalance:
    general: Decimal = ZERO
    marketplace: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class CreditApplication:
    general: Decimal  # taken from general credits
    marketplace: Decimal  # taken from marketplace credits

    @property
    def total(self) -> Decimal:
        return EXACT.add(self.general, self.marketplace)


NONE = CreditApplication(ZERO, ZERO)


def apply_credits(
    balance: CreditBalance,
    *,
    billable: Decimal,
    marketplace_fees: Decimal,
    use_for_marketplace: bool,
) -> CreditApplication:
    """How much of each kind of credit to take for an invoice.

    `billable` (usage + support) and `marketplace_fees` are the rounded amounts the invoice
    charges, in minor units. Each credit taken is at most what it may pay and at most what
    the balance holds; a negative balance or amount takes nothing.
    """
    general_room = max(billable, ZERO)
    general = min(max(balance.general, ZERO), general_room)
    marketplace = ZERO
    if use_for_marketplace:
        market_room = max(marketplace_fees, ZERO)
        marketplace = min(max(balance.marketplace, ZERO), market_room)
        spare_general = min(
            EXACT.subtract(max(balance.general, ZERO), general), EXACT.subtract(market_room, marketplace)
        )
        general = EXACT.add(general, max(spare_general, ZERO))
    return CreditApplication(general=general, marketplace=marketplace)
