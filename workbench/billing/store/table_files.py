"""Reading table files (CSV, or .xlsx sheets) into plain text rows, and writing them back.

Everything crosses this boundary as text: a workbook cell holding a number is turned into the
text the user typed (shortest round-trip form), never kept as a float. Rows are numbered from 1
below the header (the header is row 0), as in every `Problem`.

A CSV row whose cells do not line up with the header is reported, never padded or guessed at:
fewer cells than the header (`short-row`; `truncated-row` when it is the file's last line and no
line break ends it: a copy cut off there), cells beyond it (`extra-cells`), a quote inside an
unquoted cell or text after a closing quote (`stray-quote`), a quoted cell never closed
(`unclosed-quote`; `truncated-row` when the file ends inside it on its last line). The codes and
the rule for a cut-off end are the vendor-report reader's (`readers/source.py`). Such a row is
not read further (`TableRows.damaged`): its cells would be shifted. Workbook sheets have no
delimiters: an empty trailing cell there is just empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from workbench.atomic_files import atomic_path
from workbench.billing.core.problems import Problem
from workbench.billing.store.table_formats import FORMATS_BY_NAME, Kind, TableFormat

XLSX_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True, slots=True)
class TableRows:
    format: TableFormat
    source: str  # "customers.csv" or "tables.xlsx[customers]": the `file` of its problems
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]  # (1-based row, column -> text)
    # rows whose cells do not line up with the header (reported): their cells are not parsed
    damaged: frozenset[int] = frozenset()


def read_table_files(paths: Iterable[Path]) -> tuple[list[TableRows], list[Problem]]:
    tables: list[TableRows] = []
    problems: list[Problem] = []
    for path in map(Path, paths):
        if path.suffix.lower() in XLSX_SUFFIXES:
            found, found_problems = _read_workbook(path)
        elif path.suffix.lower() == ".csv":
            found, found_problems = _read_csv(path)
        else:
            found, found_problems = [], [
                Problem(
                    "unknown-file-type",
                    f"{path.name} is neither a .csv file nor an .xlsx workbook",
                    file=path.name,
                    fix="save the table as CSV (UTF-8) or as an .xlsx workbook",
                )
            ]
        tables += found
        problems += found_problems
    return tables, problems


def _table_format(name: str, source: str) -> tuple[TableFormat | None, list[Problem]]:
    fmt = FORMATS_BY_NAME.get(name.strip().lower())
    if fmt is None:
        known = ", ".join(FORMATS_BY_NAME)
        return None, [
            Problem(
                "unknown-table",
                f"{source} is not a known table (recognised by its name)",
                file=source,
                fix=f"name the file or sheet after its table: one of {known}",
            )
        ]
    return fmt, []


def _read_csv(path: Path) -> tuple[list[TableRows], list[Problem]]:
    fmt, problems = _table_format(path.stem, path.name)
    if fmt is None:
        return [], problems
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return [], [
            Problem(
                "not-utf8",
                f"{path.name} is not UTF-8 text",
                file=path.name,
                fix="save it as 'CSV UTF-8 (comma delimited)'",
            )
        ]
    except OSError as exc:
        return [], [Problem("unreadable-file", f"cannot read {path}: {exc.strerror}", file=path.name)]
    records = _csv_records(text)
    return _to_table(fmt, path.name, [r.cells for r in records], records)


def _read_workbook(path: Path) -> tuple[list[TableRows], list[Problem]]:
    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it drops (data validation, styles); they
            # do not matter for reading values.
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        return [], [
            Problem(
                "unreadable-workbook",
                f"{path.name} cannot be read as an .xlsx workbook ({type(exc).__name__})",
                file=path.name,
                fix="open it in Excel or LibreOffice and save it again as .xlsx",
            )
        ]
    tables: list[TableRows] = []
    problems: list[Problem] = []
    try:
        for sheet in book.worksheets:
            source = f"{path.name}[{sheet.title}]"
            fmt, found = _table_format(sheet.title, source)
            problems += found
            if fmt is None:
                continue
            rows = sheet.iter_rows()  # cells, not values: a number's format tells 15% from 0.15
            header = [_cell_text(c.value, Kind.TEXT) for c in next(rows, ())]
            kinds = [_kind_of(fmt, h) for h in header]
            cells = [header] + [
                [_workbook_cell_text(c, kinds[i] if i < len(kinds) else Kind.TEXT) for i, c in enumerate(r)]
                for r in rows
            ]
            t, p = _to_table(fmt, source, cells)
            tables += t
            problems += p
    finally:
        book.close()
    return tables, problems


def _kind_of(fmt: TableFormat, header: str) -> Kind:
    name = header.strip().lower()
    return fmt.column(name).kind if name in fmt.column_names else Kind.TEXT


def _workbook_cell_text(cell: Any, kind: Kind) -> str:
    """`_cell_text` of a workbook cell, and of a number as the user sees it: a cell formatted as a
    percentage shows 15% for the 0.15 it stores, which a PERCENT column (markup_percent,
    rate_percent, percent) takes as 15; in another number column it is "15%", refused as a CSV's
    would be."""
    value = cell.value
    if (kind not in (Kind.NUMBER, Kind.PERCENT) or not isinstance(value, (int, float)) or isinstance(value, bool)
            or "%" not in (cell.number_format or "")):
        return _cell_text(value, kind)
    shown = format((Decimal(_cell_text(value, kind)) * 100).normalize(), "f")
    return shown if kind is Kind.PERCENT else f"{shown}%"


def _cell_text(value: object, kind: Kind) -> str:
    """A workbook cell as the text the user meant: 15.0 -> "15", 0.1 -> "0.1", a date -> ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)  # the shortest text that reads back as this float: what was typed
    if isinstance(value, dt.datetime):
        if kind is Kind.MONTH and value.day == 1:
            return value.strftime("%Y-%m")  # Excel turns "2024-03" into 1 March 2024
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m") if kind is Kind.MONTH and value.day == 1 else value.isoformat()
    return str(value)


