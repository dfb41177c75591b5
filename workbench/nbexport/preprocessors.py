"""Preprocessors the statement exporters run before rendering.

- `InvoiceOutputPreprocessor`: the machine-readable invoice output is for the CSV exporter, not
  for the reader. In a statement it shows as its `text/html` view if it has one, else not at all
  (never as a JSON or `text/plain` repr).
- `NumericCellPreprocessor`: marks table cells that hold a figure (`1,234.57`, `-12.00`,
  `(3.50)`, `12 %`, `EUR 10.00`) with `class="num"` so the template right-aligns them, whatever
  produced the table (pandas, a Styler, hand-written HTML). A table that says it marked its own
  (`<table ... data-figures="marked">`: the workbench's statement) is left as it is; parsing the
  statement cost 10 ms of its 40 ms export and changed nothing.
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup
from bs4.element import Tag
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

from .invoice import INVOICE_MIMETYPE

__all__ = ["FIGURES_MARKED", "InvoiceOutputPreprocessor", "NumericCellPreprocessor", "is_figure"]

FIGURES_MARKED = 'data-figures="marked"'  # in a <table> tag: its figure cells carry class="num" already
_TABLE_TAG = re.compile(r"<table\b[^>]*>", re.IGNORECASE)

_FIGURE = re.compile(
    r"""
    (?:[A-Z]{3}\s|[$€£¥]\s?)?           # optional currency code (then a space) or sign
    [-+−]?\(?[-+−]?                      # sign, or accounting parentheses
    [$€£¥]?\s?
    (?:\d{1,3}(?:[,\u00a0\u202f ]\d{3})+|\d+)(?:\.\d+)?   # 1,234,567.89 or 1234.5
    \)?
    (?:\s?%|\s?[A-Z]{3}|\s?[$€£¥])?      # optional percent or currency after
    """,
    re.VERBOSE,
)


def is_figure(text: str) -> bool:
    """True when a cell's text is a single number, amount or percentage."""
    return bool(_FIGURE.fullmatch(text.strip()))


def _add_class(cell: Tag, name: str) -> None:
    current = cell.get("class")
    classes = current.split() if isinstance(current, str) else list(current or [])
    if name not in classes:
        cell["class"] = " ".join([*classes, name])


def _mark_table(table: Tag) -> bool:
    """Mark figure cells of one table; a header cell too when its column holds only figures."""
    changed = False
    column_all_figures: dict[int, bool] = {}
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue
        cells = [c for c in row.find_all(["td", "th"], recursive=False)]
        plain_columns = all(not c.get("colspan") for c in cells)
        for index, cell in enumerate(cells):
            text = cell.get_text(" ", strip=True)
            in_head = cell.find_parent("thead") is not None
            if in_head or cell.name == "th" and not text:
                continue
            figure = is_figure(text)
            if figure:
                _add_class(cell, "num")
                changed = True
            if plain_columns and cell.name == "td" and text:
                column_all_figures[index] = column_all_figures.get(index, True) and figure
    head = table.find("thead")
    if head is not None and head.find_parent("table") is table:
        for row in head.find_all("tr"):
            cells = row.find_all(["td", "th"], recursive=False)
            if any(c.get("colspan") for c in cells):
                continue
            for index, cell in enumerate(cells):
                if column_all_figures.get(index):
                    _add_class(cell, "num")
                    changed = True
    return changed


def mark_figures(html: str) -> str:
    """`html` with figure cells marked; unchanged text when it has no table to mark."""
    if all(FIGURES_MARKED in tag for tag in _TABLE_TAG.findall(html)):
        return html
    soup = BeautifulSoup(html, "html.parser")
    changed = False
    for table in soup.find_all("table"):
        changed = _mark_table(table) or changed
    return str(soup) if changed else html


class InvoiceOutputPreprocessor(Preprocessor):
    """Show the invoice output as its HTML view only, or drop it."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.get("cell_type") != "code" or not cell.get("outputs"):
            return cell, resources
        kept = []
        for output in cell.outputs:
            data = output.get("data")
            if data is None or INVOICE_MIMETYPE not in data:
                kept.append(output)
            elif "text/html" in data:
                for mimetype in [m for m in data if m != "text/html"]:
                    del data[mimetype]
                kept.append(output)
        cell.outputs = kept
        return cell, resources


class NumericCellPreprocessor(Preprocessor):
    """Add `class="num"` to table cells holding figures in `text/html` outputs."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        for output in cell.get("outputs", []):
            data = output.get("data")
            html = data.get("text/html") if data is not None else None
            if isinstance(html, list):  # multiline strings may still be split into lines
                html = "".join(html)
            if isinstance(html, str):
                data["text/html"] = mark_figures(html)
        return cell, resources
