"""The invoice as the customer reads it: one self-contained HTML fragment, and its JSON twin.

`statement_html(view)` prints exactly `exports.statement.statement_rows(view)`, through
`amount_text`, the rows the customer CSV prints, so the screen, the PDF and the CSV cannot
disagree by a cent. A reader's page groups thousands (`amount_text(..., grouped=True)`, i.e.
`core.money.money_text`, as the dashboards' tables do): 1,262.77 on the page, 1262.77 in the
CSV and in `invoice_json`, the same Decimal. Nothing here computes an invoice figure. The only numbers made are the
optional *informational* conversions into a display currency: each shown amount times the
rate, rounded once to the display currency's minor unit; the converted total is the total
converted (so converted rows need not add up to it, and the page says so).

The fragment carries its own CSS (scoped under `.wb-statement`, A4 print rules) and embeds the
reseller's logo as a `data:` URI, so Jupyter, Voila and a headless-Chromium PDF need no file
server. All vendor and customer text is HTML-escaped.

`invoice_json(view)` is the machine-readable invoice that `workbench.nbexport`'s
`statement-csv` reads (`application/vnd.workbench.invoice+json`).
"""

from __future__ import annotations

import base64
import datetime as dt
import mimetypes
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from workbench.billing.core.lifecycle import NOTHING_DUE, Status
from workbench.billing.core.money import EXACT, is_known_currency, round_minor
from workbench.billing.core.usage import Vendor
from workbench.billing.exports.statement import StatementRow, amount_text, statement_rows
from workbench.billing.exports.view import InvoiceView

__all__ = [
    "INVOICE_MIMETYPE",
    "LogoError",
    "converted_amounts",
    "invoice_json",
    "logo_data_uri",
    "statement_html",
]

INVOICE_MIMETYPE = "application/vnd.workbench.invoice+json"
# The statement's tables mark their own figure cells (class="num") and say so: the statement
# exporters (workbench.nbexport.preprocessors) then do not parse them to find the figures.
FIGURES_MARKED = 'data-figures="marked"'

# A logo is embedded in every page: refuse what is clearly not a logo rather than bloat PDFs.
MAX_LOGO_BYTES = 2_000_000
LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"})


class LogoError(ValueError):
    """The reseller's configured logo file cannot be embedded (missing, not an image, too big)."""


@dataclass(frozen=True, slots=True)
class _Conversion:
    currency: str
    rate: Decimal
    on: str

    def amount(self, amount: Decimal) -> Decimal:
        return round_minor(EXACT.multiply(amount, self.rate), self.currency)


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _multiline(value: str) -> str:
    return "<br>".join(_text(part.strip()) for part in value.splitlines() if part.strip())


