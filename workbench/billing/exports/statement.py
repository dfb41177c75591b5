"""The customer-facing statement as rows: what the CSV, the workbook's Lines sheet, the statement
page and PDF (`workbench.render`), the dashboards' preview, the email and the API all print.

Layout (every amount is a stored, already rounded figure, or a sum of stored exact amounts
rounded once; nothing else is computed), following `core.invoice.compute_invoice`:

    <section>          <line description>     line.amount_rounded    every charged usage and marketplace line,
    ...                                                                grouped by section (in order of first
                                                                       line), then
    Small items        N items under 0.01 each   exact sum, rounded   the usage and marketplace lines shown as
                                                                       0.00 that cost something, folded into
                                                                       one row (when there are two or more), then
    No charge          N items at 0.00 each   0.00                   those that cost nothing at all, likewise,
                                                                       then
    Support / Credits  <line description>     line.amount_rounded    the support and credit lines
                       Rounding difference    subtotal - sum above   only when not zero
                       Subtotal               invoice.subtotal       charges rounded once - credits (pre-tax)
    Tax                <description>          line.amount_rounded    every tax line, even at 0
                       Rounding difference    total - (subtotal + rows above)   only when not zero
                       Total                  invoice.total          subtotal + taxes

Two things make the statement readable, here and so in every format at once:

- *Lines at 0.00 are folded.* A month of AWS can give 118 of 129 lines at 0.00 (free tier,
  fractions of a cent); the customer reads the charged lines, then at most two rows for the rest.
  Lines that cost nothing are "No charge" at 0.00. Lines that cost under a minor unit each are
  "Small items", at the exact sum of their amounts rounded once (40 metrics at 0.0045 USD: 0.18),
  so that what they cost is shown as what it is, not left to the rounding difference under a
  "No charge" label. The rounding difference is then rounding alone: the subtotal less what the
  rows show. The detailed CSV and the workbook's Detail sheet still list every line (`detail.py`).
- *No two rows read alike.* Lines whose descriptions read the same in the same section get what
  tells them apart appended: the SKU, else the service, else the vendor's charge category, else
  the unit, else those of them that differ, together: `Amazon EC2 (SKU 6TW5QKFYDWFVJ8Q4)`,
  `Virtual Machines D2 v3 (Credit)` beside `(Usage)` (an Azure refund of the same meter: readers
  map a vendor's Refund to the charge category credit, FOCUS's), `Amazon EC2 m5.large (Hrs)` beside
  `(GB)`. Lines alike in all of these are numbered where the customer sees them: `(1 of 2)`.

The statement's layouts, newest last (`LAYOUT`; the customer CSV's too). An invoice was sealed at
issue with the hash of its customer CSV as then printed (`integrity.seal`), so each older layout
stays reproducible, row for row (`statement_rows(view, layout=N)`):

    1  every line, its stored description (invoices issued before December 2026)
    2  every usage and marketplace line shown as 0.00 folded into "No charge" at 0.00, what they
       cost left to the rounding difference; look-alikes told apart by SKU, service, charge
       category, service and SKU, else `(line N)` (N: the line's position in the detailed CSV)
    3  as above: "Small items" apart from "No charge", look-alikes by unit too, then `(1 of 2)`

The engine makes no support or credit line when there is none. It rounds each tax once and
makes the total their sum with the subtotal, so its invoices never need the second rounding
difference; the row stays for stored figures whose total was rounded otherwise.

The only figures made here are the Small items row (a sum of stored exact amounts, rounded once,
as the subtotal is) and the two rounding differences, differences of displayed numbers, so each
block adds up on paper. A difference larger than rounding can explain (half a minor unit per
amount involved) means the stored figures do not cover the lines shown above them; that is a
programmer error and raises `StatementMismatch` instead of printing a dishonest statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from workbench.billing.core.money import EXACT, exact_sum, minor_unit, money_text, round_minor

from .view import InvoiceView, LineView

__all__ = [
    "FOLDED_KINDS",
    "LAYOUT",
    "LAYOUTS",
    "NO_CHARGE",
    "SMALL_ITEMS",
    "SUBTOTAL_KINDS",
    "StatementMismatch",
    "StatementRow",
    "amount_text",
    "statement_rows",
]

# The statement's layouts (see the module doc); `LAYOUT` is the one printed now.
LAYOUTS: tuple[int, ...] = (1, 2, 3)
LAYOUT = LAYOUTS[-1]

# Line kinds the stored `subtotal` covers; they are listed above it, grouped by product type.
# (core.invoice: subtotal = charges rounded once - credits, before tax)
SUBTOTAL_KINDS: tuple[str, ...] = ("usage", "marketplace", "support", "credit")
# Line kinds between Subtotal and Total, in this order, with the label the customer reads.
CHARGE_LABELS: dict[str, str] = {
    "tax": "Tax",
}
ROUNDING_DIFFERENCE = "Rounding difference"
# Line kinds whose lines shown as 0 are folded, each group into one row under its own section,
# when at least FOLD_AT_LEAST of them are (one alone stays as it is: folding it would only hide
# its name): SMALL_ITEMS those that cost something (under a minor unit each), NO_CHARGE those
# that cost nothing.
FOLDED_KINDS: tuple[str, ...] = ("usage", "marketplace")
SMALL_ITEMS = "Small items"
NO_CHARGE = "No charge"
FOLD_AT_LEAST = 2


class StatementMismatch(ValueError):
    """Stored invoice figures disagree with the lines by more than rounding can explain."""


@dataclass(frozen=True, slots=True)
class StatementRow:
    role: str  # line | rounding | subtotal | charge | total
    product_type: str
    description: str
    amount: Decimal  # as displayed: a stored rounded figure (or a difference of two, or a folded row's sum)
    line: LineView | None = None
    folded: tuple[LineView, ...] = ()  # the lines a Small items or No charge row stands for (its `line` is None)


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
# for every line of the group is appended.
def _sku(line: LineView) -> str:
    return f"SKU {line.sku}" if line.sku else ""


def _service(line: LineView) -> str:
    return line.service


def _charge_category(line: LineView) -> str:
    # an Azure refund beside the usage of one meter: the readers keep FOCUS's category (credit),
    # not the vendor's own word (Refund), so "Credit" is what the line can say
    return line.charge_category.capitalize()


def _unit(line: LineView) -> str:
    return line.unit


# Layout 2's, kept to print what invoices sealed with it were: the line number (a position in
# the detailed CSV, which the statement does not show) always told them apart.
_TELLS_APART_2: tuple[Callable[[LineView], str], ...] = (
    _sku,
    _service,
    _charge_category,
    lambda line: " ".join(part for part in (line.service, line.sku and f"SKU {line.sku}") if part),
    lambda line: f"line {line.position}",
)
_TELLS_APART: tuple[Callable[[LineView], str], ...] = (_sku, _service, _charge_category, _unit)


def _told_apart(group: Sequence[LineView], layout: int) -> list[str]:
    """What to append to each line of `group` (labels alike in one section): the first tell that
    differs for every line; else (layout 3) the tells that differ, together, when they tell every
    line apart; else each line's place in the group on the statement, `1 of 2`."""
    if layout == 2:
        tells = _TELLS_APART_2
    else:
        varying = [tell for tell in _TELLS_APART if len({tell(line) for line in group}) > 1]
        together = (lambda line: ", ".join(part for part in (tell(line) for tell in varying) if part),)
        tells = (*_TELLS_APART, *(together if len(varying) > 1 else ()))
    for tell in tells:
        told = [tell(line) for line in group]
        if all(told) and len(set(told)) == len(told):
            return told
    return [f"{i} of {len(group)}" for i in range(1, len(group) + 1)]


