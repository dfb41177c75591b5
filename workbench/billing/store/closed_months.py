"""What a table import's rows would change in closed months, checked under the customers' locks.

A month is closed for a customer once an invoice of it is generated (a draft or an issued
invoice: its `PeriodLock`). Two kinds of row could change what such an invoice was priced from:

- an account changing hands (`accounts.csv`, or `remove_account`): its usage in a locked month
  would move to another customer's invoice (`check_account_locks`);
- reference data (pricebook rules, support plans, tax and FX rates, a customer's pricebook,
  currency or tax jurisdiction): the invoice would no longer be what its data prices
  (`check_closed_reference`).

Either is refused with the invoices that hold the month and what releases them. The checks run
on what is committed under the per-customer locks of generation (`locking.lock_customers`),
taken first by `check_account_locks` for every customer the rows reach (`reference_customers`),
so that no draft is stored between the check and the import's write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.billing.core.periods import DateRange, month_key
from workbench.billing.core.problems import Problem
from workbench.billing.store.in_lists import chunks
from workbench.billing.store.locking import lock_customers
from workbench.billing.store.models import Account, Customer, CustomerVendor, Invoice, PeriodLock
from workbench.billing.store.periods import (
    HeldInvoice, few, final_fix, invoices_text, month_bounds, next_month, unlock_steps,
)
from workbench.billing.store.table_records import Record, changes_store, stored_rows
from workbench.billing.store.usage_queries import account_usage_on_days, account_usage_periods, current_reports
from workbench.billing.store.workspace import Workspace

__all__ = ["AccountChange", "account_changes", "check_account_locks", "check_closed_reference", "reference_customers"]


@dataclass(frozen=True, slots=True)
class AccountChange:
    """An account changing hands: `losing` had it (None: nobody), `gaining` gets it (None: nobody)."""

    vendor: str
    account_id: str
    losing: str | None
    gaining: str | None
    source: str | None = None
    row: int | None = None

    @property
    def action(self) -> str:
        if self.losing is None:
            return f"assigning it to customer {self.gaining}"
        if self.gaining is None:
            return f"removing it from customer {self.losing}"
        return f"moving it from customer {self.losing} to customer {self.gaining}"


def account_changes(session: Session, records: Sequence[Record]) -> list[AccountChange]:
    """The accounts.csv rows that give an account to another customer than the stored one."""
    accounts = [r for r in records if r.table == "accounts" and r.customer_id]
    owners: dict[tuple[str, str], str] = {}
    for vendor in {str(r.values["vendor"]) for r in accounts}:
        ids = sorted({str(r.values["account_id"]) for r in accounts if r.values["vendor"] == vendor})
        for chunk in chunks(ids):
            owners |= {(vendor, a.account_id): a.customer_id for a in session.scalars(
                select(Account).where(Account.vendor == vendor, Account.account_id.in_(chunk)))}
    changes = []
    for r in accounts:
        vendor, account_id = str(r.values["vendor"]), str(r.values["account_id"])
        losing = owners.get((vendor, account_id))
        if losing != r.customer_id:
            changes.append(AccountChange(vendor, account_id, losing, r.customer_id, r.source, r.row))
    return changes


def check_account_locks(ws: Workspace, session: Session, changes: Sequence[AccountChange], *, again: str,
                         reach: Callable[[], set[str]] | None = None) -> list[Problem]:
    """Which customer owns an account decides whose invoices its usage is priced into, so an
    account with usage in a period locked (invoices generated) for the customer losing it or the
    customer gaining it must stay where it is: the invoice would no longer match its usage
    (`_locked_usage`: by month, or by day for a lock of other days than whole months).
    Checks under the per-customer lock (`locking`), so no invoice is generated between the check
    and the write; the caller's transaction holds it. `reach()`: the other customers to lock with
    them (the table import's reference rows, `reference_customers`), asked again once locked."""
    customers = sorted({c for ch in changes for c in (ch.losing, ch.gaining) if c})
    stored = [c for chunk in chunks(customers) for c in session.scalars(select(Customer.customer_id).where(Customer.customer_id.in_(chunk)))]
    vendors = sorted({ch.vendor for ch in changes})
    seen = _period_locks(session, vendors, stored) if stored else []
    if any(not _whole_months(lk) for lk in seen):
        # The days of a lock may need a report's day summary written first (seconds for a large
        # report): written now, before the customers' lock, as generation prices before taking
        # it, so that the lock is not held meanwhile. Under the lock the check runs on what is
        # committed then, and finds the day summaries written.
        _locked_usage(ws, session, changes, seen)
    _lock_until_stable(session, set(stored), reach)
    if not stored:
        return []  # customers new in this import have no invoices
    locks = _period_locks(session, vendors, stored)
    if not locks:
        return []
    locked = _locked_usage(ws, session, changes, locks)
    invoice_ids = sorted({lk.invoice_id for hits in locked for _, lk in hits})
    invoices = {i.id: i for chunk in chunks(invoice_ids) for i in session.scalars(select(Invoice).where(Invoice.id.in_(chunk)))}
    names = {c: n for chunk in chunks(stored)
             for c, n in session.execute(select(Customer.customer_id, Customer.name).where(Customer.customer_id.in_(chunk)))}
    problems: list[Problem] = []
    for ch, hits in zip(changes, locked):
        if not hits:
            continue
        periods = sorted({period for period, _ in hits})
        who = sorted({lk.customer_id for _, lk in hits})
        held = sorted({HeldInvoice(i.number, i.status, i.total) for i in (invoices[lk.invoice_id] for _, lk in hits)})
        keep = f"keep the account {f'with customer {ch.losing}' if ch.losing else 'unassigned'}"
        problems.append(Problem(
            "period-locked",
            f"{ch.vendor} account {ch.account_id} has usage in {', '.join(periods)}, locked for customer(s) "
            f"{', '.join(f'{c} ({names[c]})' if names.get(c) else c for c in who)} by invoice(s) "
            f"{invoices_text(held)}: {ch.action} would change the usage those invoices were priced from",
            ch.source,
            ch.row,
            who[0] if len(who) == 1 else None,
            final_fix(held, keep) or f"{unlock_steps(held)} first, then {again}; or {keep}",
        ))
    return problems


def _lock_until_stable(session: Session, customers: set[str], reach: Callable[[], set[str]] | None) -> None:
    """Lock `customers` and those `reach()` names, in one call (customer order, as generation:
    neither waits on the other's half); then ask `reach()` again under the locks, since an import
    that committed meanwhile may have given a pricebook or jurisdiction another customer, and
    lock those too, until it names no customer more.

    A customer that sorts before one already held is not locked on top: a generation run that
    holds it would wait for ours while we wait for it (PostgreSQL then aborts one of the two).
    Ours lets go of all of them instead (nothing is written before the locks: a rollback loses
    no work) and takes the whole set again, in order."""
    held: set[str] = set()
    wanted = customers | (reach() if reach else set())
    while wanted - held:
        if held and min(wanted - held) < max(held):
            session.rollback()
            held = set()
        lock_customers(session, sorted(wanted - held))
        held |= wanted
        wanted = held | (reach() if reach else set())


def reference_customers(session: Session, records: Sequence[Record]) -> set[str]:
    """The stored customers whose invoices the reference rows of this import reach (as
    `check_closed_reference` reads them): no run may store their drafts between that check and
    the write. An FX rate reaches every customer invoiced in its target currency."""
    changes = _reference_changes(session, records)
    targets = sorted({ch.pair[1] for ch in changes if ch.customers is None and ch.pair is not None})
    reached = set(session.scalars(select(CustomerVendor.customer_id).where(CustomerVendor.invoice_currency.in_(targets)))) \
        if targets else set()
    named = sorted({c for ch in changes if ch.customers is not None for c in ch.customers})
    return reached | {c for chunk in chunks(named)
                      for c in session.scalars(select(Customer.customer_id).where(Customer.customer_id.in_(chunk)))}


def _period_locks(session: Session, vendors: Sequence[str], customers: Sequence[str]) -> list[PeriodLock]:
    return [lk for chunk in chunks(customers) for lk in session.scalars(
        select(PeriodLock).where(PeriodLock.vendor.in_(vendors), PeriodLock.customer_id.in_(chunk)))]


def _whole_months(lock: PeriodLock) -> bool:
    return DateRange(lock.period_start, lock.period_end, "").is_whole_months


def _locked_usage(ws: Workspace, session: Session, changes: Sequence[AccountChange],
                  locks: Sequence[PeriodLock]) -> list[list[tuple[str, PeriodLock]]]:
    """For each change, the (billing period, lock) pairs where a lock of the customer losing or
    gaining the account covers some of the account's billable usage, as the locking invoice was
    priced: a lock of whole months by billing period (any usage of the account in its months);
    a lock of other days (a custom range, month to date) by usage date (usage of the account on
    one of its days, in the reports of its months). The months decide first; the days of a lock
    are read only for the accounts with usage in its months (`account_usage_on_days`)."""
    months: dict[str, set[str]] = defaultdict(set)  # vendor -> months some lock covers
    for lk in locks:
        months[lk.vendor].update(DateRange(lk.period_start, lk.period_end, "").months)
    reports = [r for vendor, wanted in sorted(months.items()) for r in current_reports(session, vendor, sorted(wanted))]
    usage = account_usage_periods(ws, reports, sorted({(ch.vendor, ch.account_id) for ch in changes}))
    in_months: list[list[tuple[str, PeriodLock]]] = []  # per change: the account's usage in a month of a lock of either customer
    for ch in changes:
        hits: list[tuple[str, PeriodLock]] = []
        for period in usage.get((ch.vendor, ch.account_id), []):
            start, end = month_bounds(period)
            hits += [(period, lk) for lk in locks if lk.vendor == ch.vendor and lk.customer_id in (ch.losing, ch.gaining)
                     and lk.period_start < end and lk.period_end > start]
        in_months.append(hits)
    asked = sorted({(ch.vendor, ch.account_id, period, lk.period_start, lk.period_end)
                    for ch, hits in zip(changes, in_months) for period, lk in hits if not _whole_months(lk)})
    on_days = account_usage_on_days(ws, reports, asked)
    return [[(period, lk) for period, lk in hits
             if _whole_months(lk) or (ch.vendor, ch.account_id, period, lk.period_start, lk.period_end) in on_days]
            for ch, hits in zip(changes, in_months)]


@dataclass(frozen=True, slots=True)
class _ReferenceChange:
    """A row that changes what invoices are priced from: the invoices it reaches are those of
    `customers` (None: anyone's) of `vendor` (None: any) whose range starts in a month from
    `first` to `last` (None: unbounded), converting `pair` (fx: usage -> invoice currency)."""

    record: Record
    code: str
    what: str
    customers: frozenset[str] | None = None
    vendor: str | None = None
    first: str | None = None
    last: str | None = None
    pair: tuple[str, str] | None = None
    recorded: str | None = None  # what an issued invoice recorded of this change's data: it is not reached

    def reaches(self, lock: _Held) -> bool:
        if self.recorded is not None and lock.status != "draft" and self.recorded in lock.recorded:
            return False
        return ((self.customers is None or lock.customer_id in self.customers)
                and (self.vendor is None or lock.vendor == self.vendor)
                and (self.first is None or lock.month >= self.first) and (self.last is None or lock.month <= self.last)
                and (self.pair is None or self.pair == (lock.usage_currency, lock.currency)))

    @property
    def movable(self) -> bool:
        """Whether the same change can take effect from a later month (an effective_from)."""
        return self.first is not None and self.last is None


@dataclass(frozen=True, slots=True)
class _Held:
    """A period lock with its invoice: everything a reference change is checked against. `month`
    is the first month of the invoice's range, whose pricebook version, FX rate and taxes priced it."""

    vendor: str
    customer_id: str
    month: str
    number: str
    status: str
    total: Decimal
    usage_currency: str
    currency: str
    recorded: frozenset[str] = frozenset()  # "profile" (pricebook, currency: always), "jurisdiction" (since 0006)


def check_closed_reference(session: Session, records: Sequence[Record]) -> list[Problem]:
    """One rule for the reference data of closed months: a pricebook rule or support plan, a tax
    rate, an FX rate, a customer's tax jurisdiction or its pricebook and currency for a vendor
    must not change what a generated invoice (draft or issued: a lock is released only by
    deleting the draft or voiding the invoice) was priced from. A draft would be issued as it
    was priced, with no word of the change, and `verify` re-derives issued invoices from these
    tables. Changes take effect from the open months: what has an effective_from sets it after
    the last closed month; the rest waits for the invoices to be deleted or voided.

    A customer's profile has no effective month, so it is held only by what it would change:
    its drafts. An issued invoice keeps the pricebook and currency it names and (since revision
    0006) the tax jurisdiction it recorded, so it does not hold them: a customer that moves or
    changes pricebook after years of invoices need not void them. An issued invoice without a
    recorded jurisdiction (older) still holds it, since `verify` reads today's then."""
    changes = _reference_changes(session, records)
    if not changes:
        return []
    held = [_Held(vendor, customer, month_key(start), number, status, total, usage_currency, currency,
                  frozenset({"profile"} | ({"jurisdiction"} if jurisdiction is not None else set())))
            for vendor, customer, start, number, status, total, usage_currency, currency, jurisdiction in session.execute(
                select(PeriodLock.vendor, PeriodLock.customer_id, PeriodLock.period_start, Invoice.number,
                       Invoice.status, Invoice.total, Invoice.usage_currency, Invoice.currency, Invoice.tax_jurisdiction)
                .join(Invoice, Invoice.id == PeriodLock.invoice_id))]
    names = dict(session.execute(select(Customer.customer_id, Customer.name)).all())
    problems: list[Problem] = []
    for ch in changes:
        closed = [h for h in held if ch.reaches(h)]
        if not closed:
            continue
        months = sorted({h.month for h in closed})
        who = sorted({h.customer_id for h in closed})
        invoices = sorted({HeldInvoice(h.number, h.status, h.total) for h in closed})
        undo = f"{unlock_steps(invoices)} first, then import again (and generate those invoices anew)"
        later = (f"changes take effect from the current open month: set effective_from to {next_month(months[-1])} or "
                 "later") if ch.movable else None
        problems.append(Problem(
            ch.code,
            f"{ch.what}, but {few(months)} {'is' if len(months) == 1 else 'are'} closed for customer(s) "
            f"{few([f'{c} ({names[c]})' if names.get(c) else c for c in who])} by invoice(s) {invoices_text(invoices)}",
            ch.record.source,
            ch.record.row,
            who[0] if len(who) == 1 else None,
            final_fix(invoices, later or "leave the row as it was") or (f"{later}; or {undo}" if later else undo),
        ))
    return problems


def _reference_changes(session: Session, records: Sequence[Record]) -> list[_ReferenceChange]:
    """The rows of this import that change reference data (new rows, or a stored row with another
    value: re-importing an unchanged row is no change), with the invoices each one reaches."""
    reference = [r for r in records if r.table in ("pricebooks", "support_plans", "tax_rates", "fx_rates")]
    stored = stored_rows(session, {r.table for r in reference})
    changed = [r for r in reference if changes_store(stored[r.table], r)]
    profiles = [r for r in records if r.table == "customer_vendors" and r.customer_id]
    moves = [r for r in records if r.table == "customers" and r.customer_id and "tax_jurisdiction" in r.present]
    if not (changed or profiles or moves):
        return []
    # who uses a pricebook or lives in a jurisdiction: as stored, and as this import makes it
    users: dict[tuple[str, str], set[str]] = defaultdict(set)  # (pricebook, vendor) -> customers
    stored_profiles = {(cv.customer_id, cv.vendor): cv for cv in session.scalars(select(CustomerVendor))}
    for cv in stored_profiles.values():
        users[(cv.pricebook, cv.vendor)].add(cv.customer_id)
    for r in profiles:
        users[(str(r.values["pricebook"]), str(r.values["vendor"]))].add(str(r.customer_id))
    stored_jurisdictions = dict(session.execute(select(Customer.customer_id, Customer.tax_jurisdiction)).all())
    residents: dict[str, set[str]] = defaultdict(set)  # jurisdiction -> customers
    for customer, jurisdiction in stored_jurisdictions.items():
        residents[jurisdiction].add(customer)
    for r in moves:
        residents[str(r.values["tax_jurisdiction"] or "")].add(str(r.customer_id))

    # one frozen set per pricebook and per jurisdiction, shared by their rows (5,000 rules of a
    # pricebook of 20,000 customers each copying it took 18 s)
    pricebook_users = {key: frozenset(customers) for key, customers in users.items()}
    jurisdiction_residents = {key: frozenset(customers) for key, customers in residents.items()}
    found: list[_ReferenceChange] = []
    for r in changed:
        v = r.values
        if r.table in ("pricebooks", "support_plans"):
            pricebook, vendor, effective = str(v["pricebook"]), str(v["vendor"]), str(v["effective_from"])
            what = "support plan" if r.table == "support_plans" else "pricebook rule"
            found.append(_ReferenceChange(
                r, "pricebook-month-closed", f"{what} of pricebook {pricebook} ({vendor}) takes effect from {effective}",
                pricebook_users.get((pricebook, vendor), frozenset()), vendor, first=effective))
        elif r.table == "tax_rates":
            jurisdiction, effective = str(v["jurisdiction"]), str(v["effective_from"])
            found.append(_ReferenceChange(
                r, "tax-month-closed", f"tax {v['tax_name']} of jurisdiction {jurisdiction} takes effect from {effective}",
                jurisdiction_residents.get(jurisdiction, frozenset()), first=effective))
        else:
            period, pair = str(v["period"]), (str(v["from_currency"]), str(v["to_currency"]))
            found.append(_ReferenceChange(
                r, "fx-month-closed", f"the {period} FX rate {pair[0]} -> {pair[1]} would be {v['rate']}",
                first=period, last=period, pair=pair))
    for r in profiles:
        customer, vendor = str(r.customer_id), str(r.values["vendor"])
        old = stored_profiles.get((customer, vendor))
        new = (str(r.values["pricebook"]), str(r.values["invoice_currency"]))
        if old is None or (old.pricebook, old.invoice_currency) == new:
            continue  # a customer's first profile for a vendor has no invoices of it
        found.append(_ReferenceChange(
            r, "profile-month-closed",
            f"customer {customer}'s {vendor} pricebook and currency would change from {old.pricebook} "
            f"{old.invoice_currency} to {new[0]} {new[1]}", frozenset({customer}), vendor, recorded="profile"))
    for r in moves:
        customer, jurisdiction = str(r.customer_id), str(r.values["tax_jurisdiction"] or "")
        old_jurisdiction = stored_jurisdictions.get(customer)
        if old_jurisdiction is None or old_jurisdiction == jurisdiction:
            continue  # a new customer has no invoices
        found.append(_ReferenceChange(
            r, "profile-month-closed",
            f"customer {customer}'s tax jurisdiction would change from {old_jurisdiction or '(none)'} to "
            f"{jurisdiction or '(none)'}", frozenset({customer}), recorded="jurisdiction"))
    return found