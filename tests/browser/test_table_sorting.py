"""The tables' header sort, run by chromium on the tables' own JavaScript (`table._COMMON_JS`):
an amount column sorts by currency first, then by value within the currency (a manager saw
67,013,636 JPY above 23,946.81 EUR above 3,964.13 USD: the bare numbers compared), a second
click the other way round, cells without an amount last either way."""

from __future__ import annotations


from workbench.dashboards.table import _COMMON_JS

TOTALS = [  # (key, Total cell) as the invoice list sends them, already-escaped HTML
    ("usd-big", "3,964.13 USD"),
    ("jpy", "67,013,636 JPY"),
    ("none", "\u2014 "),
    ("eur", "23,946.81 EUR"),
    ("usd-small", "12.44 USD"),
    ("eur-small", "<b>990.00</b> EUR"),
    ("usd-negative", "-5.00 USD"),
]


def sorted_keys(page, rows: list[tuple[str, str]], clicks: int) -> list[str]:
    """The keys in the page's order after `clicks` clicks on the (numeric) column's header."""
    model = {"rows": [[key, [cell]] for key, cell in rows], "numeric": [0]}
    return page.evaluate(
        "([model, clicks]) => {" + _COMMON_JS + """
          const order = { column: null, direction: 1 };
          const click = sorter(order, () => {});
          const th = document.createElement("th");
          th.dataset.column = "0";
          for (let i = 0; i < clicks; i++) click({ target: th });
          return orderedRows({ get: (name) => model[name] }, order).map((row) => row[0]);
        }""", [model, clicks])


def test_amounts_sort_by_currency_then_by_value_blanks_last(page):
    page.set_content("<html><body></body></html>")
    assert sorted_keys(page, TOTALS, 0) == [key for key, _cell in TOTALS]  # Python's order until a click
    assert sorted_keys(page, TOTALS, 1) == ["eur-small", "eur", "jpy", "usd-negative", "usd-small", "usd-big", "none"]
    assert sorted_keys(page, TOTALS, 2) == ["usd-big", "usd-small", "usd-negative", "jpy", "eur", "eur-small", "none"]


def test_percentages_and_text_sort_as_before(page):
    page.set_content("<html><body></body></html>")
    margins = [("a", "12.5%"), ("b", "\u2014"), ("c", "9.09%"), ("d", "100%")]
    assert sorted_keys(page, margins, 1) == ["c", "a", "d", "b"]
    assert sorted_keys(page, margins, 2) == ["d", "a", "c", "b"]
    model = {"rows": [["x", ["A-10"]], ["y", ["A-2"]], ["z", [""]]], "numeric": []}
    keys = page.evaluate("(model) => {" + _COMMON_JS + """
        return orderedRows({ get: (name) => model[name] }, { column: 0, direction: 1 }).map((row) => row[0]);
      }""", model)
    assert keys == ["y", "x", "z"]
