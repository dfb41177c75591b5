"""Sending the outbox against a real SMTP server on loopback: retries, failures, login, TLS,
concurrent senders, attachments and the crash window."""

from __future__ import annotations

import datetime as dt
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from workbench.billing.invoices import approve
from workbench.billing.notify import SendReport, list_outbox, requeue_failed, send_pending
from workbench.billing.notify.sender import SENDING_LEASE, _claim_next
from workbench.billing.store import audit
from workbench.billing.store.workspace import Workspace, open_workspace

from .conftest import ISSUED, NOW, Billed, Mailbox, SmtpServer, configure, free_port, start_server

MINUTE = dt.timedelta(minutes=1)


def issue(billed: Billed, *customers: str) -> list[str]:
    numbers = [billed.numbers[c] for c in customers]
    approve(billed.ws, numbers, today=ISSUED)
    return numbers


def test_a_busy_server_is_retried_with_backoff_then_given_up(billed: Billed, smtp_server: SmtpServer,
                                                             issue_hook: None) -> None:
    configure(billed.ws, smtp_server)
    [acme] = issue(billed, "100001")
    smtp_server.mailbox.data_reply = "451 4.3.0 try again later"

    clock, waits = NOW, []
    for attempt in range(1, 5):
        report = send_pending(billed.ws, now=clock)
        [d] = report.deliveries
        assert (d.outcome, d.attempts, d.error) == ("retry", attempt, "451 4.3.0 try again later")
        assert d.next_attempt_at is not None
        waits.append(d.next_attempt_at - clock)
        # not due yet a second before the next attempt: nothing is tried
        assert send_pending(billed.ws, now=d.next_attempt_at - dt.timedelta(seconds=1)).deliveries == ()
        clock = d.next_attempt_at
    assert waits == [1 * MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE]

    last = send_pending(billed.ws, now=clock)
    assert [(d.outcome, d.attempts) for d in last.failed] == [("failed", 5)]
    assert "failed 1" in str(last) and "FAILED AWS-202510-00001" in str(last)
    [entry] = list_outbox(billed.ws)
    assert (entry.status, entry.attempts, entry.last_error) == ("failed", 5, "451 4.3.0 try again later")
    assert smtp_server.mailbox.received == []

    # failed stays failed, even when the server is back ...
    smtp_server.mailbox.data_reply = ""
    assert send_pending(billed.ws, now=clock + dt.timedelta(days=1)).deliveries == ()
    # ... until someone queues it again
    assert requeue_failed(billed.ws, [entry.id], now=clock) == [entry.id]
    assert [d.outcome for d in send_pending(billed.ws, now=clock).deliveries] == ["sent"]
    assert len(smtp_server.mailbox.received) == 1
    assert requeue_failed(billed.ws, [entry.id]) == []  # a sent message is never queued again

    actions = [e.action for e in audit.events(billed.ws, action="notify.")]
    assert actions == ["notify.queue"] + ["notify.retry"] * 4 + ["notify.failed", "notify.requeue", "notify.sent"]


def test_a_refused_recipient_fails_at_once(billed: Billed, smtp_server: SmtpServer, issue_hook: None) -> None:
    configure(billed.ws, smtp_server)
    issue(billed, "100001")
    smtp_server.mailbox.rcpt_reply = "550 5.1.1 no such mailbox"
    report = send_pending(billed.ws, now=NOW)
    [d] = report.failed
    assert d.attempts == 1 and "550 5.1.1 no such mailbox" in d.error
    assert [e.status for e in list_outbox(billed.ws)] == ["failed"]


