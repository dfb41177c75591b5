"""The explorer app without a browser: set widget values, read `state` and the outputs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as Dec

import pytest

from workbench.analytics import queries as q
from workbench.analytics.explorer import ANY, NOBODY, PLOTLY_MIME, TABS, UsageExplorer, build_usage_explorer

TODAY = dt.date(2025, 11, 25)


@pytest.fixture
def app(analytics_ws) -> UsageExplorer:
    return build_usage_explorer(analytics_ws, today=TODAY)


def text_of(html: str) -> str:
    import re
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", html)).strip()


def table_rows(html: str) -> list[list[str]]:
    """A table's rows as the text of their cells, the header first."""
    import re

    return [[text_of(cell) for cell in re.findall(r"<t[dh][^>]*>.*?</t[dh]>", row)] for row in re.findall(r"<tr.*?</tr>", html)]


def shown_figure(app: UsageExplorer, tab: str) -> dict:
    (output,) = app.outputs[tab].outputs
    return output["data"][PLOTLY_MIME]


def shown_title(app: UsageExplorer, tab: str) -> str:
    (output,) = app.outputs[tab].outputs
    return str(output["data"][PLOTLY_MIME]["layout"]["title"]["text"])


def test_opens_on_the_last_month_with_every_vendor(app) -> None:
    assert app.vendor.options == (("All vendors", ANY), ("AWS", "aws"), ("Azure", "azure"))
    assert (app.vendor.value, app.selected_vendor, app.customer.value, app.selected_customer) == (ANY, None, NOBODY, None)
    assert (app.months.options, app.months.value) == (("2025-09", "2025-10"), ("2025-10", "2025-10"))
    # two usage currencies in October, one report each: the AWS report's USD has more usage rows
    # than the Azure report's CAD, so USD comes first and is chosen
    assert [(p.currency, p.rows) for p in app._periods if p.period == "2025-10"] == [("USD", 7), ("CAD", 3)]
    assert (app.currency.options, app.currency.value, app.state.currency) == (("USD", "CAD"), "USD", "USD")
    app.currency.value = "CAD"
    state = app.state
    assert (state.vendor, str(state.date_range), state.currency, state.customer_id) == (None, "2025-10", "CAD", None)
    assert [tuple(r) for r in state.customers.itertuples(index=False)] == [
        ("100001", "Acme Corp", "CAD", 1, Dec("200")), ("", "Unassigned", "CAD", 1, Dec("1.25")),
    ]
    assert sorted(state.figures) == ["customers", "daily", "margin", "mom", "unassigned"]
    assert shown_title(app, "customers") == "Cost by customer<br><sup>All vendors · 2025-10 · CAD</sup>"
    assert app.tabs.titles == tuple(TABS.values())
    # no CAD usage in September (Azure starts in October): the comparison says so
    assert state.messages == ("Month over month: there is no CAD usage for 2025-09, so every cost of 2025-10 shows as new.",)


def test_choosing_a_vendor_narrows_months_currency_and_every_tab(app) -> None:
    app.vendor.value = "azure"
    assert (app.months.options, app.currency.options) == (("2025-10",), ("CAD",))
    app.vendor.value = "aws"
    state = app.state
    assert (state.vendor, str(state.date_range), state.currency) == ("aws", "2025-10", "USD")
    assert list(state.customers["customer_name"]) == ["Acme Corp", "Beta Ltd", "Unassigned"]
    assert list(state.unassigned["account_id"]) == ["999999999999"]
    assert list(state.margins["price"]) == [Dec("161.70"), Dec("38.00")]
    assert state.messages == ()
    assert shown_title(app, "daily") == "Daily cost by product type<br><sup>AWS · 2025-10 · USD</sup>"
    assert "161.70 USD" in app.tables["margin"].value
    assert [label for label, _ in app.customer.options] == [
        "(choose a customer)", "Acme Corp (#100001) · 147.00 USD", "Beta Ltd (#100002) · 40.00 USD",
        "Unassigned · 7.50 USD",
    ]


