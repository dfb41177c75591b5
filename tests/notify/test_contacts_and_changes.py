"""What happens between queueing and sending, and contacts as people type them: an invoice voided
before its email went out, a contact email or name the email library refuses, an address fixed
after a refusal. Against a real SMTP server on loopback."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from workbench.billing.core.lifecycle import Status
from workbench.billing.invoices import approve, set_status
from workbench.billing.notify import list_outbox, requeue_failed, send_pending
from workbench.billing.store import audit
from workbench.billing.store import models as m

from .conftest import ISSUED, NOW, Billed, SmtpServer, build_billed, configure


def set_contact(billed: Billed, customer_id: str, **values: str) -> None:
    with billed.ws.session() as session:
        session.execute(update(m.Customer).where(m.Customer.customer_id == customer_id).values(**values))


def test_an_invoice_voided_before_its_email_went_out_is_not_announced(billed: Billed, smtp_server: SmtpServer,
                                                                      issue_hook: None) -> None:
    configure(billed.ws, smtp_server, attach_pdf=True)
    acme, beta = billed.numbers["100001"], billed.numbers["100002"]
    approve(billed.ws, [acme, beta], today=ISSUED)
    set_status(billed.ws, [acme], Status.VOID, today=ISSUED)

    report = send_pending(billed.ws, now=NOW)
    assert [(d.invoice_number, d.outcome) for d in report.deliveries] == [(acme, "cancelled"), (beta, "sent")]
    assert report.ok and "cancelled 1" in str(report)
    assert [r.rcpt_tos for r in smtp_server.mailbox.received] == [["bob@beta.example"]]
    assert [e.status for e in list_outbox(billed.ws)] == ["cancelled", "sent"]
    [event] = audit.events(billed.ws, action="notify.cancelled")
    assert event.reason == f"email not sent: {acme} is Void now: the new-invoice email is not sent"


def test_an_invoice_with_nothing_due_is_closed_at_issue_and_its_email_still_goes_out(
        tmp_path: Path, smtp_server: SmtpServer, issue_hook: None) -> None:
    """Beta's 41.26 USD is paid in full by a 100 USD credit: its invoice is Closed as it is issued.
    The customer still gets the statement, saying nothing is due instead of a due date (it was
    cancelled as 'Closed now' and never sent)."""
    ws = build_billed(tmp_path / "ws", tmp_path, credits="""
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        100001,C-1,2025-09-15,50.00,CAD,general,azure,Azure migration credit
        100002,C-2,2025-09-15,100.00,USD,general,azure,Azure commitment credit
    """)
    configure(ws.ws, smtp_server)
    acme, beta = ws.numbers["100001"], ws.numbers["100002"]
    assert [(a.number, a.status) for a in approve(ws.ws, [acme, beta], today=ISSUED)] == [(acme, "open"), (beta, "closed")]

    report = send_pending(ws.ws, now=NOW)
    assert sorted((d.invoice_number, d.outcome) for d in report.deliveries) == [(acme, "sent"), (beta, "sent")]
    [to_beta] = [r.message for r in smtp_server.mailbox.received if r.rcpt_tos == ["bob@beta.example"]]
    text = to_beta.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "  Total      0.00 USD\n  Due        nothing is due\n" in text and "Due date" not in text
    [to_acme] = [r.message for r in smtp_server.mailbox.received if r.rcpt_tos != ["bob@beta.example"]]
    assert "  Due date   2025-12-21\r\n" in to_acme.get_body(("plain",)).get_content()


def test_contacts_the_email_library_refuses_never_block_an_approval(billed: Billed, smtp_server: SmtpServer,
                                                                    issue_hook: None) -> None:
    """A non-ASCII local part (approval crashed with UnicodeEncodeError, for every invoice of
    `approve --all-drafts`), an international domain (sent in its ASCII form) and a name with a
    line break (the sender crashed and the message stuck in `sending`)."""
    configure(billed.ws, smtp_server)
    set_contact(billed, "100001", contact_email="ålice@acme.example")
    set_contact(billed, "100002", contact_email="bob@bücher.example", contact_name="Bob\nBcc: eve@evil.example")
    approved = approve(billed.ws, [billed.numbers["100001"], billed.numbers["100002"]], today=ISSUED)
    assert [a.status for a in approved] == ["open", "open"]
    [skipped] = audit.events(billed.ws, action="notify.skipped")
    assert skipped.entity_id == billed.numbers["100001"] and "ålice@acme.example" in skipped.reason

    report = send_pending(billed.ws, now=NOW)
    assert [d.outcome for d in report.deliveries] == ["sent"]
    [received] = smtp_server.mailbox.received
    assert received.rcpt_tos == ["bob@xn--bcher-kva.example"]
    assert received.message["To"] == '"Bob Bcc: eve@evil.example" <bob@xn--bcher-kva.example>'  # one quoted name
    assert received.message["Bcc"] is None


def test_a_retry_after_fixing_the_address_goes_to_the_new_one(billed: Billed, smtp_server: SmtpServer,
                                                              issue_hook: None) -> None:
    configure(billed.ws, smtp_server)
    approve(billed.ws, [billed.numbers["100001"]], today=ISSUED)
    smtp_server.mailbox.rcpt_reply = "550 5.1.1 no such mailbox"
    [failed] = send_pending(billed.ws, now=NOW).failed
    smtp_server.mailbox.rcpt_reply = ""

    set_contact(billed, "100001", contact_email="accounts@acme.example")  # what `customers import` does
    assert requeue_failed(billed.ws, [failed.outbox_id], now=NOW) == [failed.outbox_id]
    assert [d.outcome for d in send_pending(billed.ws, now=NOW).deliveries] == ["sent"]
    assert [r.rcpt_tos for r in smtp_server.mailbox.received] == [["accounts@acme.example"]]
