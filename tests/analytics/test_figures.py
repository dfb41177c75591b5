"""Figures: the right traces, order, titles and exact hover text, drawn from tiny results."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as Dec

import pandas as pd
import pytest

from workbench.analytics import figures as f
from workbench.analytics import queries as q
from workbench.billing.core.periods import given_month

OCTOBER = given_month("2025-10")


def frame(columns: str, rows: list[tuple[object, ...]]) -> pd.DataFrame:
    names = [c.strip() for c in columns.split(",")]
    return pd.DataFrame({n: pd.Series([r[i] for r in rows], dtype=object) for i, n in enumerate(names)}, columns=names)


def test_amount_text_is_rounded_as_a_statement_shows_it_or_exact() -> None:
    assert f.amount_text(Dec("1234.5"), "USD") == "1,234.50 USD"
    assert f.amount_text(Dec("4465.942801527"), "USD") == "4,465.94 USD"
    assert f.amount_text(Dec("0.005"), "USD") == "0.01 USD"  # half-up, whatever the ambient context says
    assert f.amount_text(Dec("0.000000001800000000"), "USD") == "0.00 USD"
    assert f.amount_text(Dec("0.000000001800000000"), "USD", exact=True) == "0.0000000018 USD"
    assert f.amount_text(Dec("-3.000000000000000000"), "CAD") == "-3.00 CAD"
    assert f.amount_text(Dec("1234567"), "JPY") == "1,234,567 JPY"
    assert f.amount_text(Dec("12.5")) == "12.5"
    assert f.amount_text(None, "USD") == "-"


def test_daily_cost_figure_stacks_product_types_largest_first() -> None:
    daily = frame("day, currency, product_type, cost", [
        (dt.date(2025, 10, 1), "USD", "Compute", Dec("127.0000000018")),
        (dt.date(2025, 10, 1), "USD", "Storage", Dec("20")),
        (dt.date(2025, 10, 2), "USD", "Storage", Dec("200")),
    ])
    fig = f.daily_cost_figure(daily, subtitle="AWS · 2025-10")
    assert fig.layout.title.text == "Daily cost by product type<br><sup>AWS · 2025-10</sup>"
    assert fig.layout.barmode == "relative"
    assert [t.name for t in fig.data] == ["Storage", "Compute"]  # 220 before 127
    assert [t.type for t in fig.data] == ["bar", "bar"]
    assert fig.layout.yaxis.title.text == "Cost (USD)"
    compute = fig.data[1]
    assert list(compute.customdata) == ["127.0000000018 USD"]  # the exact amount, not the float
    assert list(compute.y) == [127.0000000018]


def test_daily_cost_figure_gives_each_of_many_series_its_own_colour_and_room_in_the_legend() -> None:
    types = [f"Product {i:02}" for i in range(30)]  # a vendor has some twenty product types
    daily = frame("day, currency, product_type, cost",
                  [(dt.date(2025, 10, 1), "USD", name, Dec(1000 - i)) for i, name in enumerate(types)])
    fig = f.daily_cost_figure(daily)
    colours = [trace.marker.color for trace in fig.data]
    assert [trace.name for trace in fig.data] == types  # largest first
    assert all(colours) and len(set(colours)) == 30  # no two series alike (plotly's default has 10)
    assert len(f.SERIES_COLOURS) >= 24 and len(set(f.SERIES_COLOURS)) == len(f.SERIES_COLOURS)
    assert fig.layout.height >= 140 + 20 * 30  # the legend's 30 lines fit beside the plot


def test_customer_figure_lists_the_largest_first_and_greys_the_unassigned() -> None:
    customers = frame("customer_id, customer_name, currency, accounts, cost", [
        ("100002", "Beta Ltd", "USD", 1, Dec("40")),
        ("100001", "Acme Corp", "USD", 2, Dec("147.0000000018")),
        ("", "Unassigned", "USD", 1, Dec("77.5")),
    ])
    fig = f.customer_cost_figure(customers)
    (bar,) = fig.data
    assert (bar.type, bar.orientation) == ("bar", "h")
    assert list(bar.y) == ["Acme Corp (#100001)", "Unassigned", "Beta Ltd (#100002)"]
    assert list(bar.text) == ["147.00 USD", "77.50 USD", "40.00 USD"]  # as a statement rounds
    assert [row[0] for row in bar.customdata] == ["147.0000000018 USD", "77.50 USD", "40.00 USD"]  # hover: exact
    assert list(bar.marker.color) == [f.BAR, f.GREY, f.BAR]
    # plotly draws a category axis from the bottom: the array is reversed so Acme is on top
    assert list(fig.layout.yaxis.categoryarray) == ["Beta Ltd (#100002)", "Unassigned", "Acme Corp (#100001)"]
    assert fig.layout.xaxis.title.text == "Cost (USD)"


def test_a_figure_refuses_to_mix_currencies() -> None:
    customers = frame("customer_id, customer_name, currency, accounts, cost", [
        ("1", "A", "USD", 1, Dec("1")), ("1", "A", "CAD", 1, Dec("1")),
    ])
    with pytest.raises(ValueError, match="one currency, the data has CAD, USD"):
        f.customer_cost_figure(customers)


def test_empty_results_draw_a_message() -> None:
    fig = f.customer_cost_figure(frame("customer_id, customer_name, currency, accounts, cost", []))
    assert (len(fig.data), fig.layout.annotations[0].text) == (0, "No usage in this selection")


def test_month_over_month_figure_highlights_flagged_changes(analytics_ws) -> None:
    result = q.month_over_month(analytics_ws, "aws", "2025-09", "2025-10", top=1, threshold_percent=Dec(25))
    fig = f.month_over_month_figure(result)
    assert fig.layout.title.text.startswith("Month over month by customer: 2025-09 → 2025-10")
    assert "top 1 changes and changes of 25 % or more" in fig.layout.title.text
    shown = {t.name: (list(t.y), t.marker.color) for t in fig.data}
    assert shown == {
        "Flagged increase": (["Acme Corp (#100001)", "Unassigned"], f.INCREASE),
        "Other change": (["Beta Ltd (#100002)"], f.NEUTRAL),
    }
    increase = fig.data[0]
    assert list(increase.customdata[0]) == ["120.000000001 USD", "147.0000000018 USD", "27.0000000008 USD", "+22.50 %"]
    # sorted by change: the largest increase on top, the decrease at the bottom
    assert list(fig.layout.yaxis.categoryarray) == ["Beta Ltd (#100002)", "Unassigned", "Acme Corp (#100001)"]
    assert fig.layout.xaxis.title.text == "Change in cost (USD)"


def test_month_over_month_figure_of_services_colours_a_flagged_decrease(analytics_ws) -> None:
    result = q.month_over_month(analytics_ws, "aws", "2025-09", "2025-10", by="service", top=2)
    fig = f.month_over_month_figure(result)
    assert {t.name: list(t.y) for t in fig.data} == {
        "Flagged increase": ["AmazonEC2 (AWS)"],
        "Flagged decrease": ["AmazonRDS (AWS)"],  # S3 did not change: not drawn
    }
    assert fig.data[1].marker.color == f.DECREASE


def test_margin_figure_shows_margin_percent_and_counts_the_unpriced(analytics_ws) -> None:
    margins = q.customer_margins(analytics_ws, None, OCTOBER)
    fig = f.margin_figure(margins)
    assert "1 customer(s) cannot be priced yet" in fig.layout.title.text
    (bar,) = fig.data
    assert bar.name == "Margin (USD)"
    assert list(bar.y) == ["Acme Corp (#100001)", "Beta Ltd (#100002)"]  # one vendor priced: no vendor suffix
    assert list(bar.customdata[0]) == ["147.0000000018 USD", "161.70 USD", "14.70 USD", "9.09 %"]
    # the price is the invoice's charges before its credits are applied, and the hover says so
    assert "price before credits: %{customdata[1]}" in bar.hovertemplate
    assert list(bar.text) == ["14.70 USD (9.09 %)", "-2.00 USD (-5.26 %)"]
    assert fig.layout.xaxis.title.text == "Margin (USD)"


def test_margin_figure_of_one_invoice_currency_is_one_plain_chart(analytics_ws) -> None:
    """No subplot grid, no facet title, no legend: a one-currency workspace looks as it always did."""
    margins = q.customer_margins(analytics_ws, "aws", OCTOBER)
    layout = f.margin_figure(margins).to_plotly_json()["layout"]
    assert sorted(k for k in layout if k.startswith(("xaxis", "yaxis"))) == ["xaxis", "yaxis"]
    assert "domain" not in layout["xaxis"] and "domain" not in layout["yaxis"]
    assert (layout.get("annotations"), layout["showlegend"], layout["height"]) == (None, False, 320)
    assert layout["xaxis"]["title"]["text"] == "Margin (USD)"


def test_margin_figure_draws_each_invoice_currency_on_its_own_axis(currencies_ws) -> None:
    """AWS usage in USD invoiced in EUR, JPY and USD: Kaisha's 15,050 JPY on the axis of Acme's
    100.00 USD would flatten every other bar. One subplot per invoice currency, its own axes."""
    margins = q.customer_margins(currencies_ws, "aws", OCTOBER)
    fig = f.margin_figure(margins, subtitle="AWS · 2025-10 · vendor cost in USD")
    assert [(t.name, t.xaxis, t.yaxis, list(t.y), list(t.text)) for t in fig.data] == [
        ("Margin (EUR)", "x", "y", ["Euro GmbH (#100004)", "Delta SARL (#100005)"], ["43.03 EUR (9.09 %)", "-8.61 EUR (-5.27 %)"]),
        ("Margin (JPY)", "x2", "y2", ["Kaisha KK (#100003)"], ["15,050 JPY (9.09 %)"]),
        ("Margin (USD)", "x3", "y3", ["Acme Corp (#100001)"], ["100.00 USD (9.09 %)"]),
    ]
    # no trace mixes currencies: every label and hover amount of a trace is in its currency
    for trace in fig.data:
        code = trace.name[-4:-1]
        assert all(text.split(" ")[1] == code for text in trace.text)
        assert all(price.endswith(code) and margin.endswith(code) for _, price, margin, _ in trace.customdata)
    assert list(fig.data[0].customdata[1]) == ["200.0000000018 USD", "163.50 EUR", "-8.61 EUR", "-5.27 %"]  # exact
    assert list(fig.data[0].x) == [43.03, -8.61]  # floats only as bar lengths

    layout = fig.layout
    axes = [(layout[f"xaxis{i}"], layout[f"yaxis{i}"]) for i in ("", "2", "3")]
    assert [x.title.text for x, _ in axes] == ["Margin (EUR)", "Margin (JPY)", "Margin (USD)"]
    # each value axis scaled to its own bars (and their labels), matched to no other
    assert [tuple(x.range) for x, _ in axes] == [
        pytest.approx((-8.61 - 0.45 * 51.64, 43.03 + 0.45 * 51.64)), pytest.approx((0.0, 15050 * 1.45)), pytest.approx((0.0, 145.0)),
    ]
    assert all(x.matches is None and x.anchor == y_name for (x, _), y_name in zip(axes, ("y", "y2", "y3")))
    # stacked top to bottom in alphabetical order, never overlapping
    (eur, jpy, usd) = [tuple(y.domain) for _, y in axes]
    assert 1.0 == eur[1] > eur[0] > jpy[1] > jpy[0] > usd[1] > usd[0] == 0.0
    assert [list(y.categoryarray) for _, y in axes] == [
        ["Delta SARL (#100005)", "Euro GmbH (#100004)"], ["Kaisha KK (#100003)"], ["Acme Corp (#100001)"],
    ]
    # each facet's title carries its currency's totals: the exact figures added up and rounded once
    # (473.275 + 163.495000001... = 636.77 EUR, where the bars' rounded 473.28 + 163.50 make 636.78)
    assert [a.text for a in layout.annotations] == [
        "<b>EUR</b>: 2 customers, price before credits 636.77 EUR, margin 34.42 EUR (5.41 %)",
        "<b>JPY</b>: 1 customer, price before credits 165,550 JPY, margin 15,050 JPY (9.09 %)",
        "<b>USD</b>: 1 customer, price before credits 1,100.00 USD, margin 100.00 USD (9.09 %)",
    ]
    assert layout.title.text == "Margin per customer (as invoices would price it)<br><sup>AWS · 2025-10 · vendor cost in USD</sup>"
    assert layout.showlegend is False  # the axes and facet titles name the currencies


def test_unassigned_and_drilldown_figures(analytics_ws) -> None:
    unassigned = f.unassigned_figure(q.unassigned_accounts(analytics_ws, "aws", OCTOBER))
    assert list(unassigned.data[0].y) == ["AWS 999999999999 · stray"]
    assert list(unassigned.data[0].text) == ["7.50 USD"]
    assert unassigned.layout.title.text == "Usage of accounts that belong to no customer"

    drill = f.drilldown_figure(q.customer_drilldown(analytics_ws, "aws", OCTOBER, "100001"))
    assert drill.layout.title.text == "Acme Corp (#100001): cost by account and service"
    assert [(t.name, list(t.y)) for t in drill.data] == [
        ("AmazonEC2", ["AWS 111111111111 · acme-prod", "AWS 112222222222 · acme-dev"]),
        ("AmazonS3", ["AWS 111111111111 · acme-prod"]),
    ]
    assert list(drill.data[0].customdata[1]) == ["0.0000000018 USD", "0.0000000018 USD"]
    assert list(drill.data[0].customdata[0]) == ["127.00 USD", "147.00 USD"]


def test_the_public_api_is_exported() -> None:
    import workbench.analytics as analytics
    from workbench.analytics import explorer, figures, queries

    for module in (analytics, explorer, figures, queries):
        assert [name for name in module.__all__ if not hasattr(module, name)] == []
    assert set(analytics.__all__) <= set(queries.__all__) | set(figures.__all__) | set(explorer.__all__)
