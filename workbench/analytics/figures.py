"""Plotly figures of the analytics results: they draw, they never compute money.

Each function takes a result of `workbench.analytics.queries` and returns a `go.Figure`.
Amounts become floats only as bar lengths and positions (`_length`); what the analyst reads is
Decimal text (`amount_text`), never a float: labels rounded to the currency's minor unit as a
statement shows them, hovers exact to the last vendor digit.
A figure draws one currency: frames holding several raise `ValueError` (select a currency
first); the margin figure, whose bars are in each customer's invoice currency, draws one
subplot per invoice currency with its own axis. No figure adds or scales two currencies together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from workbench.billing.core.money import exact_sum, is_known_currency, minor_unit, plain, round_minor
from workbench.analytics import queries as q
from workbench.analytics.queries import UNASSIGNED, UNASSIGNED_ID, Drilldown, MonthOverMonth
from workbench.billing.core.periods import DateRange
from workbench.billing.core.usage import Vendor

__all__ = [
    "amount_text",
    "percent_text",
    "daily_cost_figure",
    "customer_cost_figure",
    "month_over_month_figure",
    "margin_figure",
    "unassigned_figure",
    "drilldown_figure",
    "SERIES_COLOURS",
]

GREY = "#b0b7c3"
INCREASE = "#d62728"
DECREASE = "#2ca02c"
NEUTRAL = "#9aa5b8"
BAR = "#1f77b4"
# Stacked series (the daily chart's product types, services, vendors): plotly's 10-colour default
# repeats from the 11th series on, and a vendor has some twenty product types. Dark24 then
# Light24 are 48 distinct colours, the strong ones for the largest series.
SERIES_COLOURS: tuple[str, ...] = tuple(dict.fromkeys(c.upper() for c in (*qualitative.Dark24, *qualitative.Light24)))
_GRID = dict(gridcolor="#e5e9f0", zerolinecolor="#c9d1dc", linecolor="#c9d1dc")
# a small template of our own: the stock "plotly_white" is deep-copied into every figure (~0.1 s)
_TEMPLATE = go.layout.Template(layout=dict(paper_bgcolor="white", plot_bgcolor="white",
                                           xaxis=dict(_GRID, automargin=True), yaxis=dict(_GRID, automargin=True)))
_LAYOUT = dict(template=_TEMPLATE, margin=dict(l=10, r=10, t=80, b=40), legend_title_text="",
               hoverlabel=dict(align="left"), font=dict(size=12))


def amount_text(amount: Decimal | None, currency: str | None = None, *, exact: bool = False) -> str:
    """Text with thousands separators, rounded half-up to the currency's minor unit as a statement
    shows it: `1,234.50 USD`, `4,465.94 USD`, `-3.00 USD`, `1,234,567 JPY`. `exact=True` keeps every
    digit (`0.0000000018 USD`), as the detailed exports do. None is `-`."""
    if amount is None:
        return "-"
    known = currency is not None and is_known_currency(currency)
    text = plain(amount if exact or not known else round_minor(amount, currency or ""))
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = text.partition(".")
    digits = minor_unit(currency) if known and currency else 0
    fraction = fraction.ljust(digits, "0")
    grouped = f"{int(whole):,}"
    out = f"{sign}{grouped}.{fraction}" if fraction else f"{sign}{grouped}"
    return f"{out} {currency}" if currency else out


def percent_text(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:+.2f} %"


def _length(amount: Decimal) -> float:
    """The one place money becomes a float: a bar's length on screen."""
    return float(amount)


def _currency(frame: pd.DataFrame, column: str = "currency") -> str:
    found = sorted(set(frame[column]))
    if len(found) > 1:
        raise ValueError(f"the figure draws one currency, the data has {', '.join(found)}: select a currency")
    return found[0] if found else ""


def _empty(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font=dict(size=14))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _title(text: str, subtitle: str) -> dict[str, object]:
    return dict(text=f"{text}<br><sup>{subtitle}</sup>" if subtitle else text, x=0.01)


def _bar_height(count: int) -> int:
    return max(320, 120 + 28 * count)


