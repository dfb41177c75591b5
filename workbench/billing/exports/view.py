"""What an exporter sees: a frozen snapshot of one stored invoice.

`InvoiceView.from_orm(session, invoice)` copies the figures the invoice engine stored (header,
totals, lines) together with the customer's contact data and the reseller's profile, so that
exporters need neither a session nor the ORM, and cannot change or recompute anything. An
issued invoice (Open, Closed, Past Due, Void) names the customer and the reseller as it recorded
them when it was issued (`Invoice.bill_to`, `issued_by`), the reseller's logo as it is now; a
draft, or an invoice issued before they were recorded, names them as they are now.

An invoice in another currency than its usage, or paid in part by a credit in another currency,
records the rates it converted at: `Invoice.fx_rate` (1 usage currency = fx_rate invoice
currency) and, per credit currency, the `CreditEntry.fx_rate` of the ledger entries that applied
the credit to it; both are the workspace's `fx_rates` rows for the invoice's first month, read at
generation. `InvoiceView.exchange_rates` lists them for the statement and the workbook.

The detailed export also wants the usage rows behind each line. They can be hundreds of
thousands, so the view carries a callable that yields them lazily (`source_rows`), never a list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.billing.core.lifecycle import NOTHING_DUE, Status, nothing_due
from workbench.billing.core.money import minor_unit, money_text, plain
from workbench.billing.core.periods import month_key
from workbench.billing.store.models import CreditEntry, Customer, Invoice, InvoiceLine, Setting

__all__ = [
    "CustomerContact",
    "ExchangeRate",
    "InvoiceView",
    "LineView",
    "ResellerProfile",
    "SourceRow",
    "SourceRows",
]

LINE_KINDS = ("usage", "marketplace", "support", "credit", "tax")



@dataclass(frozen=True, slots=True)
class SourceRow:
    """One vendor usage row behind an invoice line, traceable to its file and row."""

    line_position: int
    source_file: str
    source_row: int  # 1-based data row in source_file (header = row 0)
    sub_account_id: str
    charge_period_start: dt.datetime  # UTC
    service: str
    sku: str
    description: str
    quantity: Decimal
    unit: str
    vendor_cost: Decimal  # usage currency, exact
    markup_percent: Decimal
    fx_rate: Decimal
    amount: Decimal  # unrounded, invoice currency


SourceRows = Callable[[], Iterable[SourceRow]]


@dataclass(frozen=True, slots=True)
class LineView:
    """One stored `InvoiceLine`. `amount` is exact; `amount_rounded` is what the customer sees."""

    position: int
    kind: str  # usage | marketplace | support | credit | tax
    section: str  # product type
    service: str
    sku: str
    description: str
    quantity: Decimal
    unit: str
    vendor_cost: Decimal  # usage currency
    markup_percent: Decimal
    rule: str
    amount: Decimal  # unrounded, invoice currency
    amount_rounded: Decimal  # as displayed
    margin: Decimal
    source_row_count: int  # InvoiceLine.source_rows: how many usage rows were summed into it
    charge_category: str = ""  # the vendor's (usage, purchase, credit, adjustment) on usage and marketplace lines

    def __post_init__(self) -> None:
        if self.kind not in LINE_KINDS:
            raise ValueError(f"line {self.position}: unknown kind {self.kind!r}; known: {', '.join(LINE_KINDS)}")
        for name in ("quantity", "vendor_cost", "markup_percent", "amount", "amount_rounded", "margin"):
            if not isinstance(getattr(self, name), Decimal):
                raise TypeError(f"line {self.position}: {name} must be a Decimal")

    @classmethod
    def from_orm(cls, line: InvoiceLine) -> LineView:
        return cls(
            position=line.position,
            kind=line.kind,
            section=line.section,
            service=line.service or "",
            sku=line.sku or "",
            description=line.description or "",
            quantity=line.quantity,
            unit=line.unit or "",
            vendor_cost=line.vendor_cost,
            markup_percent=line.markup_percent,
            rule=line.rule or "",
            amount=line.amount,
            amount_rounded=line.amount_rounded,
            margin=line.margin,
            source_row_count=line.source_rows or 0,
            charge_category=line.charge_category or "",
        )


@dataclass(frozen=True, slots=True)
class CustomerContact:
    customer_id: str
    name: str
    contact_name: str = ""
    contact_email: str = ""
    billing_address: str = ""

    @classmethod
    def of_invoice(cls, session: Session, invoice: Invoice) -> CustomerContact:
        """The bill-to an issued invoice recorded (`Invoice.bill_to`); a draft's, or one issued
        before invoices recorded it, is the customer's record as it is now."""
        recorded = invoice.bill_to if invoice.status != Status.DRAFT.value else None
        if recorded is not None:
            return cls(invoice.customer_id, **{name: str(recorded.get(name) or "") for name in _BILL_TO})
        customer = session.get(Customer, invoice.customer_id)
        if customer is None:
            raise LookupError(f"invoice {invoice.number}: customer {invoice.customer_id!r} does not exist")
        return cls(customer.customer_id, **{name: getattr(customer, name) or "" for name in _BILL_TO})


