"""Exact usage analytics: DuckDB aggregations over the stored usage parquet.

Every query takes a workspace, a vendor (`None` = all vendors) and a `DateRange`, opens one
DuckDB connection over the current (not superseded) usage files, and returns a small result.
They read the usage summaries, as pricing does; the daily chart reads the day summaries.

Results are pandas DataFrames of `object` columns holding the Python values read from DuckDB
with `fetchall()`: money is exact `Decimal`, days `datetime.date`, missing values `None`
(`DuckDBPyRelation.df()` would turn DECIMAL into float64, so it is never used). Where a result
needs its parameters to be read correctly (month over month, drill-down) it is a frozen
dataclass holding the frames. The column lists are the constants `*_COLUMNS` below.

Which rows count: the rows an invoice is built from, i.e. the range's rows (whole months by
billing period, custom ranges by usage date) without free-tier rows and the vendor's own tax
rows (`core.usage.BILLABLE_SQL`). Marketplace rows are included. Amounts are the vendors'
`billed_cost` in the usage currency; nothing here adds two currencies: every grouping keeps
`currency`, and `currency=` narrows a query to one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import duckdb
import pandas as pd
from sqlalchemy import select

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.money import D, EXACT, ZERO, exact_sum, percent, round_minor
from workbench.billing.core.periods import DateRange, given_month, parse_month
from workbench.billing.generate import CustomerPreview, preview_customers
from workbench.billing.store.usage_files import text_table
from workbench.billing.core.usage import BILLABLE_SQL
from workbench.billing.usage_groups import open_usage
from workbench.billing.store import models as m
from workbench.billing.store.usage_queries import current_reports, report_periods
from workbench.billing.store.workspace import Workspace

__all__ = [
    "UNASSIGNED",
    "UNASSIGNED_ID",
    "DAILY_DIMENSIONS",
    "CUSTOMER_COLUMNS",
    "MARGIN_COLUMNS",
    "UNASSIGNED_COLUMNS",
    "MonthOverMonth",
    "Drilldown",
    "vendors_with_data",
    "months_with_data",
    "currencies_in",
    "month_span",
    "daily_cost",
    "cost_by_customer",
    "month_over_month",
    "customer_margins",
    "margin_totals",
    "MARGIN_TOTAL_COLUMNS",
    "unassigned_accounts",
    "customer_drilldown",
    "percent",
]

UNASSIGNED = "Unassigned"  # customer_name of the bucket of accounts that belong to no customer
UNASSIGNED_ID = ""  # its customer_id

Dimension = Literal["vendor", "product_type", "service"]
DAILY_DIMENSIONS: dict[str, str] = {
    "vendor": "u.vendor",
    # the invoice's section: an empty product type is "Other" there too
    "product_type": "coalesce(nullif(u.product_type, ''), 'Other')",
    "service": "coalesce(nullif(u.service, ''), '(none)')",
}
CUSTOMER_COLUMNS = ["customer_id", "customer_name", "currency", "accounts", "cost"]
MARGIN_COLUMNS = [
    "vendor", "customer_id", "customer_name", "usage_currency", "vendor_cost",
    "currency", "price", "margin", "margin_percent", "billed", "problems", "price_exact", "margin_exact",
]
MARGIN_TOTAL_COLUMNS = ["currency", "customers", "price", "margin", "margin_percent", "usage_currency", "vendor_cost"]
UNASSIGNED_COLUMNS = ["vendor", "account_id", "account_name", "currency", "rows", "cost"]
MOM_KEYS: dict[str, list[str]] = {"customer": ["customer_id", "customer_name"], "service": ["vendor", "service"]}
MOM_FIGURES = ["currency", "previous", "current", "change", "change_percent", "top", "over_threshold", "flagged"]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
# --- what data there is -----------------------------------------------------------------------

def vendors_with_data(ws: Workspace) -> list[str]:
    return sorted({p.vendor for p in report_periods(ws)})


def months_with_data(ws: Workspace, vendor: str | None = None) -> list[str]:
    return sorted({p.period for p in report_periods(ws) if vendor is None or p.vendor == vendor})


def currencies_in(ws: Workspace, vendor: str | None, date_range: DateRange) -> list[str]:
    """Usage currencies of the vendor's (or all vendors') reports touching the range."""
    months = set(date_range.months)
    return sorted({p.currency for p in report_periods(ws)
                   if (vendor is None or p.vendor == vendor) and p.period in months})


def month_span(first: str, last: str) -> DateRange:
    """Whole months `first`..`last` (YYYY-MM, both included) as one range."""
    start, end = given_month(first), given_month(last)
    if end.start < start.start:
        raise ValueError(f"month range ends before it starts: {first}..{last}")
    label = first if first == last else f"{first}..{last}"
    return DateRange(start.start, end.end, label)


# --- the connection ---------------------------------------------------------------------------

@contextmanager
def _usage(ws: Workspace, vendor: str | None, date_range: DateRange, currency: str | None, *,
           days: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with the view `billable`: the billable usage of the scope, each row
    with its customer (NULL when the account belongs to no customer) and account label.

    Its rows are the reports' summaries (`usage_groups.open_usage`: one row per invoice-line
    key, `row_count` vendor rows each), so the explorer's tabs read tens of thousands of rows
    for a month of ten million. `days=True` reads the day summaries instead (the same, per usage
    day too, so `first_usage_start` is in the row's usage day): the daily chart needs usage days."""
    if currency is not None and not _CURRENCY.match(currency):
        raise ValueError(f"not a currency code: {currency!r}")
    with ws.session() as session:
        vendors = [vendor] if vendor is not None else sorted(
            set(session.scalars(select(m.VendorReport.vendor).distinct())))
        reports = [r for v in vendors for r in current_reports(session, v, date_range.months)]
        known = session.execute(
            select(m.Account.vendor, m.Account.account_id, m.Account.customer_id, m.Account.account_name, m.Customer.name)
            .join(m.Customer, m.Customer.customer_id == m.Account.customer_id)
        ).all()
    with open_usage(ws, reports, {}, date_range, form="days" if days else None) as stored:
        con = stored.con
        text_table(con, "known_accounts", {
            name: [row[i] or "" for row in known]
            for i, name in enumerate(("vendor", "account_id", "customer_id", "account_name", "customer_name"))})
        only_currency = f"AND u.currency = '{currency}'" if currency is not None else ""
        con.execute(
            f"""
            CREATE TEMP VIEW billable AS
            SELECT u.*, coalesce(u.sub_account_id, '') AS account_id, a.customer_id, a.customer_name,
                   coalesce(nullif(a.account_name, ''), u.sub_account_name, '') AS account_label
            FROM usage u LEFT JOIN known_accounts a ON a.vendor = u.vendor AND a.account_id = u.sub_account_id
            WHERE {stored.in_range} AND {BILLABLE_SQL} {only_currency}
            """
        )
        yield con


