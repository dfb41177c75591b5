"""The customer-facing statement as rows: what the CSV, the workbook's Lines sheet, the statement
page and PDF (`workbench.render`), the dashboards' preview, the email and the API all print.

Layout (every amount is a stored, already rounded figure; nothing is recomputed), following
`core.invoice.compute_invoice`:

    <section>          <line description>     line.amount_rounded    every charged usage and marketplace line,
    ...                                                                grouped by section (in order of first
                                                                       line), then
    No charge          N items at 0.00 each   0.00                   the usage and marketplace lines shown
                                                                       as 0.00, folded into one row (when there
                                                                       are two or more), then
    Support / Credits  <line description>     line.amount_rounded    the support and credit lines
                       Rounding difference    subtotal - sum above   only when not zero
                       Subtotal               invoice.subtotal       charges rounded once - credits (pre-tax)
    Tax                <description>          line.amount_rounded    every tax line, even at 0
                       Rounding difference    total - (subtotal + rows above)   only when not zero
                       Total                  invoice.total          subtotal + taxes

Two things make the statement readable, here and so in every format at once:

- *Lines at 0.00 are folded.* A month of AWS can give 118 of 129 lines at 0.00 (free tier,
  fractions of a cent); the customer reads the charged lines, then one row saying how many items
  cost nothing that shows. The folded row's amount is the sum of the amounts shown for its lines,
  0.00, so every figure and the rounding difference stay what they were (the exact amounts of
  those lines are in the subtotal, as always; the difference they make is the rounding row's).
  The detailed CSV and the workbook's Detail sheet still list every line (`detail.py`).
- *No two rows read alike.* Lines of different SKUs whose descriptions read the same in the same
  section get what tells them apart appended: the SKU, else the service, else the vendor's charge
  category, else service and SKU, else the line number: `Amazon EC2 (SKU 6TW5QKFYDWFVJ8Q4)`,
  `Virtual Machines D2 v3 (Credit)` beside `(Usage)` for an Azure refund of the same meter.

`statement_rows(view, fold=False)` is the statement as it was printed before both (every line,
its stored description): what an invoice sealed then hashed.

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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from workbench.billing.core.money import EXACT, exact_sum, minor_unit, money_text, round_minor

from .view import InvoiceView, LineView

__all__ = [
    "FOLDED_KINDS",
    "NO_CHARGE",
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
# Line kinds whose lines shown as 0 are folded into one row, under this section, when at least
# FOLD_AT_LEAST of them are (one alone stays as it is: folding it would only hide its name).
FOLDED_KINDS: tuple[str, ...] = ("usage", "marketplace")
NO_CHARGE = "No charge"
FOLD_AT_LEAST = 2


class StatementMismatch(ValueError):
    """Stored invoice figures disagree with the lines by more than rounding can explain."""


@dataclass(frozen=True, slots=True)
class StatementRow:
    role: str  # line | rounding | subtotal | charge | total
    product_type: str
    description: str
    amount: Decimal  # as displayed: a stored rounded figure (or a difference of two)
    line: LineView | None = None
    folded: tuple[LineView, ...] = ()  # the lines a "No charge" row stands for (its `line` is None)


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


# What tells apart lines whose labels read the same, tried in this order; the first that differs
# for every line of the group is appended. The line number always does.
_TELLS_APART: tuple[Callable[[LineView], str], ...] = (
    lambda line: f"SKU {line.sku}" if line.sku else "",
    lambda line: line.service,
    lambda line: line.charge_category.capitalize(),  # an Azure refund beside the usage of one meter
    lambda line: " ".join(part for part in (line.service, line.sku and f"SKU {line.sku}") if part),
    lambda line: f"line {line.position}",
)


def _distinct_labels(lines: Sequence[LineView]) -> dict[int, str]:
    """Each line's label by position, made unique within its section."""
    alike: dict[tuple[str, str], list[LineView]] = {}
    for line in lines:
        alike.setdefault((line.section, _label(line, line.section)), []).append(line)
    labels: dict[int, str] = {}
    for (_, label), group in alike.items():
        if len(group) == 1:
            labels[group[0].position] = label
            continue
        for tell in _TELLS_APART:
            told = [tell(line) for line in group]
            if all(told) and len(set(told)) == len(told):
                labels.update((line.position, f"{label} ({t})") for line, t in zip(group, told))
                break
    return labels


def _line_rows(view: InvoiceView, lines: Sequence[LineView], fold: bool) -> list[StatementRow]:
    """The rows above the subtotal: charged lines by section, the folded "No charge" row, then the
    sections of support and credits."""
    zero = [line for line in lines if line.kind in FOLDED_KINDS and line.amount_rounded.is_zero()]
    folded = zero if fold and len(zero) >= FOLD_AT_LEAST else []
    positions = {line.position for line in folded}
    shown = [line for line in lines if line.position not in positions]
    labels = _distinct_labels(shown) if fold else {line.position: _label(line, line.section) for line in shown}
    pending: StatementRow | None = None
    if folded:
        nothing = round_minor(Decimal(0), view.currency)  # the sum of what was shown for them
        description = f"{len(folded)} items at {amount_text(nothing, view.currency)} each (itemised in the detailed CSV)"
        pending = StatementRow("line", NO_CHARGE, description, nothing, None, tuple(folded))
    sections: dict[str, list[LineView]] = {}
    for line in shown:
        sections.setdefault(line.section, []).append(line)
    rows: list[StatementRow] = []
    for section, grouped in sections.items():
        if pending is not None and not any(line.kind in FOLDED_KINDS for line in grouped):
            rows.append(pending)  # after the usage, before support and credits
            pending = None
        rows.extend(StatementRow("line", section, labels[line.position], line.amount_rounded, line) for line in grouped)
    if pending is not None:
        rows.append(pending)
    return rows


def _check(view: InvoiceView, what: str, difference: Decimal, amounts_involved: int) -> None:
    half_unit = Decimal(5).scaleb(-minor_unit(view.currency) - 1)
    if abs(difference) > EXACT.multiply(half_unit, Decimal(amounts_involved)):
        raise StatementMismatch(
            f"invoice {view.number}: the stored {what} differs from the lines shown above it by "
            f"{format(difference, 'f')} {view.currency}, more than rounding can explain; the exporter "
            f"lists kinds {', '.join(SUBTOTAL_KINDS)} above Subtotal (see exports/statement.py)"
        )


def statement_rows(view: InvoiceView, *, fold: bool = True) -> list[StatementRow]:
    """The statement's rows (see the module doc). `fold=False`: every line, as stored, each under
    its section, the statement as it was printed before lines at 0 were folded."""
    subtotal_lines = [line for line in view.lines if line.kind in SUBTOTAL_KINDS]
    rows = _line_rows(view, subtotal_lines, fold)

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
