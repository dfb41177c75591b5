"""Text for the dashboards: money as the customer sees it, problems with their fix, escaping.

Amounts are Decimal from end to end; they become text only here, rounded once to the
currency's minor unit (`round_minor`) and printed with thousands separators.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from decimal import Decimal

from workbench.billing.core.money import percent as percent_of
from workbench.billing.core.money import round_minor
from workbench.billing.core.problems import Problem, Severity

__all__ = ["esc", "money", "percent", "problem_html", "problems_html", "banner_html"]

DASH = "\u2014"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def money(amount: Decimal | None, currency: str | None) -> str:
    """1,234.56 (rounded once, half-up, to the currency's minor unit); a dash when unknown."""
    if amount is None or currency is None:
        return DASH
    shown = round_minor(amount, currency)
    if shown.is_zero():
        shown = shown.copy_abs()
    return f"{shown:,}"


def percent(part: Decimal | None, whole: Decimal | None) -> str:
    """`core.money.percent` as text (the explorer shows the same figure): 9.09%; a dash when unknown."""
    share = None if part is None or whole is None else percent_of(part, whole)
    return DASH if share is None else f"{share}%"


def problem_html(problem: Problem) -> str:
    colour = "#a61b1b" if problem.severity is Severity.ERROR else "#8a5a00"
    fix = f'<div class="wb-fix" style="color:#555">fix: {esc(problem.fix)}</div>' if problem.fix else ""
    return (f'<div class="wb-problem wb-{problem.severity.value}" data-code="{esc(problem.code)}" '
            f'style="color:{colour}">{esc(problem.message)}{fix}</div>')


def problems_html(problems: Iterable[Problem]) -> str:
    return "".join(problem_html(p) for p in problems)


def banner_html(problems: Iterable[Problem]) -> str:
    """General (not per-customer) problems as banners: preliminary data, unassigned usage, ..."""
    parts = []
    for p in problems:
        error = p.severity is Severity.ERROR
        background, border = ("#fdecea", "#a61b1b") if error else ("#fff4e0", "#d08a00")
        parts.append(
            f'<div class="wb-banner wb-{p.severity.value}" data-code="{esc(p.code)}" style="background:{background};'
            f'border-left:4px solid {border};padding:6px 10px;margin:4px 0">{esc(p.message)}'
            + (f'<div style="color:#555">fix: {esc(p.fix)}</div>' if p.fix else "")
            + "</div>"
        )
    return "".join(parts)
