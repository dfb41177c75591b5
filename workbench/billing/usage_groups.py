"""Stored usage -> the `UsageGroup`s invoices are priced from, in DuckDB: Python never sees a
vendor row, only one group per customer and invoice line.

    with open_usage(ws, reports, accounts, date_range) as usage:
        groups, currencies = usage.groups(customers)      # customer -> [UsageGroup], exact sums
        warnings = usage.unassigned("aws")                # accounts that belong to no customer
        touched = usage.customers()                       # customers with any row in the range

Whole months are priced from the reports' summaries (`store.usage_files`): one row per
invoice-line key, so a month of ten million vendor rows is a few tens of thousands here. A custom
range uses them too when every summary row lies wholly inside or wholly outside it (month to
date, as a rule); a range that cuts through one reads the day summaries (the same, per usage day:
no range of whole days cuts through those), written from the kept vendor file the first time.
Every way gives the same groups, to the last decimal, as the canonical rows: the view `usage`
shows canonical rows as one-row summaries.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from workbench.billing.core.money import D, Money
from workbench.billing.core.periods import DateRange
from workbench.billing.core.problems import Problem, Severity
from workbench.billing.core.rating import UsageGroup
from workbench.billing.core.usage import BILLABLE_SQL, create_table_sql, same_but_leading_zeros, unassigned_fix
from workbench.billing.store import models as m
from workbench.billing.store.usage_files import (
    SUMMARY_KEYS,
    day_summaries,
    duckdb_cursor,
    rows_files,
    sql_list,
    summary_files,
    text_table,
)
from workbench.billing.store.workspace import Workspace

__all__ = ["StoredUsage", "UsageForm", "open_usage", "rows_view", "usage_filter_sql"]



def usage_filter_sql(date_range: DateRange) -> str:
    """Canonical rows of the range: whole months by billing period, custom ranges by usage date."""
    if date_range.is_whole_months:
        months = ", ".join(f"'{p}'" for p in date_range.months)
        return f"u.billing_period IN ({months})"
    return (
        f"u.charge_period_start >= TIMESTAMP '{date_range.start.isoformat()}' "
        f"AND u.charge_period_start < TIMESTAMP '{date_range.end.isoformat()}'"
    )


def _summary_filter_sql(date_range: DateRange) -> str:
    """Summary rows of the range; for a custom range, those wholly inside it (see `_cuts_through`)."""
    if date_range.is_whole_months:
        return usage_filter_sql(date_range)
    return (
        f"u.first_usage_start >= TIMESTAMP '{date_range.start.isoformat()}' "
        f"AND u.last_usage_start < TIMESTAMP '{date_range.end.isoformat()}'"
    )


def rows_view(relation: str) -> str:
    """Canonical rows (of `relation`) as one-row summaries: the columns of `usage_files.SUMMARY_COLUMNS`."""
    return (f"SELECT {', '.join(SUMMARY_KEYS)}, sub_account_name, coalesce(description, '') AS description, "
            f"coalesce(quantity, 0) AS quantity, billed_cost, CAST(1 AS BIGINT) AS row_count, "
            f"charge_period_start AS first_usage_start, charge_period_start AS last_usage_start "
            f"FROM {relation}")


UsageForm = Literal["summaries", "days", "rows"]


@dataclass
class StoredUsage:
    """A DuckDB connection with the views `usage` and `accounts`."""

    con: duckdb.DuckDBPyConnection
    date_range: DateRange
    form: UsageForm  # what `usage` reads: the reports' summaries, day summaries or canonical rows

    @property
    def in_range(self) -> str:
        """The SQL condition on `usage u` for the range's rows, whichever form they are in."""
        return _summary_filter_sql(self.date_range)  # on rows, first = last usage start: the same as usage_filter_sql

    def groups(self, customers: Sequence[str] | None = None) -> tuple[dict[str, list[UsageGroup]], dict[str, list[str]]]:
        """customer -> its invoice-line groups (billable usage of the range), and customer ->
        the usage currencies seen (more than one is a problem for the caller)."""
        where = [self.in_range, BILLABLE_SQL]
        params: list[object] = []
        if customers is not None:
            where.append("a.customer_id IN (SELECT unnest(?))")
            params.append(list(customers))
        rows = self.con.execute(
            f"""
            SELECT a.customer_id, u.currency,
                   coalesce(nullif(u.product_type, ''), 'Other') AS section,
                   coalesce(u.service, '') AS service, coalesce(u.sku, '') AS sku,
                   coalesce(u.unit, '') AS unit, coalesce(u.is_marketplace, false) AS is_marketplace,
                   u.charge_category,
                   min(u.description) AS description, sum(u.quantity) AS quantity,
                   sum(u.billed_cost) AS cost, sum(u.row_count) AS source_rows
            FROM usage u JOIN accounts a ON a.account_id = u.sub_account_id
            WHERE {' AND '.join(where)}
            GROUP BY ALL
            ORDER BY ALL
            """,
            params,
        ).fetchall()
        groups: dict[str, list[UsageGroup]] = defaultdict(list)
        currencies: dict[str, set[str]] = defaultdict(set)
        for customer_id, currency, section, service, sku, unit, market, category, description, qty, cost, n in rows:
            currencies[customer_id].add(currency)
            groups[customer_id].append(UsageGroup(section, service, sku, description, unit, D(qty), D(cost), bool(market),
                                                  category, int(n)))
        return dict(groups), {k: sorted(v) for k, v in currencies.items()}

    def customers(self, customers: Sequence[str] | None = None) -> set[str]:
        """The customers (of `customers`, when given) with any row in the range, billable or not:
        an account seen in a report is billed through it, and until the vendor finalises that
        report its charges there may still change."""
        where = [self.in_range]
        params: list[object] = []
        if customers is not None:
            where.append("a.customer_id IN (SELECT unnest(?))")
            params.append(list(customers))
        rows = self.con.execute(
            f"SELECT DISTINCT a.customer_id FROM usage u JOIN accounts a ON a.account_id = u.sub_account_id "
            f"WHERE {' AND '.join(where)}", params).fetchall()
        return {customer_id for (customer_id,) in rows}

    def unassigned(self, vendor: str) -> list[Problem]:
        """A warning per account with billable usage in the range that belongs to no customer."""
        rows = self.con.execute(
            f"""
            SELECT u.sub_account_id, u.currency, sum(u.row_count), sum(u.billed_cost)
            FROM usage u ANTI JOIN accounts a ON a.account_id = u.sub_account_id
            WHERE {self.in_range} AND {BILLABLE_SQL}
            GROUP BY ALL ORDER BY ALL
            """
        ).fetchall()
        known = [account_id for (account_id,) in self.con.execute("SELECT account_id FROM accounts").fetchall()]
        return [
            Problem("unassigned-account",
                    f"{vendor} account {account} belongs to no customer: {int(n):,} row(s), {Money(D(cost), currency)} not invoiced",
                    fix=unassigned_fix(account, same_but_leading_zeros(account or "", known), vendor),
                    severity=Severity.WARNING)
            for account, currency, n, cost in rows
        ]