def _room_for_labels(fig: go.Figure, lengths: Sequence[float], **cell: int) -> None:
    """Widen a horizontal value axis so that labels outside the bars, on either side of zero,
    stay clear of the category labels. `cell`: row and col of a subplot."""
    low, high = min(0.0, *lengths), max(0.0, *lengths)
    pad = 0.45 * ((high - low) or 1.0)
    fig.update_xaxes(range=[low - pad if low < 0 else 0.0, high + pad if high > 0 else 0.0], **cell)


def daily_cost_figure(
    frame: pd.DataFrame, *, by: str = "product_type", subtitle: str = "", days: DateRange | None = None,
) -> go.Figure:
    """Stacked bars of daily cost, one trace per value of `by` (product_type, service or vendor),
    the largest over the range at the bottom of the stack and first in the legend. Credits
    stack below zero (barmode relative). `days` shows every day of the range on the axis."""
    label = by.replace("_", " ")
    fig = go.Figure(layout=dict(**_LAYOUT, title=_title(f"Daily cost by {label}", subtitle), barmode="relative"))
    if frame.empty:
        return _empty(fig, "No usage in this selection")
    currency = _currency(frame)
    # each group's total orders the stack; exact sums of already-aggregated rows
    totals = {g: exact_sum(part["cost"]) for g, part in frame.groupby(by, sort=True)}
    for rank, group in enumerate(sorted(totals, key=lambda g: (-totals[g], g))):
        part = frame[frame[by] == group]
        name = _vendor(str(group)) if by == "vendor" else str(group)
        fig.add_bar(
            name=name, x=list(part["day"]), y=[_length(c) for c in part["cost"]],
            marker_color=SERIES_COLOURS[rank % len(SERIES_COLOURS)],
            customdata=[amount_text(c, currency, exact=True) for c in part["cost"]],
            hovertemplate=f"<b>{name}</b><br>%{{x|%a %d %b %Y}}<br>%{{customdata}}<extra></extra>",
        )
    fig.update_xaxes(title_text="Usage day", type="date", tickformat="%d %b", hoverformat="%d %b %Y")
    if days is not None:  # bars are centred on their day: the axis starts and ends half a day out
        half = dt.timedelta(hours=12)
        first, end = (dt.datetime.combine(d, dt.time()) - half for d in (days.start, days.end))
        fig.update_xaxes(range=[first.isoformat(sep=" "), end.isoformat(sep=" ")])
    fig.update_yaxes(title_text=f"Cost ({currency})", tickformat=",")
    # tall enough for the whole legend (one ~20 px line per series): plotly scrolls a legend taller
    # than the plot inside a small box, which hid most product types
    fig.update_layout(height=max(450, 140 + 20 * len(totals)))
    return fig


def _customer_label(customer_id: str, name: str) -> str:
    return UNASSIGNED if customer_id == UNASSIGNED_ID else f"{name} (#{customer_id})"


def _horizontal(fig: go.Figure, labels: Sequence[str], **cell: int) -> None:
    """Horizontal bars list from the top: the first label at the top. `cell`: row and col of a subplot."""
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(labels)), automargin=True, **cell)


def customer_cost_figure(frame: pd.DataFrame, *, subtitle: str = "") -> go.Figure:
    """Horizontal bars of cost per customer, largest at the top, the Unassigned bucket grey."""
    fig = go.Figure(layout=dict(**_LAYOUT, title=_title("Cost by customer", subtitle), showlegend=False))
    if frame.empty:
        return _empty(fig, "No usage in this selection")
    currency = _currency(frame)
    ordered = frame.sort_values("cost", ascending=False, kind="stable")
    labels = [_customer_label(c, n) for c, n in zip(ordered["customer_id"], ordered["customer_name"])]
    texts = [amount_text(c, currency) for c in ordered["cost"]]
    fig.add_bar(
        orientation="h", y=labels, x=[_length(c) for c in ordered["cost"]], text=texts, textposition="outside", cliponaxis=False,
        marker_color=[GREY if c == UNASSIGNED_ID else BAR for c in ordered["customer_id"]],
        customdata=[[amount_text(c, currency, exact=True), int(a)] for c, a in zip(ordered["cost"], ordered["accounts"])],
        hovertemplate="<b>%{y}</b><br>%{customdata[0]}<br>%{customdata[1]} account(s)<extra></extra>",
        name="cost",
    )
    _horizontal(fig, labels)
    _room_for_labels(fig, [_length(c) for c in ordered["cost"]])
    fig.update_xaxes(title_text=f"Cost ({currency})", tickformat=",")
    fig.update_layout(height=_bar_height(len(labels)))
    return fig


