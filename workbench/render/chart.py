"""A small bar chart of an invoice's amounts by product type, drawn as plain SVG.

Why not Plotly + Kaleido: a static Plotly image needs Kaleido to start its own Chromium in every
papermill kernel (one per invoice), which costs more than the whole statement print and fails
when Chromium cannot start; an interactive Plotly figure does not print at all. Thirty lines of
SVG print everywhere (Jupyter, Voila, nbconvert's <img>, Chromium's PDF) and need nothing.

The bars are the statement's own rows (`role == "line"`) summed per section, so the chart shows
the figures the statement prints, written as it writes them (thousands grouped: 1,262.77). Coordinates are computed in Decimal and rounded to 0.1 px.
"""

from __future__ import annotations

from decimal import Context, Decimal
from html import escape

from workbench.billing.core.money import EXACT, exact_sum
from workbench.billing.exports.statement import amount_text, statement_rows
from workbench.billing.exports.view import InvoiceView

__all__ = ["amounts_by_product_type", "amounts_chart_svg"]

WIDTH = 640
BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 230
AMOUNT_WIDTH = 110
# A product type longer than this is cut with an ellipsis (the statement's table has it whole):
# at 12 px a character of Helvetica is at most ~7.2 px wide on average, even in capitals, so the
# label stays within LABEL_WIDTH less its 8 px gap. ("Amazon DynamoDB PayPerRequest Throughput"
# at 24 characters in 170 px lost its first letters off the page's edge.)
LABEL_CHARS = 30
TENTH = Decimal("0.1")
# Pixel geometry, not money: a rounding context (EXACT would trap 1/3 as inexact).
GEOMETRY = Context(prec=12)


def amounts_by_product_type(view: InvoiceView) -> list[tuple[str, Decimal]]:
    """(section, sum of its shown line amounts) in statement order; credits are a negative bar."""
    sums: dict[str, list[Decimal]] = {}
    for row in statement_rows(view):
        if row.role == "line":
            sums.setdefault(row.product_type, []).append(row.amount)
    return [(section, exact_sum(amounts)) for section, amounts in sums.items()]


def _px(value: Decimal) -> str:
    return format(value.quantize(TENTH), "f")


def amounts_chart_svg(view: InvoiceView, *, title: str | None = None) -> str:
    """An SVG document: one horizontal bar per product type, with its amount printed beside it."""
    bars = amounts_by_product_type(view)
    title = title if title is not None else f"Amounts by product type ({view.currency})"
    top = 28
    height = top + max(len(bars), 1) * (BAR_HEIGHT + GAP) + GAP
    plot = Decimal(WIDTH - LABEL_WIDTH - AMOUNT_WIDTH)
    low = min([Decimal(0), *(amount for _, amount in bars)])
    high = max([Decimal(0), *(amount for _, amount in bars)])
    span = high - low if high != low else Decimal(1)
    zero_x = LABEL_WIDTH + GEOMETRY.divide(EXACT.multiply(-low, plot), span) if low else Decimal(LABEL_WIDTH)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        'font-family="Helvetica, Arial, \'Liberation Sans\', \'DejaVu Sans\', sans-serif" font-size="12">',
        f'<text x="0" y="16" font-size="13" font-weight="600" fill="#1a1a1a">{escape(title)}</text>',
    ]
    for i, (section, amount) in enumerate(bars):
        y = top + i * (BAR_HEIGHT + GAP)
        length = GEOMETRY.divide(EXACT.multiply(abs(amount), plot), span)
        x = zero_x - length if amount < 0 else zero_x
        colour = "#b3261e" if amount < 0 else "#1f5fa8"
        label = section if len(section) <= LABEL_CHARS else section[:LABEL_CHARS - 1] + "\u2026"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" fill="#1a1a1a">{escape(label)}</text>'
            f'<rect x="{_px(x)}" y="{y}" width="{_px(length)}" height="{BAR_HEIGHT}" fill="{colour}"/>'
            f'<text x="{WIDTH - 4}" y="{y + 15}" text-anchor="end" fill="#1a1a1a">'
            f"{amount_text(amount, view.currency, grouped=True)}</text>"
        )
    if not bars:
        parts.append(f'<text x="{LABEL_WIDTH}" y="{top + 15}" fill="#5f6368">No charges</text>')
    parts.append(
        f'<line x1="{_px(zero_x)}" y1="{top - 4}" x2="{_px(zero_x)}" y2="{height - GAP + 4}" stroke="#5f6368"/>'
    )
    parts.append("</svg>")
    return "".join(parts)
