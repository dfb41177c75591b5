"""Serialise the writers of one customer's billing: two analysts, one customer, one at a time.

Invoice generation checks the period locks and reads the credit balance, then writes the draft,
its `PeriodLock` and the credits it applied. Two runs for the same customer at once (two
notebooks, or a notebook and a batch job) could both check before either writes: two invoices
for overlapping ranges that the primary key of `PeriodLock` cannot see (different start dates),
or one credit paid out twice. So a writer first calls

    with ws.session() as session:
        lock_customer(session, customer_id)
        ...check the period locks, read the balance, write...

and holds the lock until its transaction ends. The second writer waits there, then reads what
the first committed. A table import takes the locks of the customers whose invoices its rows
reach (accounts changing hands, reference data: `closed_months`) before it checks them, so no
draft is stored between its checks and its write.

- PostgreSQL (and other servers): `SELECT ... FOR UPDATE` of the customer's row. Under READ
  COMMITTED (the default, which `workspace` keeps) each later statement of the transaction sees
  what the other writer committed while we waited.
- SQLite has no row locks: the database file is the unit. A no-op `UPDATE` of the customer's
  row takes the write lock now (what `BEGIN IMMEDIATE` does), and the Python driver runs reads
  outside transactions, so the reads after it see the other writer's commit. A writer that
  waits longer than the connection's busy timeout (30 s, `migrate.SQLITE_BUSY_TIMEOUT_S`) gets "database is locked".

The lock is per customer, not per (customer, vendor): credits are shared across vendors.

`lock_usage_months(session, vendor, periods)` serialises what decides which vendor reports are
current for a month. A report import reads the month's current reports (to supersede them) and
its period locks (to be refused), then writes: two imports of one payer's month that both read
before either writes would both stay current, and the month be billed twice. So an import takes
the months' lock exclusively before it reads them; generation takes it shared while it stores the
drafts it priced from them and checks that they are still the current ones (`generate._store`), so
an import lands either before that check (the run is refused) or after the drafts' locks commit
(the import is refused).

- PostgreSQL: a transaction-level advisory lock per (vendor, month), keyed by a stable hash
  (`pg_advisory_xact_lock`, `_shared` for generation), released when the transaction ends. A
  collision of two keys only makes unrelated months wait for each other.
- SQLite: the database's write lock, taken by a no-op `UPDATE` as for customers; shared or not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from sqlalchemy import false, func, select, update
from sqlalchemy.orm import Session

from workbench.billing.store.in_lists import chunks
from workbench.billing.store.models import Customer, VendorReport

__all__ = ["lock_customer", "lock_customers", "lock_usage_months"]


def lock_customer(session: Session, customer_id: str) -> None:
    """Block until no other transaction writes this customer's billing; hold it until ours ends.

    Raises LookupError for an unknown customer (a programmer error: callers lock a customer
    they have just read).
    """
    lock_customers(session, [customer_id])


def lock_customers(session: Session, customer_ids: Sequence[str]) -> None:
    """`lock_customer` for many customers at once, in customer order (two runs over overlapping
    customers then wait for each other instead of deadlocking). Unknown ids raise LookupError."""
    found: set[str] = set()
    for chunk in chunks(customer_ids):
        if session.get_bind().dialect.name == "sqlite":
            session.execute(
                update(Customer)
                .where(Customer.customer_id.in_(chunk))
                .values(name=Customer.name)
                .execution_options(synchronize_session=False)
            )
            found |= set(session.scalars(select(Customer.customer_id).where(Customer.customer_id.in_(chunk))))
        else:
            found |= set(session.scalars(select(Customer.customer_id).where(Customer.customer_id.in_(chunk))
                                         .order_by(Customer.customer_id).with_for_update()))
    missing = sorted(set(customer_ids) - found)
    if missing:
        raise LookupError(f"no customer {missing[0]!r} to lock")


def lock_usage_months(session: Session, vendor: str, periods: Iterable[str], *, shared: bool = False) -> None:
    """Block until no other transaction changes which `vendor` reports are current in `periods`
    (a report import: `shared=False`), or, shared, reads them to store what it priced from them
    (generation); hold it until ours ends. Months in one order, so two holders never deadlock."""
    if session.get_bind().dialect.name == "postgresql":
        take = func.pg_advisory_xact_lock_shared if shared else func.pg_advisory_xact_lock
        for period in sorted(set(periods)):
            session.execute(select(take(_lock_key(vendor, period))))
    else:  # SQLite: one write lock for the database (a write that changes nothing takes it)
        session.execute(update(VendorReport).where(false()).values(vendor=VendorReport.vendor)
                        .execution_options(synchronize_session=False))


def _lock_key(vendor: str, period: str) -> int:
    """A signed 64-bit key, the same in every process (Python's `hash` of a str is not)."""
    digest = hashlib.blake2b(f"workbench usage {vendor} {period}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
