"""The command line's kinds of value: a day, a billing date range, a month, a vendor, a list of
customer ids.

Each is a click `ParamType` over the billing core's own parser (`core.periods.parse_day`,
`parse_range`, `parse_month`; `core.usage.Vendor.parse`), so every command reads a value one way
and refuses a bad one one way: exit 2 with click's `Invalid value for '--range': ...`, naming
the option and the forms it takes, before any work (and not a traceback, or exit 1).

A range such as `mtd` or `last-month` means something only against a day: `DATE_RANGE` reads it
against the command's `--today` when the command has one. `today_option` is eager for that:
click converts eager options first, whatever their place on the command line, so `--today` is
in `ctx.params` when `--range` (or its default) is converted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from workbench.billing.core.periods import RANGE_FORMS, DateRange, month_key, parse_day, parse_month, parse_range
from workbench.billing.core.usage import Vendor

__all__ = ["CUSTOMER_IDS", "DATE", "DATE_RANGE", "MONTH", "VENDOR", "today_option"]


class _Day(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return parse_day(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class _DateRange(click.ParamType):
    name = "RANGE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> DateRange:
        if isinstance(value, DateRange):
            return value
        today = (ctx.params.get("today") if ctx is not None else None) or dt.date.today()
        try:
            return parse_range(str(value), today)
        except ValueError as exc:
            message = str(exc)
            if RANGE_FORMS not in message:  # a month or a day that is none: say the forms too
                message += f"; a range is {RANGE_FORMS}"
            self.fail(message, param, ctx)


class _Month(click.ParamType):
    """A billing month, given to the command as its text YYYY-MM."""

    name = "YYYY-MM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return month_key(parse_month(str(value)))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class _Vendor(click.ParamType):
    """aws, azure or gcp, or a name the table files accept for one (Amazon, Microsoft, Google
    Cloud, ...): given to the command as aws, azure or gcp."""

    name = "VENDOR"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        # an option shows the three it gives (--vendor [aws|azure|gcp]); an argument its name
        return "[aws|azure|gcp]" if isinstance(param, click.Option) else None

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return Vendor.parse(str(value)).value
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class _CustomerIds(click.ParamType):
    """"C001,C002" -> ["C001", "C002"]. A value with no id at all ("", ",") is refused: a script
    passing an empty "$IDS" meant some customers, and leaving the option out means every one."""

    name = "ID,ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> list[str]:
        if isinstance(value, list):
            return value
        wanted = [c.strip() for c in str(value).split(",") if c.strip()]
        if not wanted:
            self.fail(f"{value!r} names no customer: give customer IDs, comma separated "
                      "(leave the option out for every customer)", param, ctx)
        return wanted


DATE = _Day()
CUSTOMER_IDS = _CustomerIds()
DATE_RANGE = _DateRange()
MONTH = _Month()
VENDOR = _Vendor()

today_option = click.option(
    "--today", type=DATE, is_eager=True, metavar="YYYY-MM-DD",
    help="Pretend today is this day (ranges, due dates).")