@contextlib.contextmanager
def open_usage(ws: Workspace, reports: Sequence[m.VendorReport], accounts: dict[str, str],
               date_range: DateRange, *, form: UsageForm | None = None) -> Iterator[StoredUsage]:
    """The usage of `reports` for `date_range`, with `accounts` (account id -> customer id).
    `form`: what to read, where the least that answers exactly would do (the summaries, or the
    day summaries for a range that cuts through a summary row): "days" for usage by day (the
    daily chart), "rows" to compare with the canonical rows (tests)."""
    with duckdb_cursor() as con:
        text_table(con, "accounts", {"account_id": list(accounts), "customer_id": list(accounts.values())})
        if not reports:
            con.execute(create_table_sql("no_rows"))
            con.execute(f"CREATE TEMP VIEW usage AS {rows_view('no_rows')}")
            yield StoredUsage(con, date_range, "rows")
            return
        if form in (None, "summaries"):
            con.execute(f"CREATE TEMP VIEW usage AS SELECT * FROM read_parquet({sql_list(summary_files(ws, reports))})")
        if form is None:
            form = "days" if _cuts_through(con, date_range) else "summaries"
        if form == "days":
            days, rows = day_summaries(ws, reports)
            parts = [*([f"SELECT * FROM read_parquet({sql_list(days)})"] if days else []),
                     *([rows_view(f"read_parquet({sql_list(rows)})")] if rows else [])]
            con.execute(f"CREATE OR REPLACE TEMP VIEW usage AS {' UNION ALL BY NAME '.join(parts)}")
        elif form == "rows":
            con.execute(f"CREATE OR REPLACE TEMP VIEW usage AS {rows_view(f'read_parquet({sql_list(rows_files(ws, reports))})')}")
        yield StoredUsage(con, date_range, form)


def _cuts_through(con: duckdb.DuckDBPyConnection, date_range: DateRange) -> bool:
    """Does the range split any summary row (some of its rows inside the range, some outside)?"""
    if date_range.is_whole_months:
        return False
    start, end = f"TIMESTAMP '{date_range.start.isoformat()}'", f"TIMESTAMP '{date_range.end.isoformat()}'"
    found = con.execute(
        f"SELECT count(*) FROM usage WHERE first_usage_start < {end} AND last_usage_start >= {start} "
        f"AND NOT (first_usage_start >= {start} AND last_usage_start < {end})").fetchone()
    return bool(found and found[0])
