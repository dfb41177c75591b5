"""Opening a vendor file: what container it is, its header, and loading it into DuckDB.

Every file becomes a TEMP relation holding only the columns its format needs plus
`__source_row` (1-based data row, header = row 0). Parquet is a view over the file itself
(`file_row_number`), its typed columns kept typed, so nothing is copied before the one pass that
writes the canonical rows. CSV is parsed once with DuckDB's reader (explicit header, every column
VARCHAR) into a temporary parquet file of the needed columns, and viewed like parquet; rows
DuckDB rejects (too few or too many fields) become `Problem`s. JSON lines are loaded one line per row and parsed in SQL; JSON numbers are quoted
before parsing so that they never pass through DOUBLE.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import shutil
import tempfile
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from workbench.billing.core.problems import Problem
from workbench.billing.readers.sql import ident, lit, nonblank, nonblank_column

__all__ = ["Container", "Probe", "RawTable", "TempObjects", "probe", "load", "read_failure", "MAX_ROW_PROBLEMS"]

Container = Literal["csv", "parquet", "jsonl"]

# Row problems of one kind beyond this many are summarised in one more Problem.
MAX_ROW_PROBLEMS = 20

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
# Files people pick by mistake, by their first bytes: what they are, and what to do instead.
_NOT_TEXT: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one)",
     "Give the vendor's export itself: CSV, CSV.gz, JSON lines or parquet. From Excel: File > Save As > "
     "CSV UTF-8 (comma delimited); from a zip: extract the report first."),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or other Office file",
     "Give the vendor's export itself, or save the sheet as CSV UTF-8 (comma delimited)."),
    (b"\xff\xfe", "UTF-16 text", "Save the file as UTF-8 (CSV UTF-8 in Excel) and import it again."),
    (b"\xfe\xff", "UTF-16 text", "Save the file as UTF-8 (CSV UTF-8 in Excel) and import it again."),
    (b"%PDF", "a PDF document", "Give the vendor's usage export (CSV, CSV.gz, JSON lines or parquet), not the invoice PDF."),
)
# Quote every bare JSON number that is the value of a key: `"cost": 1.8E-9` -> `"cost": "1.8E-9"`.
# The key's opening quote must not be escaped, so text inside JSON strings is left alone.
_QUOTE_JSON_NUMBERS = r"""regexp_replace({x}, '(^|[^\\])("[^"\\]*"\s*:\s*)(-?[0-9][0-9.eE+-]*)', '\1\2"\3"', 'g')"""


def quote_json_numbers(expr: str) -> str:
    return _QUOTE_JSON_NUMBERS.format(x=expr)


@dataclass(frozen=True)
class Probe:
    """What a file is, from its first bytes and header."""

    path: Path
    container: Container
    columns: tuple[str, ...]  # header names as written (JSON: dotted key paths of the first line)
    types: dict[str, str] = field(default_factory=dict)  # parquet column types
    gzip: bool = False
    problems: tuple[Problem, ...] = ()

    def find(self, name: str) -> str | None:
        """The header name matching `name`, exactly or else case-insensitively."""
        if name in self.columns:
            return name
        lowered = name.lower()
        for column in self.columns:
            if column.lower() == lowered:
                return column
        return None

    def has(self, name: str) -> bool:
        return self.find(name) is not None


def _first_line(path: Path, is_gzip: bool) -> str:
    opener = gzip.open(path, "rb") if is_gzip else open(path, "rb")
    with opener as handle:
        line = handle.readline(4 * 1024 * 1024)
    return line.decode("utf-8-sig", errors="replace").rstrip("\r\n")


def _json_key_paths(value: object, prefix: str = "") -> Iterable[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}{key}"
            yield path
            yield from _json_key_paths(inner, path + ".")


def probe(path: Path) -> Probe:
    name = path.name
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError as error:
        return Probe(path, "csv", (), problems=(Problem(
            "unreadable-file", f"cannot open the file: {error.strerror or error}", file=name,
            fix="Check the path and the file permissions."),))
    if head == _PARQUET_MAGIC:
        return Probe(path, "parquet", ())  # columns filled in by `describe_parquet`
    for magic, what, fix in _NOT_TEXT:
        if head.startswith(magic):
            return Probe(path, "csv", (), problems=(Problem(
                "not-a-report", f"this is {what}, not a vendor report", file=name, fix=fix),))
    is_gzip = head[:2] == _GZIP_MAGIC
    try:
        line = _first_line(path, is_gzip)
    except (OSError, EOFError) as error:
        return Probe(path, "csv", (), gzip=is_gzip, problems=(Problem(
            "unreadable-file", f"cannot read the file: {error}", file=name,
            fix="Download the export again; a .gz file may be truncated."),))
    if line.strip() == "":
        return Probe(path, "csv", (), gzip=is_gzip, problems=(Problem(
            "empty-file", "the file is empty: no header row", file=name,
            fix="Export the report again; the first line must be the column header."),))
    if line.lstrip().startswith("{"):
        try:
            first = json.loads(line)
        except json.JSONDecodeError:
            first = None
        if isinstance(first, dict):
            return Probe(path, "jsonl", tuple(dict.fromkeys(_json_key_paths(first))), gzip=is_gzip)
    try:
        columns = tuple(next(csv.reader(io.StringIO(line))))
    except csv.Error as error:  # a line break inside the header, a NUL byte: not a CSV header
        return Probe(path, "csv", (), gzip=is_gzip, problems=(Problem(
            "not-a-report", f"the first line is not a CSV header ({error}): {line[:80]!r}", file=name, row=0,
            fix="Give the vendor's export itself: CSV (UTF-8, comma-separated), CSV.gz, JSON lines or parquet."),))
    if len(columns) == 1:
        only = columns[0]
        for delimiter, label in ((";", "semicolons"), ("\t", "tabs")):
            if delimiter in only:
                return Probe(path, "csv", columns, gzip=is_gzip, problems=(Problem(
                    "wrong-delimiter",
                    f"the header is one column separated by {label}, not commas: {only[:120]!r}",
                    file=name, row=0,
                    fix="Export the report as comma-separated CSV (vendor exports use commas), "
                        "or re-save it with ',' as the delimiter."),))
    return Probe(path, "csv", columns, gzip=is_gzip)


def describe_parquet(con: duckdb.DuckDBPyConnection, found: Probe) -> Probe:
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(str(found.path))})").fetchall()
    except duckdb.Error as error:
        return Probe(found.path, "parquet", (), problems=(Problem(
            "unreadable-file", f"not a readable parquet file: {_first_line_of(error)}", file=found.path.name,
            fix="Download the export again."),))
    return Probe(found.path, "parquet", tuple(r[0] for r in rows), types={r[0]: str(r[1]) for r in rows})


# Parquet types read as they are, exactly: timestamps, dates, integers and decimals of at most
# 18 decimals (DECIMAL(38,18) holds them whole). Anything else (DOUBLE, text, wider decimals) goes
# through its text, as CSV does.
_TYPED = re.compile(r"^(TIMESTAMP|TIMESTAMP WITH TIME ZONE|DATE|TINYINT|SMALLINT|INTEGER|BIGINT|"
                    r"UTINYINT|USMALLINT|UINTEGER|UBIGINT|DECIMAL\(\d+,(?P<scale>\d+)\))$")


class TempObjects:
    """The TEMP tables, views and files a read creates, dropped in reverse order whatever happens."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._made: list[tuple[str, str]] = []
        self._folder: Path | None = None
        self._remove_folder: weakref.finalize | None = None

    def add(self, kind: Literal["TABLE", "VIEW"], name: str) -> str:
        self._made.append((kind, name))
        return name

    def file(self, suffix: str) -> Path:
        """A new path in a private temporary folder, removed by `drop`."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="workbench-read-"))
            # removed when this object is let go, too, should `drop` never run: a KeyboardInterrupt
            # raised as the handler that calls it begins (Python runs its SIGINT handler at the
            # first call after a query that a Ctrl-C interrupted, see `store.interrupt_on_ctrl_c`)
            self._remove_folder = weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        return self._folder / f"{uuid.uuid4().hex[:12]}{suffix}"

    def drop(self) -> None:
        while self._made:
            kind, name = self._made.pop()
            self.con.execute(f"DROP {kind} IF EXISTS {name}")
        if self._remove_folder is not None:
            self._remove_folder()  # the folder removed, once
            self._folder = self._remove_folder = None


@dataclass(frozen=True)
class RawTable:
    """The loaded file: a TEMP table or view `name` with `__source_row` and the needed columns."""

    name: str
    probe: Probe
    extracted: frozenset[str] = frozenset()  # JSONL: the key paths extracted as columns at load

    def column(self, name: str) -> str | None:
        """SQL for a source column's raw value, or None when the file lacks it."""
        if self.probe.container == "jsonl":  # every needed key path, whether the first line has it or not
            return ident(name) if name in self.extracted else None
        actual = self.probe.find(name)
        return None if actual is None else ident(actual)

    def text(self, name: str) -> str:
        """The column as trimmed text, NULL when empty or when the file lacks the column."""
        raw = self.column(name)
        if raw is None:
            return "CAST(NULL AS VARCHAR)"
        if self.probe.container != "jsonl" and self.type_of(name).upper() == "VARCHAR":
            return nonblank_column(raw)
        return nonblank(raw)

    def value(self, name: str) -> str:
        """The column typed when the file types it exactly (parquet timestamps, dates, integers,
        decimals of up to 18 places), else as `text`. Staging turns either into canonical types."""
        raw = self.column(name)
        if raw is None or self.probe.container != "parquet":
            return self.text(name)
        typed = _TYPED.match(self.type_of(name).upper())
        if typed is None or (typed.group("scale") is not None and int(typed.group("scale")) > 18):
            return self.text(name)
        return raw

    def has(self, name: str) -> bool:
        return self.probe.has(name)

    def type_of(self, name: str) -> str:
        actual = self.probe.find(name)
        return self.probe.types.get(actual, "VARCHAR") if actual else "VARCHAR"


