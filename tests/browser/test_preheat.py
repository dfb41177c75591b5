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


@pytest.fixture
def served_explorer(demo_workspace_copy) -> Iterator[ServedWorkspace]:
    yield from serve("preheat-usage", demo_workspace_copy.root, notebook="usage", read_only=True)


def test_the_usage_explorer_comes_from_the_pool_and_shows_an_import_made_after_its_kernel_ran(
        served_explorer, demo_workspace_copy, page, tmp_path):
    """The explorer took about 10 s to open cold (a kernel start, imports, every tab's first
    figures). Preheated, its kernel ran the notebook ahead; a report imported after that (a
    month the demo did not have) is on the page when the manager opens it."""
    from workbench.billing.core.periods import last_month
    from workbench.billing.store.report_import import import_reports

    from billing.conftest import cur_rows

    served_explorer.wait_preheated(1)
    month = f"{last_month(DEMO_TODAY).start:%Y-%m}"
    later = f"{DEMO_TODAY:%Y-%m}"  # the demo has no report for the month of its today
    report = tmp_path / f"cur-{later}.csv"
    report.write_text(cur_rows([{"account": "111111111111", "type": "Usage", "product": "AmazonEC2",
                                 "family": "Compute Instance", "usage_type": "BoxUsage:m5.large", "cost": "12.34"}], later))
    assert [f.status.value for f in import_reports(demo_workspace_copy, [report]).files] == ["imported"]

    page.goto(served_explorer.url("usage"))
    readout = page.locator(".wb-months")
    readout.wait_for(timeout=60_000)
    assert readout.inner_text() == later, f"expected {later} (new), not {month}"
    # its charts are drawn: the page loads jupyterlab-plotly, which the other pages go without
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    assert "Using pre-heated kernel" in served_explorer.log()
