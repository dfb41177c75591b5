"""From a format's staged rows (text) to the canonical table, with every row problem found.

A format reader produces a SELECT with the columns of `STAGED`: canonical names, but money,
quantity and dates still as vendor text (`*_text`). `validate` finds every bad value in SQL and
reports it by row; `materialise` casts exactly (text -> DECIMAL(38,18), never DOUBLE) into the
canonical `COLUMNS` order and types.
"""

from __future__ import annotations

import duckdb

from workbench.billing.core.money import is_known_currency
from workbench.billing.core.problems import Problem, Severity
from workbench.billing.core.usage import COLUMNS
from workbench.billing.readers.source import MAX_ROW_PROBLEMS
from workbench.billing.readers.sql import ident, lit, to_decimal, to_utc_timestamp

__all__ = ["STAGED", "validate", "materialise"]

# Columns every format's staging SELECT must produce, in any order.
STAGED: tuple[str, ...] = (
    "vendor", "billing_account_id", "sub_account_id", "sub_account_name", "billing_period_text",
    "charge_start_text", "charge_end_text", "charge_category", "service", "product_type", "sku",
    "description", "quantity_text", "unit", "cost_text", "currency", "publisher", "is_marketplace",
    "is_free_tier", "invoice_id", "source_row", "line_order",
)


def _rows(con: duckdb.DuckDBPyConnection, staged: str, where: str, value: str) -> list[tuple[int, str | None]]:
    return [(int(r), v) for r, v in con.execute(
        f"SELECT source_row, {value} FROM {staged} WHERE {where} ORDER BY source_row, line_order "
        f"LIMIT {MAX_ROW_PROBLEMS + 1}").fetchall()]


def _count(con: duckdb.DuckDBPyConnection, staged: str, where: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {staged} WHERE {where}").fetchone()
    return int(row[0]) if row else 0


def _row_problems(con: duckdb.DuckDBPyConnection, staged: str, file: str, code: str, where: str, value: str,
                  message: str, fix: str) -> list[Problem]:
    found = _rows(con, staged, where, value)
    problems = [Problem(code, message.format(value=v), file=file, row=r, fix=fix) for r, v in found[:MAX_ROW_PROBLEMS]]
    if len(found) > MAX_ROW_PROBLEMS:
        more = _count(con, staged, where) - MAX_ROW_PROBLEMS
        problems.append(Problem(code, f"... and {more} more rows like these", file=file, fix=fix))
    return problems


def validate(con: duckdb.DuckDBPyConnection, staged: str, file: str, cost_column: str,
             currency_column: str) -> list[Problem]:
    """Every bad value in the staged rows, by row; errors unless said otherwise."""
    problems: list[Problem] = []
    problems += _row_problems(
        con, staged, file, "missing-cost", "cost_text IS NULL", "NULL",
        f"the cost ({cost_column}) is empty", f"Every row needs a number in {cost_column}; re-export the report.")
    problems += _row_problems(
        con, staged, file, "non-numeric-cost", f"cost_text IS NOT NULL AND {to_decimal('cost_text')} IS NULL",
        "cost_text", f"the cost ({cost_column}) is not a number: {{value!r}}",
        f"Fix the value in {cost_column} (a plain decimal such as 12.5 or 1.8E-9, no thousands separators "
        "or currency symbols) or re-export the report.")
    problems += _row_problems(
        con, staged, file, "non-numeric-quantity",
        f"quantity_text IS NOT NULL AND {to_decimal('quantity_text')} IS NULL", "quantity_text",
        "the usage quantity is not a number: {value!r}", "Fix the quantity or re-export the report.")
    problems += _row_problems(
        con, staged, file, "missing-date", "charge_start_text IS NULL", "NULL",
        "the usage start date is empty", "Every row needs its usage date; re-export the report.")
    for column, label in (("charge_start_text", "usage start"), ("charge_end_text", "usage end"),
                          ("billing_period_text", "billing period")):
        problems += _row_problems(
            con, staged, file, "bad-date",
            f"{column} IS NOT NULL AND {to_utc_timestamp(column)} IS NULL", column,
            f"the {label} date is not a date: {{value!r}}",
            "Dates must be ISO 8601 (2023-11-01T00:00:00Z), M/D/YYYY or YYYYMM for an invoice month.")
    problems += _row_problems(
        con, staged, file, "missing-currency", "currency IS NULL", "NULL",
        f"the currency ({currency_column}) is empty", f"Every row needs an ISO 4217 code in {currency_column}.")
    for (code,) in con.execute(f"SELECT DISTINCT currency FROM {staged} WHERE currency IS NOT NULL ORDER BY 1").fetchall():
        if not is_known_currency(code):
            problems += _row_problems(
                con, staged, file, "unknown-currency", f"currency = {lit(code)}", "currency",
                f"unknown currency code {{value!r}} in {currency_column}",
                "Use an ISO 4217 code such as USD, EUR or CAD; if the code is right, ask for it to be "
                "added to workbench.billing.core.money.")
    # compared at 28 decimals (values under 10^10; larger ones are not checked, DuckDB stops at 38 digits)
    precise = (f"{to_decimal('cost_text')} IS NOT NULL AND TRY_CAST(cost_text AS DECIMAL(38,28)) IS NOT NULL "
               f"AND {to_decimal('cost_text')} <> TRY_CAST(cost_text AS DECIMAL(38,28))")
    lost = _count(con, staged, precise)
    if lost:
        first = _rows(con, staged, precise, "cost_text")[0]
        problems.append(Problem(
            "cost-rounded", f"{lost} costs have more than 18 decimals and were rounded to 18 "
            f"(first: {first[1]!r})", file=file, row=first[0], severity=Severity.WARNING))
    return problems


def materialise(con: duckdb.DuckDBPyConnection, staged: str, table: str, file: str) -> int:
    """Create TEMP `table` in the canonical schema from the staged rows; return its row count."""
    start = to_utc_timestamp("charge_start_text")
    exprs = {
        "billing_period": f"strftime({to_utc_timestamp('billing_period_text')}, '%Y-%m')",
        "charge_period_start": start,
        # Rows without an end are daily rows (Azure): the end is the next midnight.
        "charge_period_end": f"COALESCE({to_utc_timestamp('charge_end_text')}, {start} + INTERVAL 1 DAY)",
        "quantity": to_decimal("quantity_text"),
        "billed_cost": to_decimal("cost_text"),
        "source_file": lit(file),
    }
    select = ",\n  ".join(f"CAST({exprs.get(name, ident(name))} AS {sql_type}) AS {ident(name)}"
                          for name, sql_type, _ in COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS SELECT\n  {select}\n"
                f"FROM {staged} ORDER BY source_row, line_order")
    row = con.execute(f"SELECT count(*) FROM {ident(table)}").fetchone()
    return int(row[0]) if row else 0