def test_choosing_a_customer_drills_into_its_accounts_and_services(app) -> None:
    app.vendor.value = "aws"
    assert app.state.drilldown is None and app.outputs["drilldown"].outputs == ()
    app.customer.value = "100001"
    drill = app.state.drilldown
    assert drill is not None and app.state.customer_id == "100001"
    assert list(drill.accounts["account_id"]) == ["111111111111", "112222222222"]
    assert shown_title(app, "drilldown") == "Acme Corp (#100001): cost by account and service<br><sup>AWS · 2025-10 · USD</sup>"
    assert "Total: 147.00 USD" in app.tables["drilldown"].value

    app.months.value = ("2025-09", "2025-10")  # the choice survives a new range
    assert app.state.customer_id == "100001"
    assert [tuple(r) for r in app.state.drilldown.totals.itertuples(index=False)] == [("USD", Dec("267.0000000028"))]

    app.vendor.value = "azure"  # Beta has no Azure usage; Acme has
    assert app.state.customer_id == "100001"
    app.customer.value = q.UNASSIGNED_ID
    assert list(app.state.drilldown.services["account_id"]) == ["sub-x"]
    app.customer.value = NOBODY
    assert app.state.drilldown is None and "drilldown" not in app.state.figures


def test_month_over_month_controls(app) -> None:
    app.vendor.value = "aws"
    mom = app.state.month_over_month
    assert (mom.previous, mom.current, mom.by, mom.top) == ("2025-09", "2025-10", "customer", 5)
    app.threshold.value = 25
    app.top.value = 1
    assert list(app.state.month_over_month.flagged["customer_name"]) == ["Acme Corp", "Unassigned"]
    assert "Beta Ltd" not in app.tables["mom"].value and "top change" in app.tables["mom"].value
    app.mom_by.value = "service"
    assert list(app.state.month_over_month.rows["service"]) == ["AmazonEC2", "AmazonRDS", "AmazonS3"]
    assert shown_title(app, "mom").startswith("Month over month by service: 2025-09 → 2025-10")


def test_stacking_by_service_requeries_the_daily_tab(app) -> None:
    app.vendor.value = "aws"
    app.stack_by.value = "service"
    assert list(app.state.daily.columns) == ["day", "currency", "service", "cost"]
    assert [t["name"] for t in app.outputs["daily"].outputs[0]["data"][PLOTLY_MIME]["data"]] == [
        "AmazonEC2", "AmazonRDS", "AmazonS3",
    ]


def test_switching_currency_in_all_vendors(app) -> None:
    app.currency.value = "USD"
    assert (app.state.currency, list(app.state.unassigned["vendor"])) == ("USD", ["aws"])
    assert list(app.state.margins["vendor"]) == ["aws", "aws"]  # margins of the usage currency only


MARGIN_HEADER = ["Customer", "ID", "Vendor", "Vendor cost", "Price before credits", "Margin", "Margin %", "Billed by",
                 "Cannot price because"]


def test_margins_of_one_invoice_currency_are_one_chart_with_a_total(app) -> None:
    app.vendor.value = "aws"
    shown = shown_figure(app, "margin")
    assert [(t["name"], t.get("xaxis", "x")) for t in shown["data"]] == [("Margin (USD)", "x")]
    assert sorted(k for k in shown["layout"] if k.startswith(("xaxis", "yaxis"))) == ["xaxis", "yaxis"]
    assert "annotations" not in shown["layout"]  # no facet title
    assert shown_title(app, "margin") == "Margin per customer (as invoices would price it)<br><sup>AWS · 2025-10 · USD</sup>"
    assert table_rows(app.tables["margin"].value) == [
        MARGIN_HEADER,  # no group heading for one currency
        ["Acme Corp", "100001", "AWS", "147.00 USD", "161.70 USD", "14.70 USD", "9.09 %", "", ""],
        ["Beta Ltd", "100002", "AWS", "40.00 USD", "38.00 USD", "-2.00 USD", "-5.26 %", "", ""],
        ["Total USD", "", "", "187.00 USD", "199.70 USD", "12.70 USD", "6.36 %", "", ""],
    ]