def test_a_closed_port_costs_one_attempt_per_run(billed: Billed, issue_hook: None) -> None:
    configure(billed.ws, port=free_port())  # nobody listens there
    acme, beta = issue(billed, "100001", "100002")

    report = send_pending(billed.ws, now=NOW)
    [d] = report.deliveries
    assert (d.invoice_number, d.outcome, d.next_attempt_at) == (acme, "retry", NOW + MINUTE)
    assert "cannot connect to 127.0.0.1" in d.error and "ConnectionRefusedError" in d.error
    assert "the other due messages wait for the next run" in report.stopped
    assert not report.ok
    assert [(e.invoice_number, e.status, e.attempts) for e in list_outbox(billed.ws)] == [
        (acme, "pending", 1), (beta, "pending", 0)]


def test_login_uses_the_password_from_the_environment(billed: Billed, issue_hook: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    mailbox = Mailbox(password="s3cret-from-env")
    # PLAIN only, so one login is one try (after a refused PLAIN, smtplib would try LOGIN too)
    controller, server = start_server(mailbox, authenticator=mailbox.authenticate, auth_require_tls=False,
                                      auth_exclude_mechanism=["LOGIN"])
    try:
        configure(billed.ws, server, username="billing", password_env="WB_TEST_SMTP_PASSWORD")
        issue(billed, "100001")
        monkeypatch.delenv("WB_TEST_SMTP_PASSWORD", raising=False)

        missing = send_pending(billed.ws, now=NOW)
        assert missing.deliveries == ()
        assert "environment variable WB_TEST_SMTP_PASSWORD (smtp.password_env) is not set" in missing.stopped
        assert [e.attempts for e in list_outbox(billed.ws)] == [0]  # a configuration problem costs no attempt

        monkeypatch.setenv("WB_TEST_SMTP_PASSWORD", "wrong")
        refused = send_pending(billed.ws, now=NOW)
        assert [d.outcome for d in refused.deliveries] == ["retry"] and "535" in refused.deliveries[0].error

        monkeypatch.setenv("WB_TEST_SMTP_PASSWORD", "s3cret-from-env")
        sent = send_pending(billed.ws, now=NOW + MINUTE)
        assert [d.outcome for d in sent.deliveries] == ["sent"]
        assert mailbox.logins == [("billing", "wrong"), ("billing", "s3cret-from-env")]
        assert len(mailbox.received) == 1
    finally:
        controller.stop()
    # the password is in no setting and no audit event
    with billed.ws.session() as s:
        from workbench.billing.store.models import Setting
        assert all("s3cret" not in (row.value or "") for row in s.query(Setting))
    assert all("s3cret" not in repr(e) for e in audit.events(billed.ws))


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def test_starttls_then_login(billed: Billed, issue_hook: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = _self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    mailbox = Mailbox(password="pw")
    controller, server = start_server(mailbox, tls_context=tls, require_starttls=True,
                                      authenticator=mailbox.authenticate, auth_required=True)
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts our test certificate, and only it
        monkeypatch.setenv("WB_TEST_SMTP_PASSWORD", "pw")
        configure(billed.ws, server, starttls=True, username="billing", password_env="WB_TEST_SMTP_PASSWORD")
        issue(billed, "100001")
        report = send_pending(billed.ws, now=NOW)
        assert [d.outcome for d in report.deliveries] == ["sent"], str(report)
        assert mailbox.logins == [("billing", "pw")] and len(mailbox.received) == 1
    finally:
        controller.stop()


def test_login_without_tls_to_a_remote_host_is_refused(billed: Billed, issue_hook: None,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(billed.ws, port=2525, host="smtp.example.com", username="billing", password_env="WB_TEST_SMTP_PASSWORD")
    monkeypatch.setenv("WB_TEST_SMTP_PASSWORD", "pw")
    issue(billed, "100001")
    report = send_pending(billed.ws, now=NOW)
    assert report.deliveries == ()
    assert "refusing to send the password for 'billing' unencrypted to smtp.example.com" in report.stopped


def test_two_senders_at_once_deliver_each_message_once(billed: Billed, smtp_server: SmtpServer,
                                                       issue_hook: None) -> None:
    configure(billed.ws, smtp_server)
    numbers = issue(billed, "100001", "100002")
    start = threading.Barrier(2, timeout=30)
    reports: list[SendReport] = []

    # each sender with its own engine and connections, like a second process (opened here: opening
    # runs the migrations, which are not meant to run in two threads at once)
    workspaces = [open_workspace(billed.ws.root) for _ in range(2)]

    def sender(ws: Workspace) -> None:
        start.wait()
        reports.append(send_pending(ws, now=NOW))

    threads = [threading.Thread(target=sender, args=(ws,)) for ws in workspaces]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    for ws in workspaces:
        ws.close()

    sent = sorted(d.invoice_number for r in reports for d in r.deliveries)
    assert sent == numbers and all(r.ok for r in reports)
    delivered = sorted(r.message["Message-ID"] for r in smtp_server.mailbox.received)
    assert delivered == sorted(e.message_id for e in list_outbox(billed.ws))
    assert [e.status for e in list_outbox(billed.ws)] == ["sent", "sent"]


def test_the_month_end_pdf_is_attached(billed: Billed, smtp_server: SmtpServer, issue_hook: None) -> None:
    configure(billed.ws, smtp_server, attach_pdf=True)
    [acme] = issue(billed, "100001")
    pdf = billed.ws.output_dir / "2025-10" / acme / f"{acme}.pdf"
    pdf.parent.mkdir(parents=True)
    pdf.write_bytes(b"%PDF-1.4\n% the statement\n%%EOF\n")

    [d] = send_pending(billed.ws, now=NOW).deliveries
    assert (d.outcome, d.attachment, d.attachment_note) == ("sent", f"{acme}.pdf", "")
    [mail] = smtp_server.mailbox.received
    msg = mail.message
    assert msg.get_content_type() == "multipart/mixed"
    [attachment] = list(msg.iter_attachments())
    assert (attachment.get_content_type(), attachment.get_filename()) == ("application/pdf", f"{acme}.pdf")
    assert attachment.get_content() == pdf.read_bytes()
    assert sorted(p.get_content_type() for p in msg.walk() if not p.is_multipart()) == [
        "application/pdf", "text/html", "text/plain"]


def test_a_crash_after_the_server_accepted_is_sent_again_with_the_same_message_id(
        billed: Billed, smtp_server: SmtpServer, issue_hook: None) -> None:
    """The documented at-least-once window: claimed, accepted by the server, never recorded."""
    configure(billed.ws, smtp_server)
    issue(billed, "100001")
    crashed = _claim_next(billed.ws, NOW)  # a sender claims the message, sends it, and dies
    assert crashed is not None
    [entry] = list_outbox(billed.ws)
    assert (entry.status, entry.attempts) == ("sending", 1)

    # within the lease nobody touches it: the first sender may still be talking to the server
    assert send_pending(billed.ws, now=NOW + SENDING_LEASE - MINUTE) == SendReport()

    after = send_pending(billed.ws, now=NOW + SENDING_LEASE)
    assert after.reclaimed == (entry.message_id,)
    assert [(d.outcome, d.attempts) for d in after.deliveries] == [("sent", 2)]
    assert smtp_server.mailbox.received[0].message["Message-ID"] == entry.message_id
    assert [e.action for e in audit.events(billed.ws, action="notify.")] == [
        "notify.queue", "notify.reclaim", "notify.sent"]


def test_without_a_month_end_pdf_one_is_printed_and_attached(billed: Billed, smtp_server: SmtpServer,
                                                             issue_hook: None) -> None:
    configure(billed.ws, smtp_server, attach_pdf=True)
    [acme] = issue(billed, "100001")
    [d] = send_pending(billed.ws, now=NOW).deliveries
    assert (d.outcome, d.attachment, d.attachment_note) == ("sent", f"{acme}.pdf", ""), str(d)
    [attachment] = list(smtp_server.mailbox.received[0].message.iter_attachments())
    assert attachment.get_filename() == f"{acme}.pdf"
    assert attachment.get_content().startswith(b"%PDF-")
