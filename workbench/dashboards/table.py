"""A compact checkbox table: one Checkbox and one HTML widget per row in a single GridBox.

Every row shares one Layout and one style object, so a row costs two widget models (not the
eight a Checkbox + Labels + HBox row would), which keeps a 500-customer report quick to build
in the kernel and to render in the browser. Column widths are fixed in CSS so the header and
the rows line up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as w
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from .text import esc

__all__ = ["CheckTable", "Row"]


@dataclass
class Row:
    key: str
    checkbox: w.Checkbox
    cells: w.HTML


class CheckTable:
    def __init__(self, headers: Sequence[str], widths: Sequence[str], *, numeric: Sequence[int] = ()) -> None:
        self.widths = " ".join(widths)
        self.numeric = frozenset(numeric)
        self.header = w.HTML(self._cells(headers, tag="b"))
        self.grid = w.GridBox(layout=w.Layout(grid_template_columns="28px auto", align_items="flex-start"))
        self.empty = w.HTML()
        self.widget = w.VBox([w.HBox([w.HTML(layout=w.Layout(width="28px")), self.header]), self.grid, self.empty])
        self._box_layout = w.Layout(width="24px", height="20px", margin="2px 0 0 0")
        self._box_style = CheckboxStyle()
        self._cell_layout = w.Layout()
        self._cell_style = HTMLStyle()
        self.rows: dict[str, Row] = {}

    def _cells(self, cells: Sequence[str], tag: str = "span") -> str:
        parts = []
        for i, cell in enumerate(cells):
            align = "right" if i in self.numeric else "left"
            parts.append(f'<{tag} style="text-align:{align};overflow-wrap:anywhere">{cell}</{tag}>')
        return (f'<div class="wb-row" style="display:grid;grid-template-columns:{self.widths};column-gap:12px;'
                f'align-items:start;padding:3px 0;border-bottom:1px solid #eee;line-height:1.35;font-size:13px">{"".join(parts)}</div>')

    def set_rows(self, rows: Sequence[tuple[str, Sequence[str]]], *, checked: set[str] | None = None,
                 enabled: set[str] | None = None, empty_text: str = "") -> None:
        """Replace every row: (key, already-escaped HTML cells)."""
        checked = checked or set()
        self.close_rows()
        children: list[w.Widget] = []
        for key, cells in rows:
            box = w.Checkbox(value=key in checked, indent=False, layout=self._box_layout, style=self._box_style,
                             tooltip=key, disabled=enabled is not None and key not in enabled)
            html = w.HTML(self._cells(cells), layout=self._cell_layout, style=self._cell_style)
            self.rows[key] = Row(key, box, html)
            children += [box, html]
        self.grid.children = children
        self.empty.value = f"<i>{esc(empty_text)}</i>" if not rows and empty_text else ""

    def set_cells(self, key: str, cells: Sequence[str]) -> None:
        self.rows[key].cells.value = self._cells(cells)

    def checked(self) -> list[str]:
        return [key for key, row in self.rows.items() if row.checkbox.value and not row.checkbox.disabled]

    def check(self, keys: Sequence[str] | None, value: bool = True) -> None:
        """Check (or clear) `keys`; None means every enabled row."""
        for key, row in self.rows.items():
            if (keys is None or key in keys) and not row.checkbox.disabled:
                row.checkbox.value = value

    def close_rows(self) -> None:
        old, self.rows = self.rows, {}
        self.grid.children = []
        for row in old.values():
            row.checkbox.close()
            row.cells.close()