def _vendor(value: str) -> str:
    """A vendor as every page and document names it (Google Cloud, not gcp)."""
    return Vendor.display_name_of(value)


def _account_label(vendor: str, account_id: str, name: str) -> str:
    return f"{_vendor(vendor)} {account_id or '(no account)'}" + (f" · {name}" if name else "")


def _mom_label(result: MonthOverMonth, row: pd.Series) -> str:
    if result.by == "customer":
        return _customer_label(str(row["customer_id"]), str(row["customer_name"]))
    return f"{row['service']} ({_vendor(row['vendor'])})"


def month_over_month_figure(result: MonthOverMonth, *, limit: int = 25, subtitle: str = "") -> go.Figure:
    """Diverging horizontal bars of the change from `previous` to `current`: flagged increases
    red, flagged decreases green, the rest grey. Shows every flagged row and the largest other
    changes up to `limit` rows; unchanged rows are left out."""
    title = f"Month over month by {result.by}: {result.previous} → {result.current}"
    note = f"flagged: top {result.top} changes and changes of {plain(result.threshold_percent)} % or more"
    fig = go.Figure(layout=dict(**_LAYOUT, title=_title(title, f"{subtitle} · {note}" if subtitle else note),
                                showlegend=True))
    rows = result.rows[[c != 0 for c in result.rows["change"]]]
    if rows.empty:
        return _empty(fig, "No change between the two months")
    currency = _currency(rows)
    flagged = rows[rows["flagged"].astype(bool)]
    others = rows[~rows["flagged"].astype(bool)].head(max(0, limit - len(flagged)))
    shown = pd.concat([flagged, others]) if not others.empty else flagged
    shown = shown.assign(_order=[-c for c in shown["change"]]).sort_values("_order", kind="stable")
    labels = [_mom_label(result, r) for _, r in shown.iterrows()]
    groups = (
        ("Flagged increase", INCREASE, lambda r: bool(r["flagged"]) and r["change"] > 0),
        ("Flagged decrease", DECREASE, lambda r: bool(r["flagged"]) and r["change"] < 0),
        ("Other change", NEUTRAL, lambda r: not bool(r["flagged"])),
    )
    for name, colour, belongs in groups:
        part = [(label, r) for label, (_, r) in zip(labels, shown.iterrows()) if belongs(r)]
        if not part:
            continue
        fig.add_bar(
            name=name, orientation="h", marker_color=colour,
            y=[label for label, _ in part], x=[_length(r["change"]) for _, r in part],
            text=[f"{amount_text(r['change'], currency)} ({percent_text(r['change_percent'])})" for _, r in part],
            textposition="outside", cliponaxis=False,
            customdata=[[amount_text(r["previous"], currency, exact=True), amount_text(r["current"], currency, exact=True),
                         amount_text(r["change"], currency, exact=True), percent_text(r["change_percent"])] for _, r in part],
            hovertemplate=(f"<b>%{{y}}</b><br>{result.previous}: %{{customdata[0]}}<br>{result.current}: %{{customdata[1]}}"
                           "<br>change: %{customdata[2]} (%{customdata[3]})<extra></extra>"),
        )
    _horizontal(fig, labels)
    _room_for_labels(fig, [_length(c) for c in shown["change"]])
    fig.update_xaxes(title_text=f"Change in cost ({currency})", tickformat=",", zeroline=True, zerolinewidth=2)
    fig.update_layout(barmode="overlay", height=_bar_height(len(labels)))
    return fig


