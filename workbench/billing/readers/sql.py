"""Small SQL text builders shared by the readers (quoting, exact casts, UTC timestamps)."""

from __future__ import annotations

from workbench.billing.core.usage import MONEY_SQL

__all__ = ["ident", "lit", "nonblank", "to_decimal", "to_utc_timestamp", "free_text_match"]


def ident(name: str) -> str:
    """A quoted SQL identifier: vendor headers contain '/', '.', spaces."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def nonblank(expr: str) -> str:
    """The value as trimmed text, NULL when empty."""
    return f"NULLIF(TRIM(CAST({expr} AS VARCHAR)), '')"


def to_decimal(text_expr: str) -> str:
    """Exact text -> DECIMAL(38,18); NULL when the text is not a number (reported separately)."""
    return f"TRY_CAST({text_expr} AS {MONEY_SQL})"


# A time of day followed by an explicit zone: Z, UTC or +hh[:mm]. Only then is the text read as an
# instant and converted to UTC; a bare date or a naive time is taken as UTC already.
_ZONED = r"'\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)$'"


def to_utc_timestamp(text_expr: str) -> str:
    """Vendor date text -> TIMESTAMP in UTC, NULL when unparseable.

    Accepts ISO 8601 (with or without zone; zones are converted to UTC independent of the
    session time zone), `YYYY-MM-DD hh:mm:ss UTC` (BigQuery), and Azure's `M/D/YYYY`.
    """
    t = text_expr
    return (
        f"(CASE WHEN {t} IS NULL THEN NULL "
        f"WHEN regexp_matches({t}, {_ZONED}) "
        f"THEN CAST(timezone('UTC', TRY_CAST(regexp_replace({t}, '\\s*UTC$', '+00') AS TIMESTAMPTZ)) AS TIMESTAMP) "
        f"ELSE COALESCE(TRY_CAST({t} AS TIMESTAMP), try_strptime({t}, '%m/%d/%Y'), "
        f"try_strptime({t}, '%m/%d/%Y %H:%M'), try_strptime({t}, '%m/%d/%Y %H:%M:%S')) END)"
    )


def free_text_match(text_expr: str, pattern: str) -> str:
    """Case-insensitive regular-expression test that is FALSE (not NULL) on NULL text."""
    return f"COALESCE(regexp_matches({text_expr}, {lit(pattern)}, 'i'), FALSE)"
