"""Exact money: one way to make a number, immutable amounts, explicit rounding.

- `D()` is the only way to build a `Decimal` from outside data. It refuses `float`, because a
  float has already lost the vendor's 9th decimal before we see it.
- Arithmetic runs in `EXACT`, a private context wide enough that adding and multiplying the
  amounts we handle never rounds (the ambient `decimal` context is never used: its 28 digits
  would silently round a 38-digit DuckDB DECIMAL).
- Rounding happens only through `round_minor`, with an explicit mode (half-up by default), to
  the currency's minor unit (JPY 0, USD 2, KWD 3).
- `money_text` makes a shown amount text (1,234.50; 1,235 JPY; 1.235 KWD): the statement
  (screen and PDF), the dashboards' tables and the command line all print through it, so they
  read alike; `str(Money)` adds the code (1,234.50 USD) for a message. Files for machines (CSV,
  JSON) take its `grouped=False` form: 1234.50.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import (ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, DivisionByZero, Inexact,
                     InvalidOperation)

__all__ = [
    "D",
    "EXACT",
    "Money",
    "CurrencyMismatch",
    "ROUND_HALF_UP",
    "ROUND_HALF_EVEN",
    "ROUND_DOWN",
    "minor_unit",
    "is_known_currency",
    "round_minor",
    "money_text",
    "exact_sum",
    "plain",
    "percent",
    "ZERO",
]

# 100 significant digits: the product of two 38-digit DECIMALs is exact. Inexact is trapped so
# that a computation that would have to round raises instead of drifting.
EXACT = Context(prec=100, rounding=ROUND_HALF_UP, traps=[InvalidOperation, Inexact])
ZERO = Decimal(0)

# ISO 4217 minor units for the currencies a reseller meets; others are refused as unknown.
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        "USD CAD EUR GBP AUD NZD CHF SEK NOK DKK PLN CZK HUF RON BGN MXN BRL ARS CLP_ COP_ "
        "ZAR INR SGD HKD CNY TWD_ THB MYR PHP IDR_ ILS AED SAR QAR TRY RUB UAH EGP NGN KES "
        "MAD PKR LKR BDT VND_".split(),
        2,
    ),
    "JPY": 0,
    "KRW": 0,
    "CLP": 0,
    "ISK": 0,
    "VND": 0,
    "TWD": 2,
    "COP": 2,
    "IDR": 2,
    "KWD": 3,
    "BHD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}
_MINOR_UNITS = {k: v for k, v in _MINOR_UNITS.items() if not k.endswith("_")}


class CurrencyMismatch(ValueError):
    pass


def D(value: object) -> Decimal:
    """Build a Decimal from text, int or Decimal; refuse float and anything non-finite."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"money must not be built from {type(value).__name__} {value!r}; pass a string")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if text == "":
            raise ValueError("empty amount")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise TypeError(f"cannot make a Decimal from {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def is_known_currency(code: str) -> bool:
    return code in _MINOR_UNITS


def minor_unit(currency: str) -> int:
    try:
        return _MINOR_UNITS[currency]
    except KeyError:
        raise ValueError(f"unknown currency code {currency!r}") from None


def round_minor(amount: Decimal, currency: str, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round once to the currency's minor unit with an explicit rounding mode."""
    exponent = Decimal(1).scaleb(-minor_unit(currency))
    return amount.quantize(exponent, rounding=rounding, context=EXACT_QUANTIZE)


# quantize may legitimately be inexact (that is its purpose): a context without the Inexact trap.
EXACT_QUANTIZE = Context(prec=100, rounding=ROUND_HALF_UP, traps=[InvalidOperation])


def money_text(amount: Decimal, currency: str, *, grouped: bool = True) -> str:
    """An amount as shown: rounded once, half-up, to the currency's minor unit, thousands grouped.

    1,234.50 (USD), 1,234,567 (JPY), -1,234.567 (KWD); never -0.00. `grouped=False` gives the
    plain text machine-readable files carry: 1234.50. Formatted from the Decimal itself (no float).
    """
    shown = round_minor(amount, currency)
    if shown.is_zero():
        shown = shown.copy_abs()  # never print -0.00
    return format(shown, ",f" if grouped else "f")


def plain(amount: Decimal) -> str:
    """Exact text without exponent or trailing zeros: 3.5, 0.0000000018, 100."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    total = ZERO
    for v in values:
        total = EXACT.add(total, v)
    return total


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Adding two currencies raises."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money.amount must be a Decimal, got {type(self.amount).__name__}")
        if not is_known_currency(self.currency):
            raise ValueError(f"unknown currency code {self.currency!r}")

    @classmethod
    def of(cls, amount: object, currency: str) -> Money:
        return cls(D(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(ZERO, currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(EXACT.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(EXACT.subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        return Money(EXACT.minus(self.amount), self.currency)

    def times(self, factor: Decimal) -> Money:
        return Money(EXACT.multiply(self.amount, factor), self.currency)

    def rounded(self, rounding: str = ROUND_HALF_UP) -> Money:
        return Money(round_minor(self.amount, self.currency, rounding), self.currency)

    def __str__(self) -> str:
        return f"{money_text(self.amount, self.currency)} {self.currency}"


# Percentages are the one place a division happens: computed wide, then rounded once, half-up,
# to 0.01 %. Money sums never divide.
_PERCENT = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero])
_HUNDREDTH = Decimal("0.01")


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part` as a percent of |`whole`|, rounded half-up to 0.01; None when `whole` is zero.

    Of |whole|, so that the sign is the part's: a margin on a negative price (a month of vendor
    credits) that shrinks is a negative percent. Every screen shows margins through this."""
    if whole == ZERO:
        return None
    ratio = _PERCENT.divide(_PERCENT.multiply(part, Decimal(100)), abs(whole))
    return ratio.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP, context=_PERCENT)
