"""Approving an invoice queues its email in the same transaction; sending delivers it once."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from workbench.billing.invoices import ISSUE_HOOKS, approve, list_invoices
from workbench.billing.notify import list_outbox, register, send_pending
from workbench.billing.notify.compose import compose_invoice_open
from workbench.billing.notify.outbox import queue_invoice_email
from workbench.billing.store import audit
from workbench.billing.store import models as m

from .conftest import ISSUED, NOW, Billed, SmtpServer, configure

ACME_TEXT = """\
Hello Ann Smith,

Maple Cloud Partners has issued your AWS invoice for 2025-10.

  Invoice    AWS-202510-00001
  Customer   Acme Corp
  Period     2025-10
  Vendor     AWS
  Total      238.44 CAD
  Due date   2025-12-21

Summary (CAD):
  Compute Instance                           150.83
  Storage                                     26.70
  SaaS                                        54.85
  Support                                     25.00
  Credits                                    -50.00
  Subtotal                                   207.38
  GST 5%                                      10.37
  QST 9.975%                                  20.69
  Total                                      238.44

View the invoice in the customer portal:
https://portal.maple.example/invoices/AWS-202510-00001

Questions about this invoice? Write to billing@maple.example.

Maple Cloud Partners
billing@maple.example
"""


def parts(message: EmailMessage) -> dict[str, str]:
    """Each leaf part's text, with the wire's CRLF line ends read back as \\n."""
    return {part.get_content_type(): part.get_content().replace("\r\n", "\n")
            for part in message.walk() if not part.is_multipart()}


def test_approving_queues_one_email_and_sending_delivers_it_once(billed: Billed, smtp_server: SmtpServer,
                                                                  issue_hook: None) -> None:
    configure(billed.ws, smtp_server)
    acme = billed.numbers["100001"]
    assert acme == "AWS-202510-00001"

    approve(billed.ws, [acme], today=ISSUED)

    [queued] = list_outbox(billed.ws)
    assert (queued.invoice_number, queued.status, queued.attempts, queued.to_address) == (
        acme, "pending", 0, "Ann Smith <ann@acme.example>")
    assert queued.message_id.startswith(f"<invoice-open.{acme}.") and queued.message_id.endswith("@maple.example>")

    report = send_pending(billed.ws, now=NOW)
    assert [(d.invoice_number, d.outcome, d.attempts) for d in report.deliveries] == [(acme, "sent", 1)]
    assert report.ok

    [mail] = smtp_server.mailbox.received
    assert (mail.mail_from, mail.rcpt_tos) == ("billing@maple.example", ["ann@acme.example"])
    msg = mail.message
    assert msg["Subject"] == "Maple Cloud Partners: new AWS invoice AWS-202510-00001 for 2025-10 (238.44 CAD)"
    assert msg["To"] == "Ann Smith <ann@acme.example>"
    assert msg["From"] == "Maple Cloud Partners <billing@maple.example>"
    assert msg["Message-ID"] == queued.message_id
    assert msg.get_content_type() == "multipart/alternative"
    body = parts(msg)
    assert sorted(body) == ["text/html", "text/plain"]
    assert body["text/plain"] == ACME_TEXT
    html = body["text/html"]
    assert '<a href="https://portal.maple.example/invoices/AWS-202510-00001">' in html
    assert "<strong>238.44 CAD</strong>" in html and "<td>2025-12-21</td>" in html

    # the total is the one the engine stored, not one the email made up
    [summary] = [i for i in list_invoices(billed.ws) if i.number == acme]
    assert f"{summary.total} {summary.currency}" == "238.44 CAD"

    # sent once: a second run finds nothing to send
    again = send_pending(billed.ws, now=NOW + dt.timedelta(hours=1))
    assert again.deliveries == () and again.ok
    assert len(smtp_server.mailbox.received) == 1
    [sent] = list_outbox(billed.ws)
    assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == ("sent", 1, NOW, "")

    actions = [(e.action, e.entity_id) for e in audit.events(billed.ws, action="notify.")]
    assert actions == [("notify.queue", acme), ("notify.sent", acme)]


def test_html_part_escapes_what_people_typed(billed: Billed, issue_hook: None) -> None:
    configure(billed.ws, port=2525)
    with billed.ws.session() as s:
        s.get(m.Customer, "100002").contact_name = "Bob <b>Jones</b> & Co"  # type: ignore[union-attr]
    approve(billed.ws, [billed.numbers["100002"]], today=ISSUED)
    with billed.ws.session() as s:
        msg = s.scalars(select(m.OutboxMessage)).one()
    assert "Hello Bob &lt;b&gt;Jones&lt;/b&gt; &amp; Co," in msg.body_html
    assert "Hello Bob <b>Jones</b> & Co," in msg.body_text


@pytest.mark.parametrize(("vendor", "named"), [("azure", "Azure"), ("gcp", "Google Cloud")])
def test_the_email_names_the_vendor_as_the_statement_does(billed: Billed, vendor: str, named: str) -> None:
    # one display name per vendor (core.usage.Vendor), on the PDF too: Azure was "Microsoft Azure" here
    with billed.ws.session() as s:
        invoice = s.scalars(select(m.Invoice).where(m.Invoice.number == billed.numbers["100001"])).one()
        invoice.vendor = vendor
        email = compose_invoice_open(s, invoice)
        s.rollback()
    assert email.subject == f"Maple Cloud Partners: new {named} invoice AWS-202510-00001 for 2025-10 (238.44 CAD)"
    assert f"has issued your {named} invoice for 2025-10.\n" in email.text
    assert f"  Vendor     {named}\n" in email.text


def test_a_rolled_back_approval_queues_nothing(billed: Billed, issue_hook: None) -> None:
    configure(billed.ws, port=2525)
    acme = billed.numbers["100001"]

    def sealing_fails(session: object, invoice: m.Invoice) -> None:  # another issue hook, after ours
        raise RuntimeError(f"cannot seal {invoice.number}")

    ISSUE_HOOKS.append(sealing_fails)
    with pytest.raises(RuntimeError, match="cannot seal"):
        approve(billed.ws, [acme], today=ISSUED)
    ISSUE_HOOKS.remove(sealing_fails)

    assert list_outbox(billed.ws) == []
    assert {i.number: i.status for i in list_invoices(billed.ws)}[acme] == "draft"
    assert audit.events(billed.ws, action="notify.") == []

    approve(billed.ws, [acme], today=ISSUED)  # and once the hook is fixed, one message
    assert [e.invoice_number for e in list_outbox(billed.ws)] == [acme]


def test_no_email_when_notifications_are_off(billed: Billed, issue_hook: None) -> None:
    configure(billed.ws, port=2525, on_open=False)
    approve(billed.ws, [billed.numbers["100001"]], today=ISSUED)
    assert list_outbox(billed.ws) == []


def test_customer_without_email_is_an_audit_warning_not_a_message(billed: Billed, issue_hook: None) -> None:
    configure(billed.ws, port=2525)
    gamma, beta = billed.numbers["100003"], billed.numbers["100002"]
    approve(billed.ws, [gamma, beta], today=ISSUED)

    assert [(e.invoice_number, e.to_address) for e in list_outbox(billed.ws)] == [(beta, "Bob Jones <bob@beta.example>")]
    [warning] = audit.events(billed.ws, action="notify.skipped")
    assert warning.entity_id == gamma
    assert warning.details["severity"] == "warning"
    assert "customer 100003 has no usable contact_email" in warning.reason


def test_register_adds_the_hook_once(issue_hook: None) -> None:
    register()
    register()
    assert ISSUE_HOOKS.count(queue_invoice_email) == 1


def test_issuing_anywhere_queues_the_email_without_registering(billed: Billed) -> None:
    """The hook is declared as an entry point (`workbench.issue_hooks`), so a process that never
    imports `notify` (a dashboard kernel, the API server) queues the email when it approves."""
    configure(billed.ws)
    acme = billed.numbers["100001"]
    billed.ws.close()
    script = textwrap.dedent(f"""
        import datetime as dt, pathlib, sys
        from workbench.billing.invoices import approve
        from workbench.billing.store import open_workspace
        ws = open_workspace(pathlib.Path({str(billed.ws.root)!r}))
        assert not [m for m in sys.modules if m.startswith("workbench.billing.notify")]
        approve(ws, [{acme!r}], today=dt.date.fromisoformat({ISSUED.isoformat()!r}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    [queued] = list_outbox(billed.ws)
    assert (queued.invoice_number, queued.status, queued.to_address) == (acme, "pending", "Ann Smith <ann@acme.example>")
