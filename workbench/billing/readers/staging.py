"""From a format's staged rows to the canonical rows, with every row problem found.

A format reader produces a SELECT with the columns of `STAGED`: canonical names, but money,
quantity and dates still as the file gives them (`*_text`): vendor text, or typed where the file
types them exactly (parquet timestamps and decimals). `validate` counts every kind of bad value
in one aggregate pass and goes back for the rows (file order) only of the kinds it found;
`canonical_select` casts exactly (text -> DECIMAL(38,18), never DOUBLE) into the canonical
`COLUMNS` order and types, as a SELECT that one pass can write out; `materialise` makes it a
TEMP table. Before either, `decide_date_order` says how the file's slash dates read (M/D/YYYY or
D/M/YYYY, one order per file).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import duckdb

from workbench.billing.core.money import is_known_currency
from workbench.billing.core.problems import Problem, Severity
from workbench.billing.core.usage import AWS_ACCOUNT_ID_SQL, COLUMNS, QUANTITY_SQL, aws_account_id_issue
from workbench.billing.readers.source import MAX_ROW_PROBLEMS
from workbench.billing.readers.sql import SlashOrder, ident, lit, to_decimal, to_utc_timestamp

__all__ = ["STAGED", "MEASURES", "StagedTypes", "staged_types", "decide_date_order", "validate", "row_flags",
           "split_row_flags", "canonical_columns", "canonical_select", "materialise"]

# Columns every format's staging SELECT must produce, in any order.
STAGED: tuple[str, ...] = (
    "vendor", "billing_account_id", "sub_account_id", "sub_account_name", "billing_period_text",
    "charge_start_text", "charge_end_text", "charge_category", "service", "product_type", "sku",
    "description", "quantity_text", "unit", "cost_text", "currency", "publisher", "is_marketplace",
    "is_free_tier", "invoice_id", "source_row", "line_order",
)
# The staged date columns, as the problems name them.
_DATES: tuple[tuple[str, str], ...] = (
    ("charge_start_text", "usage start"), ("charge_end_text", "usage end"), ("billing_period_text", "billing period"),
)


@dataclass(frozen=True)
class StagedTypes:
    """The DuckDB types of the staged columns, which decide how each becomes canonical, and the
    order the file's slash dates are read in (`decide_date_order`)."""

    types: dict[str, str]
    slash_order: SlashOrder = "month-first"

    def is_text(self, column: str) -> bool:
        return self.types.get(column, "VARCHAR").upper() == "VARCHAR"

    def is_timestamp(self, column: str) -> bool:
        return self.types.get(column, "VARCHAR").upper() in ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "DATE")

    def timestamp(self, column: str) -> str:
        """SQL for the column as a UTC TIMESTAMP; NULL when it is text that is not a date."""
        kind = self.types.get(column, "VARCHAR").upper()
        if kind == "TIMESTAMP":
            return column
        if kind == "TIMESTAMP WITH TIME ZONE":
            return f"CAST(timezone('UTC', {column}) AS TIMESTAMP)"
        if kind == "DATE":
            return f"CAST({column} AS TIMESTAMP)"
        return to_utc_timestamp(column if kind == "VARCHAR" else f"CAST({column} AS VARCHAR)", self.slash_order)