@dataclass(frozen=True, slots=True)
class _Record:
    """One CSV record as the file holds it: its cells, whether a line break ends it (False: the
    file's last line, with none after it), and what is wrong with its quotes, if anything."""

    cells: list[str]
    ended: bool
    quote: tuple[str, str] | None = None  # ("stray-quote" | "unclosed-quote" | "cut-quote", detail)


_QUOTED = re.compile(r'"([^"]*(?:""[^"]*)*)"')  # a quoted cell, closed, its quotes doubled inside
_PLAIN = re.compile(r"[^,\n]*")


def _csv_records(text: str) -> list[_Record]:
    """The records of CSV `text` (line breaks already `\\n`: read in universal-newline mode), as
    RFC 4180 has them: `,` between cells, `"` around a cell holding `,`, `"` or a line break, a
    `"` inside one doubled. Where the quotes break that, the record says how, and its cells are
    read the way a lenient reader would (what they would have been, for the message). A line
    without a quote (most lines) is split as it is."""
    records: list[_Record] = []
    pos, end = 0, len(text)
    while pos < end:
        line_end = text.find("\n", pos)
        if line_end < 0:
            line_end = end
        if text.find('"', pos, line_end) < 0:
            records.append(_Record(text[pos:line_end].split(","), line_end < end))
            pos = line_end + 1
            continue
        cells: list[str] = []
        quote: tuple[str, str] | None = None
        while True:
            if text.startswith('"', pos):
                closed = _QUOTED.match(text, pos)
                if closed is None:  # never closed: the file ends inside it
                    rest = text[pos + 1:]
                    cells.append(rest.replace('""', '"'))
                    quote = quote or (("unclosed-quote" if "\n" in rest else "cut-quote"), rest)
                    pos = end
                    break
                cell = closed.group(1).replace('""', '"')
                pos = closed.end()
                if pos < end and text[pos] not in ",\n":  # text after the closing quote
                    after = _PLAIN.match(text, pos)
                    assert after is not None
                    quote = quote or ("stray-quote", f"the quoted cell {cell!r} is followed by {after.group()!r} "
                                                     "before the next comma")
                    cell += after.group()
                    pos = after.end()
            else:
                plain = _PLAIN.match(text, pos)
                assert plain is not None
                cell = plain.group()
                pos = plain.end()
                if '"' in cell:
                    spaced = " (a space before an opening quote makes the quote part of the cell)" \
                        if cell.lstrip().startswith('"') and cell[0].isspace() else ""
                    quote = quote or ("stray-quote", f"the unquoted cell {cell!r} holds a double quote{spaced}")
            cells.append(cell)
            if pos < end and text[pos] == ",":
                pos += 1
                continue
            break
        records.append(_Record(cells, pos < end, quote))
        pos += 1
    return records


_QUOTING_FIX = ('a cell holding a comma or a double quote must be quoted whole, each quote inside it doubled '
                '("2 ""A"" Rd"); fix the row, or save the sheet again as \'CSV UTF-8 (comma delimited)\', which '
                'writes cells so')
_CUT_FIX = ("the file is an incomplete copy: copy or save the whole file again (`workbench customers export DIR OUT` "
            "writes the stored tables whole) and import that")


