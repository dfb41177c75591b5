"""Read-only views: the writing buttons are hidden, and every writing callback refuses on its own,
because a Voila viewer can click any button model or set any widget value, hidden or not."""

from __future__ import annotations

import datetime as dt

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import approve
from workbench.dashboards import DraftRow, build_billing_app, build_invoices_app
from workbench.dashboards.ranges import CUSTOM, LAST

from .conftest import TODAY, snapshot


def test_the_billing_app_refuses_to_generate_approve_or_delete(ws):
    made = generate_invoices(ws, "aws", given_month("2025-10"), ["100001"], InvoiceOptions(), today=TODAY).invoices
    before = snapshot(ws)
    app = build_billing_app(ws, read_only=True, today=TODAY)
    for button in (app.generate_button, app.approve_all_button, app.approve_button, app.delete_button):
        assert button.disabled and button.layout.display == "none"

    # a viewer may look around: vendor, ranges, options, selections
    app.range.kind.value = LAST
    app.include_marketplace.value = True
    app.range.kind.value = CUSTOM
    app.range.start.value, app.range.end.value = dt.date(2025, 10, 1), dt.date(2025, 10, 31)
    app.range.kind.value = LAST
    app.select_all_button.click()
    app.generate_button.click()  # a forged click on the hidden, disabled button
    app.generate()
    assert app.messages[-1] == "read-only view: generating invoices is not allowed here; nothing was changed"
    assert app.drafts == {} and app.page == "report"

    # even with a draft planted in the preview state, approving and deleting are refused
    app.drafts = {made[0].number: DraftRow(made[0])}
    app._show_drafts()
    app.draft_table.check(None, True)
    app.approve_button.click()
    assert app.messages[-1] == "read-only view: approving invoices is not allowed here; nothing was changed"
    app.approve_all()
    app.delete_button.click()
    assert app.messages[-1] == "read-only view: deleting invoices is not allowed here; nothing was changed"
    app.view_button.click()  # looking is allowed
    assert made[0].number in app.statement_html

    assert snapshot(ws) == before


def test_the_invoices_app_refuses_status_changes_and_keeps_downloads_out_of_the_workspace(ws):
    made = generate_invoices(ws, "aws", given_month("2025-10"), ["100002", "100004"], InvoiceOptions(), today=TODAY).invoices
    number = made[0].number
    approve(ws, [number], today=TODAY)  # Beta pays in 15 days
    before = snapshot(ws)
    late = TODAY + dt.timedelta(days=60)
    # listing makes overdue invoices Past Due in the engine: a read-only view shows it, stores nothing
    app = build_invoices_app(ws, read_only=True, today=late)
    assert [(inv.number, inv.status) for inv in app.invoices] == [(number, "past_due"), (made[1].number, "draft")]
    app.status.value = "past_due"
    assert [inv.number for inv in app.invoices] == [number]
    app.select(number)
    assert app.status_buttons == {} and app.status_box.children == ()
    app.status.value = ""  # a filter change keeps the invoice open (it is listed: nothing re-read, nothing written)
    assert app.current is not None and app.current.number == number and app.table.widget.selected == number

    for target in Status:
        app.change_status(target)
        assert app.messages[-1] == ("read-only view: changing an invoice's status is not allowed here; "
                                    "nothing was changed")
    app.currency.value = "EUR"
    assert "EUR" in app.statement_html
    path = app.download("csv")
    assert path is not None and path.is_file() and ws.root not in path.parents
    assert app.download("xlsx") is not None
    printed = app.download("pdf")  # no month-end PDF: printed into the view's own folder
    assert printed is not None and printed.suffix == ".pdf" and ws.root not in printed.parents

    assert snapshot(ws) == before


def test_a_read_only_page_catches_up_with_a_change_and_gives_the_detailed_csv(ws):
    """Objects read through the read-only view stay readable after its session: the manager's
    billing page failed to catch up with any change (DetachedInstanceError in report_periods),
    and its Detailed CSV button did nothing, for the same reason."""
    billing = build_billing_app(ws, read_only=True, today=TODAY)
    made = generate_invoices(ws, "aws", given_month("2025-10"), ["100002"], InvoiceOptions(), today=TODAY).invoices
    assert billing.catch_up() is True  # another analyst generated: the page recomputes, without an error

    invoices = build_invoices_app(ws, read_only=True, today=TODAY)
    invoices.select(made[0].number)
    detailed = invoices.download("detailed-csv")
    assert detailed is not None and ws.root not in detailed.parents
    assert ",source," in detailed.read_text(encoding="utf-8")  # down to the vendor rows


