"""notebooks/invoice.ipynb run by papermill on the small workspace, then exported by
workbench.nbexport (statement-pdf, statement-csv): the figures are the engine's everywhere."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import nbformat
import papermill
import pytest
import yaml
from pypdf import PdfReader

from workbench.batch.kernels import kernel_config
from workbench.batch.paths import DEFAULT_NOTEBOOK
from workbench.billing.exports import export_invoice
from workbench.nbexport import INVOICE_MIMETYPE, StatementCSVExporter, StatementPDFExporter, find_invoice
from workbench.render import load_invoice

PARAMS = Path(__file__).parent.parent.parent / "params"



def run_notebook(out: Path, **parameters: str) -> nbformat.NotebookNode:
    with kernel_config() as config:
        papermill.execute_notebook(str(DEFAULT_NOTEBOOK), str(out), parameters=parameters, kernel_name="python3",
                                   progress_bar=False, config=config)
    return nbformat.read(out, as_version=4)


def outputs(nb: nbformat.NotebookNode, mimetype: str) -> list[object]:
    return [o["data"][mimetype] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if mimetype in o.get("data", {})]


@pytest.fixture(scope="module")
def acme_notebook(october, tmp_path_factory) -> nbformat.NotebookNode:
    ws, made = october
    out = tmp_path_factory.mktemp("nb") / "acme.ipynb"
    return run_notebook(out, workspace=str(ws.root), invoice=made["100001"].number)


def test_the_executed_notebook_carries_the_engines_invoice(october, acme_notebook):
    _, made = october
    invoice = find_invoice(acme_notebook)
    assert (invoice.number, invoice.currency) == (made["100001"].number, "CAD")
    assert [(t.label, t.amount) for t in invoice.totals][-1] == ("Total", str(made["100001"].total))
    assert str(made["100001"].total) == "238.44"
    [html] = outputs(acme_notebook, "text/html")
    assert "Acme Corp" in html and "238.44" in html and "DRAFT" in html
    [svg] = outputs(acme_notebook, "image/svg+xml")
    assert "Amounts by product type (CAD)" in svg
    assert not [o for c in acme_notebook.cells for o in c.get("outputs", []) if o.output_type in ("error", "stream")]
    tags = [c.metadata.get("tags", []) for c in acme_notebook.cells]
    assert ["parameters"] in tags and ["injected-parameters"] in tags


def test_statement_pdf_prints_customer_and_total(october, acme_notebook, tmp_path):
    pdf, _ = StatementPDFExporter().from_notebook_node(acme_notebook, resources={"metadata": {"name": "acme"}})
    (tmp_path / "acme.pdf").write_bytes(pdf)
    reader = PdfReader(tmp_path / "acme.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Acme Corp" in text and "238.44" in text and "AWS-202510-00001" in text
    assert "Maple Cloud Partners" in text and "DRAFT" in text
    assert "load_invoice" not in text  # outputs only, no code
    assert reader.pages[0].mediabox.width == pytest.approx(595, abs=1)  # A4 portrait


def test_statement_csv_has_the_engines_total_and_the_customer_csv_figures(october, acme_notebook, tmp_path):
    ws, made = october
    text, _ = StatementCSVExporter().from_notebook_node(acme_notebook)
    rows = list(csv.reader(io.StringIO(text)))
    number = made["100001"].number
    assert rows[-1] == ["", "Total", "238.44", "CAD", number]
    assert ["Tax", "GST 5%", "10.37", "CAD", number] in rows
    # the statement CSV (from the notebook's output) and the customer CSV (from the stored
    # invoice) are the same file, byte for byte
    customer_csv = export_invoice(load_invoice(ws, made["100001"].number), "csv", tmp_path)
    assert text.encode("utf-8") == customer_csv.read_bytes()  # both start with the BOM


@pytest.mark.parametrize(("params_file", "customer", "informational"), [
    ("by-number.yaml", "100001", False),
    ("by-customer.yaml", "100001", False),
    ("display-currency.yaml", "100001", True),
])
def test_the_example_parameter_files(october, tmp_path, params_file, customer, informational):
    ws, made = october
    parameters = yaml.safe_load((PARAMS / params_file).read_text())
    assert all(isinstance(v, str) for v in parameters.values())  # papermill parameters are strings
    parameters["workspace"] = str(ws.root)
    nb = run_notebook(tmp_path / "out.ipynb", **parameters)
    [payload] = outputs(nb, INVOICE_MIMETYPE)
    assert payload["number"] == made[customer].number
    [html] = outputs(nb, "text/html")
    assert ("Informational, converted at 1 CAD = 0.7293 USD" in html) is informational