def _unique(prefix: str) -> str:
    return f"__wb_{prefix}_{uuid.uuid4().hex[:12]}"


def load(temps: TempObjects, found: Probe, needed: Iterable[str],
         parsed: Path | None = None) -> tuple[RawTable, tuple[Problem, ...]]:
    """Make the file a TEMP relation (recorded in `temps`); return it with the row problems
    DuckDB found.

    `parsed` (CSV and JSONL): where the needed columns of the file are kept as parquet. When it
    holds them already, the file is not parsed again; otherwise the parse is written there (and
    left for the caller to keep or remove; removed when DuckDB rejected rows of a CSV, whose
    numbering it loses)."""
    con = temps.con
    table = _unique("raw")
    path = lit(str(found.path))
    if found.container == "parquet":
        cols = _present(found, needed)
        select = ", ".join(ident(c) for c in cols) or "NULL AS __none"
        con.execute(
            f"CREATE TEMP VIEW {temps.add('VIEW', table)} AS SELECT file_row_number + 1 AS __source_row, {select} "
            f"FROM read_parquet({path}, file_row_number = true)"
        )
        return RawTable(table, found), ()
    if found.container == "jsonl":
        return _load_jsonl(temps, found, table, path, list(dict.fromkeys(needed)), parsed)
    if parsed is not None and _holds(temps.con, parsed, _present(found, needed)):
        kept = ", ".join(ident(c) for c in _present(found, needed)) or "NULL AS __none"
        temps.con.execute(
            f"CREATE TEMP VIEW {temps.add('VIEW', table)} AS SELECT file_row_number + 1 AS __source_row, {kept} "
            f"FROM read_parquet({lit(str(parsed))}, file_row_number = true)"
        )
        return RawTable(table, found), ()
    return _load_csv(temps, found, table, path, needed, parsed)


