"""Invoice numbers: `VENDOR-YYYYMM-NNNNN`, counted per vendor and month, never given twice.

    numbers = take_numbers(session, "aws", dt.date(2026, 11, 1), 3)
    # ["AWS-202611-00004", "AWS-202611-00005", "AWS-202611-00006"] after 00003

The month is that of the invoiced period's start. Each (vendor, month) has its own counter,
a row of `invoice_number_sequences` holding the last number handed out, so a vendor's numbers
run 00001, 00002, ... whatever the other vendors generate. The counter only goes up: deleting a
draft does not give its number back (nor its month-end folder, which is named by the number),
so the next invoice gets a new one, and the only gaps in a vendor's month are deleted drafts.

Two runs at once never get the same number: the counter row is moved up by one `UPDATE`, which
holds it (PostgreSQL: the row lock; SQLite: the database's write lock) until the transaction
that writes the invoices ends; the other run's `UPDATE` waits, then counts on from what the
first committed (READ COMMITTED re-reads the row after the wait). Call it in that transaction.
A first number of a month creates the row with `INSERT ... ON CONFLICT DO NOTHING`, so two
first runs of a month do not fail on each other. Migration 0008 seeded the counters of an
existing workspace from the numbers it had made.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workbench.billing.store.models import InvoiceNumberSequence

__all__ = ["invoice_number", "take_numbers"]


def invoice_number(vendor: str, month_start: dt.date, sequence: int) -> str:
    return f"{vendor.upper()}-{month_start:%Y%m}-{sequence:05d}"


def take_numbers(session: Session, vendor: str, period_start: dt.date, count: int) -> list[str]:
    """The next `count` numbers of `vendor` in the month of `period_start`, in order; the counter
    stays held until `session`'s transaction ends (and goes back only if it rolls back)."""
    if count <= 0:
        return []
    month = f"{period_start:%Y-%m}"
    table = InvoiceNumberSequence.__table__
    dialect = session.get_bind().dialect.name
    new_row = {"vendor": vendor, "month": month, "last_number": 0}
    if dialect == "postgresql":
        session.execute(postgresql.insert(table).values(new_row).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(table).values(new_row).on_conflict_do_nothing())
    else:
        raise NotImplementedError(f"invoice numbers on {dialect}: SQLite and PostgreSQL only")
    last = session.execute(
        update(table)
        .where(table.c.vendor == vendor, table.c.month == month)
        .values(last_number=table.c.last_number + count)
        .returning(table.c.last_number)
    ).scalar_one()
    return [invoice_number(vendor, period_start, n) for n in range(last - count + 1, last + 1)]
