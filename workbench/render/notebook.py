"""One-line helpers for `notebooks/invoice.ipynb`: find the invoice, find a display rate.

Parameters arrive from papermill as strings; empty strings mean "not given".
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import parse_month
from workbench.billing.exports.view import InvoiceView
from workbench.billing.store import models as m
from workbench.billing.store.workspace import LOGO_FOLDERS, Workspace, logo_candidates, open_workspace

__all__ = ["LOGO_FOLDERS", "InvoiceLookupError", "conversion", "find_invoice", "load_invoice", "resolve_logo"]


class InvoiceLookupError(LookupError):
    """No invoice, or more than one, matches what the notebook was asked for."""


def _workspace(workspace: str | Path | Workspace) -> Workspace:
    if isinstance(workspace, Workspace):
        return workspace
    if not str(workspace).strip():
        raise InvoiceLookupError("the workspace parameter is required: the folder made by `workbench init`")
    return open_workspace(Path(workspace))


def find_invoice(
    session: Session,
    invoice: str | int | None = None,
    *,
    customer: str | None = None,
    vendor: str | None = None,
    period: str | None = None,
) -> m.Invoice:
    """An invoice by number or id, or the one non-void invoice of (customer, vendor, period YYYY-MM)."""
    if invoice not in (None, ""):
        ref = str(invoice).strip()
        found = session.get(m.Invoice, int(ref)) if ref.isdigit() else None
        found = found or session.scalar(select(m.Invoice).where(m.Invoice.number == ref))
        if found is None:
            raise InvoiceLookupError(f"no invoice {ref!r} in this workspace (`workbench invoices list`)")
        return found
    missing = [name for name, value in (("customer", customer), ("vendor", vendor), ("period", period)) if not value]
    if missing:
        raise InvoiceLookupError(f"give an invoice number, or customer, vendor and period (missing: {', '.join(missing)})")
    assert customer and vendor and period
    start = parse_month(period)
    candidates = list(
        session.scalars(
            select(m.Invoice)
            .where(m.Invoice.customer_id == customer, m.Invoice.vendor == vendor, m.Invoice.period_start == start,
                   m.Invoice.status != Status.VOID.value)
            .order_by(m.Invoice.id)
        )
    )
    if not candidates:
        raise InvoiceLookupError(
            f"no {vendor} invoice for customer {customer!r} in {period}; generate it first (`workbench generate`)"
        )
    if len(candidates) > 1:
        numbers = ", ".join(c.number for c in candidates)
        raise InvoiceLookupError(f"{len(candidates)} invoices match ({numbers}); pass the invoice number")
    return candidates[0]


def resolve_logo(view: InvoiceView, root: Path) -> InvoiceView:
    """A relative `reseller.logo_file`: the first of LOGO_FOLDERS (under the workspace) holding it."""
    logo = view.reseller.logo_file
    if not logo or Path(logo).expanduser().is_absolute():
        return view
    candidates = logo_candidates(root, logo)
    found = next((c for c in candidates if c.is_file()), candidates[0])  # none: the error names root/logo
    reseller = dataclasses.replace(view.reseller, logo_file=str(found.resolve() if found.exists() else found))
    return dataclasses.replace(view, reseller=reseller)


def load_invoice(
    workspace: str | Path | Workspace,
    invoice: str | int | None = None,
    *,
    customer: str | None = None,
    vendor: str | None = None,
    period: str | None = None,
) -> InvoiceView:
    """The stored invoice as a view (see `find_invoice` for how it is picked); logo path resolved."""
    ws = _workspace(workspace)
    with ws.session() as session:
        stored = find_invoice(session, invoice, customer=customer, vendor=vendor, period=period)
        view = InvoiceView.from_orm(session, stored)
    return resolve_logo(view, ws.root)


def conversion(workspace: str | Path | Workspace, view: InvoiceView, display_currency: str | None) -> dict[str, Any]:
    """Keyword arguments for `statement_html` showing amounts in `display_currency` too.

    The rate is the workspace's `fx_rates` row for the invoice's first month, from the invoice
    currency to the display currency (`{}` when no display currency is asked or it is the
    invoice currency). A missing rate is an error naming the row to add: an inverted or guessed
    rate would print a figure nobody decided.
    """
    wanted = (display_currency or "").strip().upper()
    if not wanted or wanted == view.currency:
        return {}
    period = f"{view.period_start:%Y-%m}"
    with _workspace(workspace).session() as session:
        row = session.get(m.FxRate, (period, view.currency, wanted))
        rate: Decimal | None = row.rate if row is not None else None
    if rate is None:
        raise InvoiceLookupError(
            f"no FX rate {view.currency}->{wanted} for {period}: add `{period},{view.currency},{wanted},<rate>` "
            "to fx_rates.csv and import it"
        )
    return {"display_currency": wanted, "fx_rate": rate, "fx_date": period}

