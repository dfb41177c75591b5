"""What goes into the store comes back out, text for text and digit for digit, on each database."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from workbench.billing.store import export_tables, import_tables
from workbench.billing.store.models import CreditEntry, FxRate, PricebookRule
from workbench.billing.store.workspace import Workspace

# Canonical table files (sorted by key, numbers as written): odd scales on purpose.
TABLES = {
    "customers.csv": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        C001,Acme Ltd,Ann Lee,ann@acme.example,"10 Main St, Toronto ON",CA-ON,45
        C002,"Globex ""East"" Inc",,,,CA-QC,
        """,
    "pricebooks.csv": """
        pricebook,effective_from,vendor,scope,match,markup_percent
        standard,2024-01,aws,default,,15
        standard,2024-01,aws,service,AmazonEC2,12.5
        standard,2024-01,azure,default,,10.000
        """,
    "tax_rates.csv": """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-ON,HST,13,2024-01
        CA-QC,GST,5,2024-01
        CA-QC,QST,9.975,2024-01
        """,
    "fx_rates.csv": """
        period,from_currency,to_currency,rate
        2024-01,USD,CAD,1.3421
        2024-02,USD,CAD,0.000000001800000000
        """,
    "credits.csv": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        C001,PROMO-1,2024-01-15,250.00,CAD,general,aws,Migration incentive
        C002,MP-7,2024-02-01,0.01,USD,marketplace,,
        C002,MP-8,2024-02-02,238.44,USD,general,,
        """,
}


def _canonical(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_tables_come_back_as_they_went_in(any_db_workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in TABLES.items():
        (folder / name).write_text(_canonical(text), encoding="utf-8")
    summary, problems = import_tables(any_db_workspace, sorted(folder.iterdir()))
    assert problems == ()
    export_tables(any_db_workspace, tmp_path / "out")
    for name, text in TABLES.items():
        assert (tmp_path / "out" / name).read_text(encoding="utf-8") == _canonical(text), name


def test_money_is_exact_decimal_in_and_out(any_db_workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("customers.csv", "pricebooks.csv", "fx_rates.csv", "credits.csv"):
        (folder / name).write_text(_canonical(TABLES[name]), encoding="utf-8")
    assert import_tables(any_db_workspace, sorted(folder.iterdir()))[1] == ()
    with any_db_workspace.session() as session:
        tiny = session.get(FxRate, ("2024-02", "USD", "CAD"))
        assert tiny is not None and type(tiny.rate) is Decimal and tiny.rate == Decimal("0.0000000018")
        amounts = {c.credit_id: c.amount for c in session.scalars(select(CreditEntry))}
        assert amounts == {"PROMO-1": Decimal("250"), "MP-7": Decimal("0.01"), "MP-8": Decimal("238.44")}
        assert all(type(a) is Decimal for a in amounts.values())
        rule = session.scalars(select(PricebookRule).where(PricebookRule.match == "AmazonEC2")).one()
        assert rule.markup_percent == Decimal("12.5")


def test_digits_beyond_the_eighteenth_are_kept(any_db_workspace: Workspace) -> None:
    # 1.8E-9 of cost x an FX rate of 6 decimals x a markup factor of 5 decimals has 20+ digits
    # after the point; a stored line must not be rounded by the database.
    amount = Decimal("0.000000002714426264700")  # 0.0000000018 * 1.371234 * 1.09975
    with any_db_workspace.session() as session:
        session.add(FxRate(period="2025-10", from_currency="USD", to_currency="CAD", rate=amount))
    with any_db_workspace.session() as session:
        stored = session.get(FxRate, ("2025-10", "USD", "CAD"))
        assert stored is not None and stored.rate == amount
