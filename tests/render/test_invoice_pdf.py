"""A PDF of one stored invoice on demand prints the engine's figures."""

from __future__ import annotations

import re

from pypdf import PdfReader

from workbench.render.pdf import invoice_pdf

from .pdf_text import pdf_text
from .small_workspace import TABLES, build_small_workspace, generate_october


def test_invoice_pdf_has_the_customer_and_the_total(october, tmp_path):
    ws, made = october
    pdf = invoice_pdf(ws, made["100001"].number, out_dir=tmp_path)
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Acme Corp" in text and "238.44" in text and made["100001"].number in text
    assert list(tmp_path.iterdir()) == [pdf]  # written atomically: no temporary file left


def test_every_page_of_a_draft_carries_the_watermark_and_no_page_ends_on_a_heading(demo_workspace_copy, tmp_path):
    """A statement over two pages: the second page of a draft said nothing of it being one (the
    watermark was on page 1 only), and a section's heading could end page 1, its lines on page 2."""
    import datetime as dt

    from workbench.billing.core.periods import given_month
    from workbench.billing.exports.statement import statement_rows
    from workbench.billing.generate import generate_invoices
    from workbench.dashboards.documents import invoice_view

    made = generate_invoices(demo_workspace_copy, "aws", given_month("2025-10"), today=dt.date(2025, 11, 25)).invoices
    longest = max(made, key=lambda inv: len(invoice_view(demo_workspace_copy, inv.number).lines))
    pdf = invoice_pdf(demo_workspace_copy, longest.number, out_dir=tmp_path)
    pages = [page.extract_text() for page in PdfReader(pdf).pages]
    assert len(pages) >= 2, f"{longest.number} fits on one page: the test needs a longer statement"
    assert all("DRAFT" in text for text in pages)
    sections = {row.product_type for row in statement_rows(invoice_view(demo_workspace_copy, longest.number))
                if row.product_type}
    for text in pages[:-1]:
        body = [line.strip() for line in text.splitlines() if line.strip()][:-2]  # less the footer: number, page
        assert body[-1] not in sections, f"a page ends on the heading {body[-1]!r}"


def test_a_statement_in_another_currency_than_its_usage_says_at_which_rate(october, tmp_path):
    """Acme's usage is in USD and its invoice in CAD: the PDF says so, with the rate the invoice
    recorded (the fx_rates row of 2025-10). Beta is billed in USD for USD usage: no rate at all."""
    ws, made = october
    acme = pdf_text(invoice_pdf(ws, made["100001"].number, out_dir=tmp_path / "acme"))
    beta = pdf_text(invoice_pdf(ws, made["100002"].number, out_dir=tmp_path / "beta"))

    assert re.search(r"Currency +CAD\n", acme)
    assert re.search(r"Usage currency +USD\n", acme)
    assert re.search(r"Exchange rate +1 USD = 1\.3712 CAD \(rate of 2025-10\)\n", acme)
    assert re.search(r"Currency +USD\n", beta)
    assert "Usage currency" not in beta and "Exchange rate" not in beta


def test_a_credit_in_another_currency_prints_its_own_rate(tmp_path):
    """Beta (billed in USD) has a 10.00 CAD credit: at 0.7293 USD per CAD it pays 7.29 USD. The
    statement names the credit's rate; its usage is in USD, so there is no usage rate."""
    credits = TABLES["credits"] + "100002,C-2,2025-09-20,10.00,CAD,general,azure,Azure credit in CAD\n"
    ws = build_small_workspace(tmp_path / "ws", {**TABLES, "credits": credits})
    beta = generate_october(ws)["100002"]

    text = pdf_text(invoice_pdf(ws, beta.number, out_dir=tmp_path / "pdf"))

    assert re.search(r"Exchange rate, CAD credits +1 CAD = 0\.7293 USD \(rate of 2025-10\)\n", text)
    assert "Credits applied: 10.00 CAD at 0.7293 USD per CAD" in text
    assert "Usage currency" not in text
