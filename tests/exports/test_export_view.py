"""InvoiceView.from_orm: a frozen snapshot of the stored invoice, customer and reseller profile."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from .helpers import StoreInvoice

from workbench.billing.exports import CustomerContact, ResellerProfile

LINES = """
position | kind  | section | service | sku | description | quantity | unit | vendor_cost | markup_percent | amount      | amount_rounded
2        | usage | Storage | S3      | s   | S3          | 1        | GB   | 1           | 0              | 2           | 2.00
1        | usage | Compute | EC2     | m5  | EC2         | 1        | Hrs  | 1.8E-9      | 0              | 1.000000001 | 1.00
"""


def test_snapshot_of_header_parties_and_lines_in_position_order(store_invoice: StoreInvoice, tmp_path: Path) -> None:
    view = store_invoice(LINES, subtotal="3.00", total="3.00")

    assert view.customer == CustomerContact("C-1001", "Acme Corp", "Jo Doe", "jo@acme.example", "5 Main St")
    assert view.reseller == ResellerProfile("Northwind Cloud Partners", "1 Harbour St, Halifax NS",
                                            "billing@northwind.example", "logo.png")
    assert [(line.position, line.section) for line in view.lines] == [(1, "Compute"), (2, "Storage")]
    assert view.lines[0].vendor_cost == Decimal("1.8E-9") and isinstance(view.lines[0].amount, Decimal)
    assert (view.number, view.period_label, view.subtotal, view.total) == ("AWS-2025-10-00001", "October 2025",
                                                                           Decimal("3.00"), Decimal("3.00"))
    assert view.source_rows is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.total = Decimal("0")  # type: ignore[misc]


def test_invoice_number_must_be_a_safe_file_name(store_invoice: StoreInvoice) -> None:
    view = store_invoice(LINES, subtotal="3.00", total="3.00")
    with pytest.raises(ValueError, match="cannot be used as a file name"):
        dataclasses.replace(view, number="../AWS-1")


def test_float_in_a_line_is_refused(store_invoice: StoreInvoice) -> None:
    view = store_invoice(LINES, subtotal="3.00", total="3.00")
    with pytest.raises(TypeError, match="amount must be a Decimal"):
        dataclasses.replace(view.lines[0], amount=1.0)
