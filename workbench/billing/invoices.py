"""Stored invoices: find them, move them along the lifecycle, delete drafts.

The rules themselves live in `core.lifecycle`; this module applies them to the workspace:
- Draft -> Open issues the invoice: its issue date becomes today and the due date follows
  from the payment terms. Its figures never change again, nor the parties it names: the
  customer's and the reseller's name, address and contact are recorded with it as issued.
  An invoice with nothing due (total 0.00) goes on to Closed in the same transaction, with its
  own audit event ("nothing due"), so it never becomes Past Due; it comes back noted "nothing is
  due" (what the CLI says beside Closed). Nothing was paid on it, so it may still be voided.
- Deleting a draft removes its lines, gives back the credits it applied and releases its
  period lock, so the period can be generated again.
- Voiding an issued invoice (Open, Past Due, or Closed with a total of 0.00: `core.lifecycle.
  allowed_targets`) keeps it (and its number) for the record, gives the credits back with a
  reversal entry and releases the lock, so a corrected invoice can be generated. It cannot be
  undone (nothing leaves Void); `void_notice` says all this of one invoice before it is voided.
- Once a status change is committed, the invoice's month-end folder follows it
  (`store.output_folders.follow`): its manifest says the new status, and a void invoice's folder
  moves under `output/<YYYY-MM>/void/`, out of the month's statements. Voiding an invoice that
  is void already is not refused: nothing stored changes, and its folder follows again (what a
  void killed between its commit and the folders left behind).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workbench.billing.core.lifecycle import NOTHING_DUE, Status, can_delete, check_transition, closes_at_issue, is_past_due
from workbench.billing.core.money import exact_sum, money_text
from workbench.billing.core.problems import Problem, Severity
from workbench.billing import integrity
from workbench.billing.reference import payment_terms
from workbench.billing.store import audit, output_folders
from workbench.billing.store import models as m
from workbench.billing.store.locking import lock_customers
from workbench.billing.store.workspace import Workspace


class InvoiceNotFound(LookupError):
    pass


class InvoiceStateError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class InvoiceSummary:
    invoice_id: int
    number: str
    customer_id: str
    customer_name: str
    vendor: str
    period: str
    status: str
    currency: str
    total: Decimal
    vendor_cost: Decimal
    margin: Decimal
    issue_date: dt.date
    due_date: dt.date
    preliminary: bool
    note: str = ""  # said beside the status by the CLI (an invoice voided again: "void already: ..."; closed at issue)

    @classmethod
    def of(cls, inv: m.Invoice, customer_name: str) -> InvoiceSummary:
        return cls(inv.id, inv.number, inv.customer_id, customer_name, inv.vendor, inv.period_label, inv.status,
                   inv.currency, inv.total, inv.vendor_cost, inv.margin, inv.issue_date, inv.due_date, inv.preliminary)

    def on(self, day: dt.date) -> InvoiceSummary:
        """As it will be on `day` if nobody changes it: Past Due once an Open invoice's due date has passed."""
        if is_past_due(Status(self.status), self.due_date, day, self.total):
            return replace(self, status=Status.PAST_DUE.value)
        return self

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.invoice_id, "number": self.number, "customer_id": self.customer_id,
            "customer_name": self.customer_name, "vendor": self.vendor, "period": self.period,
            "status": self.status, "currency": self.currency, "total": str(self.total),
            "vendor_cost": str(self.vendor_cost), "margin": str(self.margin),
            "issue_date": self.issue_date.isoformat(), "due_date": self.due_date.isoformat(),
            "preliminary": self.preliminary,
            **({"note": self.note} if self.note else {}),
        }


def find(session: Session, ref: str | int) -> m.Invoice:
    """An invoice by id (123) or number (AWS-202510-00001)."""
    invoice = None
    if (isinstance(ref, int) or str(ref).isdigit()) and 0 < int(ref) < 2**63:  # an id a database can hold
        invoice = session.get(m.Invoice, int(ref))
    if invoice is None:
        invoice = session.scalar(select(m.Invoice).where(m.Invoice.number == str(ref)))
    if invoice is None:
        raise InvoiceNotFound(f"no invoice {ref!r}: see `workbench invoices list`")
    return invoice


