"""The detailed CSV: `detail_records` as text, exact to the last vendor decimal.

Decimals are written with `format(d, 'f')` (never exponent notation: 1.8E-9 is 0.0000000018),
timestamps as ISO 8601 in UTC without offset, empty cells for values a record does not have.
Plain UTF-8 without byte order mark: the readers are pandas, DuckDB and spreadsheets used by
analysts. Rows stream to disk as they are produced.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from .atomic import atomic_path
from .detail import DETAIL_COLUMNS, DetailValue, detail_records
from .formulas import defuse
from .view import InvoiceView

__all__ = ["DetailedCsvExporter", "detail_text"]


def detail_text(value: DetailValue) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return defuse(value)


class DetailedCsvExporter:
    name = "detailed-csv"
    suffix = "-detailed.csv"
    media_type = "text/csv"

    def write(self, invoice: InvoiceView, out: Path) -> Path:
        with atomic_path(out) as temporary:
            with open(temporary, "w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(DETAIL_COLUMNS)
                writer.writerows(tuple(detail_text(v) for v in record) for record in detail_records(invoice))
        return out