def margin_figure(frame: pd.DataFrame, *, subtitle: str = "") -> go.Figure:
    """Horizontal bars of margin per customer (and vendor, when there are several), exactly as
    invoices would price it; the hover has the vendor cost, the price before credits (the
    invoice's charges: usage, support, marketplace) and margin %. Margins in several invoice
    currencies are drawn one subplot per currency (alphabetical), each with its own axis and a
    title with the currency's totals (`queries.margin_totals`): 15,000 JPY and 100 USD never
    share an axis.
    Customers that cannot be priced are counted in the subtitle."""
    priced = frame[[p is not None for p in frame["price"]]] if not frame.empty else frame
    unpriced = len(frame) - len(priced)
    notes = [subtitle] if subtitle else []
    if unpriced:
        notes.append(f"{unpriced} customer(s) cannot be priced yet: see the table")
    title = _title("Margin per customer (as invoices would price it)", " · ".join(notes))
    fig = go.Figure(layout=dict(**_LAYOUT, title=title))
    if priced.empty:
        return _empty(fig, "No customer can be priced in this selection")
    several_vendors = priced["vendor"].nunique() > 1
    labels = [
        _customer_label(c, n) + (f" · {_vendor(v)}" if several_vendors else "")
        for c, n, v in zip(priced["customer_id"], priced["customer_name"], priced["vendor"])
    ]
    priced = priced.assign(_label=labels)
    totals = q.margin_totals(priced)
    currencies = list(totals["currency"])
    counts = [int((priced["currency"] == c).sum()) for c in currencies]
    if len(currencies) > 1:
        fig = _facets(fig, counts, [_margin_facet_title(t) for _, t in totals.iterrows()])
    for row, currency in enumerate(currencies, start=1):
        part = priced[priced["currency"] == currency]
        # one currency: the plain figure (no subplot grid, no facet title); several: row `row` of the grid
        cell = dict(row=row, col=1) if len(currencies) > 1 else {}
        fig.add_bar(
            name=f"Margin ({currency})", orientation="h", y=list(part["_label"]), x=[_length(v) for v in part["margin"]],
            text=[f"{amount_text(v, currency)} ({percent_text(p).lstrip('+')})" for v, p in zip(part["margin"], part["margin_percent"])],
            textposition="outside", cliponaxis=False,
            customdata=[[amount_text(c, uc, exact=True), amount_text(p, currency), amount_text(mg, currency), percent_text(pc).lstrip("+")]
                        for c, uc, p, mg, pc in zip(part["vendor_cost"], part["usage_currency"], part["price"],
                                                    part["margin"], part["margin_percent"])],
            hovertemplate=("<b>%{y}</b><br>vendor cost: %{customdata[0]}<br>price before credits: %{customdata[1]}"
                           "<br>margin: %{customdata[2]}<br>margin %: %{customdata[3]} of price<extra></extra>"),
            **cell,
        )
        _horizontal(fig, list(part["_label"]), **cell)
        _room_for_labels(fig, [_length(v) for v in part["margin"]], **cell)
        fig.update_xaxes(title_text=f"Margin ({currency})", tickformat=",", zeroline=True, zerolinewidth=2, **cell)
    if len(currencies) == 1:
        fig.update_layout(height=_bar_height(len(labels)), showlegend=False)
    return fig


def _margin_facet_title(total: pd.Series) -> str:
    """`EUR: 2 customers, price before credits 636.77 EUR, margin 34.42 EUR (5.41 %)`: a currency's
    totals (`queries.margin_totals`: the exact figures added up, rounded once)."""
    currency, customers = str(total["currency"]), int(total["customers"])
    return (f"<b>{currency}</b>: {customers} customer{'s' if customers != 1 else ''}, "
            f"price before credits {amount_text(total['price'], currency)}, margin {amount_text(total['margin'], currency)} "
            f"({percent_text(total['margin_percent']).lstrip('+')})")


# Between two facets: the upper one's tick labels and axis title, the lower one's facet title.
_FACET_GAP = 100


