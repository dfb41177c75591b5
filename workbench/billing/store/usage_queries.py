"""Questions about the stored usage: which parquet files are current, what periods exist, and
which vendor accounts map to no customer. Usage stays in DuckDB; only summaries reach Python."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workbench.billing.core.money import D, exact_sum
from workbench.billing.core.usage import BILLABLE_SQL, same_but_leading_zeros
from workbench.billing.store.models import Account, VendorReport
from workbench.billing.store.usage_files import day_summaries, duckdb_cursor, rows_files, sql_list, summary_files, text_table
from workbench.billing.store.workspace import Workspace


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    vendor: str
    period: str  # YYYY-MM
    currency: str
    is_final: bool  # every current report of the period is final
    rows: int
    cost: Decimal  # exact sum of billed_cost
    files: tuple[str, ...]  # vendor file names
    billing_accounts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnassignedAccount:
    vendor: str
    account_id: str  # "" for rows without a sub-account (payer-level rows)
    account_name: str
    currency: str
    rows: int
    cost: Decimal
    periods: tuple[str, ...]
    # an assigned account of the vendor that is this id with leading zeros lost (or added): the
    # account to correct in accounts.csv; "" when there is none
    similar: str = ""


def _current(vendor: str | None = None, periods: list[str] | None = None) -> Select[Any]:
    query = select(VendorReport).where(VendorReport.superseded_by.is_(None))
    if vendor is not None:
        query = query.where(VendorReport.vendor == vendor)
    if periods is not None:
        query = query.where(VendorReport.billing_period.in_(periods))
    return query.order_by(VendorReport.vendor, VendorReport.billing_period, VendorReport.id)


def current_reports(session: Session, vendor: str, periods: Sequence[str]) -> list[VendorReport]:
    """The current (not superseded) reports of `vendor` in `periods`, in one open session."""
    return list(session.scalars(_current(vendor, list(periods))))


def current_usage_files(ws: Workspace, vendor: str, periods: list[str]) -> list[Path]:
    """The canonical rows files of the current (not superseded) usage of `vendor` in `periods`,
    written from the kept vendor files first where they are not yet (`usage_files.rows_files`)."""
    with ws.session() as session:
        reports = list(session.scalars(_current(vendor, periods)))
    return rows_files(ws, reports)


RULE_SCOPES = ("service", "product_type", "sku")  # the pricebook scopes that name usage


def _current_summaries(ws: Workspace, vendor: str) -> list[str]:
    """The summary files of `vendor`'s current reports, every month."""
    with ws.session() as session:
        return [str(f) for f in summary_files(ws, list(session.scalars(_current(vendor))))]


def usage_terms(ws: Workspace, vendor: str) -> dict[str, set[str]]:
    """The services, product types and SKUs of `vendor`'s current usage, every month (what its
    pricebook rules can name); empty when none of its usage is imported."""
    files = _current_summaries(ws, vendor)
    if not files:
        return {}
    with duckdb_cursor() as con:
        rows = con.execute(f"SELECT DISTINCT {', '.join(RULE_SCOPES)} FROM read_parquet($files)", {"files": files}).fetchall()
    return {scope: {row[i] for row in rows if row[i]} for i, scope in enumerate(RULE_SCOPES)}


@dataclass(frozen=True, slots=True)
class UsageTerm:
    scope: str  # service | product_type | sku
    name: str
    currency: str
    rows: int
    cost: Decimal  # exact sum of billed_cost, every month


def usage_term_costs(ws: Workspace, vendor: str, scope: str) -> list[UsageTerm]:
    """The names of `scope` in `vendor`'s current usage with their rows and cost, costliest
    first: what a pricebook rule of that scope can name (`workbench pricebooks terms`)."""
    if scope not in RULE_SCOPES:
        raise ValueError(f"unknown scope {scope!r}; known: {', '.join(RULE_SCOPES)}")
    files = _current_summaries(ws, vendor)
    if not files:
        return []
    with duckdb_cursor() as con:
        rows = con.execute(
            f"SELECT {scope}, currency, sum(row_count), sum(billed_cost) FROM read_parquet($files) "
            f"WHERE {scope} IS NOT NULL GROUP BY ALL ORDER BY 4 DESC, 1", {"files": files}).fetchall()
    return [UsageTerm(scope, name, currency, int(count), D(cost)) for name, currency, count, cost in rows]


