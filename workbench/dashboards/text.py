"""Text for the dashboards: money as the customer sees it, problems with their fix, escaping.

Amounts are Decimal from end to end; they become text only here, through
`core.money.money_text` (rounded once to the currency's minor unit, thousands separators), the
function the statement page and PDF print with, so the screen and the PDF read alike.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from decimal import Decimal

from workbench.billing.core.money import money_text
from workbench.billing.core.money import percent as percent_of
from workbench.billing.core.problems import Problem, Severity

__all__ = ["esc", "count", "money", "percent", "problem_html", "problems_html", "banner_html", "warning_html"]

DASH = "\u2014"
# a warning's colours (amber), as its banner and its text show them
WARNING_BACKGROUND, WARNING_BORDER, WARNING_TEXT = "#fff4e0", "#d08a00", "#8a5a00"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def count(n: int, thing: str) -> str:
    """"1 draft", "3 drafts"."""
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def money(amount: Decimal | None, currency: str | None) -> str:
    """1,234.56 (`core.money.money_text`, as the statement prints it); a dash when unknown."""
    if amount is None or currency is None:
        return DASH
    return money_text(amount, currency)


def percent(part: Decimal | None, whole: Decimal | None) -> str:
    """`core.money.percent` as text (the explorer shows the same figure): 9.09%; a dash when unknown."""
    share = None if part is None or whole is None else percent_of(part, whole)
    return DASH if share is None else f"{share}%"


def problem_html(problem: Problem, *, fix: bool = True) -> str:
    """The problem in red (an error) or amber, its fix below in grey; `fix=False`: the problem
    only (a read-only page: the fix speaks to the analyst who edits the CSV files)."""
    colour = "#a61b1b" if problem.severity is Severity.ERROR else WARNING_TEXT
    how = f'<div class="wb-fix" style="color:#555">fix: {esc(problem.fix)}</div>' if problem.fix and fix else ""
    return (f'<div class="wb-problem wb-{problem.severity.value}" data-code="{esc(problem.code)}" '
            f'style="color:{colour}">{esc(problem.message)}{how}</div>')


def problems_html(problems: Iterable[Problem], *, fix: bool = True) -> str:
    return "".join(problem_html(p, fix=fix) for p in problems)


def banner_html(problems: Iterable[Problem]) -> str:
    """General (not per-customer) problems as banners: preliminary data, unassigned usage, ..."""
    parts = []
    for p in problems:
        error = p.severity is Severity.ERROR
        background, border = ("#fdecea", "#a61b1b") if error else (WARNING_BACKGROUND, WARNING_BORDER)
        parts.append(
            f'<div class="wb-banner wb-{p.severity.value}" data-code="{esc(p.code)}" style="background:{background};'
            f'border-left:4px solid {border};padding:6px 10px;margin:4px 0">{esc(p.message)}'
            + (f'<div style="color:#555">fix: {esc(p.fix)}</div>' if p.fix else "")
            + "</div>"
        )
    return "".join(parts)


def warning_html(lines: Iterable[str], fix: str = "") -> str:
    """One warning about several things (the invoices an approval issued from preliminary usage):
    a line each, the fix once, amber like the page's warning banners."""
    items = "".join(f'<div class="wb-warning-line">{esc(line)}</div>' for line in lines)
    return (f'<div class="wb-warning" style="background:{WARNING_BACKGROUND};border-left:4px solid {WARNING_BORDER};'
            f'color:{WARNING_TEXT};padding:6px 10px;margin:4px 0 4px 8px">{items}'
            + (f'<div class="wb-fix" style="color:#555">fix: {esc(fix)}</div>' if fix else "") + "</div>")
