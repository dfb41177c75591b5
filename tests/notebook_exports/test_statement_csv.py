"""statement-csv: the invoice output's lines and totals, figures copied exactly."""

from __future__ import annotations

import csv
import io
import json

import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_notebook, new_output

from workbench.nbexport import INVOICE_MIMETYPE, InvoiceOutputError, StatementCSVExporter

from .statements import invoice_payload, statement_notebook


def export(nb: NotebookNode) -> str:
    text, _ = StatementCSVExporter().from_notebook_node(nb)
    return text


def invoice_notebook(payload: object) -> NotebookNode:
    return new_notebook(
        cells=[
            new_code_cell(
                "display_invoice()",
                outputs=[new_output("display_data", data={INVOICE_MIMETYPE: payload})],
            )
        ]
    )


def test_csv_is_the_invoice_lines_then_totals() -> None:
    assert export(statement_notebook()) == (
        "\ufeffProduct Type,Description,Amount,Currency,Invoice Number\r\n"
        "Compute,\"Virtual machines, eu-west\",1000.00,EUR,INV-2024-0042\r\n"
        "Storage,\"Object storage, 1.2 TB\",34.567,EUR,INV-2024-0042\r\n"
        "Support,\"Business support, 10%\",200.00,EUR,INV-2024-0042\r\n"
        ",Subtotal,1234.567,EUR,INV-2024-0042\r\n"
        ",Rounding,0.003,EUR,INV-2024-0042\r\n"
        ",Total,1234.57,EUR,INV-2024-0042\r\n"
    )


def test_csv_rows_equal_the_json_figures() -> None:
    payload = invoice_payload()
    text = export(statement_notebook())
    assert text.startswith("\ufeff")  # BOM, as the customer CSV: Excel reads accents right
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))

    assert rows[0] == ["Product Type", "Description", "Amount", "Currency", "Invoice Number"]
    whose = [payload["currency"], payload["number"]]
    expected = [[ln["section"], ln["description"], ln["amount"], *whose] for ln in payload["lines"]]
    expected += [["", t["label"], t["amount"], *whose] for t in payload["totals"]]
    assert rows[1:] == expected


def test_amounts_are_copied_not_reformatted() -> None:
    payload = invoice_payload()
    payload["lines"] = [{"section": "Compute", "description": "tiny", "amount": "0.000000001"}]
    payload["totals"] = [{"label": "Total", "amount": "-12.30"}]

    assert export(invoice_notebook(payload)).splitlines()[1:] == [
        "Compute,tiny,0.000000001,EUR,INV-2024-0042",
        ",Total,-12.30,EUR,INV-2024-0042",
    ]


def test_text_that_a_spreadsheet_would_run_is_defused_and_tax_rows_keep_their_section() -> None:
    payload = invoice_payload()
    payload["lines"] = [
        {"section": "Marketplace", "description": "=HYPERLINK(\"x\")", "amount": "-5.00"}
    ]
    payload["totals"] = [
        {"label": "Subtotal", "amount": "-5.00"},
        {"section": "Tax", "label": "VAT 20%", "amount": "-1.00"},
        {"label": "Total", "amount": "-6.00"},
    ]

    assert export(invoice_notebook(payload)).splitlines()[1:] == [
        "Marketplace,\"'=HYPERLINK(\"\"x\"\")\",-5.00,EUR,INV-2024-0042",
        ",Subtotal,-5.00,EUR,INV-2024-0042",
        "Tax,VAT 20%,-1.00,EUR,INV-2024-0042",
        ",Total,-6.00,EUR,INV-2024-0042",
    ]


def test_invoice_given_as_json_text_is_read() -> None:
    assert ",Total,1234.57" in export(invoice_notebook(json.dumps(invoice_payload())))


def test_notebook_without_invoice_output_is_refused() -> None:
    nb = new_notebook(cells=[new_code_cell("1 + 1", outputs=[])])

    with pytest.raises(InvoiceOutputError, match=r"no output with mimetype .*invoice\+json"):
        export(nb)


def test_two_invoice_outputs_are_refused() -> None:
    nb = invoice_notebook(invoice_payload())
    nb.cells += invoice_notebook(invoice_payload(number="INV-2")).cells

    with pytest.raises(InvoiceOutputError, match="expected exactly one"):
        export(nb)


def test_every_problem_is_reported_at_once() -> None:
    payload = invoice_payload()
    payload["lines"][0]["amount"] = 1000.0
    payload["lines"][1]["amount"] = "1,234.57"
    del payload["totals"][2]["label"]

    with pytest.raises(InvoiceOutputError) as caught:
        export(invoice_notebook(payload))
    message = str(caught.value)
    assert "lines[0].amount: expected a decimal string, got float 1000.0" in message
    assert "lines[1].amount: '1,234.57' is not a plain decimal" in message
    assert "totals[2].label: expected a string" in message