def logo_data_uri(logo_file: str | Path) -> str:
    """The logo file as a `data:` URI; `LogoError` naming the file when it cannot be used."""
    path = Path(logo_file).expanduser()
    media_type, _ = mimetypes.guess_type(path.name)
    if media_type not in LOGO_TYPES:
        raise LogoError(f"logo {path}: not a PNG, JPEG, GIF, SVG or WebP file name; fix reseller.csv logo_file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LogoError(f"logo {path}: cannot be read ({exc.strerror}); fix reseller.csv logo_file") from None
    if len(data) > MAX_LOGO_BYTES:
        raise LogoError(f"logo {path}: {len(data)} bytes, more than {MAX_LOGO_BYTES}; use a smaller image")
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def converted_amounts(
    rows: list[StatementRow], display_currency: str, fx_rate: Decimal
) -> list[Decimal]:
    """Each row's shown amount times `fx_rate`, rounded once to the display currency's minor unit.

    The total row is the invoice total converted, like every other row: converting rows one by
    one means they need not add up to it, which the statement states under the table.
    """
    conversion = _Conversion(display_currency, fx_rate, "")
    return [conversion.amount(row.amount) for row in rows]


def _status_notice(view: InvoiceView) -> tuple[str, str] | None:
    """(watermark word, banner sentence) for a statement the customer must not take as final."""
    if view.status == Status.VOID.value:
        return "VOID", "VOID: this invoice was cancelled and is kept for the record only. Nothing is due."
    if view.status == Status.DRAFT.value and view.preliminary:
        return "DRAFT", (
            "DRAFT, PRELIMINARY: not issued yet, and built from vendor data that is not final; "
            "amounts may change."
        )
    if view.status == Status.DRAFT.value:
        return "DRAFT", "DRAFT: not issued yet; amounts may change before the invoice is issued."
    if view.preliminary:
        return "PRELIMINARY", "PRELIMINARY: built from vendor data that was not final when the invoice was made."
    return None


def _status_label(view: InvoiceView) -> str:
    try:
        label = Status(view.status).label
    except ValueError:
        label = view.status
    return f"{label} (preliminary)" if view.preliminary else label


CSS = """
.wb-statement { position: relative; max-width: 190mm; margin: 0 auto; color: #1a1a1a;
  font-family: "Helvetica Neue", Helvetica, Arial, "Liberation Sans", "DejaVu Sans", sans-serif;
  font-size: 10pt; line-height: 1.4; background: #fff; padding: 4mm 0; }
.wb-statement * { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.wb-statement .wb-banner { border: 1.5pt solid #b3261e; color: #b3261e; background: #fdecea;
  padding: 2mm 3mm; margin: 0 0 4mm; font-weight: 600; }
.wb-statement .wb-watermark { position: absolute; top: 70mm; left: 0; right: 0; text-align: center;
  font-size: 72pt; font-weight: 700; color: rgba(179, 38, 30, 0.12); transform: rotate(-30deg);
  pointer-events: none; z-index: 0; letter-spacing: 4mm; }
.wb-statement .wb-head { display: flex; justify-content: space-between; gap: 8mm; align-items: flex-start; }
.wb-statement .wb-logo { max-height: 18mm; max-width: 60mm; display: block; margin-bottom: 2mm; }
.wb-statement .wb-party { font-size: 9pt; color: #333; }
.wb-statement .wb-party .wb-name { font-size: 11pt; font-weight: 600; color: #1a1a1a; }
.wb-statement h1 { font-size: 16pt; margin: 0 0 2mm; text-align: right; }
.wb-statement h2 { font-size: 10pt; text-transform: uppercase; letter-spacing: 0.5pt; color: #5f6368;
  margin: 6mm 0 1mm; }
.wb-statement table { border-collapse: collapse; width: 100%; font-size: 10pt; font-variant-numeric: tabular-nums; }
.wb-statement table.wb-meta { width: auto; margin-left: auto; font-size: 9pt; }
.wb-statement table.wb-meta th, .wb-statement table.wb-meta td { white-space: nowrap; border: 0; }
.wb-statement .wb-head > div:last-child { flex: none; }
.wb-statement table.wb-meta th { text-align: left; font-weight: 400; color: #5f6368; padding: 0.4mm 4mm 0.4mm 0; }
.wb-statement table.wb-meta td { text-align: right; padding: 0.4mm 0; }
.wb-statement table.wb-meta td.wb-due { font-weight: 600; }
/* a refund: what the reseller owes the customer, under the total */
.wb-statement .wb-owed { margin: 3mm 0 0; padding: 2mm 3mm; border: 1pt solid #1a1a1a; font-weight: 600;
  break-inside: avoid; page-break-inside: avoid; }
.wb-statement table.wb-lines { margin-top: 6mm; position: relative; z-index: 1; }
.wb-statement table.wb-lines th, .wb-statement table.wb-lines td { padding: 1.2mm 2mm; text-align: left;
  vertical-align: top; }
.wb-statement table.wb-lines thead th { border-bottom: 1pt solid #1a1a1a; font-weight: 600; }
.wb-statement table.wb-lines thead { display: table-header-group; }
.wb-statement table.wb-lines tr { break-inside: avoid; page-break-inside: avoid; }
.wb-statement .num { text-align: right !important; white-space: nowrap; }
/* Descriptions stay left even where a figure-detecting preprocessor marks "GST 5%" as a number. */
.wb-statement table.wb-lines td:first-child { text-align: left !important; white-space: normal; }
.wb-statement .wb-converted { color: #5f6368; font-style: italic; }
.wb-statement tr.wb-section th { padding-top: 3mm; font-weight: 600; border-bottom: 0.5pt solid #c8ccd0; }
/* a section's heading never ends a page: it goes over with its first line */
.wb-statement tr.wb-section { break-after: avoid; page-break-after: avoid; }
.wb-statement tr.wb-line td:first-child { padding-left: 5mm; }
.wb-statement tr.wb-rounding td { color: #5f6368; font-size: 9pt; }
.wb-statement tr.wb-subtotal td { border-top: 0.75pt solid #1a1a1a; font-weight: 600; }
.wb-statement tr.wb-total td { border-top: 1.5pt solid #1a1a1a; border-bottom: 1.5pt solid #1a1a1a;
  font-weight: 700; font-size: 11pt; }
.wb-statement .wb-note { font-size: 8.5pt; color: #5f6368; margin-top: 4mm; }
/* printed, the watermark is fixed to the page, so every page of a draft carries it */
@media print { .wb-statement { max-width: none; padding: 0; } .wb-statement .wb-watermark { position: fixed; top: 110mm; } }
@page { size: A4; }
"""


DUE_CELL = ' class="wb-due"'  # the "Due" value of an invoice with nothing due (CSS above)


def _row_html(row: StatementRow, currency: str, converted: Decimal | None, conversion: _Conversion | None) -> str:
    cells = [f'<td>{_text(row.description)}</td>',
             f'<td class="num">{amount_text(row.amount, currency, grouped=True)}</td>']
    if conversion is not None and converted is not None:
        cells.append(f'<td class="num wb-converted">{amount_text(converted, conversion.currency, grouped=True)}</td>')
    return f'<tr class="wb-{row.role}">{"".join(cells)}</tr>'


def statement_html(
    view: InvoiceView,
    *,
    display_currency: str | None = None,
    fx_rate: Decimal | None = None,
    fx_date: str | dt.date | None = None,
) -> str:
    """The statement as one HTML fragment (its own <style>, logo inline, nothing external).

    With `display_currency` and `fx_rate` (1 invoice currency = fx_rate display currency) a
    second, informational amount column is added; `fx_date` (a day or the rate's period) is
    printed with the rate. The invoice figures themselves are always in the invoice currency.
    """
    conversion: _Conversion | None = None
    if display_currency and display_currency != view.currency:
        if fx_rate is None:
            raise ValueError(f"display currency {display_currency}: an fx_rate is required")
        if not isinstance(fx_rate, Decimal) or not fx_rate.is_finite() or fx_rate <= 0:
            raise ValueError(f"fx_rate must be a positive Decimal, got {fx_rate!r}")
        if not is_known_currency(display_currency):
            raise ValueError(f"unknown display currency {display_currency!r}")
        on = fx_date.isoformat() if isinstance(fx_date, dt.date) else (fx_date or view.issue_date.isoformat())
        conversion = _Conversion(display_currency, fx_rate, on)

    rows = statement_rows(view)
    converted = converted_amounts(rows, conversion.currency, conversion.rate) if conversion else [None] * len(rows)
    currency = view.currency
    columns = 3 if conversion else 2
    out: list[str] = [f'<div class="wb-statement wb-status-{_text(view.status)}">', f"<style>{CSS}</style>"]

    notice = _status_notice(view)
    if notice is not None:
        word, sentence = notice
        out.append(f'<div class="wb-watermark" aria-hidden="true">{word}</div>')
        out.append(f'<div class="wb-banner" role="note">{_text(sentence)}</div>')

    reseller = view.reseller
    logo = ""
    if reseller.logo_file:
        alt = f"{reseller.name} logo" if reseller.name else "Logo"
        logo = f'<img class="wb-logo" src="{logo_data_uri(reseller.logo_file)}" alt="{_text(alt)}">'
    out.append('<div class="wb-head"><div class="wb-party wb-reseller">')
    out.append(logo)
    if reseller.name:
        out.append(f'<div class="wb-name">{_text(reseller.name)}</div>')
    if reseller.address:
        out.append(f"<div>{_multiline(reseller.address)}</div>")
    if reseller.contact_email:
        out.append(f"<div>{_text(reseller.contact_email)}</div>")
    out.append("</div><div>")
    out.append("<h1>Billing statement</h1>")
    last_day = view.period_end - dt.timedelta(days=1)
    meta = [
        ("Invoice number", view.number),
        ("Status", _status_label(view)),
        ("Billing period", f"{view.period_label} ({view.period_start.isoformat()} to {last_day.isoformat()})"),
        ("Issue date", view.issue_date.isoformat()),
        # nothing due (0.00, or a refund): no due date (a refund says what is owed under the total)
        ("Due", NOTHING_DUE) if view.nothing_due else ("Due date", view.due_date.isoformat()),
        ("Currency", currency),
        # usage (or a credit) in another currency: the rate the invoice converted at, as it recorded it
        *((("Usage currency", view.usage_currency),) if view.usage_currency != currency else ()),
        *((rate.label, rate.described) for rate in view.exchange_rates),
        ("Cloud vendor", Vendor.display_name_of(view.vendor)),
    ]
    out.append(f'<table class="wb-meta" {FIGURES_MARKED}>')
    out.extend(f"<tr><th>{_text(k)}</th><td{DUE_CELL if k == 'Due' else ''}>{_text(v)}</td></tr>" for k, v in meta)
    out.append("</table></div></div>")

    customer = view.customer
    out.append('<h2>Bill to</h2><div class="wb-party wb-customer">')
    out.append(f'<div class="wb-name">{_text(customer.name)}</div>')
    if customer.contact_name:
        out.append(f"<div>Attn: {_text(customer.contact_name)}</div>")
    if customer.billing_address:
        out.append(f'<div class="wb-address">{_multiline(customer.billing_address)}</div>')
    if customer.contact_email:
        out.append(f"<div>{_text(customer.contact_email)}</div>")
    out.append(f"<div>Customer ID {_text(customer.customer_id)}</div></div>")

    head = [f'<th>Description</th><th class="num">Amount ({_text(currency)})</th>']
    if conversion:
        head.append(f'<th class="num wb-converted">Amount ({_text(conversion.currency)})*</th>')
    out.append(f'<table class="wb-lines" {FIGURES_MARKED}><thead><tr>{"".join(head)}</tr></thead><tbody>')
    section: str | None = None
    charges_heading = False
    for row, conv in zip(rows, converted):
        if row.role == "line" and row.product_type != section:
            section = row.product_type
            out.append(f'<tr class="wb-section"><th colspan="{columns}">{_text(section)}</th></tr>')
        if row.role == "charge" and not charges_heading:
            charges_heading = True
            out.append(f'<tr class="wb-section"><th colspan="{columns}">{_text(row.product_type)}</th></tr>')
        out.append(_row_html(row, currency, conv, conversion))
    out.append("</tbody></table>")
    if view.owed_to_customer:  # "Nothing is due: 67.51 CAD is owed to you (...)", the email's words
        out.append(f'<p class="wb-owed" role="note">{_text(view.due_text[:1].upper() + view.due_text[1:])}.</p>')

    if conversion:
        out.append(
            f'<p class="wb-note wb-fx-note">* Informational, converted at 1 {_text(currency)} = '
            f"{_text(format(conversion.rate, 'f'))} {_text(conversion.currency)} on {_text(conversion.on)}; "
            f"the invoice is in {_text(currency)}. Each amount is converted and rounded on its own; the "
            f"converted total is the invoice total converted, so the converted rows may not add up to it.</p>"
        )
    if any(row.role == "rounding" for row in rows):
        out.append(
            '<p class="wb-note">Lines are shown rounded; the subtotal is the exact sum rounded once. '
            "The rounding difference row makes the shown figures add up.</p>"
        )
    out.append("</div>")
    return "\n".join(part for part in out if part)


def invoice_json(view: InvoiceView) -> dict[str, Any]:
    """The machine-readable invoice (`INVOICE_MIMETYPE`): statement rows, amounts as exact plain strings
    (1262.77, never 1,262.77: `statement-csv` copies them into the CSV and refuses grouped figures).

    `lines` are the rows above the subtotal (invoice lines and their rounding difference);
    `totals` are Subtotal, the charges (taxes), any rounding difference above Total, and Total.
    """
    lines: list[dict[str, str]] = []
    totals: list[dict[str, str]] = []
    past_subtotal = False
    for row in statement_rows(view):
        amount = amount_text(row.amount, view.currency)
        if row.role == "subtotal":
            past_subtotal = True
        if past_subtotal:
            # a tax row keeps its product type ("Tax"), so the statement CSV equals the customer CSV
            totals.append({"label": row.description, "amount": amount,
                           **({"section": row.product_type} if row.product_type else {})})
        else:
            lines.append({"section": row.product_type, "description": row.description, "amount": amount})
    return {"number": view.number, "currency": view.currency, "lines": lines, "totals": totals}
