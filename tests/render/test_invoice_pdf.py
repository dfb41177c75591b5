"""A PDF of one stored invoice on demand prints the engine's figures."""

from __future__ import annotations

from pypdf import PdfReader

from workbench.render.pdf import invoice_pdf


def test_invoice_pdf_has_the_customer_and_the_total(october, tmp_path):
    ws, made = october
    pdf = invoice_pdf(ws, made["100001"].number, out_dir=tmp_path)
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Acme Corp" in text and "238.44" in text and made["100001"].number in text
    assert list(tmp_path.iterdir()) == [pdf]  # written atomically: no temporary file left
