"""CSV rows whose cells do not line up with the header are refused, never padded or guessed at.

A copy cut off in the middle of a row, a stray quote or a missing comma would shift or blank a
customer's cells (its tax jurisdiction CA-ON read as CA, its payment terms emptied) and overwrite
the stored customer. Each is reported with its row, every one at once, and nothing is stored. The
codes are the vendor-report reader's (`truncated-row`, `short-row`, `unclosed-quote`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl

from workbench.billing.store import Workspace, import_tables
from workbench.billing.store.models import Customer

Writer = Callable[[Path, str, str], Path]
Dump = Callable[[Workspace], tuple[bytes, str]]

HEADER = "customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days"
ACME = 'C001,Acme Ltd,Ann Lee,ann@acme.example,"10 Main St, Toronto ON",CA-ON,45'
CUT_FIX = ("the file is an incomplete copy: copy or save the whole file again (`workbench customers export DIR OUT` "
           "writes the stored tables whole) and import that")
QUOTING_FIX = ('a cell holding a comma or a double quote must be quoted whole, each quote inside it doubled '
               '("2 ""A"" Rd"); fix the row, or save the sheet again as \'CSV UTF-8 (comma delimited)\', which '
               'writes cells so')


def customers_file(tmp_path: Path, *lines: str, final_break: bool = True) -> Path:
    path = tmp_path / "customers.csv"
    path.write_bytes(("\n".join([HEADER, *lines]) + ("\n" if final_break else "")).encode())
    return path


def found(problems) -> list[tuple[str, str | None, int | None, str | None, str]]:
    return [(p.code, p.file, p.row, p.customer_id, p.message) for p in problems]


def acme(ws: Workspace) -> tuple[str | None, int | None]:
    with ws.session() as session:
        stored = session.get(Customer, "C001")
        assert stored is not None
        return stored.tax_jurisdiction, stored.payment_terms_days


def test_a_copy_cut_off_in_the_middle_of_a_row_is_refused(base: Workspace, tmp_path: Path, db_dump: Dump) -> None:
    # `head -c` of customers.csv: the last row stops inside its tax jurisdiction, CA-ON read as CA
    cut = customers_file(tmp_path, ACME[:ACME.index("CA-ON") + 2], final_break=False)
    before = db_dump(base)
    summary, problems = import_tables(base, [cut])
    assert found(problems) == [("truncated-row", "customers.csv", 1, "C001", "the file ends in the middle of this "
                                "row (with 6 of the header's 7 cells): it was cut short")]
    assert problems[0].fix == CUT_FIX
    assert summary.changed == 0 and db_dump(base) == before
    assert acme(base) == ("CA-ON", 45)  # not CA, and its payment terms not blanked


def test_a_copy_cut_off_inside_a_quoted_cell_is_refused(base: Workspace, tmp_path: Path, db_dump: Dump) -> None:
    cut = customers_file(tmp_path, ACME[:ACME.index("Toronto")], final_break=False)
    before = db_dump(base)
    _, problems = import_tables(base, [cut])
    assert found(problems) == [("truncated-row", "customers.csv", 1, "C001", "the file ends in the middle of this "
                                "row (inside a quoted cell): it was cut short")]
    assert db_dump(base) == before


def test_a_stray_quote_is_refused_rather_than_shifting_the_cells(base: Workspace, tmp_path: Path,
                                                                  db_dump: Dump) -> None:
    # The opening quote of the name is stray: read leniently, the name would swallow the contact
    # and the address, and the jurisdiction would be emptied.
    stray = customers_file(tmp_path, ACME, 'C003,"Initech,Peter Gibbons,peter@initech.example,"3 Office Rd",CA-ON,30',
                           "C004,Hooli,Gavin Belson,gavin@hooli.example,1 Hooli Way,CA-ON,30")
    before = db_dump(base)
    _, problems = import_tables(base, [stray])
    assert found(problems) == [(
        "stray-quote", "customers.csv", 2, "C003",
        "the quoted cell 'Initech,Peter Gibbons,peter@initech.example,' is followed by '3 Office Rd\"' before the "
        "next comma: a quote in the row is stray or missing, so its cells are shifted")]
    assert problems[0].fix == QUOTING_FIX
    assert db_dump(base) == before


def test_a_quote_inside_an_unquoted_cell_is_refused(base: Workspace, tmp_path: Path) -> None:
    _, problems = import_tables(base, [customers_file(
        tmp_path, 'C003,Initech "Intl",,,,CA-ON,30', 'C004,Hooli,,, "1 Hooli Way, Palo Alto",CA-ON,30')])
    assert found(problems) == [
        ("stray-quote", "customers.csv", 1, "C003", "the unquoted cell 'Initech \"Intl\"' holds a double quote: a "
         "quote in the row is stray or missing, so its cells are shifted"),
        ("stray-quote", "customers.csv", 2, "C004", "the unquoted cell ' \"1 Hooli Way' holds a double quote (a space "
         "before an opening quote makes the quote part of the cell): a quote in the row is stray or missing, so its "
         "cells are shifted"),
    ]


def test_a_quote_never_closed_is_refused(base: Workspace, tmp_path: Path) -> None:
    _, problems = import_tables(base, [customers_file(
        tmp_path, 'C003,"Initech,,,,CA-ON,30', "C004,Hooli,,,,CA-ON,30")])
    assert found(problems) == [("unclosed-quote", "customers.csv", 1, "C003", "a quoted cell opened in this row is "
                                "never closed: the rest of the file (1 more line(s)) reads as part of it")]
    assert problems[0].fix == "look for a stray double quote in the row; " + QUOTING_FIX


def test_a_row_short_of_cells_is_refused_wherever_it_is(base: Workspace, tmp_path: Path, db_dump: Dump) -> None:
    # A comma lost in the middle: every cell after it would move one column left.
    short = customers_file(tmp_path, "C001,Acme Ltd,Ann Lee ann@acme.example,10 Main St,CA-ON,45", ACME)
    before = db_dump(base)
    _, problems = import_tables(base, [short])
    assert found(problems) == [("short-row", "customers.csv", 1, "C001", "the row has 6 of the header's 7 cells: its "
                                "cells cannot be matched to the columns (a comma is missing, or the row was cut)")]
    assert problems[0].fix == ("write every cell of the row, an empty one too (C1,Acme,,,); if its last cells are "
                               "empty in your spreadsheet (some Excel versions leave out their commas), save the "
                               "sheet as an .xlsx workbook instead, which imports as it is")
    assert db_dump(base) == before


def test_every_damaged_row_of_every_file_at_once(base: Workspace, tmp_path: Path, write: Writer,
                                                 db_dump: Dump) -> None:
    customers = customers_file(tmp_path, 'C003,"Initech,,,"3 Office Rd",CA-ON,30', "C004,Hooli,,,,CA-ON",
                               "C005,Pied Piper,,,,CA-ON,30")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("customer_id,vendor,account_id,account_name\nC004,aws,444444444444,hooli\nC005,aws,5555")
    before = db_dump(base)
    summary, problems = import_tables(base, [customers, accounts])
    assert [(p.code, p.file, p.row) for p in problems] == [
        ("truncated-row", "accounts.csv", 2), ("stray-quote", "customers.csv", 1), ("short-row", "customers.csv", 2)]
    assert summary.changed == 0 and db_dump(base) == before


def test_whole_rows_import_as_before(base: Workspace, tmp_path: Path) -> None:
    # no line break after the last row (a hand-written file), cells beyond a blank header column
    # (a spreadsheet's used range), a quote doubled inside a quoted cell, a line break inside one
    path = customers_file(tmp_path, 'C003,"Initech ""Intl""",,,"3 Office Rd\nSuite 1",CA-ON,30,,',
                          "C004,Hooli,,,,CA-ON,", final_break=False)
    path.write_text(path.read_text().replace(HEADER, HEADER + ",,"))
    summary, problems = import_tables(base, [path])
    assert problems == () and summary.count("customers").inserted == 2
    with base.session() as session:
        initech = session.get(Customer, "C003")
        assert initech is not None and (initech.name, initech.billing_address) == ('Initech "Intl"', "3 Office Rd\nSuite 1")


def test_a_workbook_row_may_leave_its_last_cells_empty(base: Workspace, tmp_path: Path) -> None:
    """A sheet has no delimiters to lose: cells left empty at the end of a row are empty."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "customers"
    sheet.append(HEADER.split(","))
    sheet.append(["C003", "Initech"])
    book.save(tmp_path / "tables.xlsx")
    summary, problems = import_tables(base, [tmp_path / "tables.xlsx"])
    assert problems == () and summary.count("customers").inserted == 1
