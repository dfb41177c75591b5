"""Tables as ONE widget model each: `CheckTable` (rows, enabled keys, checked keys: the billing
page's customers and drafts) and `PickTable` (rows, one picked key: the invoice list). Both draw
with the same JavaScript helpers (`_COMMON_JS`: header, cells, empty text, listeners, and sorting:
a click on a header cell sorts the page's rows by that column, again the other way; Python's
rows, keys and checked set do not change).

    table = CheckTable(["Customer", "Price"], [200, 120], numeric=(1,))
    table.set_rows([("100001", ["Acme Corp", "183.16 CAD"])], checked={"100001"})
    table.checked()            # ["100001"]: rows that exist, are enabled and are checked
    display(table.widget)

The browser draws an HTML `<table>` from that state with a small ES module written inline below
(anywidget loads it from the widget state through a blob: URL, so nothing is fetched from a CDN).
One model per table, whatever its length: Voila's front end creates one view instead of two per
row, which was most of a 500-customer page's time. In the page, each data row is
`tr.wb-row[data-key=KEY]` with its cells in `td.wb-cell`, and its checkbox is
`input[type=checkbox][title=KEY]` (tests and `bench/dashboard.py` find them so); a table made
with `boxes=False` (the read-only billing page) has no checkbox column. A cell's HTML may carry
`.wb-negative` (a negative amount, in red: the class is in the table's styles).

Widget values are untrusted (a Voila viewer can set any value of any model): the rows and the
enabled keys live in Python and only the checked list is read back from the browser, so
`checked()` returns only keys that are rows and enabled, in row order.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

import anywidget
import traitlets as t

from .text import esc

__all__ = ["CheckTable", "PickTable", "PickTableWidget", "Row", "TableWidget"]

_COMMON_JS = r"""
const GAP = 12;  // px between columns
const ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

// <table><colgroup><thead>: the header cells are already-escaped HTML; `lead` is a first
// column of its own (the checkbox), 0 for none. The last column stretches. Each header cell
// sorts by its column (`order`): an arrow marks the column the rows are sorted by.
function tableHead(model, lead, attributes, order) {
  const columns = model.get("columns"), widths = model.get("widths"), numeric = new Set(model.get("numeric"));
  const min = widths.reduce((a, b) => a + b + GAP, lead);
  const cols = widths.map((w, i) => (i === widths.length - 1 ? "<col>" : `<col style="width:${w + GAP}px">`));
  const first = lead ? [`<col style="width:${lead}px">`, "<th></th>"] : ["", ""];
  const head = columns.map((c, i) => {
    const on = order.column === i, sort = on ? (order.direction > 0 ? "ascending" : "descending") : "none";
    const arrow = on ? `<span class="wb-arrow">${order.direction > 0 ? "\u25B2" : "\u25BC"}</span>` : "";
    return `<th class="wb-sortable${numeric.has(i) ? " wb-num" : ""}" data-column="${i}" aria-sort="${sort}" `
      + `title="Sort by this column (again: the other way)">${c}${arrow}</th>`;
  });
  return `<table class="wb-table"${attributes} style="min-width:${min}px"><colgroup>${first[0]}${cols.join("")}</colgroup>`
    + `<thead><tr class="wb-head">${first[1]}${head.join("")}</tr></thead><tbody>`;
}

// The rows in the page's order: as Python sent them until a header is clicked, then by that
// column: text in natural order ("A-2" before "A-10"); numbers by value, amounts by currency
// first and by value within it ("23,946.81 EUR" before "3,964.13 USD", "1,234.50 CAD" as CAD
// 1234.5: numbers of different currencies do not compare), a second click the other way round;
// ties kept in Python's order, cells without a number (a dash, empty) last either way. Only the
// page's order changes: Python's rows and keys stay as they are.
const plain = document.createElement("div");
function cellText(html) {
  plain.innerHTML = html;
  return plain.textContent.trim();
}
// a numeric cell's sort key: "67,013,636 JPY" -> ["JPY", 67013636], "9.09%" -> ["", 9.09]; null: no number
function amountKey(text) {
  const value = parseFloat(text.replace(/,/g, ""));
  if (Number.isNaN(value)) return null;
  const currency = /\b([A-Z]{3})$/.exec(text);
  return [currency ? currency[1] : "", value];
}
function orderedRows(model, order) {
  const rows = model.get("rows");
  if (order.column === null) return rows;
  const numeric = new Set(model.get("numeric")).has(order.column);
  const keyed = rows.map((row, i) => {
    const text = cellText(row[1][order.column] ?? "");
    return [numeric ? amountKey(text) : text, i, row];
  });
  const blank = (v) => (numeric ? v === null : v === "");
  const compare = numeric
    ? (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1])
    : (a, b) => a.localeCompare(b, undefined, { numeric: true });
  keyed.sort((a, b) => {
    if (blank(a[0]) || blank(b[0])) return blank(a[0]) === blank(b[0]) ? a[1] - b[1] : blank(a[0]) ? 1 : -1;
    return compare(a[0], b[0]) * order.direction || a[1] - b[1];
  });
  return keyed.map((k) => k[2]);
}

