"""The customer-facing statement as rows: what the CSV and the workbook's Lines sheet both print.

Layout (every amount is a stored, already rounded figure; nothing is recomputed), following
`core.invoice.compute_invoice`:

    <section>          <line description>     line.amount_rounded    every usage, marketplace, support
    ...                                                                and credit line, grouped by section
                                                                       (in order of first line: product
                                                                       types, then Support, then Credits);
                                                                       never omitted, even at 0
                       Rounding difference    subtotal - sum above   only when not zero
                       Subtotal               invoice.subtotal       charges rounded once - credits (pre-tax)
    Tax                <description>          line.amount_rounded    every tax line, even at 0
                       Rounding difference    total - (subtotal + rows above)   only when not zero
                       Total                  invoice.total          subtotal + taxes

The engine makes no support or credit line when there is none. It rounds each tax once and
makes the total their sum with the subtotal, so its invoices never need the second rounding
difference; the row stays for stored figures whose total was rounded otherwise.

The only figures made here are the two rounding differences, and they are differences of
displayed numbers, so each block adds up on paper. A difference larger than rounding can explain
(half a minor unit per amount involved) means the stored figures do not cover the lines shown
above them; that is a programmer error and raises `StatementMismatch` instead of printing a
dishonest statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from workbench.billing.core.money import EXACT, exact_sum, minor_unit, money_text, round_minor

from .view import InvoiceView, LineView

__all__ = [
    "SUBTOTAL_KINDS",
    "StatementMismatch",
    "StatementRow",
    "amount_text",
    "statement_rows",
]

# Line kinds the stored `subtotal` covers; they are listed above it, grouped by product type.
# (core.invoice: subtotal = charges rounded once - credits, before tax)
SUBTOTAL_KINDS: tuple[str, ...] = ("usage", "marketplace", "support", "credit")
# Line kinds between Subtotal and Total, in this order, with the label the customer reads.
CHARGE_LABELS: dict[str, str] = {
    "tax": "Tax",
}
ROUNDING_DIFFERENCE = "Rounding difference"


class StatementMismatch(ValueError):
    """Stored invoice figures disagree with the lines by more than rounding can explain."""


@dataclass(frozen=True, slots=True)
class StatementRow:
    role: str  # line | rounding | subtotal | charge | total
    product_type: str
    description: str
    amount: Decimal  # as displayed: a stored rounded figure (or a difference of two)
    line: LineView | None = None


def amount_text(amount: Decimal, currency: str, *, grouped: bool = False) -> str:
    """A displayed amount as text with the currency's minor unit: plain for files (CSV, JSON):
    1234.50, 1235 (JPY), 1.235 (KWD); `grouped=True` for a reader (the statement page and PDF),
    with thousands separators as the dashboards print them: 1,234.50, 1,235 (JPY).

    Refuses an amount that is not already rounded to the minor unit: display rounding belongs to
    the invoice engine, which stores `amount_rounded`, `subtotal` and `total`.
    """
    if round_minor(amount, currency) != amount:
        raise ValueError(f"{format(amount, 'f')} {currency} is not rounded to {minor_unit(currency)} decimals")
    return money_text(amount, currency, grouped=grouped)


def _label(line: LineView, fallback: str) -> str:
    return line.description or line.service or line.sku or fallback


def _check(view: InvoiceView, what: str, difference: Decimal, amounts_involved: int) -> None:
    half_unit = Decimal(5).scaleb(-minor_unit(view.currency) - 1)
    if abs(difference) > EXACT.multiply(half_unit, Decimal(amounts_involved)):
        raise StatementMismatch(
            f"invoice {view.number}: the stored {what} differs from the lines shown above it by "
            f"{format(difference, 'f')} {view.currency}, more than rounding can explain; the exporter "
            f"lists kinds {', '.join(SUBTOTAL_KINDS)} above Subtotal (see exports/statement.py)"
        )


def statement_rows(view: InvoiceView) -> list[StatementRow]:
    rows: list[StatementRow] = []

    subtotal_lines = [line for line in view.lines if line.kind in SUBTOTAL_KINDS]
    sections: dict[str, list[LineView]] = {}
    for line in subtotal_lines:
        sections.setdefault(line.section, []).append(line)
    for section, lines in sections.items():
        for line in lines:
            rows.append(StatementRow("line", section, _label(line, section), line.amount_rounded, line))

    shown_sum = exact_sum(line.amount_rounded for line in subtotal_lines)
    difference = EXACT.subtract(view.subtotal, shown_sum)
    _check(view, "subtotal", difference, len(subtotal_lines) + 1)
    if not difference.is_zero():
        rows.append(StatementRow("rounding", "", ROUNDING_DIFFERENCE, difference))
    rows.append(StatementRow("subtotal", "", "Subtotal", view.subtotal))

    charge_lines: Sequence[LineView] = [
        line for kind in CHARGE_LABELS for line in view.lines if line.kind == kind
    ]
    for line in charge_lines:  # every tax, even at 0: it tells the customer which tax applied
        label = CHARGE_LABELS[line.kind]
        rows.append(StatementRow("charge", label, _label(line, label), line.amount_rounded, line))

    shown_total = EXACT.add(view.subtotal, exact_sum(line.amount_rounded for line in charge_lines))
    difference = EXACT.subtract(view.total, shown_total)
    _check(view, "total", difference, len(charge_lines) + 2)
    if not difference.is_zero():
        rows.append(StatementRow("rounding", "", ROUNDING_DIFFERENCE, difference))
    rows.append(StatementRow("total", "", "Total", view.total))
    return rows