def test_a_read_only_detailed_csv_writes_the_usage_rows_outside_the_workspace(ws, tmp_path, monkeypatch):
    """The import defers a report's canonical rows to the first detailed export: a manager's
    Detailed CSV wrote `usage/aws/2025-10/<hash>.parquet` into the workspace the read-only view
    promises not to change (and failed where the manager may not write it). They go to the
    user's cache instead (`usage_files.rows_cache`); the analyst's next export still keeps its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    made = generate_invoices(ws, "aws", given_month("2025-10"), ["100002"], InvoiceOptions(), today=TODAY).invoices
    assert list(ws.usage_dir.glob("aws/2025-10/*.summary.parquet")) != []
    assert [p for p in ws.usage_dir.glob("aws/2025-10/*.parquet") if p.name.count(".") == 1] == []  # rows deferred
    before = snapshot(ws)

    app = build_invoices_app(ws, read_only=True, today=TODAY)
    app.select(made[0].number)
    detailed = app.download("detailed-csv")
    assert detailed is not None and ws.root not in detailed.parents
    assert ",source," in detailed.read_text(encoding="utf-8")
    assert snapshot(ws) == before
    assert list((tmp_path / "cache" / "workbench" / "rows").rglob("*.parquet")) != []
    assert app.download("detailed-csv").read_text(encoding="utf-8") == detailed.read_text(encoding="utf-8")

    analyst = build_invoices_app(ws, today=TODAY)
    analyst.select(made[0].number)
    assert analyst.download("detailed-csv").read_text(encoding="utf-8") == detailed.read_text(encoding="utf-8")
    assert [p for p in ws.usage_dir.glob("aws/2025-10/*.parquet") if p.name.count(".") == 1] != []


def test_the_read_only_invoices_page_has_no_draft_selection(ws):
    """The manager's page lists drafts as the analyst's does, with no checkboxes, no Approve /
    Delete selected, and the callbacks refuse on their own."""
    made = generate_invoices(ws, "aws", given_month("2025-10"), ["100002", "100004"], InvoiceOptions(), today=TODAY).invoices
    before = snapshot(ws)
    app = build_invoices_app(ws, read_only=True, today=TODAY)
    assert [inv.status for inv in app.invoices] == ["draft", "draft"]

    def widgets(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from widgets(child)

    shown = list(widgets(app.widget))
    assert app.drafts_box not in shown and app.drafts_table.widget not in shown
    assert app.drafts_table.rows == {}
    app.drafts_table.widget.checked = [inv.number for inv in made]  # a forged tick
    app.approve_selected()
    assert app.messages[-1] == "read-only view: approving invoices is not allowed here; nothing was changed"
    app.delete_selected()
    assert app.messages[-1] == "read-only view: deleting invoices is not allowed here; nothing was changed"
    app.confirm_bulk()
    assert snapshot(ws) == before


def test_the_read_only_report_has_no_selection_or_options_and_says_which_options_it_assumes(ws):
    """A manager generates nothing: no checkboxes, no Select all / none, no invoice options, no
    Generate; the figures are those of the default options, said once in grey, and whatever the
    page sends for a hidden box changes neither the figures nor the selection."""
    app = build_billing_app(ws, read_only=True, today=TODAY)
    app.range.kind.value = LAST
    assert app.table.widget.boxes is False  # the page draws no checkbox column
    assert app.selection_bar.layout.display == "none" and app.options_box.layout.display == "none"
    assert app.generate_button.layout.display == "none"
    assert app.assumed_options.value == (
        '<div class="wb-assumed-options" style="color:#5f6368;font-size:12px;margin:2px 0 4px 0">Figures as invoices '
        "would be generated with the default options: Apply credits: off, Include tax: on, Include marketplace fees: off, "
        "Use credits for marketplace fees: off</div>")
    rows = {key: row.cells for key, row in app.table.rows.items()}
    assert len(rows) == 4 and app.totals is not None  # the figures and their totals are shown

    # values a viewer can still send for the hidden widgets
    app.include_tax.value = False
    app.apply_credits.value = True
    assert app.options == InvoiceOptions()  # the defaults, whatever the hidden boxes say
    assert {key: row.cells for key, row in app.table.rows.items()} == rows  # not recomputed
    app.table.widget.checked = ["100001", "100002"]
    app.select_all_button.click()
    assert app.selected == [] and app.options_note.value == ""

    # a problem without the fix meant for the analyst (which CSV file to edit)
    gamma = app.table.rows["100003"].cells[-1]
    assert "does not have the currency USD enabled" in gamma and "wb-fix" not in gamma


def test_the_analysts_report_keeps_its_selection_options_and_fixes(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    assert app.table.widget.boxes is True
    assert app.selection_bar.layout.display != "none" and app.options_box.layout.display != "none"
    assert app.generate_button.layout.display != "none" and not app.generate_button.disabled
    assert app.assumed_options.value == ""
    assert "wb-fix" in app.table.rows["100003"].cells[-1]
    app.select_all_button.click()
    assert app.selected == ["100001", "100002", "100003", "100004"]
    app.include_tax.value = False
    assert app.options == InvoiceOptions(include_tax=False)
