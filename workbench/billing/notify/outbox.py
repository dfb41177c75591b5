"""The outbox: emails queued in the transaction of the change that caused them.

`queue_invoice_email` is an issue hook (`workbench.billing.invoices.ISSUE_HOOKS`): it runs inside
the transaction that moves an invoice from Draft to Open, so the status change, the queued
message and their audit events commit together or not at all. The message is rendered there
and then (subject, text, HTML), like the invoice's figures: what was issued is what is sent.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workbench.billing.store import audit
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

from .compose import KIND_INVOICE_OPEN, compose_invoice_open
from .settings import read_notify_settings

__all__ = ["ACTOR", "OutboxEntry", "list_outbox", "queue_invoice_email", "register", "requeue_failed", "utc_naive"]

ACTOR = "system:notify"
_FALLBACK_DOMAIN = "workbench.invalid"


def utc_naive(when: dt.datetime | None = None) -> dt.datetime:
    """The store's clock: naive UTC. An aware time is converted; a naive one is taken as UTC."""
    if when is None:
        return m.utcnow()
    if when.tzinfo is not None:
        return when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when


def register() -> None:
    """Queue the "New customer invoice" email whenever an invoice is issued (idempotent)."""
    from workbench.billing.invoices import ISSUE_HOOKS

    if queue_invoice_email not in ISSUE_HOOKS:
        ISSUE_HOOKS.append(queue_invoice_email)


def _address(text: str) -> str:
    """The address in `text` as SMTP can carry it (an international domain in its ASCII form),
    or "" when there is none: not an address, or a local part outside ASCII (which needs
    SMTPUTF8; the email library refuses to write it)."""
    address = parseaddr(text)[1]
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", address):
        return ""
    local, _, domain = address.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    return f"{local}@{domain}" if local.isascii() else ""


def _recipient(customer: m.Customer) -> str:
    """`Name <address>` of the customer's contact; "" without a usable address. Line breaks in
    the name (a header could be forged with them) become spaces."""
    address = _address(customer.contact_email or "")
    return formataddr((" ".join((customer.contact_name or "").split()), address)) if address else ""


def _message_id(kind: str, number: str, *addresses: str) -> str:
    """`<invoice-open.AWS-202510-00001.<uuid>@maple.example>`: unique, and says what it is about."""
    domain = next((a.rpartition("@")[2] for a in map(_address, addresses) if a), _FALLBACK_DOMAIN)
    safe = re.sub(r"[^A-Za-z0-9.-]", "-", number)
    return f"<{kind}.{safe}.{uuid.uuid4().hex}@{domain}>"


def queue_invoice_email(session: Session, invoice: m.Invoice) -> None:
    """Issue hook: queue one email for an invoice that has just become Open.

    Nothing when `notify.on_open` is false. A customer without a usable contact email gets no
    message and an audit warning (`notify.skipped`), so the analyst can see who was not told.
    """
    settings = read_notify_settings(session)
    if not settings.on_open:
        return
    customer = session.get(m.Customer, invoice.customer_id)
    to = _recipient(customer) if customer else ""
    address = parseaddr(to)[1]
    if not to:
        audit.record(session, "notify.skipped", "invoice", invoice.number, actor=ACTOR,
                     reason=f"customer {invoice.customer_id} has no usable contact_email "
                            f"({(customer.contact_email if customer else '') or 'empty'!r}): no email queued",
                     details={"severity": "warning", "customer_id": invoice.customer_id, "kind": KIND_INVOICE_OPEN})
        return
    already = session.scalar(select(m.OutboxMessage.message_id).where(
        m.OutboxMessage.invoice_id == invoice.id, m.OutboxMessage.kind == KIND_INVOICE_OPEN))
    if already:
        return
    email = compose_invoice_open(session, invoice)
    reseller_email = session.get(m.Setting, "reseller.contact_email")
    message_id = _message_id(KIND_INVOICE_OPEN, invoice.number, settings.from_address,
                             reseller_email.value if reseller_email else "")
    now = m.utcnow()
    # due from the start of the issue day: at once in real use, and reproducible when a test or
    # a back-dated approval passes `today`
    issued = dt.datetime.combine(invoice.issue_date, dt.time.min)
    assert customer is not None
    session.add(m.OutboxMessage(
        message_id=message_id, invoice_id=invoice.id, kind=KIND_INVOICE_OPEN,
        to_address=to, subject=email.subject,
        body_text=email.text, body_html=email.html, attach_pdf=settings.attach_pdf, status="pending",
        attempts=0, next_attempt_at=min(now, issued), last_error="", created_at=now,
    ))
    audit.record(session, "notify.queue", "invoice", invoice.number, actor=ACTOR,
                 reason=f"invoice issued: email to {address}",
                 details={"message_id": message_id, "to": address, "kind": KIND_INVOICE_OPEN,
                          "attach_pdf": settings.attach_pdf})


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    message_id: str
    kind: str
    invoice_number: str
    to_address: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    attach_pdf: bool


def list_outbox(ws: Workspace, *, status: str | None = None) -> list[OutboxEntry]:
    """Every queued message (or those in `status`), oldest first."""
    query = (select(m.OutboxMessage, m.Invoice.number)
             .outerjoin(m.Invoice, m.Invoice.id == m.OutboxMessage.invoice_id)
             .order_by(m.OutboxMessage.id))
    if status:
        query = query.where(m.OutboxMessage.status == status)
    with ws.session() as session:
        return [OutboxEntry(msg.id, msg.message_id, msg.kind, number or "", msg.to_address, msg.subject, msg.status,
                            msg.attempts, msg.next_attempt_at, msg.last_error or "", msg.created_at, msg.sent_at,
                            bool(msg.attach_pdf))
                for msg, number in session.execute(query)]


def requeue_failed(ws: Workspace, ids: list[int], *, now: dt.datetime | None = None, actor: str | None = None) -> list[int]:
    """Give failed messages a fresh set of attempts (after fixing the address or the server):
    each goes to the customer's contact as it is now (`customers import` fixed it, say).

    Only `failed` messages move; a sent message is never sent again. Returns the ids moved.
    """
    when = utc_naive(now)
    moved = []
    for outbox_id in ids:
        with ws.session() as session:
            msg = session.get(m.OutboxMessage, outbox_id)
            invoice = session.get(m.Invoice, msg.invoice_id) if msg is not None and msg.invoice_id is not None else None
            customer = session.get(m.Customer, invoice.customer_id) if invoice is not None else None
            to = (_recipient(customer) if customer is not None else "") or (msg.to_address if msg else "")
            done = session.execute(
                update(m.OutboxMessage)
                .where(m.OutboxMessage.id == outbox_id, m.OutboxMessage.status == "failed")
                .values(status="pending", attempts=0, next_attempt_at=when, to_address=to)
            )
            if done.rowcount == 1:  # type: ignore[attr-defined]
                assert msg is not None
                session.refresh(msg)
                audit.record(session, "notify.requeue", "outbox", msg.message_id, actor=actor,
                             reason=f"failed message queued again, to {to}",
                             details={"last_error": msg.last_error, "to": to})
                moved.append(outbox_id)
    return moved