def find_all(session: Session, refs: Sequence[str | int]) -> list[m.Invoice]:
    """The invoices of `refs`, in their order; InvoiceNotFound naming every ref that is none."""
    found: list[m.Invoice] = []
    missing: list[str] = []
    for ref in refs:
        try:
            found.append(find(session, ref))
        except InvoiceNotFound:
            missing.append(repr(str(ref)))
    if len(missing) == 1:
        raise InvoiceNotFound(f"no invoice {missing[0]}: see `workbench invoices list`")
    if missing:
        raise InvoiceNotFound(f"no invoices {', '.join(missing)}: see `workbench invoices list`")
    return found


def find_locked(session: Session, refs: Sequence[str | int]) -> list[m.Invoice]:
    """The invoices of `refs` as they are once their customers are locked (`lock_customers`):
    read again after the lock, so that a change another writer committed meanwhile (a void, an
    approval, a deletion) is seen here, not acted on twice or overwritten. InvoiceNotFound for
    refs that are no invoice, or were deleted meanwhile."""
    invoices = find_all(session, refs)
    ids = [inv.id for inv in invoices]
    numbers = {inv.id: inv.number for inv in invoices}
    lock_customers(session, sorted({inv.customer_id for inv in invoices}))
    fresh = {inv.id: inv for inv in session.scalars(
        select(m.Invoice).where(m.Invoice.id.in_(ids)).execution_options(populate_existing=True))}
    gone = [numbers[i] for i in ids if i not in fresh]
    if gone:
        raise InvoiceNotFound(f"{', '.join(gone)} deleted meanwhile: see `workbench invoices list`")
    return [fresh[i] for i in ids]


def list_invoices(
    ws: Workspace,
    *,
    customer: str | None = None,
    vendor: str | None = None,
    status: Status | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    today: dt.date | None = None,
) -> list[InvoiceSummary]:
    """Invoices whose period overlaps [start, end), newest period first.

    Past Due is applied automatically: Open invoices past their due date on `today` become
    Past Due before the list is read, so every screen, export and API sees the same status.
    A `today` after the real one (a forecast: "what is overdue by then?") changes nothing: the
    list shows those invoices as Past Due, and the status filter sees them so.
    """
    today = today or dt.date.today()
    refresh_past_due(ws, today=today)
    if today > dt.date.today():
        forecast = [s.on(today) for s in _listed(ws, customer, vendor, None, start, end)]
        return [s for s in forecast if status is None or s.status == status.value]
    return _listed(ws, customer, vendor, status, start, end)


def _listed(ws: Workspace, customer: str | None, vendor: str | None, status: Status | None, start: dt.date | None,
            end: dt.date | None) -> list[InvoiceSummary]:
    query = select(m.Invoice, m.Customer.name).join(m.Customer)
    if customer:
        query = query.where(m.Invoice.customer_id == customer)
    if vendor:
        query = query.where(m.Invoice.vendor == vendor)
    if status:
        query = query.where(m.Invoice.status == status.value)
    if start:
        query = query.where(m.Invoice.period_end > start)
    if end:
        query = query.where(m.Invoice.period_start < end)
    query = query.order_by(m.Invoice.period_start.desc(), m.Invoice.customer_id, m.Invoice.vendor, m.Invoice.id)
    with ws.session() as session:
        return [InvoiceSummary.of(inv, name) for inv, name in session.execute(query)]


