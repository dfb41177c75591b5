"""Exact money text from integer nano-units: no float, no ambient decimal context."""

from __future__ import annotations

from decimal import Decimal

NANOS = 10**9


def nanos_text(nanos: int, decimals: int = 9) -> str:
    """123456789 -> '0.123456789'; -5 -> '-0.000000005' (always `decimals` places, 9 or fewer)."""
    if not 0 <= decimals <= 9:
        raise ValueError("decimals must be between 0 and 9")
    if decimals < 9 and nanos % 10 ** (9 - decimals):
        raise ValueError(f"{nanos} nano-units do not fit {decimals} decimals")
    sign = "-" if nanos < 0 else ""
    whole, fraction = divmod(abs(nanos), NANOS)
    digits = f"{fraction:09d}"[:decimals]
    return f"{sign}{whole}.{digits}" if decimals else f"{sign}{whole}"


def nanos_decimal(nanos: int) -> Decimal:
    return Decimal(nanos).scaleb(-9)


def json_number(nanos: int) -> str:
    """The shortest exact JSON number for nano-units: 12500000000 -> '12.5', 0 -> '0.0'."""
    text = nanos_text(nanos).rstrip("0")
    return text + "0" if text.endswith(".") else text


def scaled(value: str, scale: int) -> int:
    """Exact decimal text -> integer count of 10**-scale; refuses anything finer."""
    units = Decimal(value).scaleb(scale)
    if units != units.to_integral_value():
        raise ValueError(f"{value} has more than {scale} decimals")
    return int(units)


def round_half_up_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient
