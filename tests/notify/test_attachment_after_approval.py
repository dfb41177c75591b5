"""The "your invoice is open" email never carries the statement printed while the invoice was a Draft."""

from __future__ import annotations

from pathlib import Path

from workbench.batch import run_month_end
from workbench.billing.invoices import approve
from workbench.billing.notify import send_pending

from render.pdf_text import pdf_text

from .conftest import ISSUED, NOW, TODAY, Billed, SmtpServer, configure


def test_the_draft_pdf_of_the_month_end_is_not_attached_once_approved(
        billed: Billed, smtp_server: SmtpServer, issue_hook: None, tmp_path: Path) -> None:
    configure(billed.ws, smtp_server, attach_pdf=True)
    acme = billed.numbers["100001"]
    summary = run_month_end(billed.ws, "2025-10", customers=["100001"], today=TODAY)
    assert [(o.number, o.state) for o in summary.outcomes] == [(acme, "done")], summary.text()
    draft = billed.ws.output_dir / "2025-10" / acme / f"{acme}.pdf"
    assert "DRAFT" in pdf_text(draft)

    approve(billed.ws, [acme], today=ISSUED)  # queues the email
    [d] = send_pending(billed.ws, now=NOW).deliveries
    assert (d.outcome, d.attachment, d.attachment_note) == ("sent", f"{acme}.pdf", ""), str(d)
    [attachment] = list(smtp_server.mailbox.received[0].message.iter_attachments())
    attached = tmp_path / "attached.pdf"
    attached.write_bytes(attachment.get_content())
    text = pdf_text(attached)
    assert "DRAFT" not in text and "Open" in text and acme in text and "238.44" in text
    assert attached.read_bytes() != draft.read_bytes()
