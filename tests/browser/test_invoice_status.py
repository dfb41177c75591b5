"""The analyst's invoices page in a real browser: a void asks first, and vendor names fit.

Void cannot be undone, so its button shows what it will do, with "Void <number>" and "Cancel";
only the confirm click voids. The Vendor column holds "Google Cloud" on one line at the page's
default width (it wrapped onto two at 60 px).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from workbench.billing.invoices import approve, list_invoices
from workbench.testing.browser import InvoicesPage, ServedWorkspace

from .conftest import serve

DEMO_TODAY = dt.date(2025, 11, 25)

# how many lines the text of a cell takes (its text's height over the cell's line height)
TEXT_LINES_JS = """td => {
  const range = document.createRange(); range.selectNodeContents(td);
  return Math.round(range.getBoundingClientRect().height / parseFloat(getComputedStyle(td).lineHeight));
}"""


@pytest.fixture
def served(demo_workspace_copy) -> Iterator[tuple[ServedWorkspace, object, str]]:
    from workbench.billing.core.periods import last_month
    from workbench.billing.generate import generate_invoices

    ws = demo_workspace_copy
    made = generate_invoices(ws, "gcp", last_month(DEMO_TODAY), today=DEMO_TODAY).invoices
    issued = next(inv for inv in made if not inv.preliminary and inv.total > 0)
    approve(ws, [issued.number], today=DEMO_TODAY)
    for served in serve("invoice-status", ws.root, notebook="invoices"):
        yield served, ws, issued.number


def status(ws, number: str) -> str:
    return next(inv.status for inv in list_invoices(ws, today=DEMO_TODAY) if inv.number == number)


def test_a_void_asks_first_and_vendor_names_fit_on_one_line(served, page):
    served, ws, number = served
    invoices = InvoicesPage(page).open(served.url("invoices"))
    vendor_cells = invoices.invoice_list.locator("tr.wb-row td.wb-cell:nth-child(3)")
    invoices.expect(vendor_cells.first).to_have_text("Google Cloud")
    assert set(vendor_cells.evaluate_all(f"tds => tds.map({TEXT_LINES_JS})")) == {1}

    invoices.select(number)
    page.get_by_role("button", name="Void", exact=True).click()
    invoices.expect(page.locator(".wb-warning")).to_contain_text(f"voiding {number}")
    invoices.expect(page.locator(".wb-warning")).to_contain_text("cannot be undone")
    confirm = page.get_by_role("button", name=f"Void {number}")
    invoices.expect(confirm).to_be_visible()
    assert status(ws, number) == "open"  # the first click voided nothing

    page.get_by_role("button", name="Cancel").click()
    invoices.expect(confirm).to_have_count(0)
    invoices.expect(page.locator(".wb-message")).to_contain_text(f"cancelled: {number} is still Open")
    assert status(ws, number) == "open"

    page.get_by_role("button", name="Void", exact=True).click()
    page.get_by_placeholder("why, for the audit trail").fill("billed twice")
    page.get_by_role("button", name=f"Void {number}").click()
    invoices.expect(page.locator(".wb-message")).to_contain_text(f"{number} is now Void")
    assert status(ws, number) == "void"
