"""The seed's month end, clicked through the billing reports app without a browser.

Workspace (conftest): October is final, November is not; Acme invoices in CAD at 1.3712,
Beta and Delta in USD, Gamma has no AWS pricebook, account 444444444444 belongs to nobody.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from workbench.billing.store import models as m
from workbench.dashboards import build_billing_app
from workbench.dashboards.ranges import CUSTOM, LAST, MONTH
from workbench.dashboards.table import CheckTable

from .conftest import TODAY, snapshot


def stored(ws) -> list[tuple[str, str, str, str, Decimal]]:
    with ws.session() as s:
        return [(i.number, i.customer_id, i.status, i.currency, i.total)
                for i in s.scalars(select(m.Invoice).order_by(m.Invoice.id))]


def text_of(html: str) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").strip()


def row_text(table: CheckTable, key: str) -> str:
    return text_of(" ".join(table.rows[key].cells))


def test_the_report_lists_each_customer_with_cost_price_margin_and_problem(ws):
    app = build_billing_app(ws, today=TODAY)
    assert app.vendor.options == (("AWS", "aws"),)  # only vendors with imported data, by the name the page shows
    assert app.range.kind.value == "Month to date"
    assert sorted(app.previews) == ["100001", "100002"]  # November so far
    assert ("is not final yet in its report: cur-2025-11.csv (billing account 999999999999); drafts of the customers "
            "with usage in it are marked preliminary: #100001 Acme Corp, #100002 Beta Ltd"
            ) in text_of(app.banner.value)  # November's CUR has no invoice id yet

    app.range.kind.value = LAST
    assert app.title.value == "<h3>AWS Billing Customers Report &middot; 2025-10</h3>"
    assert "not final yet" not in app.banner.value
    assert "aws account 444444444444 belongs to no customer" in text_of(app.banner.value)
    assert list(app.table.rows) == ["100001", "100002", "100003", "100004"]
    # name, ID, vendor cost (USD), price and margin (invoice currency), margin %, problem
    assert row_text(app.table, "100001") == "Acme Corp 100001 120.50 USD 183.16 CAD 17.93 CAD 9.79%"
    assert row_text(app.table, "100002") == "Beta Ltd 100002 10.00 USD 11.01 USD 1.00 USD 9.08%"
    gamma = row_text(app.table, "100003")
    assert gamma.startswith("Gamma Inc 100003 7.00 USD \u2014 \u2014 \u2014 The customer with ID #100003 does not have "
                            "the currency USD enabled fix: ")  # the engine's fix follows, next to the customer
    assert "customer_vendors.csv" in gamma


def test_a_given_month_and_a_custom_range(ws):
    app = build_billing_app(ws, today=TODAY)
    assert app.range.month.options == ("2025-11", "2025-10")  # months with data, newest first
    app.range.kind.value = MONTH
    app.range.month.value = "2025-10"
    assert "2025-10" in app.title.value and len(app.table.rows) == 4

    app.range.kind.value = CUSTOM
    app.range.start.value, app.range.end.value = dt.date(2025, 10, 1), dt.date(2025, 10, 31)
    assert "2025-10-01..2025-10-31" in app.title.value and len(app.table.rows) == 4
    app.range.end.value = dt.date(2025, 9, 1)  # a viewer can set any value: it is refused, not acted on
    assert app.messages[-1] == "the custom range ends (2025-09-01) before it starts (2025-10-01)"


def test_generate_two_drafts_approve_one_delete_the_other(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.table.widget.checked = ["100002", "100001"]  # what the browser sends once both boxes are ticked
    assert app.selected == ["100001", "100002"]  # in row order
    assert "2 of 4 selected" in app.selection.value
    app.include_tax.value = True
    app.generate_button.click()

    assert (app.progress.value, app.progress.max) == (2, 2)
    assert app.page == "preview" and app.preview_page.layout.display == ""
    acme, beta = list(app.drafts)
    assert [(d.invoice.customer_id, d.invoice.total, d.invoice.currency) for d in app.drafts.values()] == [
        ("100001", Decimal("210.59"), "CAD"),  # 183.16 + GST 9.16 + QST 18.27
        ("100002", Decimal("12.44"), "USD"),  # 11.01 + HST 1.43
    ]
    assert stored(ws) == [(acme, "100001", "draft", "CAD", Decimal("210.59")),
                          (beta, "100002", "draft", "USD", Decimal("12.44"))]

    app.draft_table.check([acme])
    app.view_button.click()
    assert app.viewed == acme and acme in app.statement_html and "210.59" in app.statement_html
    assert app.statement.value == app.statement_html

    app.approve_button.click()
    assert app.drafts[acme].status.value == "open"
    assert "Open" in row_text(app.draft_table, acme)

    app.draft_table.check(None, False)
    app.draft_table.check([beta])
    app.delete_button.click()
    assert list(app.drafts) == [acme]
    assert stored(ws) == [(acme, "100001", "open", "CAD", Decimal("210.59"))]

    app.finish_button.click()
    assert app.page == "report" and app.report_page.layout.display == ""
    # Acme's October is billed (locked); Beta's draft was deleted, so Beta can be generated again
    assert [p.code for p in app.customer_problems("100001")] == ["period-locked"]
    assert app.customer_problems("100002") == []
    # Acme's row reads as billed, with the invoice's figures, and no red "already billed" (a
    # manager's read-only page showed a wall of them, each with a fix only an analyst can do)
    cells = app.table.rows["100001"].cells
    assert text_of(cells[-1]) == f"billed: {acme}" and "wb-error" not in cells[-1]
    assert app.previews["100001"].billed == acme


def test_a_draft_with_nothing_due_is_closed_as_it_is_approved_and_the_page_says_so(ws, tmp_path):
    """Delta's 46.00 USD is paid in full by a 100 USD credit: approved with Beta's, it is Closed
    at once (nothing due), and the message and the list say so rather than "now Open"."""
    from workbench.billing.store.table_import import import_tables

    from .conftest import write_tables

    credits = write_tables(tmp_path / "credits", {"credits": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        100004,C-9,2025-09-15,100.00,USD,general,azure,Azure commitment credit
    """})
    assert [p for p in import_tables(ws, credits)[1] if p.severity.value == "error"] == []
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.select(["100002", "100004"])
    app.apply_credits.value = True
    app.generate_button.click()
    beta, delta = list(app.drafts)
    assert [(d.invoice.customer_id, d.invoice.total) for d in app.drafts.values()] == [
        ("100002", Decimal("12.44")), ("100004", Decimal("0.00"))]

    app.draft_table.check([beta, delta])
    app.approve_button.click()
    assert app.messages[-1] == f"approved (now Open): {beta}; approved, nothing due (now Closed): {delta}"
    assert "Open" in row_text(app.draft_table, beta) and "Closed" in row_text(app.draft_table, delta)
    assert [(number, status) for number, _, status, _, _ in stored(ws)] == [(beta, "open"), (delta, "closed")]