def _holds(con: duckdb.DuckDBPyConnection, parsed: Path, columns: list[str]) -> bool:
    """Whether `parsed` is a readable parquet file with all of `columns` (one written by an
    older version may lack a column the reader needs now)."""
    if not parsed.is_file():
        return False
    try:
        names = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(str(parsed))})").fetchall()}
    except duckdb.Error:
        return False
    return set(columns) <= names


def _present(found: Probe, needed: Iterable[str]) -> list[str]:
    present: list[str] = []
    for name in needed:
        actual = found.find(name)
        if actual is not None and actual not in present:
            present.append(actual)
    return present


def _compression(found: Probe) -> str:
    return "'gzip'" if found.gzip else "'none'"


def _load_csv(temps: TempObjects, found: Probe, table: str, path: str,
              needed: Iterable[str], parsed: Path | None) -> tuple[RawTable, tuple[Problem, ...]]:
    con = temps.con
    # Header names may repeat (CUR tags differing in case): DuckDB needs unique names.
    names: list[str] = []
    seen: set[str] = set()
    for column in found.columns:
        unique = column
        while unique.lower() in seen:
            unique += "_dup"
        seen.add(unique.lower())
        names.append(unique)
    columns = "{" + ", ".join(f"{lit(n)}: 'VARCHAR'" for n in names) + "}"
    rejects, scans = _unique("rejects"), _unique("scans")
    cols = _present(found, needed)
    select = ", ".join(ident(c) for c in cols) or "NULL AS __none"
    # One parse of the CSV, streamed to a parquet file of the needed columns: the validation
    # pass and the one that writes the canonical rows then read columns, in parallel, and memory
    # stays flat (a TEMP table of 10 million rows would need gigabytes or spill).
    staging = parsed or temps.file(".parquet")
    con.execute(
        f"COPY (SELECT {select} FROM read_csv({path}, header = true, "
        f"columns = {columns}, delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
        f"compression = {_compression(found)}, store_rejects = true, rejects_table = {lit(rejects)}, "
        f"rejects_scan = {lit(scans)})) TO {lit(str(staging))} (FORMAT parquet, COMPRESSION snappy)"
    )
    try:
        rejected = con.execute(
            # One rejects row per missing column: keep the first per line.
            f"SELECT line, first(error_type::VARCHAR ORDER BY column_idx), first(error_message ORDER BY column_idx), "
            f"first(csv_line ORDER BY column_idx) FROM {rejects} GROUP BY line ORDER BY line"
        ).fetchall()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {rejects}")
        con.execute(f"DROP TABLE IF EXISTS {scans}")
    # DuckDB counts lines from 1 with the header as line 1: data row = line - 1. Kept rows are
    # numbered in file order around the rejected ones.
    bad_rows = sorted({int(line) - 1 for line, *_ in rejected})
    # A bad row is at the end of the file when every row after it is bad too: the file stops
    # there (cut short, or still downloading) rather than holding one damaged row.
    kept_rows = con.execute(f"SELECT count(*) FROM read_parquet({lit(str(staging))})").fetchone()[0] if bad_rows else 0
    at_end = {r for i, r in enumerate(bad_rows) if r > kept_rows + i}
    row = "file_row_number + 1"
    if bad_rows and parsed is not None:  # its rows would be numbered wrongly when read again
        staging = temps.file(".parquet")
        shutil.move(parsed, staging)
    if bad_rows:
        skipped = ", ".join(f"({r - i})" for i, r in enumerate(bad_rows, start=1))
        row = f"{row} + (SELECT count(*) FROM (VALUES {skipped}) AS s(before) WHERE s.before < file_row_number + 1)"
    kept = ", ".join(ident(c) for c in cols) or "__none"
    con.execute(
        f"CREATE TEMP VIEW {temps.add('VIEW', table)} AS SELECT {row} AS __source_row, {kept} "
        f"FROM read_parquet({lit(str(staging))}, file_row_number = true)"
    )
    problems = [_reject_problem(found, int(line) - 1, kind, message, text, int(line) - 1 in at_end)
                for line, kind, message, text in rejected]
    return RawTable(table, found), tuple(_capped(problems))