def test_margins_in_three_invoice_currencies_are_drawn_and_added_up_apart(currencies_ws) -> None:
    """What a manager opening the shared page sees when the reseller invoices AWS usage (USD) in
    EUR, JPY and USD: one chart per invoice currency on its own axis, a table grouped the same
    way with each currency's exact total, and the cost tabs in the one usage currency."""
    app = build_usage_explorer(currencies_ws, today=TODAY)
    assert (app.currency.options, app.currency.value) == (("USD",), "USD")
    totals = app.state.margin_totals
    assert [tuple(r) for r in totals[["currency", "customers", "price", "margin", "margin_percent"]].itertuples(index=False)] == [
        ("EUR", 2, Dec("636.77"), Dec("34.42"), Dec("5.41")),  # exact 636.770000001..., not the rows' 636.78
        ("JPY", 1, Dec("165550"), Dec("15050"), Dec("9.09")),
        ("USD", 1, Dec("1100.00"), Dec("100.00"), Dec("9.09")),
    ]
    shown = shown_figure(app, "margin")
    assert [(t["name"], t["xaxis"], t["yaxis"]) for t in shown["data"]] == [
        ("Margin (EUR)", "x", "y"), ("Margin (JPY)", "x2", "y2"), ("Margin (USD)", "x3", "y3"),
    ]
    assert [shown["layout"][k]["title"]["text"] for k in ("xaxis", "xaxis2", "xaxis3")] == [
        "Margin (EUR)", "Margin (JPY)", "Margin (USD)",
    ]
    assert [a["text"].split(":")[0] for a in shown["layout"]["annotations"]] == ["<b>EUR</b>", "<b>JPY</b>", "<b>USD</b>"]
    # the chosen currency is the vendor cost's, not the bars'
    assert shown_title(app, "margin").endswith("<sup>All vendors · 2025-10 · vendor cost in USD</sup>")
    assert table_rows(app.tables["margin"].value) == [
        MARGIN_HEADER,
        ["Invoiced in EUR"],
        ["Euro GmbH", "100004", "AWS", "500.00 USD", "473.28 EUR", "43.03 EUR", "9.09 %", "", ""],
        ["Delta SARL", "100005", "AWS", "200.00 USD", "163.50 EUR", "-8.61 EUR", "-5.27 %", "", ""],
        ["Total EUR", "", "", "700.00 USD", "636.77 EUR", "34.42 EUR", "5.41 %", "", ""],
        ["Invoiced in JPY"],
        ["Kaisha KK", "100003", "AWS", "1,000.00 USD", "165,550 JPY", "15,050 JPY", "9.09 %", "", ""],
        ["Total JPY", "", "", "1,000.00 USD", "165,550 JPY", "15,050 JPY", "9.09 %", "", ""],
        ["Invoiced in USD"],
        ["Acme Corp", "100001", "AWS", "1,000.00 USD", "1,100.00 USD", "100.00 USD", "9.09 %", "", ""],
        ["Total USD", "", "", "1,000.00 USD", "1,100.00 USD", "100.00 USD", "9.09 %", "", ""],
    ]
    # the rows shown, each rounded, add up to a cent more than the total: said under the table
    assert text_of(app.tables["margin"].value.split("</table>")[1]) == (
        "Totals add every customer's unrounded figures and round once: "
        "the prices before credits shown add up to 636.78 EUR, the total is 636.77 EUR.")
    # the cost tabs are all vendor costs, in the one usage currency: one axis each, in USD
    for tab, axis in (("daily", "yaxis"), ("customers", "xaxis"), ("unassigned", "xaxis")):
        layout = shown_figure(app, tab)["layout"]
        assert (layout[axis]["title"]["text"], "xaxis2" in layout) == ("Cost (USD)", False), tab
    assert [label for label, _ in app.customer.options][1:] == [
        "Acme Corp (#100001) · 1,000.00 USD", "Kaisha KK (#100003) · 1,000.00 USD", "Euro GmbH (#100004) · 500.00 USD",
        "Delta SARL (#100005) · 200.00 USD", "Unassigned · 7.50 USD",
    ]


def test_a_usage_currency_nobody_can_be_priced_in_has_no_margin_total(app) -> None:
    app.currency.value = "CAD"  # Acme's Azure usage: no Azure pricebook
    assert app.state.margin_totals.empty
    assert table_rows(app.tables["margin"].value)[1:] == [
        ["Cannot be priced yet"],
        ["Acme Corp", "100001", "Azure", "200.00 CAD", "-", "-", "n/a", "",
         "The customer with ID #100001 does not have the currency CAD enabled"],
    ]