def _distinct_labels(lines: Sequence[LineView], layout: int) -> dict[int, str]:
    """Each line's label by position, made unique within its section."""
    alike: dict[tuple[str, str], list[LineView]] = {}
    for line in lines:
        alike.setdefault((line.section, _label(line, line.section)), []).append(line)
    labels: dict[int, str] = {}
    for (_, label), group in alike.items():
        if len(group) == 1:
            labels[group[0].position] = label
        else:
            labels.update((line.position, f"{label} ({told})") for line, told in zip(group, _told_apart(group, layout)))
    return labels


def _folded_rows(view: InvoiceView, lines: Sequence[LineView], layout: int) -> list[StatementRow]:
    """The rows the usage and marketplace lines shown as 0 fold into, each standing for two or
    more lines: Small items (they cost something; layout 3), then No charge."""
    shown_zero = [line for line in lines if line.kind in FOLDED_KINDS and line.amount_rounded.is_zero()]
    if layout == 2:  # every line shown as 0.00 "No charge", whatever it cost
        groups = [(NO_CHARGE, shown_zero)]
    else:
        groups = [(SMALL_ITEMS, [line for line in shown_zero if not line.amount.is_zero()]),
                  (NO_CHARGE, [line for line in shown_zero if line.amount.is_zero()])]
    nothing = round_minor(Decimal(0), view.currency)
    under = amount_text(Decimal(1).scaleb(-minor_unit(view.currency)), view.currency)  # 0.01, 1 (JPY), 0.001 (KWD)
    rows = []
    for section, folded in groups:
        if len(folded) < FOLD_AT_LEAST:
            continue
        if section == SMALL_ITEMS:
            amount = round_minor(exact_sum(line.amount for line in folded), view.currency)
            amount = amount.copy_abs() if amount.is_zero() else amount  # never -0.00
            each = f"under {under} each"
        else:
            amount, each = nothing, f"at {amount_text(nothing, view.currency)} each"  # the sum of what they showed
        description = f"{len(folded)} items {each} (itemised in the detailed CSV)"
        rows.append(StatementRow("line", section, description, amount, None, tuple(folded)))
    return rows