def _reject_problem(found: Probe, row: int, kind: str, message: str, text: str | None, at_end: bool) -> Problem:
    """The problem of a row DuckDB rejected. `at_end`: no good row follows it, so a short row or
    an unclosed quote there means the file was cut short; before good rows it means the row
    itself is damaged (a field that lost its quotes, an edit by hand)."""
    name = found.path.name
    unclosed = "unterminated quote" in message.lower() or kind == "UNQUOTED VALUE"
    if at_end and (kind == "MISSING COLUMNS" or unclosed):
        cut = "inside a quoted field" if unclosed else f"with {_fields_found(message)} of the header's {len(found.columns)} fields"
        return Problem("truncated-row", f"the file ends in the middle of this row ({cut}): it is truncated or still "
                       f"downloading", file=name, row=row,
                       fix="Download or export the report again (wait until the download has finished) and import "
                           "the new copy.")
    if kind == "MISSING COLUMNS":
        return Problem("short-row", f"the row has fewer fields than the header's {len(found.columns)} ({message}), "
                       f"and rows after it are whole", file=name, row=row,
                       fix="Look at the row: a field may have lost its quotes or the row was edited by hand; "
                           "export the report again and import it unchanged.")
    if kind == "TOO MANY COLUMNS":
        return Problem("too-many-fields", f"the row has more fields than the header ({message})", file=name, row=row,
                       fix="Check the row for an unquoted comma; re-export the report unchanged.")
    if unclosed:
        return Problem("unclosed-quote", f"a quoted field is never closed ({(text or '')[:80]!r}), so the rows up to "
                       f"the next quote read as one", file=name, row=row,
                       fix="Look for a stray double quote in the row (a quote inside a field must be doubled: \"\"); "
                           "export the report again and import it unchanged.")
    return Problem("malformed-row", f"DuckDB could not read the row: {message} ({(text or '')[:80]!r})",
                   file=name, row=row, fix="Re-export the report; the row is not valid CSV.")


