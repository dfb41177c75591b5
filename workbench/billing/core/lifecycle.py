"""Invoice lifecycle: Draft -> Open -> Closed; Open -> Past Due; Open / Past Due -> Void.

Draft is never visible to customers and is the only status that may be deleted. Nothing
returns to Draft: an issued invoice is corrected by voiding it (which frees its period for a
corrected invoice) and generating again.

An invoice with nothing due (a total of 0.00: no charges, or credits paid all of it) is Closed
as it is issued, Open -> Closed in the same step (`closes_at_issue`). Past Due is for an Open
invoice whose due date has passed with something to pay: never one of 0.00, nor a negative total
(a refund: the customer owes nothing; it stays Open until the analyst closes it).
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


def check_transition(current: Status, target: Status) -> None:
    if target not in ALLOWED[current]:
        allowed = ", ".join(s.label for s in sorted(ALLOWED[current], key=lambda s: s.value)) or "none"
        raise TransitionError(
            f"an invoice in {current.label} cannot become {target.label} (allowed from {current.label}: {allowed})"
        )


def can_delete(status: Status) -> bool:
    return status is Status.DRAFT


def closes_at_issue(total: Decimal) -> bool:
    """Nothing is due on an invoice of this (rounded) total: issuing it closes it."""
    return total == 0


def is_past_due(status: Status, due_date: dt.date, today: dt.date, total: Decimal) -> bool:
    """An Open invoice with something to pay (total above zero) whose due date has passed."""
    return status is Status.OPEN and today > due_date and total > 0