def _frame(rows: Sequence[Sequence[object]], columns: Sequence[str]) -> pd.DataFrame:
    """Rows as fetched, as a frame of `object` columns: every cell keeps its Python value
    (str, int, bool, Decimal, datetime.date, None), so no Decimal becomes a float and no None
    becomes NaN."""
    columns = list(columns)
    return pd.DataFrame({c: pd.Series([r[i] for r in rows], dtype=object) for i, c in enumerate(columns)}, columns=columns)


# --- the queries ------------------------------------------------------------------------------

def daily_cost(
    ws: Workspace, vendor: str | None, date_range: DateRange, *,
    by: Sequence[Dimension] = ("product_type",), currency: str | None = None,
) -> pd.DataFrame:
    """Cost per usage day and `by` (any of vendor, product_type, service).
    Columns: day (datetime.date), currency, *by, cost. Ordered by day, then currency, then `by`."""
    unknown = [d for d in by if d not in DAILY_DIMENSIONS]
    if unknown or not by:
        raise ValueError(f"cannot group by {unknown or 'nothing'}: use any of {sorted(DAILY_DIMENSIONS)}")
    dims = ", ".join(f"{DAILY_DIMENSIONS[d]} AS {d}" for d in by)
    with _usage(ws, vendor, date_range, currency, days=True) as con:
        rows = con.execute(
            f"""
            SELECT CAST(u.first_usage_start AS DATE) AS day, u.currency, {dims}, sum(u.billed_cost) AS cost
            FROM billable u GROUP BY ALL ORDER BY ALL
            """
        ).fetchall()
    return _frame(rows, ["day", "currency", *by, "cost"])


def cost_by_customer(ws: Workspace, vendor: str | None, date_range: DateRange, *, currency: str | None = None) -> pd.DataFrame:
    """Cost per customer and currency, with the accounts that belong to no customer as one bucket
    (customer_id "", customer_name "Unassigned"), listed last. Columns: `CUSTOMER_COLUMNS`
    (accounts = number of distinct vendor accounts with usage). Per currency, largest cost first."""
    with _usage(ws, vendor, date_range, currency) as con:
        rows = con.execute(
            f"""
            SELECT * FROM (
                SELECT coalesce(u.customer_id, '{UNASSIGNED_ID}') AS customer_id,
                       coalesce(u.customer_name, '{UNASSIGNED}') AS customer_name, u.currency,
                       count(DISTINCT (u.vendor, u.account_id)) AS accounts, sum(u.billed_cost) AS cost
                FROM billable u GROUP BY ALL
            ) ORDER BY currency, customer_id = '{UNASSIGNED_ID}', cost DESC, customer_name, customer_id
            """
        ).fetchall()
    return _frame(rows, CUSTOMER_COLUMNS)


