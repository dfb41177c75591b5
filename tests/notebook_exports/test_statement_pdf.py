"""statement-pdf: a real Chromium prints the statement on A4 with page numbers."""

from __future__ import annotations

import asyncio
import io
import threading
import time

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output
from pypdf import PdfReader

from workbench.nbexport import StatementPDFExporter

from .statements import CODE_MARKER, statement_notebook

A4_POINTS = (595.3, 841.9)


def pdf_of(nb: NotebookNode) -> bytes:
    pdf, _ = StatementPDFExporter().from_notebook_node(nb)
    return pdf


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_pdf_shows_customer_total_and_page_numbers(chromium: str) -> None:
    pdf = pdf_of(statement_notebook())

    assert pdf.startswith(b"%PDF-")
    text = "\n".join(pages_text(pdf))
    assert "Acme Widgets GmbH" in text
    assert "1,234.57" in text
    assert "Page 1 of 1" in text
    assert "Invoice INV-2024-0042" in text  # running header
    assert CODE_MARKER not in text


def test_pdf_pages_are_a4(chromium: str) -> None:
    reader = PdfReader(io.BytesIO(pdf_of(statement_notebook())))

    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4_POINTS[0]) < 2 and abs(height - A4_POINTS[1]) < 2, (width, height)


def test_long_statement_numbers_every_page(chromium: str) -> None:
    texts = pages_text(pdf_of(statement_notebook(extra_rows=120)))

    assert len(texts) >= 2
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in text
        if "Usage line" in text:
            assert "Amount" in text  # the table header repeats on each page it spans


def test_web_resources_do_not_stall_the_print(chromium: str) -> None:
    nb = statement_notebook()
    nb.cells.append(
        new_code_cell(
            "link()",
            outputs=[
                new_output(
                    "display_data",
                    data={"text/html": '<img src="https://example.invalid/logo.png" alt="logo">'},
                )
            ],
        )
    )
    pdf_of(statement_notebook())  # browser warm
    started = time.perf_counter()

    assert "Acme Widgets GmbH" in "".join(pages_text(pdf_of(nb)))
    assert time.perf_counter() - started < 10


def test_export_from_inside_a_running_event_loop(chromium: str) -> None:
    # A Jupyter kernel runs an asyncio loop; Playwright's sync API refuses to run inside one.
    async def in_kernel() -> bytes:
        return pdf_of(statement_notebook())

    assert "Acme Widgets GmbH" in "".join(pages_text(asyncio.run(in_kernel())))


def test_exports_from_several_threads(chromium: str) -> None:
    customers = [f"Customer {i}" for i in range(4)]
    results: dict[str, bytes] = {}
    errors: list[BaseException] = []

    def export(customer: str) -> None:
        try:
            results[customer] = pdf_of(statement_notebook(customer=customer))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=export, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    for customer in customers:
        assert customer in "".join(pages_text(results[customer]))
