"""/v1/customers, /v1/reports: the reference data an integration needs to ask for invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.api.auth import Caller, Reseller, workspace
from workbench.api.errors import ApiError
from workbench.api.schemas import (
    CUSTOMER_ID_PATTERN,
    CustomerDetailOut,
    CustomerOut,
    ProblemsOut,
    ReportOut,
    ReportPeriodOut,
    Vendor,
    VendorProfileOut,
)
from workbench.api.keys import Principal
from workbench.billing.core.money import plain
from workbench.billing.store import models as m
from workbench.billing.store.usage_queries import report_periods
from workbench.billing.store.workspace import Workspace

__all__ = ["CustomerPath", "exact", "money", "router", "visible_customer"]

router = APIRouter(prefix="/v1")
Ws = Annotated[Workspace, Depends(workspace)]
CustomerPath = Annotated[str, Path(pattern=CUSTOMER_ID_PATTERN, description="customer ID, e.g. 100001")]
ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ProblemsOut} for code in (401, 403, 404, 422)}


def money(value: Decimal) -> str:
    """A figure as the invoice shows it, minor unit kept: 238.40 stays "238.40"."""
    return format(value, "f")


def exact(value: Decimal) -> str:
    """An unrounded figure, exactly, without exponent or trailing zeros: 1.8E-9 -> "0.0000000018"."""
    return plain(value)


def visible_customer(session: Session, customer_id: str, principal: Principal) -> m.Customer:
    """The customer, or 404 when it does not exist or a customer key belongs to another one."""
    customer = session.get(m.Customer, customer_id)
    if customer is None or (principal.is_customer and principal.customer_id != customer_id):
        raise ApiError(404, "not-found", f"there is no customer with ID #{customer_id}")
    return customer


def _summary(c: m.Customer) -> CustomerOut:
    return CustomerOut(customer_id=c.customer_id, name=c.name, contact_name=c.contact_name,
                       contact_email=c.contact_email, tax_jurisdiction=c.tax_jurisdiction)


@router.get("/customers", response_model=list[CustomerOut], tags=["customers"], responses=ERRORS,
            summary="List customers")
def list_customers(ws: Ws, principal: Caller) -> list[CustomerOut]:
    """Every customer (a customer key sees only its own)."""
    query = select(m.Customer).order_by(m.Customer.customer_id)
    if principal.is_customer:
        query = query.where(m.Customer.customer_id == principal.customer_id)
    with ws.session() as session:
        return [_summary(c) for c in session.scalars(query)]


@router.get("/customers/{customer_id}", response_model=CustomerDetailOut, tags=["customers"], responses=ERRORS,
            summary="Get a customer")
def get_customer(customer_id: CustomerPath, ws: Ws, principal: Caller) -> CustomerDetailOut:
    """One customer with its vendor profiles (invoice currency, pricebook) and accounts."""
    with ws.session() as session:
        c = visible_customer(session, customer_id, principal)
        return CustomerDetailOut(
            **_summary(c).model_dump(), billing_address=c.billing_address, payment_terms_days=c.payment_terms_days,
            vendors=[VendorProfileOut(vendor=v.vendor, invoice_currency=v.invoice_currency,
                                      pricebook=None if principal.is_customer else v.pricebook)
                     for v in sorted(c.vendors, key=lambda v: v.vendor)],
            accounts=sorted(f"{a.vendor}:{a.account_id}" for a in c.accounts),
        )


@router.get("/reports", response_model=list[ReportOut], tags=["vendor reports"], responses=ERRORS,
            summary="List vendor reports")
def list_reports(
    ws: Ws, _principal: Reseller,
    vendor: Vendor | None = None,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")] = None,
    include_superseded: bool = False,
) -> list[ReportOut]:
    """Imported vendor reports, one row per file and billing period."""
    query = select(m.VendorReport).order_by(m.VendorReport.vendor, m.VendorReport.billing_period, m.VendorReport.id)
    if vendor:
        query = query.where(m.VendorReport.vendor == vendor)
    if period:
        query = query.where(m.VendorReport.billing_period == period)
    if not include_superseded:
        query = query.where(m.VendorReport.superseded_by.is_(None))
    with ws.session() as session:
        return [ReportOut(id=r.id, vendor=r.vendor, format=r.format, billing_account_id=r.billing_account_id,
                          billing_period=r.billing_period, file_name=r.file_name, row_count=r.row_count,
                          cost_total=exact(r.cost_total), currency=r.currency, is_final=r.is_final,
                          imported_at=r.imported_at, superseded_by=r.superseded_by)
                for r in session.scalars(query)]


@router.get("/reports/periods", response_model=list[ReportPeriodOut], tags=["vendor reports"], responses=ERRORS,
            summary="List billing periods with vendor data")
def list_periods(ws: Ws, _principal: Reseller, vendor: Vendor | None = None) -> list[ReportPeriodOut]:
    """Billing periods with current vendor data: what can be generated."""
    return [ReportPeriodOut(vendor=p.vendor, period=p.period, currency=p.currency, is_final=p.is_final, rows=p.rows,
                            cost=exact(p.cost), files=list(p.files), billing_accounts=list(p.billing_accounts))
            for p in report_periods(ws) if vendor is None or p.vendor == vendor]