_BILL_TO = ("name", "contact_name", "contact_email", "billing_address")


@dataclass(frozen=True, slots=True)
class ResellerProfile:
    """The reseller's public profile (`Setting` keys `reseller.*`)."""

    name: str = ""
    address: str = ""
    contact_email: str = ""
    logo_file: str = ""

    SETTING_KEYS = ("reseller.name", "reseller.address", "reseller.contact_email", "reseller.logo_file")

    @classmethod
    def from_settings(cls, session: Session) -> ResellerProfile:
        rows = session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(cls.SETTING_KEYS)))
        values = {key.removeprefix("reseller."): value or "" for key, value in rows}
        return cls(**values)

    @classmethod
    def of_invoice(cls, session: Session, invoice: Invoice) -> ResellerProfile:
        """The reseller's name, address and contact as an issued invoice recorded them
        (`Invoice.issued_by`), with the logo as it is now; a draft's, or one issued before invoices
        recorded them, are the settings as they are now."""
        profile = cls.from_settings(session)
        recorded = invoice.issued_by if invoice.status != Status.DRAFT.value else None
        if recorded is None:
            return profile
        return replace(profile, **{name: str(recorded.get(name) or "") for name in ("name", "address", "contact_email")})


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """A rate the invoice converted at: 1 `from_currency` = `rate` `to_currency` (the invoice's
    currency), the workspace's `fx_rates` row of `period` (the invoice's first month)."""

    applies_to: str  # usage | credits
    from_currency: str
    to_currency: str
    rate: Decimal
    period: str  # YYYY-MM

    @property
    def text(self) -> str:
        """`1 USD = 1.3712 CAD`: the rate as stored, without trailing zeros."""
        return f"1 {self.from_currency} = {plain(self.rate)} {self.to_currency}"

    @property
    def label(self) -> str:
        return "Exchange rate" if self.applies_to == "usage" else f"Exchange rate, {self.from_currency} credits"

    @property
    def described(self) -> str:
        """`1 USD = 1.3712 CAD (rate of 2025-10)`: what the statement prints beside `label`."""
        return f"{self.text} (rate of {self.period})"


