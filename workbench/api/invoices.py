"""/v1/invoices: generate drafts, list, read, change status, delete drafts.

A customer key sees only its own customer's issued invoices: a draft, or another customer's
invoice, answers 404 exactly as an invoice that does not exist, so a key cannot probe for them.
Internal figures (vendor cost, margin, markup, pricebook) are left out for customer keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from workbench.api.auth import Caller, Writer, workspace
from workbench.api.customers import exact, money
from workbench.api.errors import ApiError
from workbench.api.idempotency import Once, replayable
from workbench.api.keys import Principal
from workbench.api.schemas import (
    CUSTOMER_ID_PATTERN,
    INVOICE_REF_PATTERN,
    DeletedOut,
    GenerateRequest,
    GenerationOut,
    InvoiceOut,
    InvoiceSummaryOut,
    LineOut,
    ProblemOut,
    ProblemsOut,
    StatementRowOut,
    StatusChange,
    StatusChangedOut,
    Vendor,
)
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import DateRange, parse_range
from workbench.billing.core.problems import Severity
from workbench.billing.exports.statement import amount_text, statement_rows
from workbench.billing.exports.view import InvoiceView
from workbench.billing.generate import generate_invoices, source_row_reader
from workbench.billing.invoices import (
    InvoiceNotFound,
    InvoiceStateError,
    delete_drafts,
    find,
    issued_from_preliminary,
    list_invoices,
    refresh_past_due,
    set_status,
)
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

__all__ = ["InvoicePath", "invoice_view", "router", "visible_invoice"]

router = APIRouter(prefix="/v1", tags=["invoices"])
Ws = Annotated[Workspace, Depends(workspace)]
InvoicePath = Annotated[str, Path(pattern=INVOICE_REF_PATTERN, description="invoice number (AWS-202510-00001) or id")]
ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ProblemsOut} for code in (401, 403, 404, 409, 422)}
# Requests with a JSON body can also be refused before they are read (413) or parsed (400), for
# what the body is as JSON (422: not JSON, a key given twice in one object; see api/bodies.py), and
# for their Idempotency-Key (409 still running, 422 sent before with another request; idempotency.py).
BAD_BODY = ("a body that is not JSON or cannot be read as JSON (`invalid-json`: not UTF-8, nested too deeply) or "
            "gives a key twice in one object (`duplicate-key`)")
KEY_REUSED = ("an Idempotency-Key sent before with another request (`idempotency-key-reused`), or more than one "
              "Idempotency-Key header (`idempotency-key-repeated`)")
RETRY_AFTER = {"Retry-After": {"description": "with `idempotency-key-in-use`: seconds to wait before sending the "
                                              "request again", "schema": {"type": "integer"}}}
BODY_ERRORS: dict[int | str, dict[str, object]] = {
    **ERRORS,
    400: {"model": ProblemsOut, "description": "the Content-Length header is not a number (`bad-content-length`)"},
    413: {"model": ProblemsOut, "description": "the body is over the server's limit (1 MiB unless configured)"},
    415: {"model": ProblemsOut, "description": "the body was not sent as `Content-Type: application/json` "
                                               "(`unsupported-media-type`)"},
    409: {"model": ProblemsOut, "headers": RETRY_AFTER,
          "description": "not allowed now (see the endpoint), or a request with the same Idempotency-Key is still "
                         "running or its server stopped before answering (`idempotency-key-in-use`, Retry-After)"},
    422: {"model": ProblemsOut, "description": f"bad input: {BAD_BODY}, a field that is missing, unknown or wrong, or "
                                               f"{KEY_REUSED}"},
}
# Generate answers a run that made nothing with the run itself (what failed, per customer).
GENERATE_ERRORS: dict[int | str, dict[str, object]] = {
    **BODY_ERRORS,
    409: {"model": GenerationOut | ProblemsOut, "headers": RETRY_AFTER,
          "description": "nothing was made: a customer's period is already billed (GenerationOut), or a request with "
                         "the same Idempotency-Key is still running (ProblemsOut, `idempotency-key-in-use`)"},
    422: {"model": GenerationOut | ProblemsOut,
          "description": f"nothing was made: the run's problems (GenerationOut), or bad input (ProblemsOut: {BAD_BODY}, "
                         f"a field that is missing, unknown or wrong, or {KEY_REUSED})"},
}


def today(request: Request) -> dt.date:
    clock: Callable[[], dt.date] = request.app.state.today
    return clock()


Today = Annotated[dt.date, Depends(today)]


def visible_invoice(session: Session, ref: str, principal: Principal) -> m.Invoice:
    try:
        invoice = find(session, ref)
    except InvoiceNotFound:
        invoice = None
    if invoice is None or (principal.is_customer and (invoice.customer_id != principal.customer_id
                                                      or invoice.status == Status.DRAFT.value)):
        raise ApiError(404, "not-found", f"there is no invoice {ref}", fix="list invoices with GET /v1/invoices")
    return invoice


def invoice_view(ws: Workspace, session: Session, invoice: m.Invoice) -> InvoiceView:
    return InvoiceView.from_orm(session, invoice, source_rows=source_row_reader(ws, invoice.id))


def _range(text: str, on: dt.date, field: str) -> DateRange:
    try:
        return parse_range(text, on)
    except ValueError as exc:
        raise ApiError(422, "invalid-range", f"{field}: {exc}") from None


def _summary_out(inv: m.Invoice, customer_name: str, principal: Principal) -> InvoiceSummaryOut:
    internal = not principal.is_customer
    return InvoiceSummaryOut(
        id=inv.id, number=inv.number, customer_id=inv.customer_id, customer_name=customer_name, vendor=inv.vendor,
        period=inv.period_label, status=inv.status, currency=inv.currency, total=money(inv.total),
        issue_date=inv.issue_date, due_date=inv.due_date, preliminary=inv.preliminary,
        vendor_cost=exact(inv.vendor_cost) if internal else None, margin=exact(inv.margin) if internal else None,
    )


@router.post("/invoices/generate", response_model=GenerationOut,
             responses={**GENERATE_ERRORS, **replayable(200, "at least one draft was made (or, with a known "
                                                             "Idempotency-Key, was made before)")},
             summary="Generate draft invoices")
def generate(body: GenerateRequest, ws: Ws, principal: Writer, on: Today, once: Once) -> Response:
    """Draft invoices for a vendor and a range, one per customer; generating locks the period.

    200: at least one draft was made; `problems` lists every customer that failed and why, and
    `already_billed` every customer whose invoice covers exactly the range (left as it is, no
    failure: the same request sent again after a fix bills only the rest).
    409: nothing was made, and the period is already billed (delete the draft, or void, to price
    it again; `already_billed` names the invoices).
    422: nothing was made: bad input, or a customer besides those already billed could not be
    invoiced (see `problems`).

    With an `Idempotency-Key`, a retry gets the 200 of the run that made the drafts (their numbers),
    not the 409 `period-locked` a second run would answer.
    """
    return once.answer(lambda _claim: _generate(body, ws, principal, on))


def _generate(body: GenerateRequest, ws: Workspace, principal: Principal, on: dt.date) -> JSONResponse:
    date_range = _range(body.range, on, "range")
    options = InvoiceOptions(apply_credits=body.apply_credits, include_tax=body.include_tax,
                             include_marketplace=body.include_marketplace,
                             credits_for_marketplace=body.credits_for_marketplace)
    result = generate_invoices(ws, body.vendor, date_range, body.customers, options, today=on, actor=principal.actor)
    # customers already billed for exactly the range are no failure: nothing made because of them
    # alone is 409, and a failure besides them (Gamma without a pricebook) is what the answer is about
    errors = [p for p in result.to_report if p.severity is Severity.ERROR]
    status = 200
    if not result.invoices:
        status = 409 if not errors or any(p.code == "period-locked" for p in errors) else 422
    doc = {
        "range": {"start": date_range.start.isoformat(), "end": date_range.end.isoformat(), "label": date_range.label},
        "invoices": [{**i.to_dict(), "total": money(i.total)} for i in result.invoices],
        "already_billed": [b.to_dict() for b in result.already_billed],
        "problems": [p.to_dict() for p in result.problems],
    }
    return JSONResponse(doc, status_code=status)


@router.get("/invoices", response_model=list[InvoiceSummaryOut], responses=ERRORS, summary="List invoices")
def list_(
    ws: Ws, principal: Caller, on: Today,
    customer: Annotated[str | None, Query(pattern=CUSTOMER_ID_PATTERN)] = None,
    vendor: Vendor | None = None,
    status: Status | None = None,
    range: Annotated[str | None, Query(max_length=40, description="invoices overlapping this range: "
                                                                  "mtd, last-month, YYYY-MM, YYYY-MM-DD..YYYY-MM-DD")] = None,
) -> list[InvoiceSummaryOut]:
    """Invoices, newest period first (customer keys: their own, drafts never)."""
    window = _range(range, on, "range") if range else None
    if principal.is_customer:
        if customer not in (None, principal.customer_id) or status is Status.DRAFT:
            return []
        customer = principal.customer_id
    found = list_invoices(ws, customer=customer, vendor=vendor, status=status, today=on,
                          start=window.start if window else None, end=window.end if window else None)
    if principal.is_customer:
        found = [i for i in found if i.status != Status.DRAFT.value]
    internal = not principal.is_customer
    return [InvoiceSummaryOut(
        id=i.invoice_id, number=i.number, customer_id=i.customer_id, customer_name=i.customer_name, vendor=i.vendor,
        period=i.period, status=i.status, currency=i.currency, total=money(i.total), issue_date=i.issue_date,
        due_date=i.due_date, preliminary=i.preliminary,
        vendor_cost=exact(i.vendor_cost) if internal else None, margin=exact(i.margin) if internal else None,
    ) for i in found]


@router.get("/invoices/{ref}", response_model=InvoiceOut, responses=ERRORS, summary="Get an invoice")
def get(ref: InvoicePath, ws: Ws, principal: Caller, on: Today) -> InvoiceOut:
    """One invoice: header, stored lines (exact and displayed amounts) and the statement rows."""
    internal = not principal.is_customer
    refresh_past_due(ws, today=on)  # as list_invoices does: every reader sees the same status
    with ws.session() as session:
        inv = visible_invoice(session, ref, principal)
        customer = session.get(m.Customer, inv.customer_id)
        view = invoice_view(ws, session, inv)
        summary = _summary_out(inv, customer.name if customer else "", principal)
    lines = [LineOut(
        position=line.position, kind=line.kind, section=line.section, service=line.service, sku=line.sku,
        description=line.description, quantity=exact(line.quantity), unit=line.unit, amount=exact(line.amount),
        amount_rounded=money(line.amount_rounded),
        vendor_cost=exact(line.vendor_cost) if internal else None,
        markup_percent=exact(line.markup_percent) if internal else None,
        rule=line.rule if internal else None, margin=exact(line.margin) if internal else None,
    ) for line in view.lines]
    rows = [StatementRowOut(role=r.role, product_type=r.product_type, description=r.description,  # type: ignore[arg-type]
                            amount=amount_text(r.amount, view.currency)) for r in statement_rows(view)]
    return InvoiceOut(
        **summary.model_dump(), period_start=view.period_start, period_end=view.period_end,
        usage_currency=view.usage_currency, fx_rate=exact(view.fx_rate), subtotal=money(view.subtotal),
        tax_total=money(view.tax_total), credits=money(view.credits),
        pricebook=view.pricebook if internal else None, pricebook_version=view.pricebook_version if internal else None,
        lines=lines, statement=rows,
    )


@router.post("/invoices/{ref}/status", response_model=StatusChangedOut,
             responses={**BODY_ERRORS, **replayable(200, "changed (or, with a known Idempotency-Key, changed before)")},
             summary="Change an invoice's status (approve, pay, void)")
def change_status(ref: InvoicePath, body: StatusChange, ws: Ws, principal: Writer, on: Today, once: Once) -> Response:
    """Draft -> open (approve: issued, due date set; a 0.00 invoice comes back closed); open -> closed
    (paid), past_due, void; closed -> void for a 0.00 invoice only (nothing was paid on it).

    409 when the invoice's status does not allow it (nothing returns to draft). With an
    `Idempotency-Key`, a retry gets the first change's 200 instead of that 409."""
    return once.answer(lambda _claim: _change_status(ref, body, ws, principal, on))