def _fields_found(message: str) -> str:
    """DuckDB's 'Expected Number of Columns: 8 Found: 4' -> '4'; 'fewer' when it says otherwise."""
    match = re.search(r"found:?\s*(\d+)", message, re.I)
    return match.group(1) if match else "fewer"


def _capped(problems: list[Problem]) -> list[Problem]:
    if len(problems) <= MAX_ROW_PROBLEMS:
        return problems
    first = problems[0]
    kept = problems[:MAX_ROW_PROBLEMS]
    kept.append(Problem(first.code, f"... and {len(problems) - MAX_ROW_PROBLEMS} more rows like these",
                        file=first.file, fix=first.fix))
    return kept


def _bad_json(file: str, row: int, text: str, is_last: bool) -> Problem:
    if is_last and text.lstrip().startswith("{"):  # an object begun and never closed: the file stops there
        return Problem("bad-json", f"the last line is cut short: {text!r}; the file is truncated or still downloading",
                       file=file, row=row, fix="Download it again (wait until the download has finished) and import "
                                               "the new copy.")
    return Problem("bad-json", f"the line is not a JSON object: {text!r}", file=file, row=row,
                   fix="Export the table again as newline-delimited JSON, one object per line.")


def _load_jsonl(temps: TempObjects, found: Probe, table: str, path: str, needed: list[str],
                parsed: Path | None) -> tuple[RawTable, tuple[Problem, ...]]:
    """Each needed key path (`a.b` -> `$."a"."b"`) becomes a text column of a parquet file, read in
    ONE extraction per line (`json_extract_string(line, [paths])`: a path at a time parses the
    line once per path, 7x slower); a line that is not a JSON object is reported and left out."""
    con = temps.con
    extracted = frozenset(needed)
    columns = ", ".join(ident(n) for n in needed) or "NULL AS __none"
    if parsed is not None and _holds(con, parsed, [*needed, "__source_row"]):
        con.execute(f"CREATE TEMP VIEW {temps.add('VIEW', table)} AS SELECT __source_row, {columns} "
                    f"FROM read_parquet({lit(str(parsed))})")
        return RawTable(table, found, extracted), ()
    raw_lines, lines = temps.add("TABLE", _unique("lines")), temps.add("TABLE", _unique("json"))
    # One line per row: a delimiter that valid JSON never contains raw (control characters must be
    # escaped inside JSON strings), quoting off.
    con.execute(
        f"CREATE TEMP TABLE {raw_lines} AS SELECT line FROM read_csv({path}, columns = {{'line': 'VARCHAR'}}, "
        f"header = false, delim = '\x1f', quote = '', escape = '', auto_detect = false, "
        f"compression = {_compression(found)})"
    )
    con.execute(f"CREATE TEMP TABLE {lines} AS SELECT rowid + 1 AS __source_row, "
                f"CAST({quote_json_numbers('line')} AS VARCHAR) AS __json FROM {raw_lines}")
    con.execute(f"DROP TABLE {raw_lines}")
    # json_type only where json_valid holds: DuckDB evaluates both sides of an AND, and json_type
    # raises on a malformed line (a truncated last line) instead of returning NULL. A blank line
    # (NULL) stays NULL: neither reported nor kept.
    valid = "CASE WHEN json_valid(__json) THEN json_type(__json) = 'OBJECT' WHEN __json IS NULL THEN NULL ELSE false END"
    bad = con.execute(
        f"SELECT __source_row, left(__json, 80) FROM {lines} WHERE NOT ({valid}) ORDER BY 1 LIMIT {MAX_ROW_PROBLEMS + 1}"
    ).fetchall()
    last = con.execute(f"SELECT max(__source_row) FROM {lines} WHERE __json IS NOT NULL").fetchone()
    problems = [_bad_json(found.path.name, int(row), text, last is not None and row == last[0]) for row, text in bad]
    paths = "[" + ", ".join(lit("$." + ".".join(ident(part) for part in n.split("."))) for n in needed) + "]"
    values = ", ".join(f"__values[{i}] AS {ident(n)}" for i, n in enumerate(needed, start=1)) or "NULL AS __none"
    staging = parsed or temps.file(".parquet")
    con.execute(
        f"COPY (SELECT __source_row, {values} FROM (SELECT __source_row, json_extract_string(__json, {paths}) "
        f"AS __values FROM {lines} WHERE {valid}) ORDER BY __source_row) TO {lit(str(staging))} "
        f"(FORMAT parquet, COMPRESSION snappy)"
    )
    con.execute(f"DROP TABLE {lines}")
    con.execute(f"CREATE TEMP VIEW {temps.add('VIEW', table)} AS SELECT __source_row, {columns} "
                f"FROM read_parquet({lit(str(staging))})")
    return RawTable(table, found, extracted), tuple(_capped(problems))


