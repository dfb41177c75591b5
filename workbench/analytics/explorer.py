"""The usage explorer: an ipywidgets app over `queries` and `figures`, for Jupyter and Voila.

    app = build_usage_explorer(open_workspace("demo-workspace"), today=dt.date(2025, 11, 25))
    app            # displays app.widget
    app.state      # what is shown: the scope, the result frames, the figures, the messages

Controls: vendor (All vendors + the vendors with data), a range of whole months, the usage
currency (the cost figures draw one currency; the list holds the currencies of the selection,
the one with the most usage rows first and chosen;
the margin tab shows the customers whose vendor cost is in it, one chart and one total per
invoice currency), and per tab its own options; the drill-down tab has the customer dropdown (customer -> accounts ->
services). Every change recomputes what it affects and replaces `state`, so tests set widget
values and read `state` without a browser; while it does, "reading usage ..." shows beside the
controls (`working`).

How figures reach the page: each tab holds an `ipywidgets.Output` whose `outputs` are set to a
Plotly mime bundle (`application/vnd.plotly.v1+json`). JupyterLab and Voila 0.5 render it with
the `jupyterlab-plotly` mime extension that the plotly wheel installs into
`share/jupyter/labextensions`; it bundles plotly.js and Voila serves it from the local
installation, so nothing is fetched from a CDN. Not chosen: `go.FigureWidget` (plotly 6+ builds
it on anywidget, one more dependency and front-end extension to keep in step), and
`ipywidgets.HTML(fig.to_html(...))` (HTML widgets set innerHTML, so plotly's <script> never
runs, and an inline plotly.js would resend ~4.6 MB on every change).

Voila lets a viewer set any widget to any value: dropdowns and sliders only accept their own
options (checked in Python by traitlets), numbers are bounded, and the queries take the
customer ID as a SQL parameter and check currency codes.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from workbench.analytics import figures as f
from workbench.analytics import queries as q
from workbench.billing.core.money import exact_sum
from workbench.billing.core.periods import DateRange, month_key, parse_month
from workbench.billing.core.usage import Vendor
from workbench.billing.store.audit import stamp
from workbench.billing.store.usage_queries import report_periods
from workbench.billing.store.workspace import Workspace

__all__ = ["ANY", "NOBODY", "PLOTLY_MIME", "TABS", "ExplorerState", "UsageExplorer", "build_usage_explorer", "figure_bundle"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
ALL_VENDORS = "All vendors"
# Dropdown values: ipywidgets shows a None value as an empty selection, so the "all" and
# "nobody chosen" choices are strings that no vendor or customer ID can be.
ANY = "*all*"
NOBODY = "*none*"
# tab key -> title, in display order
TABS: dict[str, str] = {
    "daily": "Daily cost",
    "customers": "By customer",
    "mom": "Month over month",
    "margin": "Margin",
    "unassigned": "Unassigned",
    "drilldown": "Drill-down",
}


@dataclass(frozen=True, eq=False)
class ExplorerState:
    """What the explorer shows. `None` results were not computed (no data in the selection)."""

    vendor: str | None  # None = all vendors
    date_range: DateRange | None
    currency: str | None
    customer_id: str | None  # the drilled-down customer; q.UNASSIGNED_ID for the unassigned bucket
    daily: pd.DataFrame = field(default_factory=pd.DataFrame)
    customers: pd.DataFrame = field(default_factory=pd.DataFrame)
    month_over_month: q.MonthOverMonth | None = None
    margins: pd.DataFrame = field(default_factory=pd.DataFrame)
    margin_totals: pd.DataFrame = field(default_factory=pd.DataFrame)  # q.margin_totals(margins): per invoice currency
    unassigned: pd.DataFrame = field(default_factory=pd.DataFrame)
    drilldown: q.Drilldown | None = None
    figures: dict[str, go.Figure] = field(default_factory=dict)
    messages: tuple[str, ...] = ()


def figure_bundle(fig: go.Figure) -> dict[str, Any]:
    """The mime bundle JupyterLab and Voila render with the jupyterlab-plotly extension."""
    spec = json.loads(fig.to_json())
    spec["config"] = {"displaylogo": False, "responsive": True}
    title = fig.layout.title.text or "figure"
    return {PLOTLY_MIME: spec, "text/plain": f"<Plotly figure: {title.split('<br>')[0]}>"}


def _show(output: widgets.Output, fig: go.Figure) -> None:
    output.outputs = ({"output_type": "display_data", "data": figure_bundle(fig), "metadata": {}},)


Column = tuple[str, Callable[[pd.Series], str]]


def _money(column: str, currency: str = "currency") -> Callable[[pd.Series], str]:
    return lambda row: f.amount_text(row[column], row[currency])


def _text(column: str) -> Callable[[pd.Series], str]:
    return lambda row: "" if row[column] is None else str(row[column])


def _vendor_text(column: str) -> Callable[[pd.Series], str]:
    """A vendor column as the pages name vendors (Azure, Google Cloud); an empty cell stays empty."""
    return lambda row: Vendor.display_name_of(str(row[column])) if row[column] else ""


def _table(frame: pd.DataFrame, columns: Sequence[Column], *, caption: str = "", numeric: Sequence[str] = ()) -> str:
    """A plain HTML table of exact values (escaped): what the hover shows, for reading at length."""
    return _sectioned_table([("", frame, None)], columns, caption=caption, numeric=numeric)


Section = tuple[str, pd.DataFrame, pd.Series | None]


def _sectioned_table(sections: Sequence[Section], columns: Sequence[Column], *, caption: str = "",
                     numeric: Sequence[str] = ()) -> str:
    """`_table` of several groups of rows (heading, rows, total): a non-empty heading is a row of
    its own above its rows, a total a bold row below them (read by the same columns)."""
    if all(rows.empty and total is None for _, rows, total in sections):
        return ""

    def line(row: pd.Series, style: str = "") -> str:
        return f"<tr{style}>" + "".join(
            f"<td style='text-align:{'right' if h in numeric else 'left'};padding:2px 10px'>{html.escape(cell(row))}</td>"
            for h, cell in columns
        ) + "</tr>"

    head = "".join(f"<th style='text-align:{'right' if h in numeric else 'left'}'>{html.escape(h)}</th>" for h, _ in columns)
    body = ""
    for heading, rows, total in sections:
        if heading and not (rows.empty and total is None):
            body += (f"<tr class='wb-group'><th colspan='{len(columns)}' style='text-align:left;padding:8px 10px 2px'>"
                     f"{html.escape(heading)}</th></tr>")
        # not iterrows(): pandas 3 reads a row of only text and None as strings, None becoming NaN
        # (a customer with usage in two currencies has no Decimal in its row)
        body += "".join(line(pd.Series(list(row), index=rows.columns, dtype=object))
                        for row in rows.itertuples(index=False, name=None))
        if total is not None:
            body += line(total, " class='wb-total' style='font-weight:600;border-top:1px solid #c9d1dc'")
    cap = f"<caption style='text-align:left;font-weight:600'>{html.escape(caption)}</caption>" if caption else ""
    return f"<table style='border-collapse:collapse;font-size:12px'>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


MARGIN_TABLE: list[Column] = [
    ("Customer", _text("customer_name")), ("ID", _text("customer_id")), ("Vendor", _vendor_text("vendor")),
    ("Vendor cost", _money("vendor_cost", "usage_currency")), ("Price before credits", _money("price")),
    ("Margin", _money("margin")), ("Margin %", lambda r: f.percent_text(r["margin_percent"]).lstrip("+")),
    ("Billed by", _text("billed")), ("Cannot price because", _text("problems")),
]


def _margin_table(margins: pd.DataFrame, totals: pd.DataFrame) -> str:
    """Margins grouped by invoice currency, each group with its total (`q.margin_totals`: the
    exact figures added up, rounded once); customers that cannot be priced last, under their own
    "Cannot be priced yet" heading, so they never read as part of the total above them. One
    invoice currency: no "Invoiced in" heading, as the figure has no facet titles. Where the
    rounded rows shown add up to another figure than the total, a note under the table says so."""
    several = len(totals) > 1
    priced = [p is not None for p in margins["price"]] if not margins.empty else []
    sections: list[Section] = []
    drift: list[str] = []
    for _, t in totals.iterrows():
        currency = t["currency"]
        total = pd.Series({"customer_name": f"Total {currency}", "customer_id": "", "vendor": "",
                           "usage_currency": t["usage_currency"], "vendor_cost": t["vendor_cost"], "currency": currency,
                           "price": t["price"], "margin": t["margin"], "margin_percent": t["margin_percent"],
                           "billed": "", "problems": ""}, dtype=object)
        rows = margins[[p and c == currency for p, c in zip(priced, margins["currency"])]]
        sections.append((f"Invoiced in {currency}" if several else "", rows, total))
        for what, column in (("prices before credits", "price"), ("margins", "margin")):
            shown = exact_sum(rows[column])
            if shown != t[column]:
                drift.append(f"the {what} shown add up to {f.amount_text(shown, currency)}, "
                             f"the total is {f.amount_text(t[column], currency)}")
    sections.append(("Cannot be priced yet", margins[[not p for p in priced]], None))
    table = _sectioned_table(sections, MARGIN_TABLE, numeric=("Vendor cost", "Price before credits", "Margin", "Margin %"))
    if drift:
        table += ("<p class='wb-rounding' style='font-size:12px;color:#555'>Totals add every customer's unrounded "
                  f"figures and round once: {html.escape('; '.join(drift))}.</p>")
    return table



def _previous_month(month: str) -> str:
    return month_key(parse_month(month) - dt.timedelta(days=1))


_Refresh = TypeVar("_Refresh", bound=Callable[..., None])


def _shows_working(refresh: _Refresh) -> _Refresh:
    """`UsageExplorer.working` says "reading usage ..." while `refresh` runs (nested: until the
    outermost one ends). The first look at a month's days writes its day summary: seconds for ten
    million vendor rows, during which the controls would otherwise just not answer."""
    @functools.wraps(refresh)
    def wrapper(self: UsageExplorer, *args: Any, **kwargs: Any) -> None:
        self._refreshing += 1
        self.working.value = "<span style='color:#555;line-height:28px'>reading usage ...</span>"
        try:
            refresh(self, *args, **kwargs)
        finally:
            self._refreshing -= 1
            if not self._refreshing:
                self.working.value = ""
    return wrapper  # type: ignore[return-value]


class UsageExplorer:
    """The widget tree and its state; build it with `build_usage_explorer`."""

    def __init__(self, ws: Workspace, *, today: dt.date | None = None) -> None:
        self.ws = ws
        self._given_today = today
        self.today = today or dt.date.today()
        self.stamp = stamp(ws, self.today)  # what the figures were computed from (`catch_up`)
        self._quiet = False
        self._refreshing = 0
        self._periods = report_periods(ws)
        self.vendor = widgets.Dropdown(description="Vendor", options=self._vendor_options(), value=ANY)
        # the slider's own readout joins the two ends with "-", which months already hold
        # ("2026-11-2026-11"): `months_readout` says "2026-11" or "2026-10 to 2026-11" instead
        self.months = widgets.SelectionRangeSlider(description="Months", options=["(no data)"], disabled=True,
                                                   readout=False, layout=widgets.Layout(width="360px"),
                                                   continuous_update=False)
        self.months_readout = widgets.HTML(layout=widgets.Layout(min_width="150px"))
        self.currency = widgets.Dropdown(description="Currency", options=[], layout=widgets.Layout(width="180px"))
        self.stack_by = widgets.ToggleButtons(description="Stack by", options=[("Product type", "product_type"),
                                                                                ("Service", "service"), ("Vendor", "vendor")])
        self.mom_by = widgets.ToggleButtons(description="Compare", options=[("Customers", "customer"), ("Services", "service")])
        self.top = widgets.BoundedIntText(description="Top N", value=5, min=0, max=50, layout=widgets.Layout(width="160px"))
        self.threshold = widgets.BoundedIntText(description="Over %", value=20, min=0, max=10_000, layout=widgets.Layout(width="160px"))
        self.customer = widgets.Dropdown(description="Customer", options=[("(choose a customer)", NOBODY)], value=NOBODY,
                                         layout=widgets.Layout(width="600px"))
        self.message = widgets.HTML()
        self.working = widgets.HTML()
        self.outputs = {key: widgets.Output() for key in TABS}
        self.tables = {key: widgets.HTML() for key in TABS}
        extras: dict[str, list[widgets.Widget]] = {
            "daily": [self.stack_by], "mom": [widgets.HBox([self.mom_by, self.top, self.threshold])],
            "drilldown": [self.customer],
        }
        self.tabs = widgets.Tab(
            children=[widgets.VBox([*extras.get(k, []), self.outputs[k], self.tables[k]]) for k in TABS],
            titles=list(TABS.values()),
        )
        title = html.escape(ws.name or ws.root.name)
        self.widget = widgets.VBox([
            widgets.HTML(f"<h2 style='margin:4px 0'>Usage explorer</h2><div style='color:#555'>workspace {title} · "
                         "vendor costs before pricing, free tier and vendor tax left out, as invoices count them · "
                         "hover a bar for the exact amount</div>"),
            widgets.HBox([self.vendor, self.months, self.months_readout, self.currency, self.working],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.message,
            self.tabs,
        ])
        self.state = ExplorerState(None, None, None, None)
        self.months.observe(lambda _change: self._show_months(), names=["value", "disabled"])
        self._scope_months()
        self._scope_currencies()
        self.refresh()
        self.vendor.observe(self._on_vendor, names="value")
        self.months.observe(self._on_months, names="value")
        self.currency.observe(self._on_scope, names="value")
        self.customer.observe(self._unless_quiet(self.refresh_drilldown), names="value")
        self.stack_by.observe(self._unless_quiet(self.refresh_daily), names="value")
        for control in (self.mom_by, self.top, self.threshold):
            control.observe(self._unless_quiet(self.refresh_month_over_month), names="value")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _vendor_options(self) -> list[tuple[str, str]]:
        return [(ALL_VENDORS, ANY)] + [(Vendor.display_name_of(v), v) for v in sorted({p.vendor for p in self._periods})]

    def catch_up(self) -> bool:
        """Start over from the workspace as it is now if the day turned or the workspace changed (an
        audit event: a vendor import, an account moved) since the page was built: `workbench serve`
        preheats it, hours before its visitor perhaps. The visitor has chosen nothing yet, so the
        vendor, months and currency go back to their defaults for the data now there."""
        now = stamp(self.ws, self._given_today or dt.date.today())
        if now == self.stamp:
            return False
        self.today, self._periods = now.today, report_periods(self.ws)
        with self._quietly():
            self.vendor.options = self._vendor_options()
            self.vendor.value = ANY
            self.months.options, self.months.disabled = ["(no data)"], True  # no earlier choice to keep
        self._scope_months()
        self._scope_currencies()
        self.refresh()
        self.stamp = now
        return True

    def _unless_quiet(self, refresh: Callable[[], None]) -> Callable[[object], None]:
        def observer(_: object) -> None:
            if not self._quiet:
                refresh()
        return observer

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Setting options resets values; their observers wait for the one refresh after."""
        was, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = was

    # --- the scope --------------------------------------------------------------------------

    def _scope_months(self) -> None:
        vendor = self.selected_vendor
        months = sorted({p.period for p in self._periods if vendor is None or p.vendor == vendor})
        with self._quietly():
            if not months:
                self.months.options, self.months.disabled = ["(no data)"], True
                return
            current = month_key(self.today)
            default = max((m for m in months if m <= current), default=months[-1])
            previous = self.months.value if not self.months.disabled else None
            self.months.options, self.months.disabled = months, False
            if previous is not None and previous[0] in months and previous[1] in months:
                self.months.value = previous
            else:
                self.months.value = (default, default)

    def _show_months(self) -> None:
        """The slider's readout: one month alone, a range as "first to last"."""
        if self.months.disabled or len(self.months.value) != 2:  # () while its options change
            text = ""
        else:
            first, last = self.months.value
            text = first if first == last else f"{first} to {last}"
        self.months_readout.value = f"<span class='wb-months' style='line-height:28px'>{html.escape(text)}</span>"

    @property
    def selected_vendor(self) -> str | None:
        """The vendor chosen, None for all vendors."""
        return None if self.vendor.value == ANY else self.vendor.value

    @property
    def selected_customer(self) -> str | None:
        """The customer to drill into (q.UNASSIGNED_ID for the unassigned bucket), or None."""
        return None if self.customer.value == NOBODY else self.customer.value

    @property
    def date_range(self) -> DateRange | None:
        if self.months.disabled:
            return None
        first, last = self.months.value
        return q.month_span(first, last)

    def _scope_currencies(self) -> None:
        date_range, vendor = self.date_range, self.selected_vendor
        months = set(date_range.months) if date_range else set()
        # most usage rows first: the currency most of the range's usage is billed in is the one
        # a manager opening the page expects to see (a small second report does not take over)
        rows: dict[str, int] = {}
        for p in self._periods:
            if (vendor is None or p.vendor == vendor) and p.period in months:
                rows[p.currency] = rows.get(p.currency, 0) + p.rows
        ordered = sorted(rows, key=lambda c: (-rows[c], c))
        with self._quietly():
            keep = self.currency.value if self.currency.value in rows else None
            self.currency.options = ordered
            self.currency.value = keep or (ordered[0] if ordered else None)

    def _on_vendor(self, _: object) -> None:
        if self._quiet:
            return
        self._scope_months()
        self._scope_currencies()
        self.refresh()

    def _on_months(self, _: object) -> None:
        if self._quiet:
            return
        self._scope_currencies()
        self.refresh()

    def _on_scope(self, _: object) -> None:
        if not self._quiet:
            self.refresh()

    # --- computing and drawing --------------------------------------------------------------

    def _subtitle(self, *, usage: bool = False) -> str:
        chosen = self.selected_vendor
        vendor = Vendor.display_name_of(chosen) if chosen else ALL_VENDORS
        return f"{vendor} · {self.date_range} · {'vendor cost in ' if usage else ''}{self.currency.value}"

    @_shows_working
    def refresh(self) -> None:
        """Recompute every tab for the current vendor, months and currency."""
        date_range, currency = self.date_range, self.currency.value
        self.state = ExplorerState(self.selected_vendor, date_range, currency, self.selected_customer)
        if date_range is None or currency is None:
            self.state = replace(self.state, messages=("There is no usage in this workspace yet: import vendor reports first.",))
            self._draw_messages()
            for key in TABS:
                self.outputs[key].outputs = ()
                self.tables[key].value = ""
            return
        vendor, sub = self.selected_vendor, self._subtitle()
        customers = q.cost_by_customer(self.ws, vendor, date_range, currency=currency)
        unassigned = q.unassigned_accounts(self.ws, vendor, date_range, currency=currency)
        margins = q.customer_margins(self.ws, vendor, date_range)
        # a customer with usage in two currencies ("EUR, USD": it cannot be priced) shows under each of them
        margins = margins[[currency in c.split(", ") for c in margins["usage_currency"]]] if not margins.empty else margins
        margin_totals = q.margin_totals(margins)
        # the margin figure is in the invoice currencies: the usage currency chosen is its vendor cost's
        margin_sub = sub if set(margin_totals["currency"]) <= {currency} else self._subtitle(usage=True)
        self.state = replace(self.state, customers=customers, unassigned=unassigned, margins=margins,
                             margin_totals=margin_totals,
                             figures={**self.state.figures,
                                      "customers": f.customer_cost_figure(customers, subtitle=sub),
                                      "margin": f.margin_figure(margins, subtitle=margin_sub),
                                      "unassigned": f.unassigned_figure(unassigned, subtitle=sub)})
        self._customer_options(customers)
        self._draw("customers", _table(customers, [
            ("Customer", _text("customer_name")), ("ID", _text("customer_id")), ("Accounts", _text("accounts")),
            ("Cost", _money("cost"))], numeric=("Accounts", "Cost")))
        self._draw("margin", _margin_table(margins, margin_totals))
        self._draw("unassigned", _table(unassigned, [
            ("Vendor", _vendor_text("vendor")), ("Account", _text("account_id")), ("Name", _text("account_name")),
            ("Rows", _text("rows")), ("Cost", _money("cost"))], numeric=("Rows", "Cost")))
        self.refresh_daily(messages=False)
        self.refresh_month_over_month(messages=False)
        self.refresh_drilldown(messages=False)
        self._draw_messages()

    def _customer_options(self, customers: pd.DataFrame) -> None:
        options: list[tuple[str, str]] = [("(choose a customer)", NOBODY)]
        options += [(f"{q.UNASSIGNED if cid == q.UNASSIGNED_ID else f'{name} (#{cid})'} · {f.amount_text(cost, cur)}", cid)
                    for cid, name, cur, cost in zip(customers["customer_id"], customers["customer_name"],
                                                    customers["currency"], customers["cost"])]
        keep = self.customer.value if any(cid == self.customer.value for _, cid in options) else NOBODY
        with self._quietly():
            self.customer.options = options
            self.customer.value = keep

    @_shows_working
    def refresh_daily(self, *, messages: bool = True) -> None:
        date_range, currency = self.date_range, self.currency.value
        if date_range is None or currency is None:
            return
        by = self.stack_by.value
        daily = q.daily_cost(self.ws, self.selected_vendor, date_range, by=(by,), currency=currency)
        self.state = replace(self.state, daily=daily,
                             figures={**self.state.figures,
                                      "daily": f.daily_cost_figure(daily, by=by, subtitle=self._subtitle(), days=date_range)})
        self._draw("daily", "")
        if messages:
            self._draw_messages()

    @_shows_working
    def refresh_month_over_month(self, *, messages: bool = True) -> None:
        date_range, currency = self.date_range, self.currency.value
        if date_range is None or currency is None:
            return
        current = date_range.months[-1]
        previous = _previous_month(current)
        result = q.month_over_month(self.ws, self.selected_vendor, previous, current, by=self.mom_by.value,
                                    top=self.top.value, threshold_percent=Decimal(self.threshold.value), currency=currency)
        notes = tuple(m for m in self.state.messages if not m.startswith("Month over month"))
        if not any(p.period == previous and p.currency == currency and self.selected_vendor in (None, p.vendor)
                   for p in self._periods):
            notes += (f"Month over month: there is no {currency} usage for {previous}, so every cost of {current} shows as new.",)
        self.state = replace(self.state, month_over_month=result, messages=notes,
                             figures={**self.state.figures, "mom": f.month_over_month_figure(result, subtitle=self._subtitle())})
        key = ([("Customer", _text("customer_name")), ("ID", _text("customer_id"))] if result.by == "customer"
               else [("Vendor", _vendor_text("vendor")), ("Service", _text("service"))])
        self._draw("mom", _table(result.flagged, [
            *key, (previous, _money("previous")), (current, _money("current")), ("Change", _money("change")),
            ("Change %", lambda r: f.percent_text(r["change_percent"])),
            ("Why flagged", lambda r: ", ".join(w for w, on in (("top change", r["top"]), ("over threshold", r["over_threshold"])) if on)),
        ], caption="Flagged changes", numeric=(previous, current, "Change", "Change %")))
        if messages:
            self._draw_messages()

    @_shows_working
    def refresh_drilldown(self, *, messages: bool = True) -> None:
        date_range, currency, customer_id = self.date_range, self.currency.value, self.selected_customer
        if date_range is None or currency is None:
            return
        if customer_id is None:
            self.state = replace(self.state, customer_id=None, drilldown=None,
                                 figures={k: v for k, v in self.state.figures.items() if k != "drilldown"})
            self.outputs["drilldown"].outputs = ()
            self.tables["drilldown"].value = "<i>Choose a customer to see its accounts and their services.</i>"
            return
        drill = q.customer_drilldown(self.ws, self.selected_vendor, date_range, customer_id, currency=currency)
        self.state = replace(self.state, customer_id=customer_id, drilldown=drill,
                             figures={**self.state.figures, "drilldown": f.drilldown_figure(drill, subtitle=self._subtitle())})
        total = ", ".join(f.amount_text(c, cur) for cur, c in zip(drill.totals["currency"], drill.totals["cost"]))
        self._draw("drilldown", f"<p><b>Total: {html.escape(total or '0')}</b></p>" + _table(drill.services, [
            ("Vendor", _vendor_text("vendor")), ("Account", _text("account_id")), ("Name", _text("account_name")),
            ("Service", _text("service")), ("Cost", _money("cost"))], numeric=("Cost",)))
        if messages:
            self._draw_messages()

    def _draw(self, key: str, table: str) -> None:
        figure = self.state.figures.get(key)
        self.outputs[key].outputs = ()
        if figure is not None:
            _show(self.outputs[key], figure)
        self.tables[key].value = table

    def _draw_messages(self) -> None:
        self.message.value = "".join(f"<div style='color:#8a5a00'>{html.escape(m)}</div>" for m in self.state.messages)


def build_usage_explorer(ws: Workspace, *, today: dt.date | None = None) -> UsageExplorer:
    """The usage explorer app for a workspace; display it (or its `.widget`) in a notebook."""
    return UsageExplorer(ws, today=today)
