"""Applying credits: never below zero, the remainder stays on the customer's balance.

Credits are cross-cloud: a credit earned on AWS may pay an Azure invoice. Two kinds:
general credits pay usage and support; marketplace credits pay marketplace fees, and only when
the run says "use credits for marketplace fees" (then general credits may pay them too).
Credits pay the rounded charges, so balances stay in whole minor units of the currency.

Credits in another currency than the invoice's pay it too, converted at the stored rate of the
invoice's period (`ForeignCredit`). Order: the credits in the invoice's currency first, as
above; then each other currency, by currency code, in the same order of kinds.

Converting is exact one way only. A credit's worth in the invoice currency is a
multiplication (amount x rate), exact; what part of a credit pays a given amount is a division.
The rule, so that no rounding ever pays more than a credit is worth:
- a credit whose whole balance the invoice can take pays its worth rounded DOWN to the
  invoice currency's minor unit, and all of it is taken;
- otherwise it pays what the invoice still owes, and the part taken from its balance is the
  least amount in whole minor units of the credit's currency worth at least that
  (owed / rate, rounded UP), never more than the balance.
Either way paid <= taken x rate: what rounding costs (under one minor unit) stays with the
credit, and the invoice is never paid by less credit than its amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, Context, Decimal, DivisionByZero, InvalidOperation

from workbench.billing.core.money import EXACT, ZERO, exact_sum, minor_unit, round_minor


@dataclass(frozen=True, slots=True)
class CreditBalance:
    general: Decimal = ZERO  # in the invoice's currency
    marketplace: Decimal = ZERO
    foreign: tuple[ForeignCredit, ...] = ()  # balances in other currencies that have a rate


@dataclass(frozen=True, slots=True)
class ForeignCredit:
    """A balance in another currency than the invoice's: 1 `currency` = `rate` invoice currency,
    the stored rate of the invoice's period."""

    currency: str
    rate: Decimal
    general: Decimal = ZERO
    marketplace: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ForeignTake:
    """What a credit in another currency paid: `taken` off its balance (its currency), `paid` off
    the invoice (invoice currency), both whole minor units, at `rate`."""

    currency: str
    kind: str  # general | marketplace
    rate: Decimal
    taken: Decimal
    paid: Decimal


@dataclass(frozen=True, slots=True)
class CreditApplication:
    general: Decimal  # taken from general credits in the invoice's currency
    marketplace: Decimal  # taken from marketplace credits in the invoice's currency
    foreign: tuple[ForeignTake, ...] = ()  # taken from credits in other currencies
    # What the invoice still owes after these credits that more credit could pay (invoice
    # currency): its usage and support, and its marketplace fees when credits may pay them (else 0).
    owed_general: Decimal = ZERO
    owed_marketplace: Decimal = ZERO

    def could_take(self, general: Decimal, marketplace: Decimal) -> bool:
        """Whether more credit of these kinds could have paid part of the invoice: general credit
        what it still owes of either kind, marketplace credit only of its marketplace fees. So a
        credit that had no rate into the invoice's currency changed nothing when this is False."""
        return ((general > 0 and (self.owed_general > 0 or self.owed_marketplace > 0))
                or (marketplace > 0 and self.owed_marketplace > 0))

    @property
    def own(self) -> Decimal:
        """Paid by credits in the invoice's currency."""
        return EXACT.add(self.general, self.marketplace)

    @property
    def total(self) -> Decimal:
        """Paid in all, in the invoice's currency."""
        return EXACT.add(self.own, exact_sum(t.paid for t in self.foreign))


NONE = CreditApplication(ZERO, ZERO)

# A division is rounded (to 100 digits) by nature; `least_covering` checks its result by exact
# multiplication, so that rounding can never decide an amount.
_DIVIDE = Context(prec=100, rounding=ROUND_CEILING, traps=[InvalidOperation, DivisionByZero])


