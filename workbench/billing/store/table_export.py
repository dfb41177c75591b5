"""Export the human-editable tables as CSV files or one .xlsx workbook, in the import's format.

Rows are sorted by each table's key, values written in their canonical text (exact decimals
as stored, dates YYYY-MM-DD), so export -> edit -> import touches only the rows edited.
Credits: only the grants typed in by people; applications to invoices belong to the invoices.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from workbench.billing.store.table_bindings import BINDINGS, reseller_settings
from workbench.billing.store.table_files import XLSX_SUFFIXES, csv_text, write_workbook_atomic
from workbench.billing.store.table_formats import RESELLER, TABLE_FORMATS
from workbench.billing.store.table_values import value_text
from workbench.billing.store.workspace import Workspace, write_text_atomic


def export_tables(ws: Workspace, target: Path) -> list[Path]:
    """Write every table: into directory `target` as `<table>.csv` files, or, when `target`
    ends in .xlsx, as one workbook with a sheet per table. Returns the files written."""
    target = Path(target)
    with ws.session() as session:
        sheets = [(fmt.name, fmt.column_names, _rows(session, fmt.name)) for fmt in TABLE_FORMATS]
    if target.suffix.lower() in XLSX_SUFFIXES:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_workbook_atomic(target, sheets)
        return [target]
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, header, rows in sheets:
        path = target / f"{name}.csv"
        write_text_atomic(path, csv_text(header, rows))
        written.append(path)
    return written


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