def set_status(
    ws: Workspace, refs: Sequence[str | int], target: Status, *, today: dt.date | None = None,
    actor: str | None = None, reason: str = "",
) -> list[InvoiceSummary]:
    """Move invoices to `target`, all or none: one refused transition changes nothing."""
    today = today or dt.date.today()
    with ws.session() as session:
        invoices = find_locked(session, refs)  # not while a generation or another change for them is storing
        # voiding an invoice void already changes nothing stored; its folders follow again below (a void
        # cut short between the commit and the folders left them in the month, saying open)
        already = {inv.id for inv in invoices if target is Status.VOID and inv.status == Status.VOID.value}
        for inv in invoices:
            if inv.id in already:
                continue
            try:
                check_transition(Status(inv.status), target, inv.total)
            except ValueError as exc:
                raise InvoiceStateError(f"{inv.number}: {exc}") from None
            if target is Status.PAST_DUE and not is_past_due(Status(inv.status), inv.due_date, min(today, dt.date.today()),
                                                             inv.total):
                if inv.total <= 0:
                    raise InvoiceStateError(f"{inv.number} has nothing to pay (total "
                                            f"{money_text(inv.total, inv.currency)} {inv.currency}): "
                                            "it cannot be Past Due")
                # against the real today too, as refresh_past_due: a forecast is not yet a fact, and Past Due is final
                raise InvoiceStateError(f"{inv.number} is due {inv.due_date}: it can be Past Due from "
                                        f"{inv.due_date + dt.timedelta(days=1)} on (and becomes so by itself)")
        for inv in invoices:
            if inv.id in already:
                continue
            if target is Status.OPEN:
                inv.issue_date = today
                inv.due_date = today + dt.timedelta(days=payment_terms(session, session.get(m.Customer, inv.customer_id)))
                _record_parties(session, inv)  # before the issue hooks: the seal and the email print them
            if target is Status.VOID:
                _give_back_credits(session, inv, today, actor)
                session.execute(delete(m.PeriodLock).where(m.PeriodLock.invoice_id == inv.id))
            details: dict[str, object] = {"from": inv.status, "to": target.value}
            if target is Status.OPEN and inv.preliminary:
                details["preliminary"] = True  # issued from usage the vendor had not finalised
            audit.record(session, "invoice.status", "invoice", inv.number, actor=actor, reason=reason, details=details)
            inv.status = target.value
            if target is Status.OPEN:
                on_issue(session, inv)
                if closes_at_issue(inv.total):
                    _close_with_nothing_due(session, inv, actor)
        session.flush()
        changed = [InvoiceSummary.of(inv, session.get(m.Customer, inv.customer_id).name) for inv in invoices]
    followed = output_folders.follow(ws, [(inv.number, inv.period_start, inv.status) for inv in invoices])  # once committed
    return [_noted(c, target, again=c.invoice_id in already, followed=c.number in followed) for c in changed]


def _noted(changed: InvoiceSummary, target: Status, *, again: bool, followed: bool) -> InvoiceSummary:
    """The change with what the CLI says beside its status: why an approved invoice is Closed, or
    what voiding a void invoice again did."""
    if again:
        return replace(changed, note="void already: " + ("its month-end folder now follows it (under void/, marked void)"
                                                         if followed else "nothing to change"))
    if target is Status.OPEN and changed.status == Status.CLOSED.value:  # closed as it was issued
        return replace(changed, note=NOTHING_DUE)  # beside Closed: closed as it was issued
    return changed


def approve(
    ws: Workspace, refs: Sequence[str | int], *, today: dt.date | None = None, actor: str | None = None, reason: str = ""
) -> list[InvoiceSummary]:
    """Issue drafts (Draft -> Open); those with nothing due come back Closed (see `set_status`)."""
    return set_status(ws, refs, Status.OPEN, today=today, actor=actor, reason=reason or "approved")


def _close_with_nothing_due(session: Session, inv: m.Invoice, actor: str | None) -> None:
    """An invoice just issued with a total of 0.00 (no charges, or credits paid all of it) is
    settled: Closed now, in the issuing transaction, rather than left Open to become Past Due."""
    check_transition(Status(inv.status), Status.CLOSED, inv.total)
    audit.record(session, "invoice.status", "invoice", inv.number, actor=actor,
                 reason=f"nothing due: total {money_text(inv.total, inv.currency)} {inv.currency} at issue",
                 details={"from": inv.status, "to": Status.CLOSED.value, "total": str(inv.total)})
    inv.status = Status.CLOSED.value


# what to do about `issued_from_preliminary`'s warnings, said once for several invoices (each names its own)
PRELIMINARY_FIX = ("if the vendor's final report for a month differs, void that month's invoices, then import the "
                   "report and generate again (while they stand, the final report is refused as a whole: it would "
                   "change a billed month)")


