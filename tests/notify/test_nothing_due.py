"""What the customer reads when nothing is due: an invoice of 0.00 (a credit paid it all) and a
refund (a negative total: the reseller owes the customer). The email (subject and body) and the
statement PDF attached to it say the same thing, from the same stored total, and none gives a
due date, nor the subject a negative amount due.
Against a real SMTP server on loopback; the PDFs printed by chromium, read back by pdftotext.

    Beta Ltd   USD  RDS 10.004999999 USD +15 %, support minimum 25, HST 13 % = 41.26 USD,
                    paid in full by a 100 USD credit: 0.00, Closed as it is issued
    Acme Corp  CAD  EC2 10 USD of usage and a 50 USD refund, +10 %, at 1.3712:
                    15.08 - 75.42 + support minimum 25.00 (+0.01 rounding) = -35.33,
                    GST 5 % -1.77, QST 9.975 % -3.52: total -40.62 CAD, owed to Acme (stays Open)
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

from workbench.billing.invoices import approve
from workbench.billing.notify import list_outbox, send_pending

from render.pdf_text import pdf_text

from .conftest import ISSUED, NOW, SmtpServer, build_billed, configure

REFUND_CUR = [
    {"account": "111111111111", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance",
     "usage_type": "USE1-BoxUsage:m5.large", "cost": "10"},
    {"account": "111111111111", "type": "Refund", "product": "AmazonEC2", "family": "Compute Instance",
     "usage_type": "USE1-BoxUsage:m5.large", "cost": "-50"},
    {"account": "222222222222", "type": "Usage", "product": "AmazonRDS", "family": "Database Instance",
     "usage_type": "USE1-InstanceUsage:db.t3", "cost": "10.004999999"},
]
CREDITS = """
    customer_id,credit_id,date,amount,currency,kind,earned_on,memo
    100002,C-2,2025-09-15,100.00,USD,general,azure,Azure commitment credit
"""


def parts(message: EmailMessage, tmp_path: Path) -> tuple[str, str, str]:
    """(plain text, HTML, text of the attached PDF) of one received email."""
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    [attachment] = list(message.iter_attachments())
    tmp_path.mkdir()
    pdf = tmp_path / attachment.get_filename()
    pdf.write_bytes(attachment.get_content())
    return text, html, re.sub(r"[ \t]+", " ", pdf_text(pdf, watermark=False))


def test_a_zero_invoice_and_a_refund_say_nothing_is_due_in_the_email_and_the_attached_pdf(
        tmp_path: Path, smtp_server: SmtpServer, issue_hook: None) -> None:
    billed = build_billed(tmp_path / "ws", tmp_path, credits=CREDITS, cur=REFUND_CUR)
    configure(billed.ws, smtp_server, attach_pdf=True)
    acme, beta = billed.numbers["100001"], billed.numbers["100002"]
    approved = approve(billed.ws, [acme, beta], today=ISSUED)
    # the refund keeps its status rules: Open (never Past Due); the 0.00 invoice is Closed at issue
    assert [(a.number, a.status, str(a.total)) for a in approved] == [(acme, "open", "-40.62"), (beta, "closed", "0.00")]

    assert sorted((d.invoice_number, d.outcome) for d in send_pending(billed.ws, now=NOW).deliveries) == [
        (acme, "sent"), (beta, "sent")]
    received = {r.rcpt_tos[0]: r.message for r in smtp_server.mailbox.received}

    text, html, pdf = parts(received["bob@beta.example"], tmp_path / "beta")
    assert "  Total      0.00 USD\n  Due        nothing is due\n" in text
    assert "<th style=\"text-align: left; padding: 2px 16px 2px 0;\">Due</th><td>nothing is due</td>" in html
    assert " Due nothing is due\n" in pdf and " Status Closed\n" in pdf and " Total 0.00\n" in pdf
    assert not any("Due date" in part for part in (text, html, pdf))  # the PDF said "Due date 2025-12-06"
    assert "owed to you" not in text + pdf

    owed = "nothing is due: 40.62 CAD is owed to you (to be refunded or credited)"
    text, html, pdf = parts(received["ann@acme.example"], tmp_path / "acme")
    assert f"  Total      -40.62 CAD\n  Due        {owed}\n" in text
    assert f"<th style=\"text-align: left; padding: 2px 16px 2px 0;\">Due</th><td>{owed}</td>" in html
    assert " Due nothing is due\n" in pdf and " Status Open\n" in pdf and " Total -40.62\n" in pdf
    assert f" N{owed[1:]}.\n" in pdf  # under the total, in the email's words
    assert not any("Due date" in part for part in (text, html, pdf))


def test_the_subject_says_nothing_is_due_and_what_is_owed_as_the_body_does_never_a_negative_amount(
        tmp_path: Path, issue_hook: None) -> None:
    """Beta's 0.00 and Acme's -40.62 CAD, queued as they are issued (nothing sent): the subject
    said "(0.00 USD)" and "(-40.62 CAD)", as if the refund were an amount to pay. It now says
    what the body's Due line says, short of "(to be refunded or credited)"; an invoice with
    something to pay keeps its total there ("(238.44 CAD)", test_invoice_email)."""
    billed = build_billed(tmp_path / "ws", tmp_path, credits=CREDITS, cur=REFUND_CUR)
    configure(billed.ws, port=2525)  # no server: the messages are only queued
    acme, beta = billed.numbers["100001"], billed.numbers["100002"]
    approve(billed.ws, [acme, beta], today=ISSUED)

    subjects = {e.invoice_number: e.subject for e in list_outbox(billed.ws)}
    assert subjects == {
        beta: f"Maple Cloud Partners: new AWS invoice {beta} for 2025-10 (nothing is due)",
        acme: f"Maple Cloud Partners: new AWS invoice {acme} for 2025-10 (nothing is due: 40.62 CAD is owed to you)",
    }
    # the body's Due line (test above): "nothing is due: 40.62 CAD is owed to you (to be refunded or credited)"
    billed.ws.close()