// a click on a header cell: sort by it, or the other way when it already is
function sorter(order, draw) {
  return (event) => {
    const th = event.target.closest ? event.target.closest("th[data-column]") : null;
    if (!th) return;
    const column = Number(th.dataset.column);
    order.direction = order.column === column ? -order.direction : 1;
    order.column = column;
    draw();
  };
}

// a row's data cells (already-escaped HTML), numeric ones right-aligned
function rowCells(model, cells) {
  const numeric = new Set(model.get("numeric"));
  return cells.map((c, i) => `<td class="wb-cell${numeric.has(i) ? " wb-num" : ""}">${c}</td>`).join("");
}

function tableFoot(model) {
  const empty = model.get("empty_text");
  return "</tbody></table>" + (model.get("rows").length === 0 && empty ? `<div class="wb-empty"><i>${esc(empty)}</i></div>` : "");
}

// listen to the element's DOM events and the model's changes; the returned function undoes both
function listen(el, model, domEvents, modelEvents) {
  for (const [name, handler] of domEvents) el.addEventListener(name, handler);
  for (const [name, handler] of modelEvents) model.on(name, handler);
  return () => {
    for (const [name, handler] of domEvents) el.removeEventListener(name, handler);
    for (const [name, handler] of modelEvents) model.off(name, handler);
  };
}
"""

_ESM = _COMMON_JS + r"""
const BOX_WIDTH = 28;  // px: the checkbox column

function tableHtml(model, order) {
  const enabled = model.get("enabled");  // null: every row
  const on = enabled === null ? null : new Set(enabled);
  const checked = new Set(model.get("checked"));
  const boxes = model.get("boxes");  // false: a table to read (the read-only page), no checkbox column
  const parts = [tableHead(model, boxes ? BOX_WIDTH : 0, "", order)];
  for (const [key, cells] of orderedRows(model, order)) {
    const k = esc(key), live = on === null || on.has(key);
    const box = boxes ? `<td class="wb-box"><input type="checkbox" title="${k}"`
      + `${live ? "" : " disabled"}${live && checked.has(key) ? " checked" : ""}></td>` : "";
    parts.push(`<tr class="wb-row" data-key="${k}">` + box + rowCells(model, cells) + "</tr>");
  }
  parts.push(tableFoot(model));
  return parts.join("");
}

function render({ model, el }) {
  el.classList.add("wb-check-table");
  let boxes = [], stale = false;
  const order = { column: null, direction: 1 };
  const draw = () => {
    stale = false;
    el.innerHTML = tableHtml(model, order);
    boxes = Array.from(el.querySelectorAll("tbody input[type=checkbox]"));
  };
  const redraw = () => { if (!stale) { stale = true; queueMicrotask(draw); } };  // one draw per message
  const tick = () => {
    if (stale) return;
    const checked = new Set(model.get("checked"));
    for (const box of boxes) box.checked = !box.disabled && checked.has(box.title);
  };
  const changed = (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || box.type !== "checkbox" || box.disabled) return;
    const next = model.get("checked").filter((key) => key !== box.title);
    if (box.checked) next.push(box.title);
    model.set("checked", next);
    model.save_changes();
  };
  draw();
  return listen(el, model, [["change", changed], ["click", sorter(order, draw)]],
                [["change:rows", redraw], ["change:enabled", redraw], ["change:empty_text", redraw], ["change:checked", tick],
                 ["change:boxes", redraw]]);
}

