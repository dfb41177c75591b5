"""/v1/customers/{id}/credits: the credit ledger and balance; granting credit (write keys, `Idempotency-Key`).

The ledger is `CreditEntry`: grants positive, applications to invoices negative, returns from
voided invoices positive again; a balance is the exact sum per currency and kind. A grant is
recorded in the audit trail (`credit.grant`, actor `key:<key_id>`) in the same transaction.
For customer keys an application to a draft shows no invoice number (drafts are invisible).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.api.auth import Caller, Writer, workspace
from workbench.api.customers import CustomerPath, money, visible_customer
from workbench.api.errors import ApiError
from workbench.api.idempotency import Claim, Once, replayable
from workbench.api.invoices import BODY_ERRORS, ERRORS, Today
from workbench.api.keys import Principal
from workbench.api.schemas import CreditBalanceOut, CreditEntryOut, CreditGrant, CreditGrantedOut, CreditsOut, ProblemOut
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.money import D, exact_sum, is_known_currency, minor_unit, round_minor
from workbench.billing.core.problems import Problem, Severity
from workbench.billing.store import audit
from workbench.billing.store import models as m
from workbench.billing.store.locking import lock_customer
from workbench.billing.store.workspace import Workspace

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["credits"])
Ws = Annotated[Workspace, Depends(workspace)]


def _ledger(session: Session, customer_id: str, principal: Principal) -> CreditsOut:
    entries = list(session.scalars(select(m.CreditEntry).where(m.CreditEntry.customer_id == customer_id)
                                   .order_by(m.CreditEntry.entry_date, m.CreditEntry.id)))
    invoices = {i.id: i for i in session.scalars(select(m.Invoice).where(
        m.Invoice.id.in_({e.invoice_id for e in entries if e.invoice_id is not None})))}
    totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: Decimal(0))
    out = []
    for e in entries:
        totals[(e.currency, e.kind)] = exact_sum((totals[(e.currency, e.kind)], e.amount))
        invoice = invoices.get(e.invoice_id) if e.invoice_id is not None else None
        hidden = principal.is_customer and invoice is not None and invoice.status == Status.DRAFT.value
        out.append(CreditEntryOut(
            id=e.id, credit_id=e.credit_id, date=e.entry_date, amount=money(e.amount), currency=e.currency, kind=e.kind,
            earned_on=e.earned_on, memo="reserved for an invoice in preparation" if hidden else e.memo,
            invoice=None if hidden or invoice is None else invoice.number,
        ))
    balances = [CreditBalanceOut(currency=c, kind=k, balance=money(v)) for (c, k), v in sorted(totals.items())]
    return CreditsOut(customer_id=customer_id, balances=balances, entries=out)


@router.get("/customers/{customer_id}/credits", response_model=CreditsOut, responses=ERRORS,
            summary="Credit balance and ledger")
def credits(customer_id: CustomerPath, ws: Ws, principal: Caller) -> CreditsOut:
    """Balance per currency and kind, and every ledger entry (customer keys: their own)."""
    with ws.session() as session:
        visible_customer(session, customer_id, principal)
        return _ledger(session, customer_id, principal)


@router.post("/customers/{customer_id}/credits", response_model=CreditGrantedOut, status_code=201,
             responses={**BODY_ERRORS, **replayable(201, "granted (or, with a known Idempotency-Key, granted before)")},
             summary="Grant credit")
def grant(customer_id: CustomerPath, body: CreditGrant, ws: Ws, principal: Writer, on: Today, once: Once) -> Response:
    """Grant credit to a customer (audited). It pays the customer's next invoices when they are
    generated with `apply_credits`, on any vendor, never below zero: in its currency, or in another
    one converted at the stored rate of the invoice's period.

    Send an `Idempotency-Key` to retry safely: a grant without a `credit_id` sent twice is two grants;
    with the same key, the second gets the first one's answer and grants nothing. A `credit_id` the
    customer already has is 409 `duplicate-credit`."""
    return once.answer(lambda claim: _grant(customer_id, body, ws, principal, on, claim))


def _grant(customer_id: str, body: CreditGrant, ws: Workspace, principal: Principal, on: dt.date,
           claim: Claim) -> JSONResponse:
    if not is_known_currency(body.currency):
        raise ApiError(422, "invalid-request", f"body currency: unknown currency code {body.currency!r}")
    amount = D(body.amount)
    if amount <= 0:
        raise ApiError(422, "bad-credit", f"credit amount {body.amount} is not positive",
                       fix="grant a positive amount; its use on invoices is recorded by generation")
    # by value, as the credits table does: "100.00" JPY is 100 yen; "1.001" CAD is finer than a cent
    if round_minor(amount, body.currency) != amount:
        raise ApiError(422, "bad-credit", f"credit amount {body.amount} has more decimals than {body.currency} "
                       f"has minor units ({minor_unit(body.currency)})", fix="round the grant to the currency's minor unit")
    amount = round_minor(amount, body.currency)  # stored at the currency's scale: 100 JPY, 10.00 USD
    problems: list[Problem] = []
    with ws.session() as session:
        customer = visible_customer(session, customer_id, principal)
        # held until the grant commits: a retried or simultaneous grant of the same credit_id
        # waits, then finds this one (409), instead of both being added
        lock_customer(session, customer_id)
        if body.credit_id and session.scalar(select(m.CreditEntry).where(
                m.CreditEntry.customer_id == customer_id, m.CreditEntry.credit_id == body.credit_id)) is not None:
            raise ApiError(409, "duplicate-credit", f"customer #{customer_id} already has a credit {body.credit_id}",
                           fix="use a new credit_id, or leave it out")
        invoiced = sorted({v.invoice_currency for v in customer.vendors})
        # a credit in another currency pays through a rate into an invoice currency (as credits.csv warns)
        if invoiced and body.currency not in invoiced and session.scalar(select(m.FxRate.period).where(
                m.FxRate.from_currency == body.currency, m.FxRate.to_currency.in_(invoiced)).limit(1)) is None:
            problems.append(Problem("credit-currency-unused",
                                    f"#{customer_id} is invoiced in {', '.join(invoiced)} and no fx_rates row converts "
                                    f"{body.currency} to {' or '.join(invoiced)}: no invoice can use this credit",
                                    customer_id=customer_id, severity=Severity.WARNING,
                                    fix=f"add '<period>,{body.currency},{invoiced[0]},<rate>' to fx_rates.csv for the "
                                        f"months it should pay, or grant credit in {invoiced[0]}"))
        entry = m.CreditEntry(customer_id=customer_id, credit_id=body.credit_id or "", entry_date=body.date or on,
                              amount=amount, currency=body.currency, kind=body.kind, earned_on=body.earned_on,
                              memo=body.memo)
        session.add(entry)
        session.flush()
        if not entry.credit_id:  # API-<entry id>, unless a grant already chose that id for itself
            taken = set(session.scalars(select(m.CreditEntry.credit_id).where(
                m.CreditEntry.customer_id == customer_id, m.CreditEntry.credit_id.like(f"API-{entry.id}%"))))
            entry.credit_id = next(c for c in (f"API-{entry.id}", *(f"API-{entry.id}-{n}" for n in range(2, 1000)))
                                   if c not in taken)
        audit.record(session, "credit.grant", "credit", f"{customer_id}/{entry.credit_id}", actor=principal.actor,
                     reason=body.reason or body.memo,
                     details={"amount": money(amount), "currency": body.currency, "kind": body.kind,
                              "earned_on": body.earned_on, "date": (body.date or on).isoformat()})
        session.flush()
        ledger = _ledger(session, customer_id, principal)
        granted = next(e for e in ledger.entries if e.id == entry.id)
        doc = CreditGrantedOut(**ledger.model_dump(), granted=granted,
                               problems=[ProblemOut.model_validate(p.to_dict()) for p in problems])
        response = JSONResponse(doc.model_dump(mode="json"), status_code=201)
        claim.record(session, response)  # the answer a retry gets commits with the grant, or neither does
    return response

