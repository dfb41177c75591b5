"""Export the human-editable tables as CSV files or one .xlsx workbook, in the import's format.

Rows are sorted by each table's key, values written in their canonical text (exact decimals
as stored, dates YYYY-MM-DD), so export -> edit -> import touches only the rows edited.
Credits: only the grants typed in by people; applications to invoices belong to the invoices.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from workbench.billing.core.problems import Problem, ProblemsError
from workbench.billing.store.table_bindings import BINDINGS, reseller_settings
from workbench.billing.store.table_files import XLSX_SUFFIXES, csv_text, write_workbook_atomic
from workbench.billing.store.table_formats import RESELLER, TABLE_FORMATS
from workbench.billing.store.table_values import value_text
from workbench.billing.store.workspace import Workspace, write_text_atomic


def export_tables(ws: Workspace, target: Path, *, overwrite: bool = False) -> list[Path]:
    """Write every table: into directory `target` as `<table>.csv` files, or, when `target`
    ends in .xlsx, as one workbook with a sheet per table. Returns the files written.

    A file already there that holds something else (an analyst's edits not imported yet, as a
    rule) is not replaced unless `overwrite`: `ProblemsError` names each such file, and nothing
    is written. A file that holds the same tables is written again: an export made twice is one."""
    target = Path(target)
    with ws.session() as session:
        sheets = [(fmt.name, fmt.column_names, _rows(session, fmt.name)) for fmt in TABLE_FORMATS]
    if target.suffix.lower() in XLSX_SUFFIXES:
        if not overwrite and target.is_file() and _workbook_differs(target, sheets):
            raise ProblemsError((_in_the_way(ws, target, "the workspace's tables"),))
        target.parent.mkdir(parents=True, exist_ok=True)
        write_workbook_atomic(target, sheets)
        return [target]
    texts = [(target / f"{name}.csv", csv_text(header, rows)) for name, header, rows in sheets]
    if not overwrite:
        in_the_way = [_in_the_way(ws, path, f"the workspace's {path.stem} table") for path, text in texts
                      if path.is_file() and _read_bytes(path) != text.encode("utf-8")]
        if in_the_way:
            raise ProblemsError(tuple(in_the_way))
    target.mkdir(parents=True, exist_ok=True)
    for path, text in texts:
        write_text_atomic(path, text)
    return [path for path, _ in texts]


def _in_the_way(ws: Workspace, path: Path, what: str) -> Problem:
    return Problem(
        "export-would-overwrite", f"the file there differs from {what}: not replaced", file=str(path),
        fix=f"if it holds edits, import them first (`workbench customers import {shlex.quote(str(ws.root))} "
            f"{shlex.quote(str(path))}`); else export elsewhere, or again with --overwrite to replace it")


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # unreadable: not an export we can tell apart, and in the way


def _workbook_differs(path: Path, sheets: Sequence[tuple[str, Sequence[str], list[list[str]]]]) -> bool:
    """Whether the workbook at `path` holds other cells than `sheets` (as `write_workbook_atomic`
    writes them: every cell text, an empty one none). An unreadable file differs."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - not a workbook openpyxl reads: not one of ours
        return True
    try:
        if book.sheetnames != [name for name, _, _ in sheets]:
            return True
        for name, header, rows in sheets:
            found = [["" if v is None else str(v) for v in row] for row in book[name].iter_rows(values_only=True)]
            if found != [list(header), *rows]:
                return True
        return False
    finally:
        book.close()


def _rows(session: Session, table: str) -> list[list[str]]:
    if table == "reseller":
        settings = reseller_settings(session)
        if not settings:
            return []
        return [[settings.get(c, "") for c in RESELLER.column_names]]
    binding = BINDINGS[table]
    return [
        [value_text(getattr(obj, binding.attribute(c))) for c in binding.format.column_names]
        for obj in session.scalars(binding.select_all())
    ]
