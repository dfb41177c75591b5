"""Small SQL text builders shared by the readers (quoting, exact casts, UTC timestamps)."""

from __future__ import annotations

from typing import Literal

from workbench.billing.core.usage import MONEY_SQL

__all__ = ["SlashOrder", "ident", "lit", "nonblank", "nonblank_column", "to_decimal", "to_utc_timestamp",
           "free_text_match"]

# How a slash date (`5/10/2025`) is read: month first (Azure's documented order), day first (a
# portal with a UK or European locale), or either, month first when both are dates (only to tell
# which values are no date at all in a file refused for mixing the two orders).
SlashOrder = Literal["month-first", "day-first", "either"]
_SLASH_DATES: dict[SlashOrder, tuple[str, ...]] = {
    "month-first": ("%m/%d",), "day-first": ("%d/%m",), "either": ("%m/%d", "%d/%m"),
}


def ident(name: str) -> str:
    """A quoted SQL identifier: vendor headers contain '/', '.', spaces."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def nonblank(expr: str) -> str:
    """The value as trimmed text, NULL when empty."""
    return f"NULLIF(TRIM(CAST({expr} AS VARCHAR)), '')"


def nonblank_column(column: str) -> str:
    """`nonblank` of a text column, trimming only the values that need it: TRIM copies every
    string, and vendor values almost never have surrounding spaces (a third faster at scale)."""
    return (f"(CASE WHEN {column} = '' OR starts_with({column}, ' ') OR suffix({column}, ' ') "
            f"THEN NULLIF(TRIM({column}), '') ELSE {column} END)")


def to_decimal(text_expr: str) -> str:
    """Exact text -> DECIMAL(38,18); NULL when the text is not a number (reported separately)."""
    return f"TRY_CAST({text_expr} AS {MONEY_SQL})"


# A time of day followed by an explicit zone: Z, UTC or +hh[:mm]. Only then is the text read as an
# instant and converted to UTC; a bare date or a naive time is taken as UTC already.
_ZONED = r"'\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)$'"


def to_utc_timestamp(text_expr: str, slash_order: SlashOrder = "month-first") -> str:
    """Vendor date text -> TIMESTAMP in UTC, NULL when unparseable.

    Accepts ISO 8601 (with or without zone; zones are converted to UTC independent of the
    session time zone), `YYYY-MM-DD hh:mm:ss UTC` (BigQuery), and Azure's `M/D/YYYY` (with an
    `hh:mm[:ss]` time), or `D/M/YYYY` for a file decided day-first (`staging.decide_date_order`).
    """
    t = text_expr
    slashed = ", ".join(f"try_strptime({t}, '{order}/%Y{time}')"
                        for order in _SLASH_DATES[slash_order] for time in ("", " %H:%M", " %H:%M:%S"))
    # Fast path for the common UTC shapes (`2023-11-01T00:00:00Z`, `...00.000Z`, `...00.000000Z`,
    # also with a space for the T): the text without its Z read as a TIMESTAMP is that instant in
    # UTC. It parses only where the general path gives the same answer (the time is digits, so the
    # zone pattern matches); anything else, or NULL from it, takes the general path.
    shapes = " OR ".join(f"{t} LIKE '____-__-__{sep}__:__:__{fraction}Z'"
                         for sep in ("T", " ") for fraction in ("", ".___", ".______"))
    return (
        f"COALESCE(CASE WHEN {shapes} THEN TRY_CAST(left({t}, -1) AS TIMESTAMP) END, "
        f"CASE WHEN {t} IS NULL THEN NULL "
        f"WHEN regexp_matches({t}, {_ZONED}) "
        f"THEN CAST(timezone('UTC', TRY_CAST(regexp_replace({t}, '\\s*UTC$', '+00') AS TIMESTAMPTZ)) AS TIMESTAMP) "
        f"ELSE COALESCE(TRY_CAST({t} AS TIMESTAMP), {slashed}) END)"
    )


def free_text_match(text_expr: str, pattern: str) -> str:
    """Case-insensitive regular-expression test that is FALSE (not NULL) on NULL text."""
    return f"COALESCE(regexp_matches({text_expr}, {lit(pattern)}, 'i'), FALSE)"