def worth(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """What `amount` of a credit pays in `currency` at `rate`: amount x rate (exact), rounded
    down to the currency's minor unit."""
    return round_minor(EXACT.multiply(amount, rate), currency, ROUND_DOWN)


def least_covering(owed: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The least amount in whole minor units of `currency` whose value at `rate` is at least
    `owed`: owed / rate rounded up, checked by multiplication."""
    if rate <= 0:
        raise ValueError(f"an exchange rate must be positive, got {rate}")
    unit = Decimal(1).scaleb(-minor_unit(currency))
    part = round_minor(_DIVIDE.divide(owed, rate), currency, ROUND_CEILING)
    while EXACT.multiply(part, rate) < owed:
        part = EXACT.add(part, unit)
    while part > ZERO and EXACT.multiply(EXACT.subtract(part, unit), rate) >= owed:
        part = EXACT.subtract(part, unit)
    return part


def _take_foreign(available: Decimal, room: Decimal, rate: Decimal, credit_currency: str,
                  invoice_currency: str) -> tuple[Decimal, Decimal]:
    """(taken in the credit's currency, paid in the invoice's) for one kind of a foreign credit."""
    if available <= 0 or room <= 0:
        return ZERO, ZERO
    whole = worth(available, rate, invoice_currency)
    if whole <= room:
        return (available, whole) if whole > 0 else (ZERO, ZERO)  # a balance worth nothing stays
    return min(least_covering(room, rate, credit_currency), available), room


def apply_credits(
    balance: CreditBalance,
    *,
    billable: Decimal,
    marketplace_fees: Decimal,
    use_for_marketplace: bool,
    currency: str = "",
) -> CreditApplication:
    """How much of each kind of credit to take for an invoice in `currency`.

    `billable` (usage + support) and `marketplace_fees` are the rounded amounts the invoice
    charges, in minor units. Each credit taken is at most what it may pay and at most what
    the balance holds; a negative balance or amount takes nothing. `currency` (the invoice's)
    is needed only for credits in other currencies.
    """
    general_room = max(billable, ZERO)
    general = min(max(balance.general, ZERO), general_room)
    general_room = EXACT.subtract(general_room, general)
    marketplace = ZERO
    market_room = ZERO
    if use_for_marketplace:
        market_room = max(marketplace_fees, ZERO)
        marketplace = min(max(balance.marketplace, ZERO), market_room)
        spare_general = min(
            EXACT.subtract(max(balance.general, ZERO), general), EXACT.subtract(market_room, marketplace)
        )
        spare_general = max(spare_general, ZERO)
        general = EXACT.add(general, spare_general)
        market_room = EXACT.subtract(market_room, EXACT.add(marketplace, spare_general))
    taken: list[ForeignTake] = []
    for credit in sorted(balance.foreign, key=lambda c: c.currency):
        if credit.currency == currency:
            raise ValueError(f"a {currency} credit is not foreign to a {currency} invoice")
        steps = [("general", "general")]  # (kind of credit, what it pays)
        if use_for_marketplace:
            steps += [("marketplace", "marketplace"), ("general", "marketplace")]
        left = {"general": credit.general, "marketplace": credit.marketplace}
        for kind, pays in steps:
            room = general_room if pays == "general" else market_room
            part, paid = _take_foreign(left[kind], room, credit.rate, credit.currency, currency)
            if not paid:
                continue
            left[kind] = EXACT.subtract(left[kind], part)
            if pays == "general":
                general_room = EXACT.subtract(general_room, paid)
            else:
                market_room = EXACT.subtract(market_room, paid)
            taken.append(ForeignTake(credit.currency, kind, credit.rate, part, paid))
    return CreditApplication(general=general, marketplace=marketplace, foreign=_merged(taken),
                             owed_general=general_room, owed_marketplace=market_room)


def _merged(taken: list[ForeignTake]) -> tuple[ForeignTake, ...]:
    """One take per (currency, kind): general credit may pay both usage and marketplace fees."""
    merged: dict[tuple[str, str], ForeignTake] = {}
    for t in taken:
        before = merged.get((t.currency, t.kind))
        merged[(t.currency, t.kind)] = t if before is None else ForeignTake(
            t.currency, t.kind, t.rate, EXACT.add(before.taken, t.taken), EXACT.add(before.paid, t.paid))
    return tuple(merged.values())