def test_a_customer_without_pricebook_shows_the_seed_error_and_the_rest_still_generate(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.select_all_button.click()
    assert app.selected == ["100001", "100002", "100003", "100004"]
    app.generate_button.click()

    assert sorted(d.invoice.customer_id for d in app.drafts.values()) == ["100001", "100002", "100004"]
    assert list(app.not_generated) == ["100003"]
    seed_error = "The customer with ID #100003 does not have the currency USD enabled"
    assert seed_error in text_of(app.not_generated_html.value)  # next to the customer on the preview page
    assert 'data-customer="100003"' in app.not_generated_html.value
    assert seed_error in row_text(app.table, "100003")  # and on its report row
    assert seed_error not in row_text(app.table, "100001")
    assert [c for _n, c, *_ in stored(ws)] == ["100001", "100002", "100004"]

    app.approve_all_button.click()
    assert {s for _n, _c, s, *_ in stored(ws)} == {"open"}
    app.draft_table.check(None, True)
    app.delete_button.click()  # issued invoices are not deleted: all or nothing
    assert app.messages[-1].startswith("nothing deleted: ") and "only drafts can be deleted" in app.messages[-1]
    assert len(stored(ws)) == 3


def test_generate_with_nothing_selected_changes_nothing(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    before = snapshot(ws)
    app.generate_button.click()
    assert app.messages[-1] == "select one or more customers first (checkboxes, or Select all)"
    assert app.page == "report" and snapshot(ws) == before


def test_selection_survives_an_option_change(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.select(["100004"])
    app.include_tax.value = False
    assert app.selected == ["100004"]
    app.select_none_button.click()
    assert app.selected == []


def test_a_table_of_any_length_is_one_widget_model():
    from ipywidgets.widgets.widget import _instances  # every live widget model of the kernel

    before = set(_instances)
    table = CheckTable(["Customer", "Price"], [200, 100], numeric=(1,))
    table.set_rows([(str(i), [f"Customer {i}", "1.00"]) for i in range(500)])
    made = [_instances[k] for k in set(_instances) - before]
    assert sorted(type(x).__name__ for x in made) == ["Layout", "TableWidget"]  # not 2 x 500
    assert len(table.widget.rows) == 500 and table.widget.rows[499] == ["499", ["Customer 499", "1.00"]]

    table.set_rows([(str(i), [f"Customer {i}", "2.00"]) for i in range(500)])
    table.set_cells("7", ["Customer 7", "3.00"])
    assert set(_instances) - before == {x.model_id for x in made}  # new rows, no new models
    assert table.rows["7"].cells == ("Customer 7", "3.00") and table.widget.rows[7] == ["7", ["Customer 7", "3.00"]]
    assert table.rows["499"].cells == ("Customer 499", "2.00")
    table.widget.close()


def test_the_checked_set_holds_only_enabled_rows_whatever_the_browser_sends():
    table = CheckTable(["Invoice"], [150])
    table.set_rows([("A", ["a"]), ("B", ["b"]), ("C", ["c"])], enabled={"A", "C"}, checked={"A", "B"})
    assert table.widget.enabled == ["A", "C"] and table.widget.checked == ["A"]  # B is disabled
    table.check(None, True)
    assert table.checked() == ["A", "C"]
    table.check(["A", "B"], False)
    assert table.checked() == ["C"]

    # a viewer can set the synced list to anything: unknown keys and disabled rows are ignored
    table.widget.checked = ["Z", "B", "C", "A", "A"]
    assert table.checked() == ["A", "C"]
    table.widget.rows = [["Z", ["forged"]]]  # the rows the page draws are not the rows Python knows
    assert list(table.rows) == ["A", "B", "C"] and table.checked() == ["A", "C"]

    seen: list[list[str]] = []
    table.on_check(lambda: seen.append(table.checked()))
    table.set_rows([("A", ["a"])], checked={"A"})
    table.widget.checked = []
    assert seen[-1] == [] and ["A"] in seen
    table.close_rows()
    assert table.rows == {} and table.widget.rows == [] and table.checked() == []
    table.widget.close()


def test_a_workspace_without_reports_says_so(tmp_path):
    from workbench.billing.store.workspace import init_workspace

    empty = init_workspace(tmp_path / "empty")
    app = build_billing_app(empty, today=TODAY)
    assert app.vendor.options == () and app.previews == {}
    assert "No vendor report has been imported" in app.title.value
    empty.close()