def issued_from_preliminary(issued: Sequence[InvoiceSummary]) -> list[Problem]:
    """A warning for each invoice just issued from usage its vendor has not finalised.

    Naming such a draft (a tick on the dashboard, a number on the command line) issues it: the
    "all drafts" paths hold it back, an explicit choice does not. The analyst should still read
    what it binds: the vendor's final report for that month is refused as a whole (for every
    customer, see report_import's period lock) while the invoice stands."""
    return [preliminary_warning(s) for s in issued if s.preliminary and _just_issued(s)]


def preliminary_warning(s: InvoiceSummary, *, issued: bool = True) -> Problem:
    """What issuing `s`, priced from preliminary usage, binds: said once it is issued
    (`issued_from_preliminary`), or before, by a page that asks to confirm (`issued=False`: the
    same words, "would be issued", and the same fix)."""
    verb = "is issued" if issued else "would be issued"
    return Problem(
        "issued-preliminary",
        f"{s.number} ({s.customer_name}) {verb} from preliminary {s.vendor} usage for {s.period}: "
        "the vendor has not finalised that month",
        customer_id=s.customer_id, severity=Severity.WARNING,
        fix=f"if the vendor's final report differs, void {s.number}, then import the report and generate again "
            f"(while {s.number} stands, the final report is refused as a whole: it would change a billed month)",
    )


def void_notice(ws: Workspace, ref: str | int) -> list[str]:
    """What voiding `ref` does, said before it is done (the invoices page asks to confirm a void):
    this module's account of a void, for this invoice, one sentence a line. Reads only."""
    with ws.session() as session:
        inv = find(session, ref)
        name = session.get(m.Customer, inv.customer_id).name
        applied = _applied_credits(session, inv)
        status, total, currency, month = Status(inv.status), inv.total, inv.currency, f"{inv.period_start:%Y-%m}"
        number, period = inv.number, inv.period_label
    if status is Status.VOID:
        return [(f"{number} is void already: voiding it again changes nothing stored "
                 f"(its month-end folder follows it under output/{month}/{output_folders.VOID_FOLDER}/)")]
    taken = {cur: exact_sum(-e.amount for e in applied if e.currency == cur) for cur in {e.currency for e in applied}}
    credits = ", ".join(f"{money_text(amount, cur)} {cur}" for cur, amount in sorted(taken.items()))
    return [
        (f"voiding {number} ({name}, {money_text(total, currency)} {currency}, {status.label}) cannot be undone: "
         "a void invoice stays void, kept with its number for the record (its statement says VOID, nothing is due)"),
        f"the credits it applied come back to {name}: {credits}" if credits else "it applied no credits",
        (f"its period, {period}, is freed: a corrected invoice can be generated for it; "
         f"its month-end folder moves under output/{month}/{output_folders.VOID_FOLDER}/"),
    ]


def _just_issued(s: InvoiceSummary) -> bool:
    # Open, or Closed at issue with nothing due (`set_status`)
    return s.status == Status.OPEN.value or (s.status == Status.CLOSED.value and closes_at_issue(s.total))


def delete_drafts(ws: Workspace, refs: Sequence[str | int], *, actor: str | None = None, reason: str = "") -> list[str]:
    """Delete draft invoices, all or none; returns their numbers."""
    with ws.session() as session:
        invoices = find_locked(session, refs)
        for inv in invoices:
            if not can_delete(Status(inv.status)):
                raise InvoiceStateError(
                    f"{inv.number} is {Status(inv.status).label}: only drafts can be deleted; void an issued invoice instead"
                )
        numbers = []
        for inv in invoices:
            numbers.append(inv.number)
            audit.record(session, "invoice.delete", "invoice", inv.number, actor=actor, reason=reason,
                         details={"customer_id": inv.customer_id, "vendor": inv.vendor, "period": inv.period_label,
                                  "total": str(inv.total)})
            session.execute(delete(m.PeriodLock).where(m.PeriodLock.invoice_id == inv.id))
            session.execute(delete(m.CreditEntry).where(m.CreditEntry.invoice_id == inv.id))
            session.delete(inv)
        return numbers


