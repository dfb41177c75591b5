"""The "New customer invoice" email, made from the stored invoice as exporters see it.

Every amount is a stored, already rounded figure (`exports.statement.statement_rows`); the only
sums made here add displayed amounts of one product type, so the summary adds up on paper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from workbench.billing.core.money import exact_sum
from workbench.billing.core.usage import Vendor
from workbench.billing.exports.statement import amount_text, statement_rows
from workbench.billing.exports.view import InvoiceView
from workbench.billing.store.models import Invoice, Setting

from .templates import email_environment, render

__all__ = ["InvoiceEmail", "SummaryRow", "compose_invoice_open", "portal_link"]

KIND_INVOICE_OPEN = "invoice-open"


@dataclass(frozen=True, slots=True)
class SummaryRow:
    role: str  # product | rounding | subtotal | tax | total
    label: str
    amount: str  # displayed text, e.g. "150.83"


@dataclass(frozen=True, slots=True)
class InvoiceEmail:
    subject: str
    text: str
    html: str


def portal_link(portal_url: str, number: str) -> str:
    """`<portal_url>/invoices/<number>`, or "" when the reseller has no portal."""
    base = portal_url.strip().rstrip("/")
    return f"{base}/invoices/{quote(number, safe='')}" if base else ""


def summary(view: InvoiceView) -> list[SummaryRow]:
    """Product types (each the sum of its displayed lines), then the statement's own totals."""
    by_type: dict[str, list[Decimal]] = {}
    tail: list[SummaryRow] = []
    for row in statement_rows(view):
        if row.role == "line":
            by_type.setdefault(row.product_type, []).append(row.amount)
        else:
            role = {"charge": "tax"}.get(row.role, row.role)
            tail.append(SummaryRow(role, row.description, amount_text(row.amount, view.currency, grouped=True)))
    head = [SummaryRow("product", label, amount_text(exact_sum(amounts), view.currency, grouped=True))
            for label, amounts in by_type.items()]
    return head + tail


def text_columns(rows: list[SummaryRow]) -> dict[str, int]:
    """The plain-text summary's column widths: as wide as its longest label and amount, never
    narrower than 36 and 12, so that every amount stays in one right-aligned column."""
    return {"label_width": max([36, *(len(r.label) for r in rows)]),
            "amount_width": max([12, *(len(r.amount) for r in rows)])}


def _context(view: InvoiceView, portal_url: str) -> dict[str, Any]:
    rows = summary(view)
    return {
        "greeting_name": view.customer.contact_name or view.customer.name,
        "customer_name": view.customer.name,
        "number": view.number,
        "period": view.period_label,
        "vendor": Vendor.display_name_of(view.vendor),
        "currency": view.currency,
        "total": f"{amount_text(view.total, view.currency, grouped=True)} {view.currency}",
        "issue_date": view.issue_date.isoformat(),
        "due_date": view.due_date.isoformat(),
        "nothing_due": view.nothing_due,  # 0.00, or a refund: no due date
        "due_text": view.due_text,  # "nothing is due", or what is owed to the customer on a refund
        "due_brief": view.due_brief,  # the same without "(to be refunded or credited)": the subject's
        "preliminary": view.preliminary,
        "summary": rows,
        **text_columns(rows),
        "portal_link": portal_link(portal_url, view.number),
        "reseller_name": view.reseller.name,
        "reseller_email": view.reseller.contact_email,
    }


def compose_invoice_open(session: Session, invoice: Invoice) -> InvoiceEmail:
    """Render subject, text and HTML for an invoice that has just become Open."""
    view = InvoiceView.from_orm(session, invoice)
    portal = session.get(Setting, "reseller.portal_url")
    context = _context(view, portal.value if portal else "")
    env = email_environment()
    subject = re.sub(r"\s+", " ", render(env, "invoice_open.subject.j2", context)).strip()
    return InvoiceEmail(subject, render(env, "invoice_open.txt.j2", context), render(env, "invoice_open.html.j2", context))