def report_periods(ws: Workspace) -> list[ReportPeriod]:
    groups: dict[tuple[str, str, str], list[VendorReport]] = defaultdict(list)
    with ws.session() as session:
        for r in session.scalars(_current()):
            groups[(r.vendor, r.billing_period, r.currency)].append(r)
    return [
        ReportPeriod(
            vendor=vendor,
            period=period,
            currency=currency,
            is_final=all(r.is_final for r in reports),
            rows=sum(r.row_count for r in reports),
            cost=exact_sum(r.cost_total for r in reports),
            files=tuple(r.file_name for r in reports),
            billing_accounts=tuple(sorted({r.billing_account_id for r in reports})),
        )
        for (vendor, period, currency), reports in sorted(groups.items())
    ]


def customer_for_accounts(ws: Workspace, vendor: str) -> dict[str, str]:
    """account_id -> customer_id for one vendor."""
    with ws.session() as session:
        return {a.account_id: a.customer_id for a in session.scalars(select(Account).where(Account.vendor == vendor))}


def account_usage_periods(
    ws: Workspace, reports: Sequence[VendorReport], accounts: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[str]]:
    """(vendor, account_id) -> the billing periods in which `reports` give that account billable
    usage (what an invoice of its customer is priced from; free tier and tax rows left out, as
    generation does). Accounts without any are left out. `reports` come from the caller's
    session, so that this reads what that transaction sees."""
    if not reports or not accounts:
        return {}
    files = [str(p) for p in summary_files(ws, reports)]
    with duckdb_cursor() as con:
        text_table(con, "wanted_accounts", {"vendor": [v for v, _ in accounts], "account_id": [a for _, a in accounts]})
        found = con.execute(
            f"""
            SELECT u.vendor, u.sub_account_id, list(DISTINCT u.billing_period ORDER BY u.billing_period)
            FROM read_parquet($files) AS u
            SEMI JOIN wanted_accounts AS a ON a.vendor = u.vendor AND a.account_id = u.sub_account_id
            WHERE {BILLABLE_SQL}
            GROUP BY ALL
            """,
            {"files": files},
        ).fetchall()
    return {(str(v), str(a)): [str(p) for p in periods] for v, a, periods in found}


# (vendor, account_id, billing period, first day, day after the last): an account's usage on some days
UsageDays = tuple[str, str, str, dt.date, dt.date]