def _line_rows(view: InvoiceView, lines: Sequence[LineView], layout: int) -> list[StatementRow]:
    """The rows above the subtotal: charged lines by section, the folded rows, then the sections
    of support and credits."""
    pending = _folded_rows(view, lines, layout) if layout >= 2 else []
    positions = {line.position for row in pending for line in row.folded}
    shown = [line for line in lines if line.position not in positions]
    labels = (_distinct_labels(shown, layout) if layout >= 2
              else {line.position: _label(line, line.section) for line in shown})
    sections: dict[str, list[LineView]] = {}
    for line in shown:
        sections.setdefault(line.section, []).append(line)
    rows: list[StatementRow] = []
    for section, grouped in sections.items():
        if pending and not any(line.kind in FOLDED_KINDS for line in grouped):
            rows += pending  # after the usage, before support and credits
            pending = []
        rows.extend(StatementRow("line", section, labels[line.position], line.amount_rounded, line) for line in grouped)
    return rows + pending


def _check(view: InvoiceView, what: str, difference: Decimal, amounts_involved: int) -> None:
    half_unit = Decimal(5).scaleb(-minor_unit(view.currency) - 1)
    if abs(difference) > EXACT.multiply(half_unit, Decimal(amounts_involved)):
        raise StatementMismatch(
            f"invoice {view.number}: the stored {what} differs from the lines shown above it by "
            f"{format(difference, 'f')} {view.currency}, more than rounding can explain; the exporter "
            f"lists kinds {', '.join(SUBTOTAL_KINDS)} above Subtotal (see exports/statement.py)"
        )


def statement_rows(view: InvoiceView, *, layout: int = LAYOUT) -> list[StatementRow]:
    """The statement's rows (see the module doc) in `layout`: the current one, or an earlier one
    to reproduce what an invoice sealed with it printed (1: every line, as stored, each under
    its section; 2: lines at 0.00 in one No charge row)."""
    if layout not in LAYOUTS:
        raise ValueError(f"statement layout {layout}: known layouts are {', '.join(map(str, LAYOUTS))}")
    subtotal_lines = [line for line in view.lines if line.kind in SUBTOTAL_KINDS]
    rows = _line_rows(view, subtotal_lines, layout)

    shown_sum = exact_sum(row.amount for row in rows)
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
