"""Invoice lifecycle: Draft -> Open -> Closed; Open -> Past Due; Open / Past Due -> Void;
Closed -> Void for an invoice of 0.00 only.

Draft is never visible to customers and is the only status that may be deleted. Nothing
returns to Draft: an issued invoice is corrected by voiding it (which frees its period for a
corrected invoice) and generating again.

An invoice with nothing due (a total of 0.00: no charges, or credits paid all of it) is Closed
as it is issued, Open -> Closed in the same step (`closes_at_issue`). Nothing was paid on it, so
it may still be voided (Closed -> Void), which is how its period lock is lifted (a preliminary
invoice of 0.00 before the vendor's final report, say). A Closed invoice with an amount (paid,
or a refund settled) is final. The rules depend on the total, so every path asks
`allowed_targets` / `check_transition` with it.

Past Due is for an Open invoice whose due date has passed with something to pay: never one of
0.00, nor a negative total (a refund: the customer owes nothing; it stays Open until the analyst
closes it). `nothing_due` says which totals ask nothing of the customer (0.00 and refunds);
`due_label` is what a list of invoices (the CLI's, the dashboards') shows for its due date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum


class Status(str, Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PAST_DUE = "past_due"
    VOID = "void"

    @classmethod
    def parse(cls, text: str) -> Status:
        key = text.strip().lower().replace(" ", "_").replace("-", "_")
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"unknown status {text!r}; use one of {', '.join(s.value for s in cls)}") from None

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").title()


# the transitions whatever the total; `allowed_targets` adds Closed -> Void for an invoice of 0.00
ALLOWED: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.OPEN}),
    Status.OPEN: frozenset({Status.CLOSED, Status.PAST_DUE, Status.VOID}),
    Status.PAST_DUE: frozenset({Status.CLOSED, Status.VOID}),
    Status.CLOSED: frozenset(),
    Status.VOID: frozenset(),
}

# statuses that hold the period lock (a void invoice releases it)
LOCKING = frozenset({Status.DRAFT, Status.OPEN, Status.CLOSED, Status.PAST_DUE})


class TransitionError(ValueError):
    pass


def allowed_targets(current: Status, total: Decimal) -> frozenset[Status]:
    """The statuses an invoice in `current` with this (rounded) total may take next.

    A Closed invoice of 0.00 was closed because nothing was due, not because it was paid: it may
    be voided (its credits come back, its period lock goes). One with an amount is final."""
    if current is Status.CLOSED and closes_at_issue(total):
        return ALLOWED[current] | {Status.VOID}
    return ALLOWED[current]


def check_transition(current: Status, target: Status, total: Decimal) -> None:
    """TransitionError, naming the statuses allowed instead (and why a Closed invoice is final)."""
    allowed = allowed_targets(current, total)
    if target not in allowed:
        listed = ", ".join(s.label for s in sorted(allowed, key=lambda s: s.value)) or "none"
        why = ""
        if current is Status.CLOSED and not allowed:
            why = ("; it was paid, and a paid invoice is final" if total > 0
                   else "; its refund was settled, which is final")
        raise TransitionError(
            f"an invoice in {current.label} cannot become {target.label} (allowed from {current.label}: {listed}{why})"
        )


def can_delete(status: Status) -> bool:
    return status is Status.DRAFT


def closes_at_issue(total: Decimal) -> bool:
    """Nothing is due on an invoice of this (rounded) total: issuing it closes it."""
    return total == 0


def nothing_due(total: Decimal) -> bool:
    """The customer owes nothing on an invoice of this (rounded) total: 0.00, or a refund (a
    negative total: the reseller owes the customer). Its statement shows no due date."""
    return total <= 0


# what the analyst's lists (`invoices list`, `invoices show`, the invoices dashboard and its
# read-only view, the billing page's approval message) say in place of the due date of an invoice
# with nothing due; the customer's statement, workbook and email say it in a sentence (NOTHING_DUE,
# `exports.view.InvoiceView.due_text`), as does the note beside an invoice Closed as it was issued
NOTHING_DUE_LABEL = "nothing due"
NOTHING_DUE = "nothing is due"


def due_label(total: Decimal, due_date: dt.date) -> str:
    """The due date as a list shows it: `2025-12-05`, or "nothing due" for 0.00 or a refund."""
    return NOTHING_DUE_LABEL if nothing_due(total) else due_date.isoformat()


def is_past_due(status: Status, due_date: dt.date, today: dt.date, total: Decimal) -> bool:
    """An Open invoice with something to pay (total above zero) whose due date has passed."""
    return status is Status.OPEN and today > due_date and not nothing_due(total)
