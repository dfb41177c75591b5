"""Table files whose header lacks a column its rows are keyed by, or that were saved with
semicolons: a missing-columns problem naming the file and the columns (no KeyError), and the
database untouched. An optional key column left out of the header keys by its default."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workbench.billing.store import Workspace, import_tables

Writer = Callable[[Path, str, str], Path]
Dump = Callable[[Workspace], tuple[bytes, str]]


def test_a_table_without_its_key_column_names_the_missing_column(base: Workspace, tmp_path: Path, write: Writer,
                                                                 db_dump: Dump) -> None:
    # fx_rates is keyed by period, from_currency, to_currency; this file has no period.
    before = db_dump(base)
    summary, problems = import_tables(base, [write(tmp_path, "fx_rates.csv", """
        from_currency,to_currency,rate
        USD,CAD,1.3835
        USD,EUR,0.9293
        """)])
    assert [(p.code, p.file, p.row) for p in problems] == [("missing-columns", "fx_rates.csv", 0)]
    assert problems[0].message == "fx_rates needs the column(s) period"
    assert problems[0].fix == "the header must be: period,from_currency,to_currency,rate"
    assert summary.changed == 0 and db_dump(base) == before


def test_bad_cells_are_still_reported_beside_a_missing_column(base: Workspace, tmp_path: Path, write: Writer,
                                                              db_dump: Dump) -> None:
    before = db_dump(base)
    _, problems = import_tables(base, [write(tmp_path, "fx_rates.csv", """
        period,from_currency,rate
        2024-01,USD,abc
        """)])
    assert [(p.code, p.row) for p in problems] == [("missing-columns", 0), ("not-a-number", 1)]
    assert "to_currency" in problems[0].message
    assert db_dump(base) == before


def test_a_semicolon_delimited_table_says_so(base: Workspace, tmp_path: Path, write: Writer, db_dump: Dump) -> None:
    # Saved by a spreadsheet in a locale whose list separator is ';' (decimal commas too).
    before = db_dump(base)
    _, problems = import_tables(base, [write(tmp_path, "fx_rates.csv", """
        period;from_currency;to_currency;rate
        2026-10;USD;CAD;1,3835
        2026-10;USD;EUR;0.9293
        """)])
    [problem] = problems  # not also an unknown column 'period;from...' nor cells beyond it
    assert (problem.code, problem.file, problem.row) == ("missing-columns", "fx_rates.csv", 0)
    assert problem.message.startswith("fx_rates needs the column(s) period, from_currency, to_currency, rate; "
                                      "the header is one column separated by semicolons, not commas")
    assert problem.fix is not None and "comma delimited" in problem.fix
    assert db_dump(base) == before


def test_a_pricebook_without_the_optional_match_column_imports(base: Workspace, tmp_path: Path,
                                                               write: Writer) -> None:
    # match is part of the key but optional (empty for a default rule): left out, it keys as "".
    path = write(tmp_path, "pricebooks.csv", """
        pricebook,effective_from,vendor,scope,markup_percent
        standard,2025-01,aws,default,12
        standard,2024-01,aws,default,15
        """)
    summary, problems = import_tables(base, [path])
    assert problems == ()
    assert (summary.count("pricebooks").inserted, summary.count("pricebooks").unchanged) == (1, 1)
    _, problems = import_tables(base, [write(tmp_path, "pricebooks.csv", """
        pricebook,effective_from,vendor,scope,markup_percent
        standard,2025-01,aws,service,12
        """)])
    assert [(p.code, p.row) for p in problems] == [("bad-match", 1)]
