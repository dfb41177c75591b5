"""`invoice_pdf` hands out the PDF of the invoice as it is now: a copy it printed earlier, while the
invoice was a Draft, is not it."""

from __future__ import annotations

import subprocess
import sys

from workbench.billing.invoices import approve
from workbench.render.pdf import invoice_pdf

from .pdf_text import pdf_text
from .small_workspace import TODAY, build_small_workspace, generate_october


def test_a_pdf_printed_for_the_draft_is_printed_again_once_approved(tmp_path):
    ws = build_small_workspace(tmp_path / "ws")
    number = generate_october(ws)["100001"].number
    draft = invoice_pdf(ws, number)
    assert "DRAFT" in pdf_text(draft)

    approve(ws, [number], today=TODAY)
    issued = invoice_pdf(ws, number)
    text = pdf_text(issued)
    assert "DRAFT" not in text and "Open" in text and "238.44" in text
    ws.close()


def test_checking_a_pdf_loads_no_vendor_file_import():
    """The PDF's sha256 comes from `billing.file_hash`: the month end and `render.current` (every
    PDF download) load neither DuckDB nor the import of vendor files to hash a file."""
    script = ("import sys, workbench.render.current, workbench.batch.month_end; "
              "print(sorted(n for n in sys.modules if n == 'duckdb' or n.endswith(('.report_import', '.usage_files'))))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
