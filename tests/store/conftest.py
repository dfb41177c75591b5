"""Fixtures for the workspace tests: a fresh workspace, table files written inline, a DB dump."""

from __future__ import annotations

import datetime as dt
import sqlite3
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from workbench.billing.core.money import D
from workbench.billing.store import Workspace, import_tables, init_workspace
from workbench.billing.store.models import Invoice, PeriodLock
from workbench.billing.store.periods import month_bounds

PNG = b"\x89PNG\r\n\x1a\n"  # a logo file's first bytes: the table import only looks for the file


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = init_workspace(tmp_path / "ws", name="Northwind")
    (workspace.imports_dir / "logo.png").write_bytes(PNG)  # the reseller tables name it
    yield workspace
    workspace.close()


def _write(folder: Path, name: str, text: str) -> Path:
    """Write a table file whose text is given indented inside the test."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _db_dump(ws: Workspace) -> tuple[bytes, str]:
    """The database file's bytes and its SQL dump: equal before and after means untouched."""
    db = ws.root / "workbench.db"
    with sqlite3.connect(db) as con:
        dump = "\n".join(con.iterdump())
    con.close()
    return db.read_bytes(), dump


BASE_TABLES = {
    "customers.csv": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        C001,Acme Ltd,Ann Lee,ann@acme.example,"10 Main St, Toronto ON",CA-ON,45
        C002,Globex,,,,CA-QC,
        """,
    "customer_vendors.csv": """
        customer_id,vendor,pricebook,invoice_currency
        C001,aws,standard,CAD
        C002,aws,partner,USD
        """,
    "accounts.csv": """
        customer_id,vendor,account_id,account_name
        C001,aws,111111111111,acme-prod
        C002,aws,222222222222,globex-main
        """,
    "pricebooks.csv": """
        pricebook,effective_from,vendor,scope,match,markup_percent
        partner,2024-01,aws,default,,-5
        standard,2024-01,aws,default,,15
        """,
    "support_plans.csv": """
        pricebook,effective_from,vendor,percent,monthly_minimum
        standard,2024-01,aws,3,100.00
        """,
}


@pytest.fixture
def base(ws: Workspace, tmp_path: Path) -> Workspace:
    """A workspace holding two AWS customers, their accounts and pricebooks."""
    paths = [_write(tmp_path / "base", name, text) for name, text in BASE_TABLES.items()]
    summary, problems = import_tables(ws, paths)
    assert problems == ()
    assert summary.changed == 9
    return ws


def _lock_period(ws: Workspace, customer_id: str, vendor: str, period: str) -> None:
    """What invoice generation leaves behind: a draft invoice and the lock of its period."""
    start, end = month_bounds(period)
    zero = D("0")
    with ws.session() as session:
        invoice = Invoice(
            number=f"DRAFT-{customer_id}-{vendor}-{period}", customer_id=customer_id, vendor=vendor,
            period_start=start, period_end=end, period_label=period, currency="CAD", usage_currency="USD",
            fx_rate=D("1.35"), issue_date=end, due_date=end + dt.timedelta(days=30), pricebook="standard",
            pricebook_version="2024-01", vendor_cost=zero, usage_price=zero, support_fee=zero, marketplace=zero,
            credits=zero, subtotal=zero, tax_total=zero, total=zero, margin=zero,
        )
        session.add(invoice)
        session.flush()
        session.add(PeriodLock(vendor=vendor, customer_id=customer_id, period_start=start, period_end=end, invoice_id=invoice.id))


# Helpers as fixtures: test modules in several folders must not import each other's conftest.
@pytest.fixture
def write() -> Callable[[Path, str, str], Path]:
    return _write


@pytest.fixture
def db_dump() -> Callable[[Workspace], tuple[bytes, str]]:
    return _db_dump


@pytest.fixture
def lock_period() -> Callable[[Workspace, str, str, str], None]:
    return _lock_period