def _change_status(ref: str, body: StatusChange, ws: Workspace, principal: Principal, on: dt.date) -> JSONResponse:
    with ws.session() as session:
        number = visible_invoice(session, ref, principal).number
    try:
        changed = set_status(ws, [number], Status(body.to), today=on, actor=principal.actor, reason=body.reason)
    except InvoiceStateError as exc:
        raise ApiError(409, "invalid-transition", str(exc)) from None
    except InvoiceNotFound:  # deleted between the two transactions
        raise ApiError(404, "not-found", f"there is no invoice {ref}") from None
    c = changed[0]
    return JSONResponse(StatusChangedOut(
        id=c.invoice_id, number=c.number, customer_id=c.customer_id, customer_name=c.customer_name, vendor=c.vendor,
        period=c.period, status=c.status, currency=c.currency, total=money(c.total), issue_date=c.issue_date,
        due_date=c.due_date, preliminary=c.preliminary, vendor_cost=exact(c.vendor_cost), margin=exact(c.margin),
        warnings=[ProblemOut(**p.to_dict()) for p in issued_from_preliminary(changed)],
    ).model_dump(mode="json"))


@router.delete("/invoices/{ref}", response_model=DeletedOut, responses=ERRORS, summary="Delete a draft")
def delete(
    ref: InvoicePath, ws: Ws, principal: Writer,
    reason: Annotated[str, Query(max_length=1000)] = "",
) -> DeletedOut:
    """Delete a draft: its credits come back and its period can be generated again (409 if issued)."""
    with ws.session() as session:
        number = visible_invoice(session, ref, principal).number
    try:
        deleted = delete_drafts(ws, [number], actor=principal.actor, reason=reason)
    except InvoiceStateError as exc:
        raise ApiError(409, "not-a-draft", str(exc)) from None
    except InvoiceNotFound:
        raise ApiError(404, "not-found", f"there is no invoice {ref}") from None
    return DeletedOut(deleted=deleted[0])