def staged_types(con: duckdb.DuckDBPyConnection, staged: str) -> StagedTypes:
    """The staged relation's column types, from its plan (nothing is read)."""
    return StagedTypes({str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {staged}").fetchall()})


# A file is read for its date order only when its first rows hold a slash date: ISO dates (the
# common case) and typed parquet dates pay one look at those rows, nothing more.
_SNIFF_ROWS = 1000
# Usage may be dated a little before its billing month: the import's `usage-outside-period`
# warning allows a week, and so does the reading that fits the billing period.
_EARLY_USAGE_DAYS = 7
_BOTH_ORDERS: tuple[SlashOrder, SlashOrder] = ("month-first", "day-first")
_ORDER_NAMES: dict[SlashOrder, str] = {"day-first": "day first (D/M/YYYY)", "month-first": "month first (M/D/YYYY)"}


def _only(value: str, order: SlashOrder) -> str:
    """TRUE where `value` is a slash date in `order` only: a date read that way and not the other
    (25/10/2025 is a date day first only; 5/10/2025 either way). The time of day plays no part."""
    this, other = ("%d/%m", "%m/%d") if order == "day-first" else ("%m/%d", "%d/%m")
    date = f"split_part({value}, ' ', 1)"
    return f"(try_strptime({date}, '{this}/%Y') IS NOT NULL AND try_strptime({date}, '{other}/%Y') IS NULL)"


def decide_date_order(con: duckdb.DuckDBPyConnection, staged: str, file: str,
                      types: StagedTypes) -> tuple[SlashOrder, list[Problem]]:
    """How the file's slash dates read, one order for the whole file (every date column):

    - a slash date that is a date only day first (25/10/2025) makes the file day first, one that
      is a date only month first (10/25/2025) month first; both in one file is a
      `mixed-date-order` error naming the rows of each (the file is then validated reading
      either order, so that `bad-date` names only the values that are no date at all);
    - when every slash date reads both ways (5/10/2025), the order under which more rows lie in
      their billing period: one that starts on the 1st of a month (as Azure's
      `BillingPeriodStartDate` does) with the usage in that month (or the week before it); on a
      tie, month first, Azure's documented order.

    Only a file whose first rows hold a slash date in a text date column is read for this: one
    pass over the distinct values of its date columns (a few dozen in a daily export), and, when
    every slash date is ambiguous, one over its distinct (billing period, usage start) pairs.
    """
    columns = [(column, label) for column, label in _DATES if types.is_text(column)]
    if not columns:
        return "month-first", []
    picked = ", ".join(column for column, _ in columns)
    slashed = " OR ".join(f"contains({column}, '/')" for column, _ in columns)
    sniff = con.execute(f"SELECT bool_or({slashed}) FROM (SELECT {picked} FROM {staged} LIMIT {_SNIFF_ROWS})").fetchone()
    if sniff is None or not sniff[0]:
        return "month-first", []
    values = " UNION ALL ".join(f"SELECT DISTINCT {column} AS value FROM {staged}" for column, _ in columns)
    found = con.execute(f"SELECT bool_or({_only('value', 'day-first')}), bool_or({_only('value', 'month-first')}) "
                        f"FROM ({values})").fetchone()
    day_first, month_first = found if found is not None else (None, None)
    if day_first and month_first:
        return "either", _mixed_orders(con, staged, file, columns)
    if day_first or month_first:
        return ("day-first" if day_first else "month-first"), []
    return _fitting_order(con, staged, types), []


def _fitting_order(con: duckdb.DuckDBPyConnection, staged: str, types: StagedTypes) -> SlashOrder:
    """Of two readings of a file whose every slash date is ambiguous, the one that puts more rows
    in their billing period (starting on the 1st of a month); month first on a tie."""
    fitting = []
    for order in _BOTH_ORDERS:
        read = replace(types, slash_order=order)
        period, start = read.timestamp("billing_period_text"), read.timestamp("charge_start_text")
        fitting.append(f"sum(__rows) FILTER (WHERE day({period}) = 1 AND {start} < {period} + INTERVAL 1 MONTH "
                       f"AND {start} >= {period} - INTERVAL {_EARLY_USAGE_DAYS} DAY)")
    found = con.execute(f"SELECT {', '.join(fitting)} FROM (SELECT billing_period_text, charge_start_text, "
                        f"count(*) AS __rows FROM {staged} GROUP BY ALL)").fetchone()
    month_first, day_first = found if found is not None else (None, None)
    return "day-first" if (day_first or 0) > (month_first or 0) else "month-first"


def _mixed_orders(con: duckdb.DuckDBPyConnection, staged: str, file: str,
                  columns: list[tuple[str, str]]) -> list[Problem]:
    """How many rows have each order, then the rows of the rarer order and those of the other (file
    order, at most `MAX_ROW_PROBLEMS` of each), each naming the first row of the other order."""
    fix = ("Export the report again with one date format throughout (the portal's language and region settings "
           "decide it); a file opened and saved in a spreadsheet may have had some of its dates rewritten.")
    found: dict[SlashOrder, list[tuple[int, str, str, int]]] = {}
    for order in _BOTH_ORDERS:
        dated = " UNION ALL ".join(
            f"SELECT source_row, line_order, {lit(label)} AS label, {column} AS value FROM {staged} "
            f"WHERE {_only(column, order)}" for column, label in columns)
        found[order] = [(int(r), label, value, int(total)) for r, label, value, total in con.execute(
            f"SELECT source_row, label, value, count(*) OVER () FROM ({dated}) ORDER BY source_row, line_order "
            f"LIMIT {MAX_ROW_PROBLEMS}").fetchall()]
    totals = {order: found[order][0][3] for order in _BOTH_ORDERS}
    # the fewer rows first: they are the odd ones out (a few dates a spreadsheet rewrote), not buried under the rest
    fewer, more = sorted(_BOTH_ORDERS, key=lambda order: (totals[order], order != "day-first"))
    problems: list[Problem] = [Problem(
        "mixed-date-order", f"{totals[fewer]} date(s) read only {_ORDER_NAMES[fewer]} and {totals[more]} only "
        f"{_ORDER_NAMES[more]}: the file mixes date orders (the {totals[fewer]} first, below)", file=file, fix=fix)]
    for order, other in ((fewer, more), (more, fewer)):
        other_row, _, other_value, _ = found[other][0]
        for row, label, value, _ in found[order]:
            problems.append(Problem(
                "mixed-date-order", f"the {label} date {value!r} is {_ORDER_NAMES[order]}, but row {other_row} has "
                f"{other_value!r}, {_ORDER_NAMES[other]}: the file mixes date orders", file=file, row=row, fix=fix))
        if totals[order] > MAX_ROW_PROBLEMS:
            problems.append(Problem("mixed-date-order", f"... and {totals[order] - MAX_ROW_PROBLEMS} more rows like these",
                                    file=file, fix=fix))
    return problems


@dataclass(frozen=True)
class _Check:
    code: str
    where: str
    value: str  # SQL shown in the message as {value!r}
    message: str  # may also say {what}: `explain(value)`
    fix: str
    explain: Callable[[str], str] | None = None


# AWS writes its account ids as 12 digits; a file opened and saved in a spreadsheet has them as numbers.
_RESAVED_FIX = ("Import the vendor's original file, as AWS delivered it, not one opened and saved in a spreadsheet: "
                "a spreadsheet writes 12-digit account ids as numbers (2.22222E+11, its digits lost, so accounts "
                "merge) and drops their leading zeros. A file with other ids was changed after AWS wrote it.")


def _aws_account_checks(columns: tuple[str, str]) -> list[_Check]:
    """Each of the usage and payer account ids must be an AWS account id (12 digits)."""
    def explain(value: str) -> str:
        issue = aws_account_id_issue(value)
        return issue[0] if issue else ""

    return [_Check("aws-account-id", f"{staged} IS NOT NULL AND NOT regexp_full_match({staged}, "
                                     f"{lit(AWS_ACCOUNT_ID_SQL)})", staged,
                   f"the {label} account id ({column}) {{value!r}} {{what}}", _RESAVED_FIX, explain)
            for staged, label, column in (("sub_account_id", "usage", columns[0]),
                                          ("billing_account_id", "payer", columns[1]))]


def _checks(types: StagedTypes, cost_column: str, currency_column: str,
            accounts: tuple[str, str] | None = None) -> list[_Check]:
    """The row checks in the order their problems are reported. `accounts`: the file's usage and
    payer account columns when they hold AWS account ids (`ReportFormat.aws_account_columns`)."""
    # a row made of an entry of a list in the vendor's row (line_order > 0: a Google credit) has its
    # amount there, not in the cost column
    checks = [
        _Check("missing-cost", "cost_text IS NULL AND line_order = 0", "NULL",
               f"the cost ({cost_column}) is empty", f"Every row needs a number in {cost_column}; re-export the report."),
        _Check("missing-cost", "cost_text IS NULL AND line_order > 0", "NULL",
               "the amount of a credit listed in the row is empty",
               "Every credit needs its amount; re-export the report."),
        _Check("non-numeric-cost", f"cost_text IS NOT NULL AND {to_decimal('cost_text')} IS NULL AND line_order = 0",
               "cost_text", f"the cost ({cost_column}) is not a number: {{value!r}}",
               f"Fix the value in {cost_column} (a plain decimal such as 12.5 or 1.8E-9, no thousands separators "
               "or currency symbols) or re-export the report."),
        _Check("non-numeric-cost", f"cost_text IS NOT NULL AND {to_decimal('cost_text')} IS NULL AND line_order > 0",
               "cost_text", "the amount of a credit listed in the row is not a number: {value!r}",
               "Fix the credit's amount (a plain decimal such as -1.25) or re-export the report."),
        _Check("non-numeric-quantity", f"quantity_text IS NOT NULL AND {to_decimal('quantity_text')} IS NULL",
               "quantity_text", "the usage quantity is not a number: {value!r}",
               "Fix the quantity or re-export the report."),
        _Check("missing-date", "charge_start_text IS NULL", "NULL",
               "the usage start date is empty", "Every row needs its usage date; re-export the report."),
        _Check("missing-period", "billing_period_text IS NULL", "NULL",
               "the billing period is empty", "Every row needs the billing period (invoice month) it is billed in; "
               "re-export the report."),
    ]
    for column, label in _DATES:
        if not types.is_timestamp(column):  # a typed timestamp is a date by construction
            checks.append(_Check(
                "bad-date", f"{column} IS NOT NULL AND {types.timestamp(column)} IS NULL", column,
                f"the {label} date is not a date: {{value!r}}",
                "Dates must be ISO 8601 (2023-11-01T00:00:00Z), M/D/YYYY, D/M/YYYY (when every slash date of "
                "the file is day first) or YYYYMM for an invoice month."))
    checks.append(_Check("missing-currency", "currency IS NULL", "NULL",
                         f"the currency ({currency_column}) is empty",
                         f"Every row needs an ISO 4217 code in {currency_column}."))
    return checks + (_aws_account_checks(accounts) if accounts else [])


def _rows(con: duckdb.DuckDBPyConnection, staged: str, where: str, value: str, limit: int) -> list[tuple[int, str | None]]:
    """The (row, value) pairs `where` finds, in file order, each once: a vendor row that became
    several staged rows (a Google row and its credits) has one empty date, not three."""
    shown = value if value == "NULL" else f"CAST({value} AS VARCHAR)"
    return [(int(r), v) for r, v, _ in con.execute(
        f"SELECT source_row, {shown} AS v, min(line_order) AS o FROM {staged} WHERE {where} GROUP BY source_row, v "
        f"ORDER BY source_row, o LIMIT {limit}").fetchall()]


def _row_problems(con: duckdb.DuckDBPyConnection, staged: str, file: str, check: _Check) -> list[Problem]:
    found = _rows(con, staged, check.where, check.value, MAX_ROW_PROBLEMS)
    problems = [Problem(check.code, check.message.format(value=v, what=check.explain(v or "") if check.explain else ""),
                        file=file, row=r, fix=check.fix) for r, v in found]
    # source rows, not staged ones (a Google row and its credits are one), and a row may show two
    # values of a kind: counted apart, for the kinds found only (a count DISTINCT per kind in the
    # pass that finds them made it 15 times slower: 5.7 s for 10M CUR rows)
    [(count,)] = con.execute(f"SELECT count(DISTINCT source_row) FROM {staged} WHERE {check.where}").fetchall()
    more = count - len({r for r, _ in found})
    if more > 0:
        problems.append(Problem(check.code, f"... and {more} more rows like these", file=file, fix=check.fix))
    return problems


def validate(con: duckdb.DuckDBPyConnection, staged: str, file: str, cost_column: str,
             currency_column: str, types: StagedTypes | None = None, *,
             accounts: tuple[str, str] | None = None) -> list[Problem]:
    """Every bad value in the staged rows, by row; errors unless said otherwise. `accounts`: the
    file's usage and payer account columns, when every value of them must be an AWS account id.

    One aggregate pass finds which kinds of problem there are; the rows of a kind are looked up
    (in file order) and counted only when the pass found some.
    """
    types = types or staged_types(con, staged)
    checks = _checks(types, cost_column, currency_column, accounts)
    precise = _rounded_sql(types)
    counts = ", ".join(f"count(source_row) FILTER (WHERE {c.where})" for c in checks)
    found = con.execute(
        f"SELECT {counts}, count(*) FILTER (WHERE {precise}), "
        f"list(DISTINCT currency ORDER BY currency) FILTER (WHERE currency IS NOT NULL) FROM {staged}"
    ).fetchone()
    assert found is not None
    *numbers, rounded, currencies = found
    problems: list[Problem] = []
    for check, count in zip(checks, numbers):
        if count:
            problems += _row_problems(con, staged, file, check)
    for code in currencies or []:
        if not is_known_currency(code):
            check = _Check("unknown-currency", f"currency = {lit(code)}", "currency",
                           f"unknown currency code {{value!r}} in {currency_column}",
                           "Use an ISO 4217 code such as USD, EUR or CAD; if the code is right, ask for it to be "
                           "added to workbench.billing.core.money.")
            problems += _row_problems(con, staged, file, check)
    if rounded:
        first = _rows(con, staged, precise, "cost_text", 1)[0]
        problems.append(Problem(
            "cost-rounded", f"{rounded} costs have more than 18 decimals and were rounded to 18 "
            f"(first: {first[1]!r})", file=file, row=first[0], severity=Severity.WARNING))
    return problems


def _rounded_sql(types: StagedTypes) -> str:
    """TRUE for a cost with more than 18 decimals. Compared at 28 decimals (values under 10^10;
    larger ones are not checked, DuckDB stops at 38 digits). A typed cost (at most 18 decimals) is
    never rounded."""
    if not types.is_text("cost_text"):
        return "FALSE"
    # Both sides TRY_CAST to DECIMAL(38,28): compared as they are, DuckDB would cast the 18-decimal
    # side to 28 decimals and fail on the whole file for a cost of 10^10 or more.
    return (f"{to_decimal('cost_text')} IS NOT NULL AND TRY_CAST(cost_text AS DECIMAL(38,28)) IS NOT NULL "
            f"AND TRY_CAST({to_decimal('cost_text')} AS DECIMAL(38,28)) <> TRY_CAST(cost_text AS DECIMAL(38,28))")


def row_flags(types: StagedTypes, cost_column: str, currency_column: str) -> dict[str, str]:
    """Two boolean columns over the staged rows for validation folded into another pass:
    `__suspect`, TRUE where `validate` would report an error for the row (its very checks), and
    `__rounded`, TRUE where it would warn that the cost was rounded. A pass that counts neither
    needs no `validate`; otherwise `validate` finds the rows and says what is wrong with them.

    Two checks of `validate` are left to the pass's summary instead, where they cost nothing (a
    few thousand keys, not ten million rows; a regular expression per row added about 40% to the
    CPU of a parquet file's pass): an unknown currency code, and an AWS account id that is not
    12 digits (`core.usage.BAD_AWS_ACCOUNT_SQL` over the summary's keys). Either found,
    `validate` says which rows."""
    per_row, per_value = split_row_flags(types, cost_column, currency_column)
    return {**per_row, "__suspect": f"({per_row['__suspect']} OR {per_value['__suspect']})"}


# The staged columns a format may declare measures (`Staging.measures`): read per row, the rest per
# distinct combination of the file's other columns (`readers.fold`).
MEASURES: tuple[str, ...] = ("cost_text", "quantity_text", "charge_start_text", "charge_end_text")
_PER_ROW = re.compile(r"\b(" + "|".join((*MEASURES, "line_order", "source_row")) + r")\b")


def split_row_flags(types: StagedTypes, cost_column: str, currency_column: str) -> tuple[dict[str, str], dict[str, str]]:
    """`row_flags` in two parts: the checks of the measures (and the rounded cost), which need
    each row, and the checks of the other columns, which a fold (`readers.fold`) runs once per
    distinct combination of them. A row is flagged when either part flags it."""
    per_row: list[str] = []
    per_value: list[str] = []
    for check in _checks(types, cost_column, currency_column):
        (per_row if _PER_ROW.search(check.where) else per_value).append(f"COALESCE({check.where}, FALSE)")
    return ({"__suspect": "(" + " OR ".join(per_row or ["FALSE"]) + ")",
             "__rounded": f"COALESCE({_rounded_sql(types)}, FALSE)"},
            {"__suspect": "(" + " OR ".join(per_value or ["FALSE"]) + ")"})


def _quantity(types: StagedTypes) -> str:
    """The quantity as DECIMAL(38,12), rounded as text -> DECIMAL(38,18) -> DECIMAL(38,12) rounds.

    Typed quantities and plain decimal text with at most 12 decimals need no rounding, so one
    cast gives the same value at a sixth of the cost (no 128-bit rescaling)."""
    if not types.is_text("quantity_text"):
        return f"TRY_CAST(quantity_text AS {QUANTITY_SQL})"
    q = "quantity_text"
    short = (f"(NOT contains(lower({q}), 'e') AND (strpos({q}, '.') = 0 "
             f"OR length({q}) - strpos({q}, '.') <= 12))")
    return f"(CASE WHEN {short} THEN TRY_CAST({q} AS {QUANTITY_SQL}) ELSE {to_decimal(q)} END)"


def canonical_columns(types: StagedTypes, file: str) -> dict[str, str]:
    """Each canonical column (`COLUMNS` order) as `CAST(... AS type) AS name` over the staged rows."""
    start = types.timestamp("charge_start_text")
    exprs = {
        "billing_period": f"strftime({types.timestamp('billing_period_text')}, '%Y-%m')",
        "charge_period_start": start,
        # Rows without an end are daily rows (Azure): the end is the next midnight.
        "charge_period_end": f"COALESCE({types.timestamp('charge_end_text')}, {start} + INTERVAL 1 DAY)",
        # A typed quantity goes to DECIMAL(38,12) in one cast: the same single rounding as via
        # DECIMAL(38,18), at a quarter of the cost (no 128-bit rescaling twice).
        "quantity": _quantity(types),
        "billed_cost": to_decimal("cost_text"),
        "source_file": lit(file),
    }
    return {name: f"CAST({exprs.get(name, ident(name))} AS {sql_type}) AS {ident(name)}" for name, sql_type, _ in COLUMNS}


def canonical_select(con: duckdb.DuckDBPyConnection, staged: str, file: str, *, ordered: bool,
                     types: StagedTypes | None = None, extra: dict[str, str] | None = None) -> str:
    """A SELECT of the canonical rows (`COLUMNS` order and types) in source order.

    `ordered`: the staged rows already come one per source row in file order (a scan keeps its
    order while the connection preserves insertion order), so no sort is needed. `extra`: more
    columns after the canonical ones (name -> SQL over the staged rows; `row_flags`).
    """
    types = types or staged_types(con, staged)
    select = ",\n  ".join(canonical_columns(types, file).values())
    select += "".join(f",\n  {sql} AS {ident(name)}" for name, sql in (extra or {}).items())
    keeps_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    sort = "" if ordered and keeps_order and keeps_order[0] else "\nORDER BY source_row, line_order"
    return f"SELECT\n  {select}\nFROM {staged}{sort}"


def materialise(con: duckdb.DuckDBPyConnection, staged: str, table: str, file: str, *, ordered: bool = False,
                types: StagedTypes | None = None) -> int:
    """Create TEMP `table` in the canonical schema from the staged rows; return its row count."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS "
                f"{canonical_select(con, staged, file, ordered=ordered, types=types)}")
    row = con.execute(f"SELECT count(*) FROM {ident(table)}").fetchone()
    return int(row[0]) if row else 0
