"""YYYY-MM text in the store: the period helpers and a table cell's month, read as the billing
core reads a month (`core.periods`), with the table's own problem when a cell is not one."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.billing.store.periods import month_bounds, month_start, next_month
from workbench.billing.store.table_values import BadValue, parse_month


def test_period_helpers() -> None:
    assert month_start("2025-10") == dt.date(2025, 10, 1)
    assert next_month("2025-12") == "2026-01"
    assert month_bounds("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 3, 1))


def test_a_period_that_is_not_a_month_is_refused() -> None:
    with pytest.raises(ValueError, match="expected YYYY-MM"):
        month_start("2025-13")


def test_a_month_cell_keeps_its_text() -> None:
    assert parse_month(" 2024-03 ", "effective_from") == "2024-03"


@pytest.mark.parametrize("text", ["2024-13", "2024-00", "Jan 2024", "2024-3", "24-03", ""])
def test_a_month_cell_that_is_not_a_month_says_how_to_write_it(text: str) -> None:
    with pytest.raises(BadValue) as refused:
        parse_month(text, "period")
    assert (refused.value.code, refused.value.message, refused.value.fix) == (
        "bad-month", f"period {text!r} is not a month", "write it as YYYY-MM, e.g. 2024-03")
