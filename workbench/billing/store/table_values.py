"""Turning one cell's text into a typed value, or a `Problem` saying how to write it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from workbench.billing.core import periods
from workbench.billing.core.money import D, is_known_currency
from workbench.billing.core.usage import Vendor
from workbench.billing.store.table_formats import Column, Kind

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Value = str | Decimal | dt.date | int | None


class BadValue(ValueError):
    def __init__(self, code: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.code, self.message, self.fix = code, message, fix


def parse_cell(column: Column, text: str) -> Value:
    """Raise `BadValue` when the text cannot mean a value of the column's kind."""
    text = text.strip()
    if text == "":
        if column.not_empty:
            raise BadValue("missing-value", f"{column.name} is empty", f"fill in {column.name}")
        text = column.default
        if text == "":
            return None if column.kind is Kind.DAYS else ""
    match column.kind:
        case Kind.TEXT:
            return text
        case Kind.VENDOR:
            try:
                return Vendor.parse(text).value
            except ValueError:
                raise BadValue(
                    "unknown-vendor", f"{column.name} {text!r} is not a vendor", "write aws, azure or gcp"
                ) from None
        case Kind.CURRENCY:
            code = text.upper()
            if not is_known_currency(code):
                raise BadValue(
                    "unknown-currency",
                    f"{column.name} {text!r} is not a known ISO 4217 currency code",
                    "write the three-letter code, e.g. USD, EUR, CAD",
                )
            return code
        case Kind.MONTH:
            return parse_month(text, column.name)
        case Kind.DATE:
            if not DATE_RE.match(text):
                raise BadValue("bad-date", f"{column.name} {text!r} is not a date", "write it as YYYY-MM-DD, e.g. 2024-03-31")
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise BadValue("bad-date", f"{column.name} {text!r} is not a real day", "write an existing day as YYYY-MM-DD") from None
        case Kind.NUMBER | Kind.PERCENT:
            return parse_number(text, column.name)
        case Kind.DAYS:
            try:
                number = parse_number(text, column.name)
            except BadValue:
                number = Decimal(-1)
            if number != number.to_integral_value() or number < 0:
                raise BadValue("bad-days", f"{column.name} {text!r} is not a whole number of days", "write e.g. 30")
            return int(number)
        case Kind.CHOICE:
            choice = text.lower()
            if choice not in column.choices:
                raise BadValue(
                    "bad-choice",
                    f"{column.name} {text!r} is not one of {', '.join(column.choices)}",
                    f"write one of {', '.join(column.choices)}",
                )
            return choice
    raise AssertionError(column.kind)


def parse_month(text: str, name: str = "month") -> str:
    """The YYYY-MM text, checked as `core.periods.parse_month` checks a month; a table's problem otherwise."""
    try:
        periods.parse_month(text)
    except ValueError:
        raise BadValue("bad-month", f"{name} {text!r} is not a month", "write it as YYYY-MM, e.g. 2024-03") from None
    return text.strip()


def parse_number(text: str, name: str) -> Decimal:
    try:
        return D(text)
    except ValueError:
        raise BadValue(
            "not-a-number",
            f"{name} {text!r} is not a number",
            "write a plain number with a dot for decimals and no % sign, thousands separator or currency, e.g. -7.5",
        ) from None


def value_text(value: object) -> str:
    """The canonical text of a stored value, as the export writes it."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