export default { render };
"""

# both tables: a header cell sorts the rows by its column
_SORT_CSS = """
.wb-table th.wb-sortable { cursor: pointer; user-select: none; }
.wb-table th.wb-sortable:hover { text-decoration: underline; }
.wb-table th .wb-arrow { font-size: 9px; padding-left: 3px; color: #555; }
"""

_CSS = _SORT_CSS + """
.wb-check-table { width: 100%; overflow-x: auto; }
.wb-table { border-collapse: collapse; table-layout: fixed; width: 100%; font-size: 13px; line-height: 1.35; }
.wb-table th, .wb-table td { padding: 3px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
.wb-table th:first-child:not(.wb-sortable), .wb-table td.wb-box { padding: 2px 0 0 4px; }
.wb-table tbody tr { border-bottom: 1px solid #eee; }
.wb-table .wb-num { text-align: right; }
.wb-table input[type=checkbox] { margin: 2px 0 0 0; }
.wb-negative { color: #a61b1b; }
"""


class _TableState(anywidget.AnyWidget):
    """What every table syncs: `_COMMON_JS` draws the header, the cells and the empty text from it."""

    columns = t.List(t.Unicode()).tag(sync=True)  # header cells, already-escaped HTML
    widths = t.List(t.Int()).tag(sync=True)  # px per column; the last one stretches
    numeric = t.List(t.Int()).tag(sync=True)  # right-aligned column indexes
    rows = t.List().tag(sync=True)  # [[key, [cell HTML, ...]], ...]
    empty_text = t.Unicode("").tag(sync=True)  # plain text, shown when there are no rows


class TableWidget(_TableState):
    """The synced state of one checkbox table. Only `checked` is ever read back in Python."""

    _esm = _ESM
    _css = _CSS
    enabled = t.List(t.Unicode(), allow_none=True, default_value=None).tag(sync=True)  # None: all
    checked = t.List(t.Unicode()).tag(sync=True)  # set by Python and by the viewer's clicks
    boxes = t.Bool(True).tag(sync=True)  # False: no checkbox column (and nothing is ever checked)


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    cells: tuple[str, ...]  # already-escaped HTML
    enabled: bool = True


class CheckTable:
    def __init__(self, headers: Sequence[str], widths: Sequence[int], *, numeric: Sequence[int] = (),
                 boxes: bool = True) -> None:
        """`headers` are plain text; `widths` in px, one per column, the last column stretching
        from its width to the space left. `boxes=False`: a table only to read (the read-only
        billing page): no checkbox column, and `checked()` is always empty."""
        self.widget = TableWidget(columns=[esc(h) for h in headers], widths=list(widths), numeric=list(numeric),
                                  boxes=boxes)
        self.boxes = boxes  # Python's, not the widget's: a viewer can set the synced value
        self.rows: dict[str, Row] = {}

    def set_rows(self, rows: Iterable[tuple[str, Sequence[str]]], *, checked: Collection[str] | None = None,
                 enabled: Collection[str] | None = None, empty_text: str = "") -> None:
        """Replace every row: (key, already-escaped HTML cells). `enabled=None`: every row."""
        self.rows = {key: Row(key, tuple(cells), enabled is None or key in enabled) for key, cells in rows}
        keep = set(checked or ())
        with self.widget.hold_sync():  # one message to the browser
            self.widget.rows = [[row.key, list(row.cells)] for row in self.rows.values()]
            self.widget.enabled = None if enabled is None else [key for key, row in self.rows.items() if row.enabled]
            self.widget.checked = [key for key, row in self.rows.items() if row.enabled and key in keep]
            self.widget.empty_text = empty_text

    def set_cells(self, key: str, cells: Sequence[str]) -> None:
        self.set_many_cells({key: cells})

    def set_many_cells(self, cells: dict[str, Sequence[str]]) -> None:
        """New cells for existing rows, sent to the browser in one message."""
        for key, row_cells in cells.items():
            self.rows[key] = Row(key, tuple(row_cells), self.rows[key].enabled)
        self.widget.rows = [[row.key, list(row.cells)] for row in self.rows.values()]

    def checked(self) -> list[str]:
        """Checked keys that are rows and enabled, in row order, whatever the browser sent."""
        if not self.boxes:
            return []
        ticked = set(self.widget.checked)
        return [key for key, row in self.rows.items() if row.enabled and key in ticked]

    def check(self, keys: Collection[str] | None, value: bool = True) -> None:
        """Check (or clear) `keys`; None means every enabled row. Disabled rows never change; a
        table without boxes stays unchecked."""
        if not self.boxes:
            return
        chosen = set(self.rows) if keys is None else set(keys)
        now = set(self.checked())
        now = now | chosen if value else now - chosen
        self.widget.checked = [key for key, row in self.rows.items() if row.enabled and key in now]

    def on_check(self, callback: Callable[[], None]) -> None:
        """Call `callback()` after the checked set or the rows change (from Python or the browser)."""
        self.widget.observe(lambda _change: callback(), names=["checked", "rows"])

    def close_rows(self) -> None:
        """Drop every row (the table widget itself stays)."""
        self.set_rows([])


# --- a table whose rows are picked one at a time (the invoice list) ---------------------------

_PICK_ESM = _COMMON_JS + r"""
function tableHtml(model, order) {
  const selected = model.get("selected");
  const parts = [tableHead(model, 0, ' role="grid"', order)];
  for (const [key, cells] of orderedRows(model, order)) {
    const k = esc(key), on = key === selected;
    parts.push(`<tr class="wb-row${on ? " wb-selected" : ""}" data-key="${k}" tabindex="0" aria-selected="${on}">`
      + rowCells(model, cells) + "</tr>");
  }
  parts.push(tableFoot(model));
  return parts.join("");
}

function render({ model, el }) {
  el.classList.add("wb-pick-table");
  let stale = false;
  const order = { column: null, direction: 1 };
  const draw = () => {
    stale = false;
    const focused = el.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    el.innerHTML = tableHtml(model, order);
    if (focused !== null && focused !== undefined) {
      for (const row of el.querySelectorAll("tr.wb-row")) if (row.dataset.key === focused) row.focus();
    }
  };
  const redraw = () => { if (!stale) { stale = true; queueMicrotask(draw); } };  // one draw per message
  const mark = () => {
    if (stale) return;
    const selected = model.get("selected");
    for (const row of el.querySelectorAll("tr.wb-row")) {
      const on = row.dataset.key === selected;
      row.classList.toggle("wb-selected", on);
      row.setAttribute("aria-selected", String(on));
    }
  };
  const pick = (row) => {
    model.set("selected", row.dataset.key);
    model.save_changes();
  };
  const clicked = (event) => {
    const row = event.target.closest("tr.wb-row");
    if (row && el.contains(row) && !event.target.closest("a")) pick(row);
  };
  const keyed = (event) => {
    const row = event.target.closest ? event.target.closest("tr.wb-row") : null;
    if (!row || !el.contains(row)) return;
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(row); }
    else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
      if (next) { event.preventDefault(); next.focus(); }
    }
  };
  draw();
  return listen(el, model, [["click", clicked], ["click", sorter(order, draw)], ["keydown", keyed]],
                [["change:rows", redraw], ["change:empty_text", redraw], ["change:selected", mark]]);
}

export default { render };
"""

_PICK_CSS = _SORT_CSS + """
.wb-pick-table { width: 100%; max-height: 360px; overflow: auto; border: 1px solid #ddd; }
.wb-pick-table .wb-table { border-collapse: collapse; table-layout: fixed; width: 100%; font-size: 13px; line-height: 1.35; }
.wb-pick-table th, .wb-pick-table td { padding: 3px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
.wb-pick-table thead th { position: sticky; top: 0; background: #f5f5f5; border-bottom: 1px solid #ccc; }
.wb-pick-table tbody tr { border-bottom: 1px solid #eee; cursor: pointer; }
.wb-pick-table tbody tr:hover { background: #f0f6ff; }
.wb-pick-table tbody tr:focus { outline: 2px solid #64a0e6; outline-offset: -2px; }
.wb-pick-table tbody tr.wb-selected { background: #d6e8fb; }
.wb-pick-table .wb-num { text-align: right; font-variant-numeric: tabular-nums; }
.wb-pick-table .wb-empty { padding: 4px 6px; }
"""


class PickTableWidget(_TableState):
    """The synced state of a pick table. Only `selected` is ever read back in Python."""

    _esm = _PICK_ESM
    _css = _PICK_CSS
    selected = t.Unicode("").tag(sync=True)  # the open row's key ("": none); set by Python and by clicks


class PickTable:
    """A table whose rows are picked one at a time (a click, or Enter on a focused row), as ONE
    widget model like `CheckTable`: rows live in Python, `value` is the picked key if it is a row,
    else None. In the page each row is `tr.wb-row[data-key=KEY]`, the picked one `.wb-selected`."""

    def __init__(self, headers: list[str], widths: list[int], *, numeric: tuple[int, ...] = ()) -> None:
        self.widget = PickTableWidget(columns=[esc(h) for h in headers], widths=list(widths), numeric=list(numeric))
        self.rows: dict[str, tuple[str, ...]] = {}

    def set_rows(self, rows: list[tuple[str, list[str]]], *, selected: str | None = None, empty_text: str = "") -> None:
        """Replace every row (key, already-escaped HTML cells) and the picked one, in one message."""
        self.rows = {key: tuple(cells) for key, cells in rows}
        with self.widget.hold_sync():
            self.widget.rows = [[key, list(cells)] for key, cells in self.rows.items()]
            self.widget.selected = selected if selected in self.rows else ""
            self.widget.empty_text = empty_text

    @property
    def value(self) -> str | None:
        """The picked row's key; None when nothing is picked or the browser sent a key that is no row."""
        picked = self.widget.selected
        return picked if picked in self.rows else None

    @value.setter
    def value(self, key: str | None) -> None:
        self.widget.selected = key or ""

    def cells(self) -> list[list[str]]:
        """The rows' cells as plain text (tests)."""
        return [[html.unescape(re.sub(r"<[^>]*>", "", cell)) for cell in cells] for cells in self.rows.values()]

    def observe(self, callback: Callable[[dict], None], names: str = "value") -> None:
        """Like a Select's `observe(callback, "value")`: `callback({"new": key or None})` when the pick changes."""
        self.widget.observe(lambda change: callback({"new": self.value, "old": change["old"] or None}), names="selected")
