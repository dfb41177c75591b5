"""The text of a PDF as poppler's `pdftotext` reads it (the statement's DRAFT banner and watermark
included), for tests that check which state of an invoice a PDF shows; and invoice notebooks that
approve or fail on purpose."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from workbench.batch import DEFAULT_NOTEBOOK


def pdf_text(pdf: Path, *, watermark: bool = True) -> str:
    """`watermark=False` drops diagonal text (`-nodiag`): the rotated DRAFT's letters, where they
    cross a table row, split it in `-layout` text; a test reading figures row by row leaves them out."""
    options = [] if watermark else ["-nodiag"]
    return subprocess.run(["pdftotext", "-layout", *options, str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout


def approving_notebook(folder: Path) -> Path:
    """The real invoice notebook, plus a cell that approves the invoice once the notebook has read it
    as a Draft: an analyst approving it while the month end is printing it."""
    nb = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    nb.cells.insert(4, new_code_cell(
        "from workbench.billing.invoices import approve\n"
        "from workbench.billing.store.workspace import open_workspace\n"
        "_ws = open_workspace(workspace)\n"
        "approve(_ws, [invoice])\n"
        "_ws.close()"))
    path = folder / "approving.ipynb"
    nbformat.write(nb, path)
    return path


def failing_notebook(folder: Path, customer_id: str) -> Path:
    """The real invoice notebook plus one cell that fails for one customer."""
    nb = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    nb.cells.insert(4, new_code_cell(f'assert view.customer.customer_id != "{customer_id}", "simulated failure"'))
    path = folder / "failing.ipynb"
    nbformat.write(nb, path)
    return path
