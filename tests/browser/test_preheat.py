"""`workbench serve` preheats by default: Voila runs the invoices notebook in a kernel before anyone
asks for the page. A draft generated after that kernel ran the notebook must still be listed when
a manager opens the page: the notebook's last cell waits for the visit and catches up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from workbench.testing.browser import InvoicesPage, ServedWorkspace

from .conftest import serve

DEMO_TODAY = dt.date(2025, 11, 25)


@pytest.fixture
def served(demo_workspace_copy) -> Iterator[ServedWorkspace]:
    yield from serve("preheat", demo_workspace_copy.root, notebook="invoices", read_only=True)


def test_a_preheated_page_lists_an_invoice_made_after_its_kernel_ran_the_notebook(served, demo_workspace_copy, page):
    from workbench.billing.core.periods import last_month
    from workbench.billing.generate import generate_invoices

    served.wait_preheated(1)  # the kernel ran the notebook (no invoices yet) and waits for a visitor
    made = generate_invoices(demo_workspace_copy, "aws", last_month(DEMO_TODAY), ["100001"], today=DEMO_TODAY).invoices
    number = made[0].number

    invoices = InvoicesPage(page).open(served.url("invoices"))
    invoices.expect(page.get_by_text("1 invoice(s)", exact=True)).to_be_visible()
    assert [label.split("\u00b7")[0].strip() for label in invoices.listed()] == [number]
    assert "Using pre-heated kernel" in served.log()  # the page came from the pool, not a fresh kernel
