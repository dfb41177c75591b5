"""Sending the outbox: claim one due message at a time, send it over SMTP, record the outcome.

States of a message:

    pending --claim--> sending --accepted by the server--> sent      (never picked again)
                          |----4xx, network error-------> pending   (attempts < max: backoff)
                          |----5xx, or attempts = max---> failed    (kept with last_error)
                          |----lease expired (crash)----> pending   (reclaimed, see below)
                          |----Ctrl-C/SIGTERM, not sent-> pending   (put back, attempt not counted)
                          '----invoice no longer Open---> cancelled (voided or closed before
                                                                      the email went out; one
                                                                      with nothing due is sent)

Claiming is one `UPDATE ... SET status='sending' WHERE id=? AND status='pending'` in its own
short transaction: of two senders (threads, processes, machines sharing a database) exactly
one sees its row count be 1, so two senders never send the same message. The SMTP dialogue
happens outside any transaction; its outcome is committed right after.

Ctrl-C (SIGINT) and SIGTERM are held back from the claim until the outcome is committed
(`_signals_held`): a stop asked for while the server is answering the DATA waits for that
answer and its commit, then stops the run (KeyboardInterrupt, or SIGTERM's default: the process
ends). One asked for before the message went out puts the claim back (`pending`, the attempt
not counted) and sends nothing. A second Ctrl-C stops at once, inside the window below.

The remaining window: a sender that dies after the server accepted the message and before
the commit of `sent` (SIGKILL, a crash, the machine going down, a second Ctrl-C) leaves the
message in `sending`. When its lease (`next_attempt_at`, set
to claim time + `SENDING_LEASE`) has expired, the next run puts it back to `pending` (audited
as `notify.reclaim`) and sends it again: delivery is at least once in that window, never more
than once outside it. The second copy carries the same `Message-ID` header as the first, so
mail clients and archives that de-duplicate by Message-ID drop it, and anyone can tell the two
copies are one message by comparing the header with `workbench notify outbox`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import os
import signal
import smtplib
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import month_key
from workbench.billing.store import audit
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

from .outbox import ACTOR, utc_naive
from .settings import NotifySettings, notify_settings

__all__ = ["BACKOFF_BASE", "Delivery", "SENDING_LEASE", "SMTP_TIMEOUT", "SendReport", "StoppedMidSend", "backoff", "send_pending"]

BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=6)
SENDING_LEASE = dt.timedelta(minutes=10)  # far longer than one SMTP dialogue can take
SMTP_TIMEOUT = 30.0  # seconds per socket operation
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4, 8 ... minutes (capped at 6 hours)."""
    doublings = min(max(attempts - 1, 0), 20)
    return min(BACKOFF_BASE * (1 << doublings), BACKOFF_CAP)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one attempt at one message did."""

    outbox_id: int
    message_id: str
    invoice_number: str
    to_address: str
    outcome: str  # sent | retry | failed | cancelled
    attempts: int  # including this one
    error: str = ""
    next_attempt_at: dt.datetime | None = None  # for a retry
    attachment: str = ""  # file name of the attached PDF
    attachment_note: str = ""  # why a PDF that was asked for is not attached


@dataclass(frozen=True, slots=True)
class SendReport:
    deliveries: tuple[Delivery, ...] = ()
    reclaimed: tuple[str, ...] = ()  # Message-IDs put back to pending after an interrupted send
    stopped: str = ""  # why the run ended before the queue was empty (configuration, server down)

    @property
    def sent(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.outcome == "sent")

    @property
    def retrying(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.outcome == "retry")

    @property
    def failed(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.outcome == "failed")

    @property
    def cancelled(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.outcome == "cancelled")

    @property
    def ok(self) -> bool:
        return not self.stopped and all(d.outcome in ("sent", "cancelled") for d in self.deliveries)

    def __str__(self) -> str:
        lines = [f"sent {len(self.sent)}, to retry {len(self.retrying)}, failed {len(self.failed)}"
                 + (f", cancelled {len(self.cancelled)}" if self.cancelled else "")]
        for d in self.deliveries:
            what = {"sent": "sent", "retry": "retry", "failed": "FAILED", "cancelled": "cancel"}[d.outcome]
            line = f"  {what:6} {d.invoice_number or d.message_id} -> {d.to_address} (attempt {d.attempts})"
            if d.error:
                line += f": {d.error}"
            if d.next_attempt_at:
                line += f"; next try {d.next_attempt_at:%Y-%m-%d %H:%M} UTC"
            if d.attachment_note:
                line += f"; no PDF: {d.attachment_note}"
            lines.append(line)
        lines += [f"  reclaimed {mid}: its send was interrupted; sent again with the same Message-ID"
                  for mid in self.reclaimed]
        if self.stopped:
            lines.append(f"  stopped: {self.stopped}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    message_id: str
    to_address: str
    subject: str
    body_text: str
    body_html: str
    attach_pdf: bool
    attempts: int
    invoice_number: str
    invoice_month: str
    invoice_status: str = ""  # as it is at claim time ("" for a message about no invoice)
    nothing_due: bool = False  # the invoice's total is 0.00: Closed as it was issued, its email still goes


class _ConnectFailed(Exception):
    """Connecting, STARTTLS or login failed: the server or its settings, not the message."""


class _SendFailed(Exception):
    def __init__(self, text: str, permanent: bool) -> None:
        super().__init__(text)
        self.permanent = permanent


# --- configuration ----------------------------------------------------------------------------

def _sender_address(session: Session, settings: NotifySettings) -> str:
    if settings.from_address:
        return settings.from_address
    row = session.get(m.Setting, "reseller.contact_email")
    return row.value.strip() if row else ""


def _config_problem(settings: NotifySettings, from_address: str) -> str:
    if not settings.host:
        return "smtp.host is not set: `workbench notify settings DIR --host smtp.example.com --port 587 --starttls`"
    if "@" not in parseaddr(from_address)[1]:
        return "no sender address: set smtp.from (`--from`) or the reseller's contact_email"
    if settings.username:
        if not settings.password_env:
            return f"smtp.username is {settings.username!r} but smtp.password_env names no environment variable"
        if settings.password_env not in os.environ:
            return f"environment variable {settings.password_env} (smtp.password_env) is not set: export the SMTP password there"
        if not settings.starttls and settings.host.lower() not in _LOOPBACK:
            return f"refusing to send the password for {settings.username!r} unencrypted to {settings.host}: enable smtp.starttls"
    return ""


# --- the SMTP side ----------------------------------------------------------------------------

class _Smtp:
    """One connection, opened at the first message and reused for the rest of the run."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            conn = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT)
        except (OSError, smtplib.SMTPException) as exc:
            raise _ConnectFailed(f"cannot connect to {s.host}:{s.port}: {_describe(exc)}") from None
        try:
            conn.ehlo()
            if s.starttls:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if s.username:
                conn.login(s.username, os.environ[s.password_env])
        except (OSError, smtplib.SMTPException) as exc:
            conn.close()
            raise _ConnectFailed(f"{s.host}:{s.port}: {_describe(exc)}") from None
        return conn

    def send(self, message: EmailMessage) -> None:
        if self.conn is None:
            self.conn = self._connect()
        try:
            refused = self.conn.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            text = "; ".join(f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in exc.recipients.items())
            raise _SendFailed(f"recipient refused: {text}", permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            raise _SendFailed(f"{exc.smtp_code} {_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException) as exc:  # connection dropped mid-dialogue
            self.close()
            raise _SendFailed(_describe(exc), permanent=False) from None
        if refused:  # only with several recipients; we send to one
            raise _SendFailed(f"recipients refused: {refused}", permanent=True)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                self.conn.close()
            self.conn = None

    def drop(self) -> None:
        """Close without QUIT, whose answer could be queued behind one the server still owes."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _compose(claimed: _Claimed, from_address: str, reply_to: str, pdf: Path | None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = claimed.subject
    message["From"] = from_address
    message["To"] = claimed.to_address
    if reply_to and parseaddr(reply_to)[1] != parseaddr(from_address)[1]:
        message["Reply-To"] = reply_to
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = claimed.message_id  # the same on every attempt: a second copy is recognisable
    message.set_content(claimed.body_text)
    if claimed.body_html:
        message.add_alternative(claimed.body_html, subtype="html")
    if pdf is not None:
        message.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name)
    return message


def _find_pdf(ws: Workspace, claimed: _Claimed) -> tuple[Path | None, str]:
    """The invoice's PDF as it is now (`render.pdf.invoice_pdf`: the month-end file while it is
    current, so never the Draft printed before the approval; else printed now), else None and why."""
    number = claimed.invoice_number
    if not number:
        return None, "the message belongs to no invoice"
    where = f"output/{claimed.invoice_month}/{number}/{number}.pdf"
    try:
        renderer: Any = getattr(importlib.import_module("workbench.render.pdf"), "invoice_pdf")
    except (ImportError, AttributeError) as exc:
        return None, f"no current {where}, and the PDF renderer is not available ({_describe(exc)})"
    try:
        path = Path(renderer(ws, number))
    except Exception as exc:  # any renderer failure: the email still goes, without the PDF
        return None, f"no current {where}, and rendering it failed: {_describe(exc)}"
    return (path, "") if path.is_file() else (None, f"the PDF renderer returned {path}, which does not exist")


# --- the store side ---------------------------------------------------------------------------

def _due_ids(ws: Workspace, now: dt.datetime, status: str = "pending") -> list[int]:
    with ws.session() as session:
        return list(session.scalars(
            select(m.OutboxMessage.id)
            .where(m.OutboxMessage.status == status, m.OutboxMessage.next_attempt_at <= now)
            .order_by(m.OutboxMessage.next_attempt_at, m.OutboxMessage.id)
        ))


def _reclaim(ws: Workspace, now: dt.datetime, max_attempts: int) -> list[str]:
    """Messages left in `sending` past their lease go back to pending (or failed if out of attempts)."""
    reclaimed = []
    for outbox_id in _due_ids(ws, now, "sending"):
        with ws.session() as session:
            # the write comes first in the transaction, so SQLite takes its write lock at once
            done = session.execute(
                update(m.OutboxMessage)
                .where(m.OutboxMessage.id == outbox_id, m.OutboxMessage.status == "sending",
                       m.OutboxMessage.next_attempt_at <= now)
                .values(status="pending", next_attempt_at=now,
                        last_error="interrupted while sending: the server may have accepted it")
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                continue
            msg = session.get(m.OutboxMessage, outbox_id)
            assert msg is not None
            if msg.attempts >= max_attempts:
                msg.status = "failed"
            audit.record(session, "notify.reclaim", "outbox", msg.message_id, actor=ACTOR,
                         reason="a send was interrupted before its outcome was recorded; "
                                "it may have been delivered (same Message-ID)",
                         details={"attempts": msg.attempts, "status": msg.status})
            reclaimed.append(msg.message_id)
    return reclaimed


def _claim_next(ws: Workspace, now: dt.datetime) -> _Claimed | None:
    for _ in range(2):  # a second look in case every candidate was taken by another sender meanwhile
        candidates = _due_ids(ws, now)
        if not candidates:
            return None
        for outbox_id in candidates:
            with ws.session() as session:
                done = session.execute(
                    update(m.OutboxMessage)
                    .where(m.OutboxMessage.id == outbox_id, m.OutboxMessage.status == "pending",
                           m.OutboxMessage.next_attempt_at <= now)
                    .values(status="sending", attempts=m.OutboxMessage.attempts + 1,
                            next_attempt_at=now + SENDING_LEASE)
                )
                if done.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another sender has it
                msg = session.get(m.OutboxMessage, outbox_id)
                assert msg is not None
                invoice = session.get(m.Invoice, msg.invoice_id) if msg.invoice_id is not None else None
                return _Claimed(
                    msg.id, msg.message_id, msg.to_address, msg.subject, msg.body_text, msg.body_html or "",
                    bool(msg.attach_pdf), msg.attempts, invoice.number if invoice else "",
                    month_key(invoice.period_start) if invoice else "", invoice.status if invoice else "",
                    invoice is not None and invoice.total == 0,
                )
    return None


def _record(ws: Workspace, claimed: _Claimed, delivery: Delivery, now: dt.datetime) -> None:
    with ws.session() as session:
        table = m.OutboxMessage
        if delivery.outcome == "sent":
            # also from pending: had its lease run out and it been reclaimed, it must not go again
            session.execute(update(table).where(table.id == claimed.id, table.status.in_(["sending", "pending"]))
                            .values(status="sent", sent_at=now, last_error=""))
        elif delivery.outcome == "retry":
            session.execute(update(table).where(table.id == claimed.id, table.status == "sending")
                            .values(status="pending", next_attempt_at=delivery.next_attempt_at,
                                    last_error=delivery.error))
        else:  # failed, cancelled
            session.execute(update(table).where(table.id == claimed.id, table.status == "sending")
                            .values(status=delivery.outcome, last_error=delivery.error))
        details: dict[str, Any] = {"message_id": claimed.message_id, "to": claimed.to_address,
                                   "attempts": delivery.attempts}
        if delivery.error:
            details["error"] = delivery.error
        if delivery.next_attempt_at:
            details["next_attempt_at"] = delivery.next_attempt_at.isoformat()
        if delivery.attachment:
            details["attachment"] = delivery.attachment
        entity_id = claimed.invoice_number or claimed.message_id
        reason = {"sent": f"email sent to {claimed.to_address}",
                  "retry": f"email not sent, will retry: {delivery.error}",
                  "failed": f"email not sent, given up: {delivery.error}",
                  "cancelled": f"email not sent: {delivery.error}"}[delivery.outcome]
        audit.record(session, f"notify.{delivery.outcome}", "invoice" if claimed.invoice_number else "outbox",
                     entity_id, actor=ACTOR, reason=reason, details=details)
        if delivery.attachment_note:
            audit.record(session, "notify.no-attachment", "invoice" if claimed.invoice_number else "outbox",
                         entity_id, actor=ACTOR, reason=delivery.attachment_note,
                         details={"message_id": claimed.message_id, "severity": "warning"})


def _delivery(claimed: _Claimed, outcome: str, *, error: str = "", next_attempt_at: dt.datetime | None = None,
              attachment: str = "", attachment_note: str = "") -> Delivery:
    return Delivery(claimed.id, claimed.message_id, claimed.invoice_number, claimed.to_address, outcome,
                    claimed.attempts, error, next_attempt_at, attachment, attachment_note)


def _prepare(claimed: _Claimed, from_address: str, reply_to: str, ws: Workspace) -> tuple[EmailMessage | None, Delivery]:
    """The message to send and what it comes to once the server accepts it; or None and the
    outcome reached without sending (cancelled, cannot be written)."""
    sendable = {Status.OPEN.value, Status.PAST_DUE.value} | ({Status.CLOSED.value} if claimed.nothing_due else set())
    if claimed.invoice_status and claimed.invoice_status not in sendable:
        # "a new invoice for you", about an invoice voided or closed (paid) since it was queued; an
        # invoice with nothing due is Closed as it is issued, and its statement still goes out
        return None, _delivery(claimed, "cancelled", error=f"{claimed.invoice_number} is "
                               f"{Status(claimed.invoice_status).label} now: the new-invoice email is not sent")
    pdf, note = _find_pdf(ws, claimed) if claimed.attach_pdf else (None, "")
    try:
        message = _compose(claimed, from_address, reply_to, pdf)
    except (ValueError, TypeError) as exc:  # a header the email library refuses: this message only
        return None, _delivery(claimed, "failed", error=f"the message cannot be written: {exc}")
    return message, _delivery(claimed, "sent", attachment=pdf.name if pdf else "", attachment_note=note)


def _send(claimed: _Claimed, message: EmailMessage, accepted: Delivery, smtp: _Smtp, max_attempts: int,
          clock: Callable[[], dt.datetime]) -> tuple[Delivery, str]:
    """What sending one message comes to (`accepted`, to retry, failed), and why the run must
    stop after it ("": it goes on)."""
    try:
        smtp.send(message)
    except (_ConnectFailed, _SendFailed) as exc:
        permanent = isinstance(exc, _SendFailed) and exc.permanent
        if permanent or claimed.attempts >= max_attempts:
            delivery = _delivery(claimed, "failed", error=str(exc))
        else:
            delivery = _delivery(claimed, "retry", error=str(exc), next_attempt_at=clock() + backoff(claimed.attempts))
        stop = f"{exc}; the other due messages wait for the next run" if isinstance(exc, _ConnectFailed) else ""
        return delivery, stop
    return accepted, ""


def _release(ws: Workspace, claimed: _Claimed, now: dt.datetime) -> None:
    """Put a claimed message back untried: the run was stopped before it went out."""
    table = m.OutboxMessage
    with ws.session() as session:
        session.execute(update(table).where(table.id == claimed.id, table.status == "sending")
                        .values(status="pending", attempts=table.attempts - 1, next_attempt_at=now))


# --- stopping between messages, never inside one ----------------------------------------------

_HELD = (signal.SIGINT, signal.SIGTERM)


class StoppedMidSend(KeyboardInterrupt):
    """A second Ctrl-C: the run stopped before the outcome of the message being sent was recorded."""


@dataclass
class _Held:
    received: list[int] = field(default_factory=list)  # signal numbers, in the order they came


@contextlib.contextmanager
def _signals_held() -> Iterator[_Held]:
    """Ctrl-C (SIGINT) and SIGTERM held back while the block runs, then acted on as they would
    have been (KeyboardInterrupt; SIGTERM's default ends the process): the block claims, sends
    and records one message, so a stop asked for while the server answers its DATA no longer
    loses the answer. A second Ctrl-C is not held: it stops at once (the message may then be
    sent again after its lease). Signals reach the main thread only, the only one that may set
    handlers: elsewhere nothing is held (and nothing needs to be)."""
    held = _Held()
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    # a handler set outside Python (None) cannot be put back; an ignored signal needs no holding
    previous = {signum: before for signum in _HELD
                if (before := signal.getsignal(signum)) not in (None, signal.SIG_IGN)}

    def hold(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and signum in held.received:
            raise StoppedMidSend
        if signum not in held.received:
            held.received.append(signum)
        if signum == signal.SIGINT:
            sys.stderr.write("Ctrl-C: stopping once the message being sent is recorded "
                             "(Ctrl-C again stops at once; the message may then go out twice)\n")

    for signum in previous:
        signal.signal(signum, hold)
    try:
        yield held
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before)
    for signum in held.received:
        before = previous[signum]
        if callable(before):
            before(signum, None)
        else:  # SIG_DFL: what the signal does to a process that takes no interest in it
            signal.raise_signal(signum)


# --- the run ----------------------------------------------------------------------------------

def send_pending(
    ws: Workspace, *, now: dt.datetime | None = None, max_attempts: int = 5, limit: int | None = None
) -> SendReport:
    """Send every due message (status pending, next_attempt_at <= now), one at a time.

    `now` fixes this run's clock (naive UTC, or aware; default: the real time at each step): it
    decides what is due, and stamps the lease, `sent_at` and the next attempt. A failed attempt is retried after `backoff(attempts)`
    until `max_attempts`, then the message is `failed`; a permanent refusal (5xx) fails at
    once. A connection or login failure counts against the message being sent and ends the
    run, so that a dead server costs one attempt per run, not one per queued message.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    def clock() -> dt.datetime:  # a fixed clock when given, else the real one at each step
        return utc_naive(now)

    settings = notify_settings(ws)
    with ws.session() as session:
        from_address = _sender_address(session, settings)
        reseller = session.get(m.Setting, "reseller.contact_email")
        reply_to = reseller.value.strip() if reseller else ""
    reclaimed = tuple(_reclaim(ws, clock(), max_attempts))
    if not _due_ids(ws, clock()):
        return SendReport(reclaimed=reclaimed)
    problem = _config_problem(settings, from_address)
    if problem:
        return SendReport(reclaimed=reclaimed, stopped=f"nothing sent: {problem}")

    smtp = _Smtp(settings)
    deliveries: list[Delivery] = []
    stopped = ""
    try:
        while limit is None or len(deliveries) < limit:
            with _signals_held() as held:  # claimed, sent and recorded, or put back untried
                claimed = _claim_next(ws, clock())
                if claimed is None:
                    break
                message, delivery = _prepare(claimed, from_address, reply_to, ws)
                if held.received:  # asked to stop before it went out: it waits for the next run
                    _release(ws, claimed, clock())
                    stopped = "stopped by a signal; the other due messages wait for the next run"
                    break
                if message is not None:
                    delivery, stopped = _send(claimed, message, delivery, smtp, max_attempts, clock)
                _record(ws, claimed, delivery, clock())
            deliveries.append(delivery)
            if stopped:
                break
    except BaseException:  # stopped (a second Ctrl-C, an error): at once, not after a QUIT
        smtp.drop()
        raise
    smtp.close()
    return SendReport(tuple(deliveries), reclaimed, stopped)