def _credit_fx_rates(session: Session, invoice: Invoice) -> tuple[tuple[str, Decimal], ...]:
    """(credit currency, rate) for each credit in another currency that the invoice applied, as the
    ledger entries that took it recorded them (amounts are exact text on SQLite: compare in Python)."""
    entries = session.scalars(select(CreditEntry).where(CreditEntry.invoice_id == invoice.id))
    rates = {e.currency: e.fx_rate for e in entries
             if e.amount < 0 and e.fx_rate is not None and e.currency != invoice.currency}
    return tuple(sorted(rates.items()))


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """A stored invoice as exporters print it. Every figure is the stored one, never recomputed."""

    number: str
    vendor: str
    status: str
    preliminary: bool
    period_label: str
    period_start: dt.date
    period_end: dt.date  # exclusive
    issue_date: dt.date
    due_date: dt.date
    currency: str  # invoice currency
    usage_currency: str  # currency of the vendor costs
    fx_rate: Decimal  # 1 usage_currency = fx_rate currency
    pricebook: str
    pricebook_version: str
    vendor_cost: Decimal
    usage_price: Decimal
    support_fee: Decimal
    marketplace: Decimal
    credits: Decimal
    subtotal: Decimal  # rounded once
    tax_total: Decimal
    total: Decimal  # rounded once
    margin: Decimal
    customer: CustomerContact
    reseller: ResellerProfile
    lines: tuple[LineView, ...]  # in position order
    source_rows: SourceRows | None = None  # lazily yields the usage rows behind the lines
    # (credit currency, 1 of it in `currency`) for credits in another currency the invoice applied
    credit_fx_rates: tuple[tuple[str, Decimal], ...] = ()

    def __post_init__(self) -> None:
        minor_unit(self.currency)  # refuses an unknown currency before any file is written
        positions = [line.position for line in self.lines]
        if positions != sorted(positions) or len(set(positions)) != len(positions):
            raise ValueError(f"invoice {self.number}: lines must be in strictly increasing position order")
        if not self.number or any(c in self.number for c in '/\\:*?"<>|') or self.number.startswith("."):
            raise ValueError(f"invoice number {self.number!r} cannot be used as a file name")

    @property
    def nothing_due(self) -> bool:
        """The customer owes nothing: a total of 0.00, or a refund (a negative total). The
        statement, its workbook and the email then show no due date (`due_text` instead)."""
        return nothing_due(self.total)

    @property
    def owed_to_customer(self) -> Decimal:
        """What the reseller owes the customer on a refund: the stored total, negated (0 otherwise)."""
        return -self.total if self.total < 0 else Decimal(0)

    @property
    def due_text(self) -> str:
        """What is due, said where a due date would be: "nothing is due" for 0.00; for a refund
        "nothing is due: 67.51 CAD is owed to you (to be refunded or credited)"; "" when something
        is due (the due date says when). The amount is the stored total, as the statement prints it."""
        return f"{self.due_brief} (to be refunded or credited)" if self.owed_to_customer else self.due_brief

    @property
    def due_brief(self) -> str:
        """`due_text` without its last words, for a line with no room for them (the email's
        subject): "nothing is due" for 0.00; "nothing is due: 67.51 CAD is owed to you" for a
        refund; "" when something is due."""
        if not self.nothing_due:
            return ""
        if self.owed_to_customer:
            return f"{NOTHING_DUE}: {money_text(self.owed_to_customer, self.currency)} {self.currency} is owed to you"
        return NOTHING_DUE

    @property
    def exchange_rates(self) -> tuple[ExchangeRate, ...]:
        """The rates the invoice converted at, as it recorded them: the usage's when its currency is
        not the invoice's, then one per credit currency; empty when everything is in one currency."""
        period = month_key(self.period_start)
        usage = (ExchangeRate("usage", self.usage_currency, self.currency, self.fx_rate, period),)
        return (usage if self.usage_currency != self.currency else ()) + tuple(
            ExchangeRate("credits", currency, self.currency, rate, period) for currency, rate in self.credit_fx_rates
        )

    def credit_fx_rate(self, line: LineView) -> tuple[str, Decimal] | None:
        """(currency, rate) a credit line in another currency was converted at: the engine puts the
        credit's currency in the line's `unit`; None for any other line or an unrecorded rate."""
        if line.kind != "credit":
            return None
        rates = dict(self.credit_fx_rates)
        return (line.unit, rates[line.unit]) if line.unit in rates else None

    @classmethod
    def from_orm(cls, session: Session, invoice: Invoice, source_rows: SourceRows | None = None) -> InvoiceView:
        return cls(
            number=invoice.number,
            vendor=invoice.vendor,
            status=invoice.status,
            preliminary=bool(invoice.preliminary),
            period_label=invoice.period_label,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            currency=invoice.currency,
            usage_currency=invoice.usage_currency,
            fx_rate=invoice.fx_rate,
            pricebook=invoice.pricebook,
            pricebook_version=invoice.pricebook_version,
            vendor_cost=invoice.vendor_cost,
            usage_price=invoice.usage_price,
            support_fee=invoice.support_fee,
            marketplace=invoice.marketplace,
            credits=invoice.credits,
            subtotal=invoice.subtotal,
            tax_total=invoice.tax_total,
            total=invoice.total,
            margin=invoice.margin,
            customer=CustomerContact.of_invoice(session, invoice),
            reseller=ResellerProfile.of_invoice(session, invoice),
            lines=tuple(LineView.from_orm(line) for line in sorted(invoice.lines, key=lambda x: x.position)),
            source_rows=source_rows,
            credit_fx_rates=_credit_fx_rates(session, invoice),
        )
