"""The checkbox table in a real browser: one widget per table, and a click reaches the app.

The billing page's customer table is one anywidget model drawn as an HTML table; its module is
inline in the widget state, so the page loads nothing from outside the server. A click on a
row's box changes the kernel's checked set: the "N of M selected" label is counted in Python
from `app.selected`, and Generate invoices makes drafts for exactly the ticked customers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from workbench.testing.browser import BillingPage, ServedWorkspace

from .conftest import LAST_MONTH, serve


@pytest.fixture
def served(demo_workspace_copy) -> Iterator[ServedWorkspace]:
    yield from serve("check-table", demo_workspace_copy.root, notebook="billing")


def _percent(text: str) -> Decimal | None:
    """The margin of a cell such as 12.5%; None for a cell without one (a dash, empty)."""
    try:
        return Decimal(text.rstrip("%").replace(",", ""))
    except ArithmeticError:
        return None


def test_a_click_on_a_row_checkbox_reaches_the_apps_checked_set(served, page):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    billing = BillingPage(page).open(served.url("billing"))
    billing.choose_vendor("aws")
    billing.choose_range("Last month", expect_label=LAST_MONTH)
    billing.expect(billing.visible_rows().first).to_be_visible()
    rows = billing.rows()  # Customer, ID, Vendor cost, Price, Margin, Margin %, Problem
    n = len(rows)
    selection = page.locator(".wb-selection")
    billing.expect(selection).to_have_text(f"0 of {n} selected")

    # one table view for the customers and one for the drafts; no widget per row
    billing.expect(page.locator(".wb-check-table")).to_have_count(2)
    assert page.locator(".wb-check-table tbody input[type=checkbox]").count() == n
    assert page.locator(".widget-checkbox").count() == 4  # the four invoice options, nothing else

    billable = [cells[1] for cells in rows if cells[6] == "" and cells[3] != "\u2014"]
    first, second = billable[:2]
    billing.checkbox(first).click()
    billing.expect(selection).to_have_text(f"1 of {n} selected")  # counted in the kernel
    billing.checkbox(second).click()
    billing.expect(selection).to_have_text(f"2 of {n} selected")
    billing.checkbox(first).click()  # and unticked again
    billing.expect(selection).to_have_text(f"1 of {n} selected")
    billing.expect(billing.checkbox(first)).not_to_be_checked()

    # Python -> browser: Select all / Select none are kernel callbacks that set the checked list
    billing.button("Select all").click()
    billing.expect(selection).to_have_text(f"{n} of {n} selected")
    billing.expect(page.locator(".wb-check-table tbody input[type=checkbox]:checked")).to_have_count(n)
    billing.button("Select none").click()
    billing.expect(selection).to_have_text(f"0 of {n} selected")
    billing.expect(page.locator(".wb-check-table tbody input[type=checkbox]:checked")).to_have_count(0)

    # sorted by margin % (a header click; by value, customers without a price last), the boxes
    # still tick their own customers: the page's order is the page's alone
    margin = page.locator(".wb-check-table th", has_text="Margin %").first
    margin.click()
    billing.expect(margin).to_have_attribute("aria-sort", "ascending")
    percents = [_percent(cells[5]) for cells in billing.rows()]
    known = [p for p in percents if p is not None]
    assert len(known) >= 2 and known == sorted(known) and percents[:len(known)] == known  # blanks last
    assert sorted(cells[1] for cells in billing.rows()) == sorted(cells[1] for cells in rows)

    # the kernel generates for exactly the customer ticked in the page
    billing.checkbox(second).click()
    billing.expect(selection).to_have_text(f"1 of {n} selected")
    billing.generate(drafts=1)
    (number, cells), = billing.draft_rows().items()
    assert re.search(r"#(\d+)\)", cells[1]).group(1) == second
    billing.expect(billing.checkbox(number)).not_to_be_checked()

    # everything comes from the server (the table's module travels in its widget state as a blob:);
    # nothing from a CDN: the workbench template drops the Font Awesome links of Voila's lab page
    base = served.url("billing").rstrip("/")
    assert {url for url in requests if not url.startswith((base, "blob:", "data:"))} == set()
    assert any(url.startswith("blob:") for url in requests)  # the inline module, imported in the page
