"""Billing periods as YYYY-MM text, and the period locks that invoice generation leaves behind:
which invoices hold them, and what releases them (one wording for every refusal a lock causes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.billing.core.periods import parse_month
from workbench.billing.store.in_lists import chunks
from workbench.billing.store.models import Invoice, PeriodLock

def month_start(period: str) -> dt.date:
    """The first day of a YYYY-MM period (`core.periods.parse_month`: ValueError otherwise)."""
    return parse_month(period)


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


def held_by(session: Session, locks: Iterable[PeriodLock]) -> list[tuple[str, str]]:
    """The (number, status) of the invoices holding these locks, by number."""
    ids = sorted({lk.invoice_id for lk in locks})
    return sorted({(number, status) for chunk in chunks(ids)
                   for number, status in session.execute(select(Invoice.number, Invoice.status).where(Invoice.id.in_(chunk)))})


def few(items: Sequence[str], shown: int = 5) -> str:
    """Up to `shown` items, then how many more."""
    more = len(items) - shown
    return ", ".join(items[:shown]) + (f" and {more} more" if more > 0 else "")


def invoices_text(held: Sequence[tuple[str, str]]) -> str:
    """'AWS-202510-00001 (draft), AWS-202510-00002 (open), AWS-202509-00003 (past due)'."""
    return few([f"{number} ({status.replace('_', ' ')})" for number, status in held])


def unlock_steps(held: Sequence[tuple[str, str]]) -> str:
    """What releases the locks of these invoices, by their status: a draft is deleted, an issued
    invoice is voided (it never changes)."""
    drafts = [number for number, status in held if status == "draft"]
    issued = [number for number, status in held if status != "draft"]
    steps = ([f"delete the draft invoice(s) {few(drafts)}"] if drafts else []) + \
            ([f"void the issued invoice(s) {few(issued)} (issued invoices never change; re-issue after)"] if issued else [])
    return " and ".join(steps)