@dataclass(frozen=True, slots=True, eq=False)
class MonthOverMonth:
    """Cost of `previous` against `current` per customer or per service.

    `rows` columns: the key (customer: customer_id, customer_name; service: vendor, service),
    then currency, previous, current, change (= current - previous, exact), change_percent
    (change as a percent of |previous|, 0.01, half-up; None when previous is zero), top (one of
    the `top` largest absolute changes of its currency), over_threshold (|change_percent| >=
    threshold_percent, or new spend: previous zero and current not), flagged (top or
    over_threshold). Ordered by currency, then absolute change, largest first, then by key."""

    previous: str
    current: str
    by: Literal["customer", "service"]
    top: int
    threshold_percent: Decimal
    rows: pd.DataFrame

    @property
    def flagged(self) -> pd.DataFrame:
        return self.rows[self.rows["flagged"].astype(bool)]


def month_over_month(
    ws: Workspace, vendor: str | None, previous: str, current: str, *,
    by: Literal["customer", "service"] = "customer", top: int = 5,
    threshold_percent: Decimal = Decimal(20), currency: str | None = None,
) -> MonthOverMonth:
    """Per customer (Unassigned as its own bucket) or per (vendor, service): the cost of two
    billing periods side by side with the change, the largest changes flagged."""
    if by not in MOM_KEYS:
        raise ValueError(f"month over month is by customer or service, not {by!r}")
    if not isinstance(threshold_percent, Decimal) or top < 0:
        raise ValueError("threshold_percent must be a Decimal and top >= 0")
    if parse_month(previous) >= parse_month(current):
        raise ValueError(f"the previous month {previous} must come before {current}")
    keys = {
        "customer": [f"coalesce(u.customer_id, '{UNASSIGNED_ID}') AS customer_id",
                     f"coalesce(u.customer_name, '{UNASSIGNED}') AS customer_name"],
        "service": ["u.vendor", "coalesce(nullif(u.service, ''), '(none)') AS service"],
    }[by]
    with _usage(ws, vendor, month_span(previous, current), currency) as con:
        found = con.execute(
            f"""
            SELECT {', '.join(keys)}, u.currency,
                   coalesce(sum(u.billed_cost) FILTER (WHERE u.billing_period = $previous), 0) AS previous,
                   coalesce(sum(u.billed_cost) FILTER (WHERE u.billing_period = $current), 0) AS current
            FROM billable u WHERE u.billing_period IN ($previous, $current)
            GROUP BY ALL
            """,
            {"previous": previous, "current": current},
        ).fetchall()
    key_count = len(MOM_KEYS[by])
    changed = []
    for row in found:
        key, currency_code = tuple(row[:key_count]), row[key_count]
        before, after = D(row[key_count + 1]), D(row[key_count + 2])
        changed.append((key, currency_code, before, after, EXACT.subtract(after, before)))
    changed.sort(key=lambda r: (r[1], -abs(r[4]), r[0]))
    largest: set[int] = set()  # the `top` largest changes of each currency: amounts of two
    for code in {r[1] for r in changed}:  # currencies are never compared
        largest.update([i for i, r in enumerate(changed) if r[1] == code and r[4] != ZERO][:top])
    rows = []
    for i, (key, currency_code, before, after, change) in enumerate(changed):
        share = percent(change, before)
        over = (share is not None and abs(share) >= threshold_percent) or (before == ZERO and change != ZERO)
        is_top = i in largest
        rows.append((*key, currency_code, before, after, change, share, is_top, over, is_top or over))
    return MonthOverMonth(previous, current, by, top, threshold_percent, _frame(rows, [*MOM_KEYS[by], *MOM_FIGURES]))


