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
        "Flagged increase": ["AmazonEC2 (aws)"],
        "Flagged decrease": ["AmazonRDS (aws)"],  # S3 did not change: not drawn
    }
    assert fig.data[1].marker.color == f.DECREASE


def test_margin_figure_shows_margin_percent_and_counts_the_unpriced(analytics_ws) -> None:
    margins = q.customer_margins(analytics_ws, None, OCTOBER, today=dt.date(2025, 11, 25))
    fig = f.margin_figure(margins)
    assert "1 customer(s) cannot be priced yet" in fig.layout.title.text
    (bar,) = fig.data
    assert bar.name == "Margin (USD)"
    assert list(bar.y) == ["Acme Corp (#100001)", "Beta Ltd (#100002)"]  # one vendor priced: no vendor suffix
    assert list(bar.customdata[0]) == ["147.0000000018 USD", "161.70 USD", "14.70 USD", "9.09 %"]
    assert list(bar.text) == ["14.70 USD (9.09 %)", "-2.00 USD (-5.26 %)"]
    assert fig.layout.xaxis.title.text == "Margin (USD)"


def test_unassigned_and_drilldown_figures(analytics_ws) -> None:
    unassigned = f.unassigned_figure(q.unassigned_accounts(analytics_ws, "aws", OCTOBER))
    assert list(unassigned.data[0].y) == ["aws 999999999999 · stray"]
    assert list(unassigned.data[0].text) == ["7.50 USD"]
    assert unassigned.layout.title.text == "Usage of accounts that belong to no customer"

    drill = f.drilldown_figure(q.customer_drilldown(analytics_ws, "aws", OCTOBER, "100001"))
    assert drill.layout.title.text == "Acme Corp (#100001): cost by account and service"
    assert [(t.name, list(t.y)) for t in drill.data] == [
        ("AmazonEC2", ["aws 111111111111 · acme-prod", "aws 112222222222 · acme-dev"]),
        ("AmazonS3", ["aws 111111111111 · acme-prod"]),
    ]
    assert list(drill.data[0].customdata[1]) == ["0.0000000018 USD", "0.0000000018 USD"]
    assert list(drill.data[0].customdata[0]) == ["127.00 USD", "147.00 USD"]


def test_the_public_api_is_exported() -> None:
    import workbench.analytics as analytics
    from workbench.analytics import explorer, figures, queries

    for module in (analytics, explorer, figures, queries):
        assert [name for name in module.__all__ if not hasattr(module, name)] == []
    assert set(analytics.__all__) <= set(queries.__all__) | set(figures.__all__) | set(explorer.__all__)
