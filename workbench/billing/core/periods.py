"""Billing date ranges: month to date (the default), last month, a given month, a custom range.

A `DateRange` is half-open, [start, end). Whole calendar months are billed by the vendors'
billing period (`YYYY-MM`); custom ranges by the usage date of each row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CUSTOM = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
RANGE_FORMS = "mtd, last-month, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD"


def _first_of_next(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> dt.date:
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"not a month {text!r}: expected YYYY-MM, e.g. 2025-10")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def parse_day(text: str) -> dt.date:
    """A day written YYYY-MM-DD (only that form: 20251120 or 2025-W47 are refused, as a person
    would not read them as days). ValueError, saying which, for any other text or a day the
    calendar has not (2025-02-30)."""
    key = text.strip()
    if not _DAY.match(key):
        raise ValueError(f"not a date {text!r}: expected YYYY-MM-DD, e.g. 2025-11-20")
    try:
        return dt.date.fromisoformat(key)
    except ValueError as exc:
        raise ValueError(f"no such day {text!r} ({exc})") from None


@dataclass(frozen=True, slots=True)
class DateRange:
    start: dt.date
    end: dt.date  # exclusive
    label: str

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"empty date range {self.start}..{self.end}")

    @property
    def is_whole_months(self) -> bool:
        return self.start.day == 1 and self.end.day == 1

    @property
    def months(self) -> list[str]:
        """Billing periods (YYYY-MM) the range touches."""
        out, day = [], self.start.replace(day=1)
        while day < self.end:
            out.append(month_key(day))
            day = _first_of_next(day)
        return out

    @property
    def first_month(self) -> str:
        return month_key(self.start)

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.start < end and start < self.end

    def __str__(self) -> str:
        return self.label


def given_month(text: str) -> DateRange:
    start = parse_month(text)
    return DateRange(start, _first_of_next(start), month_key(start))


def month_to_date(today: dt.date) -> DateRange:
    start = today.replace(day=1)
    return DateRange(start, today + dt.timedelta(days=1), f"{month_key(start)} (month to date)")


def last_month(today: dt.date) -> DateRange:
    start = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return DateRange(start, today.replace(day=1), month_key(start))


def custom(start: dt.date, last_day: dt.date) -> DateRange:
    """Both days included, as an analyst picks them."""
    if last_day < start:
        raise ValueError(f"the range {start.isoformat()}..{last_day.isoformat()} ends before it starts: "
                         f"write the first day, then the last")
    return DateRange(start, last_day + dt.timedelta(days=1), f"{start.isoformat()}..{last_day.isoformat()}")


def parse_range(text: str | None, today: dt.date) -> DateRange:
    """`mtd` / `month-to-date` (default), `last-month`, `YYYY-MM`, or `YYYY-MM-DD..YYYY-MM-DD`.
    ValueError for anything else, a date that is none, or a range ending after 9999-12-31."""
    try:
        return _parse_range(text, today)
    except OverflowError:  # the day after 9999-12-31: Python has no such date
        raise ValueError(f"the date range {text!r} reaches past the last date there is (9999-12-31)") from None


def _parse_range(text: str | None, today: dt.date) -> DateRange:
    key = (text or "mtd").strip().lower()
    if key in ("mtd", "month-to-date", "month to date"):
        return month_to_date(today)
    if key in ("last-month", "last month", "last_month"):
        return last_month(today)
    if _MONTH.match(key):
        return given_month(key)
    m = _CUSTOM.match(key)
    if m:
        return custom(parse_day(m.group(1)), parse_day(m.group(2)))
    raise ValueError(f"unknown date range {text!r}: use {RANGE_FORMS}")