def account_usage_on_days(ws: Workspace, reports: Sequence[VendorReport], asked: Sequence[UsageDays]) -> set[UsageDays]:
    """Those of `asked` for which `reports` give the account billable usage in that billing
    period on a usage day in [first day, day after the last): what a custom range is priced from
    (usage by usage date, from the reports of its months; free tier and tax rows left out).

    The summaries answer where their first and last usage start decide: a summary row of the
    account wholly inside the days says yes; rows wholly outside them say no. Only where a row
    straddles a bound of the days are day summaries read (`usage_files.day_summaries`), and only
    those of the reports holding such a row: written from the kept vendor file the first time
    they are needed (seconds for a large report), never when the summaries answer."""
    if not reports or not asked:
        return set()
    files = [str(p) for p in summary_files(ws, reports)]
    report_of = dict(zip(files, reports))
    ids = {str(i): question for i, question in enumerate(asked)}
    with duckdb_cursor() as con:
        text_table(con, "asked_text", {
            "id": list(ids), "vendor": [q[0] for q in ids.values()], "account_id": [q[1] for q in ids.values()],
            "period": [q[2] for q in ids.values()], "first_day": [q[3].isoformat() for q in ids.values()],
            "end_day": [q[4].isoformat() for q in ids.values()]})
        con.execute("CREATE TEMP TABLE asked AS SELECT id, vendor, account_id, period, "
                    "CAST(first_day AS TIMESTAMP) AS first_day, CAST(end_day AS TIMESTAMP) AS end_day FROM asked_text")
        touching = con.execute(  # the account's summary rows not wholly outside the days: wholly inside, or straddling a bound
            f"""
            SELECT q.id, u.filename, bool_or(u.first_usage_start >= q.first_day AND u.last_usage_start < q.end_day)
            FROM read_parquet($files, filename = true) AS u
            JOIN asked AS q ON q.vendor = u.vendor AND q.account_id = u.sub_account_id AND q.period = u.billing_period
            WHERE {BILLABLE_SQL} AND u.first_usage_start < q.end_day AND u.last_usage_start >= q.first_day
            GROUP BY ALL
            """,
            {"files": files},
        ).fetchall()
        yes = {question for question, _, inside in touching if inside}
        straddled = {(question, file) for question, file, _ in touching if question not in yes}
        if straddled:
            days, rows = day_summaries(ws, [report_of[f] for f in sorted({f for _, f in straddled})])
            columns = "vendor, sub_account_id, billing_period, is_free_tier, charge_category"
            parts = [*([f"SELECT {columns}, first_usage_start AS usage_start FROM read_parquet({sql_list(days)})"] if days else []),
                     *([f"SELECT {columns}, charge_period_start AS usage_start FROM read_parquet({sql_list(rows)})"] if rows else [])]
            yes |= {question for (question,) in con.execute(  # a day summary row lies within one usage day
                f"""
                SELECT DISTINCT q.id FROM ({' UNION ALL BY NAME '.join(parts)}) AS u
                JOIN asked AS q ON q.vendor = u.vendor AND q.account_id = u.sub_account_id AND q.period = u.billing_period
                WHERE {BILLABLE_SQL} AND u.usage_start >= q.first_day AND u.usage_start < q.end_day
                  AND q.id IN (SELECT unnest($undecided))
                """,
                {"undecided": sorted({question for question, _ in straddled})},
            ).fetchall()}
    return {ids[question] for question in yes}


def unassigned_usage(ws: Workspace, vendor: str | None = None, periods: list[str] | None = None) -> list[UnassignedAccount]:
    """Accounts with billable usage in the current reports that belong to no customer: they would
    be billed to nobody (free tier and the vendor's tax rows left out, as generation does). Computed in DuckDB over the reports' summaries, the account list passed in."""
    with ws.session() as session:
        reports = list(session.scalars(_current(vendor, periods)))
        known = session.execute(select(Account.vendor, Account.account_id)).all()
    if not reports:
        return []
    files = [str(p) for p in summary_files(ws, reports)]
    with duckdb_cursor() as con:
        text_table(con, "known_accounts", {"vendor": [v for v, _ in known], "account_id": [a for _, a in known]})
        found = con.execute(
            f"""
            SELECT u.vendor, coalesce(u.sub_account_id, '') AS account_id,
                   coalesce(max(u.sub_account_name), '') AS account_name, u.currency,
                   sum(u.row_count) AS row_count, coalesce(sum(u.billed_cost), 0) AS cost,
                   list(DISTINCT u.billing_period ORDER BY u.billing_period) AS periods
            FROM read_parquet($files) AS u
            ANTI JOIN known_accounts AS a ON a.vendor = u.vendor AND a.account_id = u.sub_account_id
            WHERE {BILLABLE_SQL}
            GROUP BY u.vendor, coalesce(u.sub_account_id, ''), u.currency
            ORDER BY u.vendor, account_id, u.currency
            """,
            {"files": files},
        ).fetchall()
    return [
        UnassignedAccount(str(v), str(a), str(n), str(c), int(rows), D(cost), tuple(periods),
                          same_but_leading_zeros(str(a), [k for kv, k in known if kv == v]) or "")
        for v, a, n, c, rows, cost, periods in found
    ]
