"""Billing periods as YYYY-MM text, and the period locks that invoice generation leaves behind:
which invoices hold them, and what releases them (one wording for every refusal a lock causes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.billing.core.lifecycle import Status, allowed_targets
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


class HeldInvoice(NamedTuple):
    """An invoice holding a period lock: what a refusal names, and what would release it."""

    number: str
    status: str
    total: Decimal

    @property
    def final(self) -> bool:
        """Closed with an amount (paid, or a refund settled): it is never voided, so its lock stays."""
        status = Status(self.status)
        return status is not Status.DRAFT and Status.VOID not in allowed_targets(status, self.total)


def held_by(session: Session, locks: Iterable[PeriodLock]) -> list[HeldInvoice]:
    """The invoices holding these locks, by number."""
    ids = sorted({lk.invoice_id for lk in locks})
    return sorted({HeldInvoice(*row) for chunk in chunks(ids) for row in session.execute(
        select(Invoice.number, Invoice.status, Invoice.total).where(Invoice.id.in_(chunk)))})


def few(items: Sequence[str], shown: int = 5) -> str:
    """Up to `shown` items, then how many more."""
    more = len(items) - shown
    return ", ".join(items[:shown]) + (f" and {more} more" if more > 0 else "")


def invoices_text(held: Sequence[HeldInvoice]) -> str:
    """'AWS-202510-00001 (draft), AWS-202510-00002 (open), AWS-202509-00003 (past due)'."""
    return few([f"{h.number} ({h.status.replace('_', ' ')})" for h in held])


# what a refusal held by a paid invoice advises when the caller has no other way to offer
SETTLE_LATER = "the month stays as billed; settle any difference on a later invoice (credits.csv grants a credit for an overcharge)"


def unlock_steps(held: Sequence[HeldInvoice]) -> str:
    """What releases the locks of these invoices, by their status: a draft is deleted, an issued
    invoice is voided (it never changes). For invoices none of which is final (`final_fix`)."""
    drafts = [h.number for h in held if h.status == Status.DRAFT.value]
    issued = [h.number for h in held if h.status != Status.DRAFT.value]
    steps = ([f"delete the draft invoice(s) {few(drafts)}"] if drafts else []) + \
            ([f"void the issued invoice(s) {few(issued)} (issued invoices never change; re-issue after)"] if issued else [])
    return " and ".join(steps)


def final_fix(held: Sequence[HeldInvoice], otherwise: str = SETTLE_LATER) -> str | None:
    """The fix when some of these invoices are final (`HeldInvoice.final`: a paid invoice is never
    voided, so no step releases its lock): say which, and `otherwise`, the way that remains.
    None when none is final: `unlock_steps` then says what releases them all."""
    paid = [h.number for h in held if h.final and h.total > 0]
    settled = [h.number for h in held if h.final and h.total < 0]
    if not paid and not settled:
        return None
    said = ([f"invoice(s) {few(paid)} {'is' if len(paid) == 1 else 'are'} paid"] if paid else []) + \
           ([f"the refund(s) {few(settled)} {'is' if len(settled) == 1 else 'are'} settled"] if settled else [])
    return f"{' and '.join(said)}: a Closed invoice with an amount is final, never voided; {otherwise}"
