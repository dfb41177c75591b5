"""Small executed statement notebooks, built with nbformat: outputs pre-filled, no kernel."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from workbench.nbexport import INVOICE_MIMETYPE

CODE_MARKER = "def secret_pricing_rule"


USAGE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="120" viewBox="0 0 320 120">'
    '<rect x="10" y="40" width="60" height="70" fill="#3b6ea5"/>'
    '<rect x="90" y="20" width="60" height="90" fill="#3b6ea5"/>'
    '<text x="10" y="15" font-size="12">Usage by month</text></svg>'
)


def tiny_png(width: int = 8, height: int = 4) -> bytes:
    """A valid red PNG, built by hand (no imaging library needed)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    rows = b"".join(b"\x00" + b"\xd0\x20\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def invoice_payload(number: str = "INV-2024-0042") -> dict[str, Any]:
    return {
        "number": number,
        "currency": "EUR",
        "lines": [
            {"section": "Compute", "description": "Virtual machines, eu-west", "amount": "1000.00"},
            {"section": "Storage", "description": "Object storage, 1.2 TB", "amount": "34.567"},
            {"section": "Support", "description": "Business support, 10%", "amount": "200.00"},
        ],
        "totals": [
            {"label": "Subtotal", "amount": "1234.567"},
            {"label": "Rounding", "amount": "0.003"},
            {"label": "Total", "amount": "1234.57"},
        ],
    }


def statement_table(customer: str, total: str, extra_rows: int = 0) -> str:
    rows = "".join(
        f"<tr><td>Usage line {i}</td><td>Compute</td><td>{i}.00</td></tr>"
        for i in range(extra_rows)
    )
    return (
        f"<h2>{customer}</h2>"
        "<table><thead><tr><th>Description</th><th>Product Type</th><th>Amount</th></tr></thead>"
        "<tbody>"
        "<tr><td>Virtual machines, eu-west</td><td>Compute</td><td>1,000.00</td></tr>"
        "<tr><td>Object storage, 1.2 TB</td><td>Storage</td><td>34.57</td></tr>"
        f"{rows}"
        f'<tr class="total"><td>Total</td><td></td><td>{total}</td></tr>'
        "</tbody></table>"
    )


def statement_notebook(
    customer: str = "Acme Widgets GmbH",
    total: str = "1,234.57",
    number: str = "INV-2024-0042",
    *,
    extra_rows: int = 0,
) -> NotebookNode:
    png = base64.b64encode(tiny_png()).decode("ascii")
    return new_notebook(
        cells=[
            new_markdown_cell("# Billing statement"),
            new_code_cell(
                f"{CODE_MARKER}(x):\n    return x * 2\nshow_statement(customer)",
                execution_count=1,
                outputs=[
                    new_output(
                        "display_data",
                        data={
                            "text/html": statement_table(customer, total, extra_rows),
                            "text/plain": "<StatementTable>",
                        },
                    ),
                    new_output("stream", name="stderr", text="DeprecationWarning: noisy log\n"),
                ],
            ),
            new_code_cell(
                "display_invoice(invoice)",
                execution_count=2,
                outputs=[
                    new_output(
                        "display_data",
                        data={
                            INVOICE_MIMETYPE: invoice_payload(number),
                            "text/plain": "Invoice(raw repr that must not print)",
                        },
                    )
                ],
            ),
            new_code_cell(
                "fig.show()",
                execution_count=3,
                outputs=[
                    new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})
                ],
            ),
            new_code_cell(
                "usage_chart.show()  # PLOTLY_RENDERER=svg",
                execution_count=4,
                outputs=[new_output("display_data", data={"image/svg+xml": USAGE_SVG})],
            ),
            new_code_cell(
                "internal_checks()",
                execution_count=5,
                metadata={"tags": ["remove-cell"]},
                outputs=[new_output("stream", name="stdout", text="INTERNAL MARGIN 37%\n")],
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
