"""The seed's workflow in a real browser: `workbench serve` (Voila) + Debian's chromium (Playwright).

Vendor aws -> Last month -> check two customers -> Generate invoices -> the preview shows two
drafts -> approve one -> view it -> the customer invoices dashboard -> download its PDF, whose
text carries the customer's name and the total stored in the workspace. And a read-only server
on which nothing a viewer does from the page changes the workspace.

Screenshots of every step: `test-artifacts/browser/<test>/steps/NN-step.png`, beside Voila's log
and the downloaded files; a failing test adds `FAILED.png` of the page as it was. Every wait is
for something visible (`expect`, `wait_for`), never a fixed time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.testing.browser import BillingPage, InvoicesPage, ServedWorkspace, Steps

from .conftest import ARTIFACTS, LAST_MONTH, serve

DEMO_TODAY = dt.date(2025, 11, 25)


@pytest.fixture
def served(demo_workspace_copy) -> Iterator[ServedWorkspace]:
    yield from serve("seed-workflow", demo_workspace_copy.root)


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(path).pages).split())


def test_the_seed_workflow_from_vendor_report_to_the_invoice_pdf(served, page, demo_workspace_copy):
    from workbench.billing.exports.statement import amount_text
    from workbench.billing.invoices import list_invoices
    from workbench.dashboards.text import money

    steps = Steps(ARTIFACTS / "seed-workflow" / "steps")
    # `workbench serve` preheats (its default), --dashboard all included: the billing and invoices
    # kernels run their notebooks ahead (a visitor arriving before that gets a kernel of its own)
    served.wait_preheated(2)
    billing = BillingPage(page).open(served.url("billing"))
    steps.shot(page, "billing reports page")
    # the page loads the lab extensions it uses, not plotly's 4.7 MB (only the explorer draws charts)
    loaded = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert any("/labextensions/anywidget/" in url for url in loaded), loaded
    assert not [url for url in loaded if "/labextensions/jupyterlab-plotly/" in url]
    # the demo has no November report: the page opens on last month with a note, not an error
    billing.expect(billing.message).to_contain_text("Month to date (2025-11) has no AWS report yet: showing last month")
    billing.expect(billing.report_title).to_contain_text(LAST_MONTH)

    # 2-3. the AWS Billing Customers Report, Last month
    billing.choose_vendor("aws")
    billing.choose_range("Last month", expect_label=LAST_MONTH)
    billing.expect(billing.visible_rows().first).to_be_visible()
    rows = billing.rows()  # Customer, ID, Vendor cost, Price, Margin, Margin %, Problem
    steps.shot(page, "aws last month report")
    billable = [cells for cells in rows if cells[6] == "" and cells[3] != "\u2014"]
    assert len(billable) >= 2, rows
    chosen = {cells[1]: cells[0] for cells in billable[:2]}  # customer ID -> name

    # Generate with nothing ticked answers beside the button (below the list), not only at the top
    billing.generate_button.click()
    beside = page.locator(".wb-action-message")
    billing.expect(beside).to_contain_text("select one or more customers first")
    billing.expect(beside).to_be_in_viewport()
    steps.shot(page, "generate with nothing ticked")

    # 4. check two customers (ticking starts a new action: the hint goes)
    billing.check(list(chosen))
    billing.expect(beside).to_have_count(0)
    billing.expect(billing.message).to_have_count(0)
    steps.shot(page, "two customers checked")

    # 5. Generate invoices -> "Preview Generated Billing Statements" with two drafts
    billing.generate(drafts=2)
    billing.expect(billing.message).to_contain_text("2 draft invoice(s) generated for AWS")
    drafts = billing.draft_rows()  # Invoice, Customer, Period, Status, Total, Note
    steps.shot(page, "preview with two drafts")
    assert len(drafts) == 2
    assert sorted(re.search(r"#(\d+)\)", cells[1]).group(1) for cells in drafts.values()) == sorted(chosen)
    assert {cells[2] for cells in drafts.values()} == {LAST_MONTH}
    assert {cells[3] for cells in drafts.values()} == {"Draft"}

    # approve one
    number, other = sorted(drafts)
    customer_id = re.search(r"#(\d+)\)", drafts[number][1]).group(1)
    name = chosen[customer_id]
    billing.check([number])
    billing.button("Approve").click()
    billing.expect(billing.message).to_contain_text(f"approved (now Open): {number}")
    billing.wait_status(number, "Open")
    billing.wait_status(other, "Draft")
    steps.shot(page, "one draft approved")

    # View: the statement is inserted in the page (approving redrew the drafts: select it again)
    billing.check([number])
    billing.button("View").click()
    statement = page.locator(".wb-statement")
    billing.expect(statement).to_be_visible()
    billing.expect(statement).to_contain_text(name)
    billing.expect(statement).to_contain_text(number)
    steps.shot(page, "approved invoice viewed")

    # what the workspace stores (read through the package)
    stored = {inv.number: inv for inv in list_invoices(demo_workspace_copy, vendor="aws", today=DEMO_TODAY)}
    assert set(stored) == {number, other}
    assert (stored[number].status, stored[other].status) == ("open", "draft")
    invoice = stored[number]
    total = money(invoice.total, invoice.currency)
    assert drafts[number][4] == f"{total} {invoice.currency}"  # the preview showed the stored total

    # the customer invoices dashboard: the invoice, its PDF
    invoices = InvoicesPage(page).open(served.url("invoices"))
    steps.shot(page, "customer invoices dashboard")
    listed = {cells[0]: cells for cells in invoices.rows()}  # Number, Customer, Vendor, Period, Status, Total, Due date
    assert listed[number][1:] == [f"{name} (#{invoice.customer_id})", "AWS", invoice.period, "Open",
                                  f"{total} {invoice.currency}", f"{invoice.due_date:%Y-%m-%d}"]
    invoices.select(number)
    billing.expect(page.locator("h3", has_text=number)).to_contain_text("Open")
    steps.shot(page, "approved invoice selected")
    pdf = invoices.download("PDF", ".pdf", ARTIFACTS / "seed-workflow")
    steps.shot(page, "pdf downloaded")

    assert pdf.name == f"{number}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert name in text
    assert number in text
    # as the statement prints it: thousands grouped, like the dashboards' Total column above
    assert f"Total {amount_text(invoice.total, invoice.currency, grouped=True)}" in text, text[-1500:]
    assert amount_text(invoice.total, invoice.currency, grouped=True) == total

    # both pages came from the pool
    log = served.log()
    used = re.findall(r"Using pre-heated kernel: \S+ for (\S+)", log)
    assert used == ["billing_reports.ipynb", "customer_invoices.ipynb"], log[-5000:]


@pytest.fixture
def served_read_only(demo_workspace_copy) -> Iterator[ServedWorkspace]:
    yield from serve("read-only", demo_workspace_copy.root, read_only=True)


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def read_only_workspace(demo_workspace_copy):
    """The demo copy with one draft (generated through the package), and its files before serving."""
    from workbench.billing.core.periods import last_month
    from workbench.billing.generate import generate_invoices

    result = generate_invoices(demo_workspace_copy, "aws", last_month(DEMO_TODAY), ["100001"], today=DEMO_TODAY)
    assert [inv.customer_id for inv in result.invoices] == ["100001"]
    return demo_workspace_copy, result.invoices[0].number, snapshot(demo_workspace_copy.root)


def test_a_read_only_server_changes_nothing_whatever_the_page_sets(read_only_workspace, served_read_only, page):
    from workbench.billing.invoices import list_invoices

    ws, draft, before = read_only_workspace
    steps = Steps(ARTIFACTS / "read-only" / "steps")
    billing = BillingPage(page).open(served_read_only.url("billing"))
    billing.expect(page.locator("h2", has_text="Billing reports")).to_contain_text("read-only view")
    generate = page.locator("button", has_text="Generate invoices")
    billing.expect(generate).to_be_hidden()
    billing.expect(generate).to_be_disabled()
    steps.shot(page, "read-only billing page")

    # every value a viewer can set from the page
    billing.choose_vendor("aws")
    billing.choose_range("Last month", expect_label=LAST_MONTH)
    billing.expect(billing.visible_rows().first).to_be_visible()
    # nothing to select or choose: no checkboxes, no Select all, no invoice options; the figures
    # are the default options', said once, and added up per currency below the table
    billing.expect(page.locator("tr.wb-row input[type=checkbox]")).to_have_count(0)
    billing.expect(page.locator("button", has_text="Select all")).to_be_hidden()
    billing.expect(page.get_by_label("Apply credits")).to_be_hidden()
    billing.expect(page.locator(".wb-assumed-options")).to_contain_text("default options: Apply credits: off")
    billing.expect(page.locator(".wb-totals")).to_contain_text("Totals of")
    # the table's styles are in the page: a negative margin reads red
    red = page.evaluate("""() => { const s = document.createElement("span"); s.className = "wb-negative";
        document.body.appendChild(s); const c = getComputedStyle(s).color; s.remove(); return c; }""")
    assert red == "rgb(166, 27, 27)"
    rows = billing.rows()
    # a viewer with devtools can show a hidden option and tick it: the figures stay the defaults'
    credits = page.get_by_label("Apply credits")
    credits.evaluate("b => { for (let e = b; e; e = e.parentElement) if (e.style && e.style.display === 'none') "
                     "e.style.display = ''; }")
    credits.check()
    billing.expect(credits).to_be_checked()
    steps.shot(page, "values set from the page")

    # a viewer with devtools can show, enable and click the hidden button: the kernel refuses
    generate.evaluate("b => { b.style.display = ''; b.disabled = false; }")
    generate.click()
    billing.expect(billing.message).to_contain_text("read-only view: generating invoices is not allowed here")
    billing.expect(billing.preview_heading).to_be_hidden()
    assert billing.rows() == rows  # the kernel answered the click after the tick: nothing was recomputed
    steps.shot(page, "forced generate refused")

    # the invoices dashboard: no status buttons; downloads go to a private temp folder
    invoices = InvoicesPage(page).open(served_read_only.url("invoices"))
    billing.expect(page.locator("h2", has_text="Customer invoices")).to_contain_text("read-only view")
    invoices.select(draft, keyboard=True)  # Enter on the focused row
    billing.expect(page.get_by_role("button", name="Approve (Open)")).to_have_count(0)
    billing.expect(page.get_by_role("button", name="Void")).to_have_count(0)
    csv = invoices.download("Customer CSV", ".csv", ARTIFACTS / "read-only")
    assert csv.name == f"{draft}.csv" and ",Total," in csv.read_text(encoding="utf-8-sig")
    pdf = invoices.download("PDF", ".pdf", ARTIFACTS / "read-only")  # printed for the manager, outside the workspace
    assert pdf.read_bytes().startswith(b"%PDF")
    steps.shot(page, "read-only invoice")

    served_read_only.stop()
    assert served_read_only.leftovers == []
    assert snapshot(ws.root) == before  # not a byte changed in the workspace
    assert [(inv.number, inv.status) for inv in list_invoices(ws, today=DEMO_TODAY)] == [(draft, "draft")]