def customer_margins(
    ws: Workspace, vendor: str | None, date_range: DateRange, *,
    options: InvoiceOptions = InvoiceOptions(),
) -> pd.DataFrame:
    """Cost, price and margin per customer and vendor exactly as invoice generation would price
    them (`generate.preview_customers`, nothing stored). Columns: `MARGIN_COLUMNS`. vendor_cost
    is in the usage currency; price (the invoice's charges before credits and tax: usage,
    support, marketplace) and margin in the invoice currency `currency`, rounded as the invoice
    shows them, and unrounded in price_exact and margin_exact (what totals add);
    margin_percent = margin / price (0.01 %, half-up). A billed month
    shows its invoice's stored figures, and `billed` names the invoice. A customer that cannot
    be invoiced (no pricebook, no FX rate, usage in two currencies, part of a billed month...)
    has price, margin and margin_percent None and the reasons in `problems`; usage_currency then
    lists every usage currency (", "-joined) and vendor_cost is None if there are several.
    Accounts of no customer are not here: see `unassigned_accounts`. Per invoice currency
    largest margin first; unpriced customers last."""
    vendors = [vendor] if vendor is not None else vendors_with_data(ws)
    months = _whole_months(date_range)
    rows = []
    for v in vendors:
        if len(months) > 1:  # each month as its invoice prices it (billed or not), then added up
            per_month = [(m.label, preview_customers(ws, v, m, options)[0]) for m in months]
            rows += [_margin_row(v, [(label, p) for label, previews in per_month for p in previews if p.customer_id == cid])
                     for cid in sorted({p.customer_id for _, previews in per_month for p in previews})]
        else:
            previews, _ = preview_customers(ws, v, date_range, options)
            rows += [_margin_row(v, [("", p)]) for p in previews]
    rows.sort(key=lambda r: (r[7] is None, r[5] or "", -(r[12] or ZERO), r[2], r[1], r[0]))
    return _frame(rows, MARGIN_COLUMNS)


def margin_totals(margins: pd.DataFrame) -> pd.DataFrame:
    """The priced rows of `customer_margins` added up per invoice currency, never across two.
    Columns: `MARGIN_TOTAL_COLUMNS`, one row per invoice currency (alphabetical): customers
    (distinct customer IDs), price and margin (the unrounded price_exact and margin_exact added
    up, then rounded once to the currency's minor unit: not the sum of the rounded rows, which
    may differ by a cent or more), margin_percent (of the exact sums, 0.01 %, half-up),
    usage_currency (the vendor costs' currencies, ", "-joined) and vendor_cost (their exact sum
    when that is one currency, else None). Unpriced customers count nowhere."""
    rows = []
    priced = margins[[p is not None for p in margins["price"]]] if not margins.empty else margins
    for currency in sorted(set(priced["currency"])) if not priced.empty else []:
        part = priced[priced["currency"] == currency]
        usage_currencies = sorted({c for text in part["usage_currency"] for c in text.split(", ") if c})
        costs = list(part["vendor_cost"])
        cost = exact_sum(costs) if len(usage_currencies) == 1 and None not in costs else None
        price, margin = exact_sum(part["price_exact"]), exact_sum(part["margin_exact"])
        rows.append((currency, part["customer_id"].nunique(), round_minor(price, currency), round_minor(margin, currency),
                     percent(margin, price), ", ".join(usage_currencies), cost))
    return _frame(rows, MARGIN_TOTAL_COLUMNS)


def _whole_months(date_range: DateRange) -> list[DateRange]:
    """The calendar months a range of whole months covers; [] for a range that cuts one."""
    return [given_month(month) for month in date_range.months] if date_range.is_whole_months else []


def _margin_row(vendor: str, months: list[tuple[str, CustomerPreview]]) -> tuple[object, ...]:
    """One customer's row over one or more months ("" label: one range): cost, price and margin
    added up month by month (unrounded, then rounded once) when every month is priced in one
    currency; else no price, and why (each reason with its month)."""
    first = months[0][1]

    def blocking(label: str, p: CustomerPreview) -> list[str]:
        # a billed month is priced (its invoice's figures): that it is billed is no reason it cannot be
        return [f"{label}: {pr.message}" if label else pr.message for pr in p.problems
                if pr.severity.value == "error" and not (p.billed and pr.code == "period-locked")]

    problems = [text for label, p in months for text in blocking(label, p)]
    # a month whose usage is in two currencies says so as "EUR, USD": each currency once, never that text
    usage_currencies = {c for _, p in months for c in p.usage_currency.split(", ") if c}
    costs = [p.vendor_cost for _, p in months]
    cost = exact_sum(c for c in costs if c is not None) if len(usage_currencies) == 1 and None not in costs else None
    currencies = {p.currency for _, p in months}
    currency = first.currency if len(currencies) == 1 else None
    prices = [p.price_exact for _, p in months]
    margins = [p.margin_exact for _, p in months]
    # each month's unrounded figures added up, rounded once for the row (as a total of months would be)
    price = margin = share = shown_price = shown_margin = None
    if not problems and currency is not None and None not in prices and None not in margins:
        price = exact_sum(p for p in prices if p is not None)
        margin = exact_sum(m for m in margins if m is not None)
        shown_price, shown_margin = round_minor(price, currency), round_minor(margin, currency)
        share = percent(shown_margin, shown_price)  # of the figures shown, as the billing page's report
    billed = ", ".join(p.billed for _, p in months if p.billed)
    return (vendor, first.customer_id, first.customer_name, ", ".join(sorted(usage_currencies)), cost,
            currency, shown_price, shown_margin, share, billed, "; ".join(problems), price, margin)


