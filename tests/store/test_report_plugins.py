"""A report of a plug-in format in the store: final as the format declares."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from readers.tiny_format import TINY
from workbench.billing.readers import register, unregister
from workbench.billing.store import Workspace, import_reports, report_periods

OCTOBER = """\
Day,Account,Product,Amount,Currency
2025-10-01,111111111111,Compute,1.50,USD
2025-10-02,111111111111,Storage,0.25,USD
"""


@pytest.fixture
def usage(tmp_path: Path) -> Path:
    path = tmp_path / "portal-2025-10.csv"
    path.write_text(OCTOBER, encoding="utf-8")
    return path


@pytest.fixture
def registered() -> Iterator[None]:
    register(TINY)
    yield
    unregister(TINY.name)


@pytest.mark.parametrize(("today", "final"), [(dt.date(2025, 11, 14), False), (dt.date(2025, 11, 15), True)])
def test_a_format_without_invoice_ids_is_final_ten_business_days_after_the_month(
        ws: Workspace, usage: Path, registered: None, today: dt.date, final: bool) -> None:
    # TINY is AWS usage that declares no invoice ids: final as an Azure export is, once ten whole
    # business days after October have passed (3-7 and 10-14 November), not when ids arrive as in a CUR
    [file] = import_reports(ws, [usage], today=today).files
    assert [p.code for p in file.problems] == ([] if final else ["preliminary-usage"])
    assert [p.is_final for p in report_periods(ws)] == [final]


def test_an_aws_format_that_leaves_it_out_carries_invoice_ids(ws: Workspace, usage: Path) -> None:
    register(dataclasses.replace(TINY, carries_invoice_ids=None))
    try:
        [file] = import_reports(ws, [usage], today=dt.date(2026, 1, 15)).files
    finally:
        unregister(TINY.name)
    assert [p.code for p in file.problems] == ["preliminary-usage"]  # no invoice ids yet, months later
    assert [p.is_final for p in report_periods(ws)] == [False]
