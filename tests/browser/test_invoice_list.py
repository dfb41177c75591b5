"""The invoice list and downloads in a real browser, as a manager uses them.

A click on a header cell sorts the list by that column (totals by currency, then by amount, not
as text), a second click the other way; a row still opens its own invoice after sorting. A download button hands
the file to the browser on that one click (no second click on a link), and leaves a link to save
it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from workbench.testing.browser import InvoicesPage, ServedWorkspace

from .conftest import ARTIFACTS, serve

DEMO_TODAY = dt.date(2025, 11, 25)


@pytest.fixture
def served(demo_workspace_copy) -> Iterator[ServedWorkspace]:
    from workbench.billing.core.periods import last_month
    from workbench.billing.generate import generate_invoices

    made = generate_invoices(demo_workspace_copy, "aws", last_month(DEMO_TODAY), today=DEMO_TODAY).invoices
    assert len(made) >= 5
    yield from serve("invoice-list", demo_workspace_copy.root, notebook="invoices", read_only=True)


def _total(cells: list[str]) -> Decimal:
    amount, _currency = cells[5].rsplit(" ", 1)  # "1,234.56 CAD"
    return Decimal(amount.replace(",", ""))


def _currency(cells: list[str]) -> str:
    return cells[5].rsplit(" ", 1)[1]


def test_a_header_click_sorts_the_list_and_a_download_takes_one_click(served, page):
    invoices = InvoicesPage(page).open(served.url("invoices"))
    as_sent = invoices.listed()
    rows = {cells[0]: cells for cells in invoices.rows()}
    assert len(rows) >= 5

    total = page.locator(".wb-pick-table th", has_text="Total")
    total.click()
    assert len({_currency(cells) for cells in rows.values()}) >= 2  # amounts of different currencies do not compare
    by_amount = sorted(rows, key=lambda number: (_currency(rows[number]), _total(rows[number]), as_sent.index(number)))
    assert invoices.listed() == by_amount  # CAD before USD; 99.50 before 1,024.10: by value, not as text
    invoices.expect(total).to_have_attribute("aria-sort", "ascending")
    total.click()
    largest_first = sorted(as_sent, key=lambda number: (_currency(rows[number]), _total(rows[number])),
                           reverse=True)  # the other way round, currencies too; ties still as sent (a stable sort)
    assert invoices.listed() == largest_first
    invoices.expect(total).to_have_attribute("aria-sort", "descending")

    page.locator(".wb-pick-table th", has_text="Number").click()
    assert invoices.listed() == sorted(rows)  # AWS-202510-00002 before AWS-202510-00010

    # a sorted row still opens its own invoice; one click on a button downloads the file
    number = largest_first[0]
    invoices.select(number)
    csv = invoices.download("Customer CSV", ".csv", ARTIFACTS / "invoice-list")
    assert csv.name == f"{number}.csv"
    text = csv.read_text(encoding="utf-8-sig")
    assert f",Total,{_total(rows[number])}," in text.splitlines()[-1]

    # the link saves the same file again
    with page.expect_download() as again:
        page.locator(f'a.wb-download[download="{number}.csv"]').click()
    saved = ARTIFACTS / "invoice-list" / "again.csv"
    again.value.save_as(str(saved))
    assert saved.read_bytes() == csv.read_bytes()

    # another invoice: the links of the first are gone
    other = largest_first[1]
    invoices.select(other)
    invoices.expect(page.locator("a.wb-download")).to_have_count(0)