# What DuckDB says when the file itself cannot be read to the end, as (pattern, code, message, fix).
# The first that matches the error's text wins.
_FILE_FAILURES: tuple[tuple[re.Pattern[str], str, str, str], ...] = (
    (re.compile(r"end of (the )?gzip stream|gzip.*(truncated|ended early)|unexpected end of (file|stream)", re.I),
     "truncated-file", "the file ends early: it is truncated or still downloading",
     "Download it again (wait until the download has finished) and import the new copy."),
    (re.compile(r"gzip|zlib|inflate|decompress", re.I),
     "corrupt-file", "the file's gzip compression is damaged",
     "Download it again; if it still fails, export the report again."),
    (re.compile(r"permission denied", re.I),
     "unreadable-file", "permission denied: the file cannot be read",
     "Check the file permissions (the workbench needs to read it) or copy it somewhere readable."),
    (re.compile(r"parquet|thrift|snappy|zstd|don't know what type|magic bytes", re.I),
     "corrupt-file", "the parquet file is damaged",
     "Download it again; if it still fails, export the report again."),
    (re.compile(r"csv|unicode|utf-?8", re.I),
     "unreadable-file", "the file cannot be read as CSV text: it looks binary or damaged",
     "Check that it is the vendor's CSV export (not a different file renamed .csv) and download it again."),
)

# DuckDB errors that are not about the file: our SQL, memory or disk, or an interrupt on purpose.
_NOT_THE_FILE = (duckdb.InterruptException, duckdb.BinderException, duckdb.CatalogException,
                 duckdb.ParserException, duckdb.OutOfMemoryException, duckdb.NotImplementedException,
                 duckdb.TransactionException, duckdb.ConnectionException)
_OWN_WRITES = re.compile(r"no space left on device|could not write|disk quota", re.I)


def _first_line_of(error: BaseException) -> str:
    text = "".join(c if c.isprintable() or c == "\n" else " " for c in str(error))  # bytes of a damaged file
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__)[:300]


def read_failure(path: Path, error: duckdb.Error) -> Problem | None:
    """The `Problem` a DuckDB error met while reading the vendor file at `path` stands for: the
    file ends early (a truncated or half-downloaded .gz), is damaged (gzip, parquet), binary, or
    cannot be opened. None when the error is not about the file (SQL, memory, disk full,
    interrupted): the caller re-raises it."""
    if isinstance(error, _NOT_THE_FILE):
        return None
    said = _first_line_of(error)
    if isinstance(error, duckdb.IOException) and _OWN_WRITES.search(said):
        return None
    for pattern, code, message, fix in _FILE_FAILURES:
        if pattern.search(said):
            return Problem(code, f"{message} (DuckDB: {said})", file=path.name, fix=fix)
    return Problem("unreadable-file", f"the file cannot be read to the end (DuckDB: {said})", file=path.name,
                   fix="Download or export the report again; the file looks damaged.")