def _damage(record: _Record, source: str, row: int, columns: int, customer: str | None) -> Problem | None:
    """What keeps a CSV record's cells from lining up with the header's `columns`, if anything:
    its quotes first (they shift every cell after them), then its number of cells."""
    def problem(code: str, message: str, fix: str) -> Problem:
        return Problem(code, message, file=source, row=row, customer_id=customer, fix=fix)

    if record.quote is not None:
        kind, detail = record.quote
        if kind == "cut-quote":
            return problem("truncated-row", "the file ends in the middle of this row (inside a quoted cell): it was "
                                            "cut short", _CUT_FIX)
        if kind == "unclosed-quote":
            lines = detail.rstrip("\n").count("\n")
            return problem("unclosed-quote", f"a quoted cell opened in this row is never closed: the rest of the file "
                                             f"({lines} more line(s)) reads as part of it",
                           "look for a stray double quote in the row; " + _QUOTING_FIX)
        return problem("stray-quote", f"{detail}: a quote in the row is stray or missing, so its cells are shifted",
                       _QUOTING_FIX)
    found = len(record.cells)
    if found < columns and not record.ended:
        return problem("truncated-row", f"the file ends in the middle of this row (with {found} of the header's "
                                        f"{columns} cells): it was cut short", _CUT_FIX)
    if found < columns:
        return problem("short-row", f"the row has {found} of the header's {columns} cells: its cells cannot be "
                                    "matched to the columns (a comma is missing, or the row was cut)",
                       "write every cell of the row, an empty one too (C1,Acme,,,); if its last cells are empty in "
                       "your spreadsheet (some Excel versions leave out their commas), save the sheet as an .xlsx "
                       "workbook instead, which imports as it is")
    return None


def _to_table(fmt: TableFormat, source: str, cells: list[list[str]],
              records: list[_Record] | None = None) -> tuple[list[TableRows], list[Problem]]:
    """`records`: the CSV records the cells come from (None for a workbook sheet, whose cells
    have no delimiters or quotes to go wrong)."""
    problems: list[Problem] = []
    while cells and not any(c.strip() for c in cells[-1]):
        cells.pop()
    if not cells:
        return [], [
            Problem(
                "empty-table",
                f"{source} has no header row",
                file=source,
                fix=f"start the file with the header: {','.join(fmt.column_names)}",
            )
        ]
    header = tuple(h.strip().lower() for h in cells[0])
    while header and header[-1] == "":
        header = header[:-1]
    if records is not None and records[0].quote is not None:
        problems.append(Problem("stray-quote", f"the header's quotes are broken: {records[0].quote[1]}", file=source,
                                row=0, fix=f"the header must be: {','.join(fmt.column_names)}"))
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(
                Problem("duplicate-column", f"column {name!r} appears twice", file=source, row=0, fix="keep one of them")
            )
        seen.add(name)
    missing = [c.name for c in fmt.columns if c.required and c.name not in header]
    if missing:
        problems.append(
            Problem(
                "missing-columns",
                f"{fmt.name} needs the column(s) {', '.join(missing)}",
                file=source,
                row=0,
                fix=f"the header must be: {','.join(fmt.column_names)}",
            )
        )
    unknown = [h for h in header if h not in fmt.column_names]
    if unknown:
        problems.append(
            Problem(
                "unknown-columns",
                f"{fmt.name} has no column(s) {', '.join(repr(u) for u in unknown)}",
                file=source,
                row=0,
                fix=f"fix the spelling or remove them; the columns are: {','.join(fmt.column_names)}",
            )
        )
    rows: list[tuple[int, dict[str, str]]] = []
    damaged: set[int] = set()
    for number, line in enumerate(cells[1:], start=1):
        record = records[number] if records is not None else None
        if not any(c.strip() for c in line) and (record is None or record.quote is None):
            continue
        values = {name: (line[i].strip() if i < len(line) else "") for i, name in enumerate(header)}
        customer = values.get("customer_id") or None
        damage = _damage(record, source, number, len(header), customer) if record is not None else None
        extra = [c for c in line[len(header):] if c.strip()]
        if damage is None and extra:
            damage = Problem(
                "extra-cells",
                f"the row has {len(extra)} value(s) beyond the last column",
                file=source,
                row=number,
                customer_id=customer,
                fix="remove them, or quote a value that contains a comma",
            )
        if damage is not None:
            problems.append(damage)
            damaged.add(number)
        rows.append((number, values))
    return [TableRows(fmt, source, header, tuple(rows), frozenset(damaged))], problems


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_workbook_atomic(path: Path, sheets: Sequence[tuple[str, Sequence[str], list[list[str]]]]) -> None:
    """One sheet per table, every cell stored as text (format "@") so Excel keeps 0.10 and
    leading zeros of account ids as they are."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        for r, line in enumerate([list(header), *rows], start=1):
            for c, text in enumerate(line, start=1):
                cell = sheet.cell(row=r, column=c, value=text if text != "" else None)
                cell.number_format = "@"
    with atomic_path(path) as temporary:
        book.save(temporary)