def unassigned_accounts(ws: Workspace, vendor: str | None, date_range: DateRange, *, currency: str | None = None) -> pd.DataFrame:
    """Accounts with billable usage in the range that belong to no customer, with the same row
    filter as everything here, so their costs add up exactly to the "Unassigned" bucket of
    `cost_by_customer`. account_id "" holds rows without a sub-account. Columns:
    `UNASSIGNED_COLUMNS`; per currency, largest cost first."""
    with _usage(ws, vendor, date_range, currency) as con:
        rows = con.execute(
            """
            SELECT u.vendor, u.account_id, coalesce(max(u.sub_account_name), '') AS account_name, u.currency,
                   sum(u.row_count) AS rows, sum(u.billed_cost) AS cost
            FROM billable u WHERE u.customer_id IS NULL
            GROUP BY u.vendor, u.account_id, u.currency
            ORDER BY u.currency, cost DESC, u.vendor, u.account_id
            """
        ).fetchall()
    return _frame(rows, UNASSIGNED_COLUMNS)


@dataclass(frozen=True, slots=True, eq=False)
class Drilldown:
    """One customer's cost: in total, per account, per account and service; all three levels
    come from one GROUPING SETS query, so every level adds up exactly to the one above.

    totals: currency, cost. accounts: vendor, account_id, account_name, currency, cost.
    services: vendor, account_id, account_name, service, currency, cost.
    Per currency, accounts largest first; services within an account largest first."""

    customer_id: str
    customer_name: str
    totals: pd.DataFrame
    accounts: pd.DataFrame
    services: pd.DataFrame


def customer_drilldown(
    ws: Workspace, vendor: str | None, date_range: DateRange, customer_id: str, *, currency: str | None = None,
) -> Drilldown:
    """A customer -> its accounts -> their services. `customer_id` UNASSIGNED_ID ("") drills
    into the accounts of no customer."""
    match = "u.customer_id IS NULL" if customer_id == UNASSIGNED_ID else "u.customer_id = $customer"
    params = {} if customer_id == UNASSIGNED_ID else {"customer": customer_id}
    with _usage(ws, vendor, date_range, currency) as con:
        found = con.execute(
            f"""
            SELECT grouping(u.vendor, u.account_id, service) AS level, u.vendor, u.account_id,
                   max(u.account_label) AS account_name,
                   coalesce(nullif(u.service, ''), '(none)') AS service, u.currency, sum(u.billed_cost) AS cost
            FROM billable u WHERE {match}
            GROUP BY GROUPING SETS ((u.currency), (u.vendor, u.account_id, u.currency),
                                   (u.vendor, u.account_id, service, u.currency))
            """,
            params,
        ).fetchall()
        name = con.execute(f"SELECT max(u.customer_name) FROM billable u WHERE {match}", params).fetchone()
    totals = sorted(((c, cost) for level, *_, c, cost in found if level == 0b111), key=lambda r: r[0])
    accounts = [(v, a, n, c, cost) for level, v, a, n, _, c, cost in found if level == 0b001]
    accounts.sort(key=lambda r: (r[3], -r[4], r[0], r[1]))
    order = {(r[0], r[1], r[3]): i for i, r in enumerate(accounts)}
    services = [(v, a, n, s, c, cost) for level, v, a, n, s, c, cost in found if level == 0]
    services.sort(key=lambda r: (order[(r[0], r[1], r[4])], -r[5], r[3]))
    if customer_id == UNASSIGNED_ID:
        customer_name = UNASSIGNED
    elif name is not None and name[0] is not None:
        customer_name = str(name[0])
    else:
        with ws.session() as session:
            customer = session.get(m.Customer, customer_id)
            customer_name = customer.name if customer is not None else ""
    return Drilldown(
        customer_id, customer_name, _frame(totals, ["currency", "cost"]),
        _frame(accounts, ["vendor", "account_id", "account_name", "currency", "cost"]),
        _frame(services, ["vendor", "account_id", "account_name", "service", "currency", "cost"]),
    )