def test_a_customer_with_usage_in_two_currencies_shows_under_each_as_not_priced(two_usage_currencies_ws) -> None:
    """Mixto's October usage is 30 USD and 12 EUR (two payers): it cannot be invoiced. It is
    counted and listed under either currency, never dropped; with one invoice currency the
    customers that cannot be priced have their own heading, apart from the bold total."""
    app = build_usage_explorer(two_usage_currencies_ws, today=TODAY)
    assert (app.currency.options, app.currency.value) == (("USD", "EUR"), "USD")  # more USD rows
    problem = "usage of #100006 is billed in several currencies (EUR, USD); no exchange rate EUR->USD for 2025-10"
    mixto = ["Mixto SA", "100006", "AWS", "-", "-", "-", "n/a", "", problem]
    for currency, priced in (("EUR", []), ("USD", [
        ["Acme Corp", "100001", "AWS", "100.00 USD", "110.00 USD", "10.00 USD", "9.09 %", "", ""],
        ["Total USD", "", "", "100.00 USD", "110.00 USD", "10.00 USD", "9.09 %", "", ""],
    ])):
        app.currency.value = currency
        assert list(app.state.margins["customer_id"]) == [*(["100001"] if priced else []), "100006"]
        assert shown_title(app, "margin").endswith(f"2025-10 · {currency} · 1 customer(s) cannot be priced yet: see the table</sup>")
        assert table_rows(app.tables["margin"].value) == [MARGIN_HEADER, *priced, ["Cannot be priced yet"], mixto]


def test_an_empty_workspace_says_what_to_do(tmp_path) -> None:
    from workbench.billing.store.workspace import init_workspace

    ws = init_workspace(tmp_path / "empty")
    try:
        app = build_usage_explorer(ws, today=TODAY)
        assert app.months.disabled and app.state.date_range is None
        assert app.state.messages == ("There is no usage in this workspace yet: import vendor reports first.",)
        assert all(app.outputs[k].outputs == () for k in TABS)
    finally:
        ws.close()


def test_says_it_is_reading_while_a_refresh_runs(app, monkeypatch) -> None:
    seen: list[str] = []
    real = q.daily_cost

    def watched(*args, **kwargs):
        seen.append(app.working.value)
        return real(*args, **kwargs)

    monkeypatch.setattr(q, "daily_cost", watched)
    assert app.working.value == ""
    app.vendor.value = "aws"  # every tab again, the daily chart among them
    app.stack_by.value = "service"  # the daily chart alone
    assert len(seen) == 2 and all("reading usage" in text for text in seen)
    assert app.working.value == ""  # and gone once done


def test_the_months_readout_says_one_month_or_a_range(app) -> None:
    """The slider's own readout joins the ends with "-": "2025-10-2025-10" reads as nonsense."""
    assert app.months.readout is False
    assert app.months.value == ("2025-10", "2025-10") and text_of(app.months_readout.value) == "2025-10"
    app.months.value = ("2025-09", "2025-10")
    assert text_of(app.months_readout.value) == "2025-09 to 2025-10"
    app.vendor.value = "azure"  # one month of data: the range narrows with it
    assert text_of(app.months_readout.value) == "2025-10"


def test_a_preheated_explorer_starts_over_from_what_was_imported_before_its_visit(tmp_path) -> None:
    """`workbench serve` preheats the explorer, perhaps hours before a manager opens it. Built when
    only September's AWS report was in, it catches up on the visit with October's reports (an
    import is an audit event): new vendor, new last month, its figures. Nothing changed: no redraw."""
    from workbench.billing.store.report_import import import_reports

    from .conftest import REPORTS, TODAY as IMPORTED, build

    ws = build(tmp_path, {"aws-2025-09.csv": REPORTS["aws-2025-09.csv"]})
    app = build_usage_explorer(ws, today=TODAY)
    assert (app.vendor.options, app.months.value) == ((("All vendors", ANY), ("AWS", "aws")), ("2025-09", "2025-09"))
    assert app.catch_up() is False  # nothing happened since it was built

    for name in ("aws-2025-10.csv", "azure-2025-10.csv"):
        (tmp_path / name).write_text(REPORTS[name])
    import_reports(ws, [tmp_path / "aws-2025-10.csv", tmp_path / "azure-2025-10.csv"], today=IMPORTED)
    assert app.months.value == ("2025-09", "2025-09")  # the page still shows what it was built with

    assert app.catch_up() is True
    assert app.vendor.options == (("All vendors", ANY), ("AWS", "aws"), ("Azure", "azure"))
    assert (app.months.options, app.months.value, app.currency.value) == (("2025-09", "2025-10"), ("2025-10", "2025-10"), "USD")
    assert [(r.customer_id, r.cost) for r in app.state.customers.itertuples(index=False)] == [
        ("100001", Dec("147.0000000018")), ("100002", Dec("40")), ("", Dec("7.5"))]
    assert shown_title(app, "customers") == "Cost by customer<br><sup>All vendors · 2025-10 · USD</sup>"
    assert app.catch_up() is False