def refresh_past_due(ws: Workspace, *, today: dt.date | None = None) -> list[str]:
    """Open invoices whose due date has passed become Past Due; returns their numbers.

    Only up to the real today: a `today` in the future (`--today`, a forecast) is not yet a fact,
    and Past Due cannot be taken back."""
    today = min(today or dt.date.today(), dt.date.today())
    with ws.session() as session:
        overdue = [inv for inv in session.scalars(select(m.Invoice).where(m.Invoice.status == Status.OPEN.value))
                   if is_past_due(Status.OPEN, inv.due_date, today, inv.total)]  # totals compared in Python: text on SQLite
        for inv in overdue:
            audit.record(session, "invoice.status", "invoice", inv.number, actor="system:past-due",
                         reason=f"due {inv.due_date}, unpaid on {today}", details={"from": inv.status, "to": Status.PAST_DUE.value})
            inv.status = Status.PAST_DUE.value
    output_folders.follow(ws, [(inv.number, inv.period_start, inv.status) for inv in overdue])  # once committed
    return [inv.number for inv in overdue]


# Called in the transaction that issues an invoice (Draft -> Open), so that the status change and
# its consequences commit together: the seal, and every hook a package declares under the
# `workbench.issue_hooks` entry points (the customer email of `notify`: see pyproject.toml),
# loaded at the first issue. So every way of issuing (CLI, dashboards, API) runs the same hooks,
# and the billing package imports none of them.
ISSUE_HOOKS: list[Callable[[Session, m.Invoice], None]] = [integrity.seal]
HOOKS_GROUP = "workbench.issue_hooks"
_declared: list[Callable[[Session, m.Invoice], None]] | None = None


def on_issue(session: Session, inv: m.Invoice) -> None:
    global _declared
    if _declared is None:
        from importlib.metadata import entry_points

        _declared = [ep.load() for ep in entry_points(group=HOOKS_GROUP)]
    for hook in [*ISSUE_HOOKS, *(h for h in _declared if h not in ISSUE_HOOKS)]:
        hook(session, inv)


# the reseller's settings an issued statement names (the logo is not recorded: it is a file, read as it is now)
ISSUER_SETTINGS = ("reseller.name", "reseller.address", "reseller.contact_email")


def _record_parties(session: Session, inv: m.Invoice) -> None:
    """Keep with the invoice the parties its statement names as it is issued (`bill_to`,
    `issued_by`): an issued invoice is a legal document, so a customer's or the reseller's new
    name or address, imported since, changes the next invoices and never this one."""
    customer = session.get(m.Customer, inv.customer_id)
    assert customer is not None  # an invoice's customer cannot be removed
    inv.bill_to = {"name": customer.name, "contact_name": customer.contact_name or "",
                   "contact_email": customer.contact_email or "", "billing_address": customer.billing_address or ""}
    settings = {key: value for key, value in session.execute(
        select(m.Setting.key, m.Setting.value).where(m.Setting.key.in_(ISSUER_SETTINGS)))}
    inv.issued_by = {key.removeprefix("reseller."): settings.get(key) or "" for key in ISSUER_SETTINGS}


def _applied_credits(session: Session, inv: m.Invoice) -> list[m.CreditEntry]:
    """The ledger entries by which `inv` took credit (negative amounts; a void's give-backs are
    positive). Amounts are exact text on SQLite: compared in Python, never in SQL."""
    return [e for e in session.scalars(select(m.CreditEntry).where(m.CreditEntry.invoice_id == inv.id)) if e.amount < 0]


def _give_back_credits(session: Session, inv: m.Invoice, today: dt.date, actor: str | None) -> None:
    for entry in _applied_credits(session, inv):
        session.add(m.CreditEntry(customer_id=entry.customer_id, entry_date=today, amount=-entry.amount,
                                  currency=entry.currency, kind=entry.kind, memo=f"{inv.number} voided",
                                  invoice_id=inv.id))
        audit.record(session, "credit.return", "credit", entry.customer_id, actor=actor, reason=f"{inv.number} voided",
                     details={"kind": entry.kind, "amount": str(-entry.amount), "currency": entry.currency})
