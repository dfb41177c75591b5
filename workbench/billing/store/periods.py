"""Billing periods as YYYY-MM text, and the period locks that invoice generation leaves behind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.billing.store.models import PeriodLock


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_start(period: str) -> dt.date:
    year, month = period.split("-")
    return dt.date(int(year), int(month), 1)


def next_month(period: str) -> str:
    start = month_start(period)
    return f"{start.year + start.month // 12:04d}-{start.month % 12 + 1:02d}"


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """[first day, first day of the next month)."""
    return month_start(period), month_start(next_month(period))


def locks_overlapping(session: Session, vendor: str, period: str, customer_ids: Iterable[str]) -> list[PeriodLock]:
    """Locks of `vendor` for these customers that cover any day of `period`."""
    ids = sorted(set(customer_ids))
    if not ids:
        return []
    start, end = month_bounds(period)
    query = (
        select(PeriodLock)
        .where(PeriodLock.vendor == vendor, PeriodLock.customer_id.in_(ids))
        .where(PeriodLock.period_start < end, PeriodLock.period_end > start)
        .order_by(PeriodLock.customer_id, PeriodLock.period_start)
    )
    return list(session.scalars(query))
