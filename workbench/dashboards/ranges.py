"""The date range control both dashboards share: Month to date (default), Last month, a given
month (from a list of months with data), Custom (two date pickers, both days included, opening
on last month's first and last day); the invoices list adds "All dates".

Widget values are untrusted (a Voila viewer can set any of them): `date_range()` validates and
raises `ValueError` with a sentence for the user instead of acting on nonsense.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import ipywidgets as w

from workbench.billing.core.periods import DateRange, custom, given_month, last_month, month_to_date

ALL = "All dates"
MTD = "Month to date"
LAST = "Last month"
MONTH = "Month"
CUSTOM = "Custom"


class RangeChooser:
    def __init__(self, today: dt.date, months: Sequence[str], *, allow_all: bool = False,
                 default: str = MTD) -> None:
        self.today = today
        kinds = ([ALL] if allow_all else []) + [MTD, LAST, MONTH, CUSTOM]
        self.kind = w.Dropdown(options=kinds, value=default, description="Date range",
                               layout=w.Layout(width="260px"))
        self.month = w.Dropdown(options=list(months), description="Month", layout=w.Layout(width="200px"))
        # Custom opens on last month's exact days, the period an analyst bills at month end and
        # narrows from (a customer that left mid-month): it is Last month's range, so a customer
        # billed for it reads "billed" with its invoice, where last month's 1st to today (the
        # former default) overlapped the billed month and the current one and listed every
        # billed customer as an error. Month to date has its own entry already.
        first, last = self._custom_default(today)
        self.start = w.DatePicker(description="From", value=first, layout=w.Layout(width="230px"))
        self.end = w.DatePicker(description="To", value=last, layout=w.Layout(width="230px"))
        self.widget = w.HBox([self.kind, self.month, self.start, self.end])
        self.kind.observe(lambda _change: self._show(), "value")
        self._show()

    def set_today(self, today: dt.date) -> None:
        """A new day (a preheated page visited later): Month to date and Last month follow it, and
        so do the custom days while they are still the ones the chooser opened on."""
        opened_on = self._custom_default(self.today)
        self.today = today
        if (self.start.value, self.end.value) == opened_on:
            # both days change before an observer hears of either: none sees a new From with the old To
            with self.start.hold_trait_notifications(), self.end.hold_trait_notifications():
                self.start.value, self.end.value = self._custom_default(today)

    @staticmethod
    def _custom_default(today: dt.date) -> tuple[dt.date, dt.date]:
        previous = last_month(today)
        return previous.start, previous.end - dt.timedelta(days=1)

    def set_months(self, months: Sequence[str]) -> None:
        keep = self.month.value if self.month.value in months else None
        self.month.options = list(months)
        self.month.value = keep if keep is not None else (months[0] if months else None)

    def observe(self, callback: Callable[[], None]) -> None:
        for control in (self.kind, self.month, self.start, self.end):
            control.observe(lambda _change: callback(), "value")

    def _show(self) -> None:
        self.month.layout.display = "" if self.kind.value == MONTH else "none"
        shown = "" if self.kind.value == CUSTOM else "none"
        self.start.layout.display = shown
        self.end.layout.display = shown

    def date_range(self) -> DateRange | None:
        """The chosen range; None for All dates. ValueError (a sentence) when it makes no sense."""
        kind = self.kind.value
        if kind == ALL:
            return None
        if kind == MTD:
            return month_to_date(self.today)
        if kind == LAST:
            return last_month(self.today)
        if kind == MONTH:
            if not self.month.value:
                raise ValueError("there is no month with data to choose")
            return given_month(str(self.month.value))
        if kind == CUSTOM:
            start, end = self.start.value, self.end.value
            if not isinstance(start, dt.date) or not isinstance(end, dt.date):
                raise ValueError("pick both the first and the last day of the custom range")
            if end < start:
                raise ValueError(f"the custom range ends ({end}) before it starts ({start})")
            return custom(start, end)
        raise ValueError(f"unknown date range {kind!r}")