def _facets(fig: go.Figure, counts: Sequence[int], titles: Sequence[str]) -> go.Figure:
    """`fig` as a column of horizontal-bar subplots, one per currency, `counts[i]` bars in the
    i-th: each as tall as the bars need, with its own x and y axis (nothing shared) and a title."""
    bars = [max(2, n) * 28 for n in counts]
    plot = sum(bars) + _FACET_GAP * (len(bars) - 1)
    sub = make_subplots(rows=len(bars), cols=1, row_heights=bars, vertical_spacing=_FACET_GAP / plot,
                        subplot_titles=list(titles), figure=fig)
    sub.update_annotations(x=0, xanchor="left", font=dict(size=13))  # a facet title reads from the left, as the figure's
    sub.update_layout(height=_LAYOUT["margin"]["t"] + _LAYOUT["margin"]["b"] + plot + 40, showlegend=False)
    return sub


def unassigned_figure(frame: pd.DataFrame, *, subtitle: str = "") -> go.Figure:
    """Horizontal bars of the usage of accounts that belong to no customer, largest at the top."""
    fig = go.Figure(layout=dict(**_LAYOUT, title=_title("Usage of accounts that belong to no customer", subtitle),
                                showlegend=False))
    if frame.empty:
        return _empty(fig, "Every account with usage belongs to a customer")
    currency = _currency(frame)
    labels = [_account_label(v, a, n) for v, a, n in zip(frame["vendor"], frame["account_id"], frame["account_name"])]
    texts = [amount_text(c, currency) for c in frame["cost"]]
    fig.add_bar(
        orientation="h", y=labels, x=[_length(c) for c in frame["cost"]], text=texts, textposition="outside", cliponaxis=False,
        marker_color=GREY, name="not invoiced",
        customdata=[[amount_text(c, currency, exact=True), int(r)] for c, r in zip(frame["cost"], frame["rows"])],
        hovertemplate="<b>%{y}</b><br>%{customdata[0]} not invoiced<br>%{customdata[1]} vendor rows<extra></extra>",
    )
    _horizontal(fig, labels)
    _room_for_labels(fig, [_length(c) for c in frame["cost"]])
    fig.update_xaxes(title_text=f"Cost ({currency})", tickformat=",")
    fig.update_layout(height=_bar_height(len(labels)))
    return fig


def drilldown_figure(drill: Drilldown, *, subtitle: str = "") -> go.Figure:
    """A customer's accounts as horizontal bars stacked by service, largest account at the top;
    the hover shows the service's and the account's exact cost."""
    who = _customer_label(drill.customer_id, drill.customer_name)
    fig = go.Figure(layout=dict(**_LAYOUT, title=_title(f"{who}: cost by account and service", subtitle),
                                barmode="relative"))
    if drill.services.empty:
        return _empty(fig, "No usage for this customer in this selection")
    currency = _currency(drill.services)
    account_label = {(v, a): _account_label(v, a, n)
                     for v, a, n in zip(drill.accounts["vendor"], drill.accounts["account_id"], drill.accounts["account_name"])}
    account_total = {(v, a): amount_text(c, currency, exact=True)
                     for v, a, c in zip(drill.accounts["vendor"], drill.accounts["account_id"], drill.accounts["cost"])}
    labels = [account_label[(v, a)] for v, a in zip(drill.accounts["vendor"], drill.accounts["account_id"])]
    for service in dict.fromkeys(drill.services["service"]):
        part = drill.services[drill.services["service"] == service]
        keys = list(zip(part["vendor"], part["account_id"]))
        fig.add_bar(
            name=str(service), orientation="h", y=[account_label[k] for k in keys], x=[_length(c) for c in part["cost"]],
            customdata=[[amount_text(c, currency, exact=True), account_total[k]] for c, k in zip(part["cost"], keys)],
            hovertemplate=f"<b>%{{y}}</b><br>{service}: %{{customdata[0]}}<br>account total: %{{customdata[1]}}<extra></extra>",
        )
    _horizontal(fig, labels)
    fig.update_xaxes(title_text=f"Cost ({currency})", tickformat=",")
    fig.update_layout(height=_bar_height(len(labels)))
    return fig
