"""Table files as worked examples: what goes in comes back out, text for text."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from workbench.billing.core.problems import ProblemsError
from workbench.billing.store import Workspace, export_tables, import_tables, init_workspace
from workbench.billing.store.models import CreditEntry, Customer, PricebookRule, Setting

# Every table in canonical form: sorted by key, exact numbers as written.
TABLES: dict[str, str] = {
    "reseller.csv": """
        name,address,contact_email,logo_file,payment_terms_days,portal_url
        Northwind Cloud,"1 Harbour St
        Halifax NS",billing@northwind.example,logo.png,30,https://portal.northwind.example
        """,
    "customers.csv": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        C001,Acme Ltd,Ann Lee,ann@acme.example,"10 Main St, Toronto ON",CA-ON,45
        C002,"Globex ""East"" Inc",,,,CA-QC,
        """,
    "customer_vendors.csv": """
        customer_id,vendor,pricebook,invoice_currency
        C001,aws,standard,CAD
        C001,azure,standard,CAD
        C002,gcp,partner,USD
        """,
    "accounts.csv": """
        customer_id,vendor,account_id,account_name
        C001,aws,012345678901,acme-prod
        C001,azure,6c9d1e2f-0000-4a4a-9b9b-000000000001,Acme Azure
        C002,gcp,globex-data-1,
        """,
    "pricebooks.csv": """
        pricebook,effective_from,vendor,scope,match,markup_percent
        partner,2024-01,gcp,default,,-5
        standard,2024-01,aws,default,,15
        standard,2024-01,aws,service,AmazonEC2,12.5
        standard,2024-01,aws,sku,USW2-BoxUsage:t3.micro,0
        standard,2024-01,azure,default,,10.000
        """,
    "support_plans.csv": """
        pricebook,effective_from,vendor,percent,monthly_minimum
        standard,2024-01,aws,3,100.00
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
        2024-01,USD,EUR,0.9172
        """,
    "credits.csv": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        C001,PROMO-1,2024-01-15,250.00,CAD,general,aws,Migration incentive
        C002,MP-7,2024-02-01,0.01,USD,marketplace,,
        """,
}

Writer = Callable[[Path, str, str], Path]
ROWS = {"reseller.csv": 1, "customers.csv": 2, "customer_vendors.csv": 3, "accounts.csv": 3, "pricebooks.csv": 5,
        "support_plans.csv": 1, "tax_rates.csv": 3, "fx_rates.csv": 2, "credits.csv": 2}


def canonical(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.mark.parametrize("name", list(TABLES))
def test_each_table_comes_back_as_it_went_in(ws: Workspace, tmp_path: Path, name: str, write: Writer) -> None:
    needed = ["customers.csv", name] if name not in ("customers.csv", "reseller.csv") else [name]
    paths = [write(tmp_path / "in", n, TABLES[n]) for n in dict.fromkeys(needed)]
    summary, problems = import_tables(ws, paths)
    # pricebooks are assigned here but not defined: allowed, with a warning per assignment
    assert [p.code for p in problems] == (["pricebook-undefined"] * 3 if name == "customer_vendors.csv" else [])
    assert summary.count(name.removesuffix(".csv")).inserted == ROWS[name]
    export_tables(ws, tmp_path / "out")
    assert (tmp_path / "out" / name).read_text(encoding="utf-8") == canonical(TABLES[name])


def test_all_tables_at_once_and_an_empty_workspace_exports_headers(ws: Workspace, tmp_path: Path, write: Writer) -> None:
    written = export_tables(ws, tmp_path / "empty")
    assert [p.name for p in written] == list(TABLES)
    assert (tmp_path / "empty" / "customers.csv").read_text() == (
        "customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days\n"
    )
    paths = [write(tmp_path / "in", n, t) for n, t in TABLES.items()]
    summary, problems = import_tables(ws, paths)
    assert problems == ()
    assert str(summary).splitlines()[:2] == ["reseller: 1 new, 0 changed, 0 unchanged", "customers: 2 new, 0 changed, 0 unchanged"]
    export_tables(ws, tmp_path / "out")
    for name, text in TABLES.items():
        assert (tmp_path / "out" / name).read_text(encoding="utf-8") == canonical(text), name


def test_an_export_never_replaces_edits_not_imported_yet(ws: Workspace, tmp_path: Path, write: Writer) -> None:
    """The analyst exports, renames a customer in customers.csv, and exports again before
    importing the edit: the export refuses, names the file, and writes nothing; an export of the
    same tables again is no news. Imported, the edit comes back out."""
    import_tables(ws, [write(tmp_path / "in", n, t) for n, t in TABLES.items()])
    out = tmp_path / "out"
    export_tables(ws, out)
    assert [p.name for p in export_tables(ws, out)] == list(TABLES)  # the same tables: written again
    edited = (out / "customers.csv").read_text().replace("Acme Ltd", "Acme Holdings Ltd")
    (out / "customers.csv").write_text(edited)
    (out / "credits.csv").unlink()  # a file not there is no edit

    with pytest.raises(ProblemsError) as refused:
        export_tables(ws, out)
    assert [(p.code, p.file, p.message) for p in refused.value.problems] == [
        ("export-would-overwrite", str(out / "customers.csv"),
         "the file there differs from the workspace's customers table: not replaced")]
    assert f"workbench customers import {ws.root} {out / 'customers.csv'}" in refused.value.problems[0].fix
    assert (out / "customers.csv").read_text() == edited and not (out / "credits.csv").exists()

    import_tables(ws, [out / "customers.csv"])
    export_tables(ws, out)
    assert (out / "customers.csv").read_text() == edited and (out / "credits.csv").exists()


def test_a_workbook_edited_is_not_replaced_unless_asked(ws: Workspace, tmp_path: Path, write: Writer) -> None:
    import_tables(ws, [write(tmp_path / "in", n, t) for n, t in TABLES.items()])
    book_path = tmp_path / "tables.xlsx"
    export_tables(ws, book_path)
    export_tables(ws, book_path)  # the same cells: no refusal
    book = openpyxl.load_workbook(book_path)
    book["customers"]["B2"] = "Acme Holdings Ltd"
    book.save(book_path)

    with pytest.raises(ProblemsError) as refused:
        export_tables(ws, book_path)
    assert [(p.code, p.file) for p in refused.value.problems] == [("export-would-overwrite", str(book_path))]
    assert openpyxl.load_workbook(book_path)["customers"]["B2"].value == "Acme Holdings Ltd"

    export_tables(ws, book_path, overwrite=True)
    assert openpyxl.load_workbook(book_path)["customers"]["B2"].value == "Acme Ltd"


def test_values_are_stored_typed_and_exact(ws: Workspace, tmp_path: Path, write: Writer) -> None:
    import_tables(ws, [write(tmp_path, n, TABLES[n]) for n in ("reseller.csv", "customers.csv", "pricebooks.csv", "credits.csv")])
    with ws.session() as session:
        assert session.get(Setting, "reseller.payment_terms_days").value == "30"  # type: ignore[union-attr]
        assert session.get(Customer, "C002").payment_terms_days is None  # type: ignore[union-attr]
        ec2 = session.scalars(select(PricebookRule).where(PricebookRule.match == "AmazonEC2")).one()
        assert ec2.markup_percent == Decimal("12.5")
        tiny = session.scalars(select(CreditEntry).where(CreditEntry.credit_id == "MP-7")).one()
        assert (tiny.amount, tiny.entry_date, tiny.kind) == (Decimal("0.01"), dt.date(2024, 2, 1), "marketplace")  # a cent: credits are whole minor units


def test_xlsx_round_trip_through_a_second_workspace(ws: Workspace, tmp_path: Path, write: Writer) -> None:
    import_tables(ws, [write(tmp_path / "in", n, t) for n, t in TABLES.items()])
    book = tmp_path / "tables.xlsx"
    assert export_tables(ws, book) == [book]
    assert openpyxl.load_workbook(book).sheetnames == [n.removesuffix(".csv") for n in TABLES]
    other = init_workspace(tmp_path / "other")
    (other.imports_dir / "logo.png").write_bytes((ws.imports_dir / "logo.png").read_bytes())
    summary, problems = import_tables(other, [book])
    assert problems == ()
    assert summary.count("accounts").inserted == 3
    export_tables(other, tmp_path / "out")
    for name, text in TABLES.items():
        assert (tmp_path / "out" / name).read_text(encoding="utf-8") == canonical(text), name
    other.close()


def typed_by_hand(sheets: dict[str, list[list[object]]]) -> openpyxl.Workbook:
    """A workbook with a sheet of these rows per name, as an analyst types one (cells typed)."""
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    return book


def test_a_workbook_typed_by_hand_with_numbers_and_dates_means_what_was_typed(ws: Workspace, tmp_path: Path) -> None:
    typed_by_hand({"pricebooks": [
        ["pricebook", "effective_from", "vendor", "scope", "match", "markup_percent"],
        ["standard", dt.datetime(2024, 3, 1), "Amazon", "service", "AmazonS3", 0.1],
        ["standard", "2024-03", "aws", "default", None, 15],
    ]}).save(tmp_path / "mine.xlsx")
    summary, problems = import_tables(ws, [tmp_path / "mine.xlsx"])
    assert problems == ()
    export_tables(ws, tmp_path / "out")
    assert (tmp_path / "out" / "pricebooks.csv").read_text() == canonical("""
        pricebook,effective_from,vendor,scope,match,markup_percent
        standard,2024-03,aws,default,,15
        standard,2024-03,aws,service,AmazonS3,0.1
        """)


def test_a_row_with_the_same_key_replaces_the_stored_one(base: Workspace, tmp_path: Path, write: Writer) -> None:
    summary, problems = import_tables(base, [write(tmp_path, "customers.csv", """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction
        C001,Acme Corporation,Ann Lee,ann@acme.example,"10 Main St, Toronto ON",CA-ON
        C002,Globex,,,,CA-QC
        C003,Initech,,,,CA-ON
        """)])
    assert problems == ()
    assert summary.count("customers") == summary.count("customers").__class__("customers", inserted=1, updated=1, unchanged=1)
    with base.session() as session:
        acme = session.get(Customer, "C001")
        assert acme is not None
        # payment_terms_days was not in the file: the stored 45 stays
        assert (acme.name, acme.payment_terms_days) == ("Acme Corporation", 45)


def test_numbers_that_look_odd_but_are_fine(ws: Workspace, tmp_path: Path, write: Writer) -> None:
    summary, problems = import_tables(ws, [write(tmp_path, "fx_rates.csv", """
        period,from_currency,to_currency,rate
        2024-01,usd,cad, 1.3421 
        2024-02,USD,CAD,1.35E0
        2024-03,USD,JPY,1.5e2
        """)])
    assert problems == ()
    export_tables(ws, tmp_path / "out")
    assert (tmp_path / "out" / "fx_rates.csv").read_text() == canonical("""
        period,from_currency,to_currency,rate
        2024-01,USD,CAD,1.3421
        2024-02,USD,CAD,1.35
        2024-03,USD,JPY,150
        """)


def test_columns_that_may_be_empty_may_be_left_out(ws: Workspace, tmp_path: Path, write: Writer) -> None:
    summary, problems = import_tables(ws, [write(tmp_path, "customers.csv", """
        customer_id,name
        C001,Acme
        """), write(tmp_path, "credits.csv", """
        customer_id,credit_id,date,amount,currency
        C001,PROMO-1,2024-01-15,250,CAD
        """)])
    assert problems == ()
    export_tables(ws, tmp_path / "out")
    assert (tmp_path / "out" / "credits.csv").read_text() == canonical("""
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        C001,PROMO-1,2024-01-15,250,CAD,general,,
        """)


def test_a_cell_formatted_as_a_percentage_means_the_percent_it_shows(ws: Workspace, tmp_path: Path) -> None:
    # Typing 15% in Excel stores 0.15, shown as 15% by the cell's number format: in a percent
    # column that is 15 (percent), not 0.15; in another number column it is refused, as in a CSV.
    book = typed_by_hand({
        "pricebooks": [["pricebook", "effective_from", "vendor", "scope", "match", "markup_percent"],
                       ["standard", "2024-03", "aws", "default", None, 0.15],
                       ["standard", "2024-03", "aws", "service", "AmazonS3", 0.125]],
        "tax_rates": [["jurisdiction", "tax_name", "rate_percent", "effective_from"], ["CA-QC", "QST", 0.09975, "2024-03"]],
    })
    book["pricebooks"]["F2"].number_format = "0%"
    book["pricebooks"]["F3"].number_format = "0.00%"
    book["tax_rates"]["C2"].number_format = "0.000%"
    book.save(tmp_path / "typed.xlsx")
    summary, problems = import_tables(ws, [tmp_path / "typed.xlsx"])
    assert problems == ()
    export_tables(ws, tmp_path / "out")
    assert (tmp_path / "out" / "pricebooks.csv").read_text() == canonical("""
        pricebook,effective_from,vendor,scope,match,markup_percent
        standard,2024-03,aws,default,,15
        standard,2024-03,aws,service,AmazonS3,12.5
        """)
    assert (tmp_path / "out" / "tax_rates.csv").read_text() == canonical("""
        jurisdiction,tax_name,rate_percent,effective_from
        CA-QC,QST,9.975,2024-03
        """)

    rates = typed_by_hand({"fx_rates": [["period", "from_currency", "to_currency", "rate"], ["2024-03", "USD", "CAD", 1.35]]})
    rates["fx_rates"]["D2"].number_format = "0%"
    rates.save(tmp_path / "rates.xlsx")
    summary, problems = import_tables(ws, [tmp_path / "rates.xlsx"])
    assert [(p.row, p.message) for p in problems] == [(1, "rate '135%' is not a number")]
