"""The workspace database: SQLAlchemy 2.0 models (SQLite by default).

Money and rates are stored as exact text on SQLite (it has no exact DECIMAL) and as NUMERIC
elsewhere, through `ExactDecimal`; they come back as `Decimal`, never float.
Schema changes go through Alembic migrations in `store/migrations/`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

from workbench.billing.core.money import D


class ExactDecimal(TypeDecorator[Decimal]):
    """Decimal stored exactly: TEXT on SQLite, unconstrained NUMERIC on PostgreSQL (keeps every
    digit and the scale as written), NUMERIC(48, 18) elsewhere."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(Numeric(48, 18, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal takes Decimal, got {type(value).__name__}")
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return D(value) if isinstance(value, (str, Decimal, int)) else D(str(value))


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Setting(Base):
    """Reseller profile and workspace settings as key/value text (name, address, ...)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class Customer(Base):
    __tablename__ = "customers"
    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    billing_address: Mapped[str] = mapped_column(Text, default="")
    tax_jurisdiction: Mapped[str] = mapped_column(String(64), default="")
    payment_terms_days: Mapped[int | None] = mapped_column(Integer, nullable=True)

    vendors: Mapped[list[CustomerVendor]] = relationship(back_populates="customer", cascade="all, delete-orphan")
    accounts: Mapped[list[Account]] = relationship(back_populates="customer", cascade="all, delete-orphan")


class CustomerVendor(Base):
    """The customer's 'Cloud Providers' profile: pricebook and invoice currency per vendor."""

    __tablename__ = "customer_vendors"
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), primary_key=True)
    vendor: Mapped[str] = mapped_column(String(16), primary_key=True)
    pricebook: Mapped[str] = mapped_column(String(100))
    invoice_currency: Mapped[str] = mapped_column(String(3))
    customer: Mapped[Customer] = relationship(back_populates="vendors")


class Account(Base):
    """A vendor account (AWS account, Azure subscription/tenant, GCP project) owned by a customer."""

    __tablename__ = "accounts"
    vendor: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    account_name: Mapped[str] = mapped_column(String(200), default="")
    customer: Mapped[Customer] = relationship(back_populates="accounts")


class PricebookRule(Base):
    """Markup (positive) or discount (negative) percent; scope default|service|product_type|sku."""

    __tablename__ = "pricebook_rules"
    __table_args__ = (UniqueConstraint("pricebook", "effective_from", "vendor", "scope", "match"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pricebook: Mapped[str] = mapped_column(String(100), index=True)
    effective_from: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    vendor: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(16))
    match: Mapped[str] = mapped_column(String(200), default="")
    markup_percent: Mapped[Decimal] = mapped_column(ExactDecimal())


class SupportPlan(Base):
    """Support fee: percent of the usage price, with an optional monthly minimum (invoice currency)."""

    __tablename__ = "support_plans"
    pricebook: Mapped[str] = mapped_column(String(100), primary_key=True)
    effective_from: Mapped[str] = mapped_column(String(7), primary_key=True)
    vendor: Mapped[str] = mapped_column(String(16), primary_key=True)
    percent: Mapped[Decimal] = mapped_column(ExactDecimal())
    monthly_minimum: Mapped[Decimal] = mapped_column(ExactDecimal())


class TaxRate(Base):
    __tablename__ = "tax_rates"
    jurisdiction: Mapped[str] = mapped_column(String(64), primary_key=True)
    tax_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[str] = mapped_column(String(7), primary_key=True)
    rate_percent: Mapped[Decimal] = mapped_column(ExactDecimal())


class FxRate(Base):
    """1 `from_currency` = `rate` `to_currency`, for a billing period."""

    __tablename__ = "fx_rates"
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    from_currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    to_currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())


class CreditEntry(Base):
    """Credit ledger: grants are positive, applications to invoices negative; balance = sum per
    (customer, currency, kind). An application is in its credit's currency, also when the credit
    paid an invoice in another one (then `fx_rate` says at which rate)."""

    __tablename__ = "credit_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    credit_id: Mapped[str] = mapped_column(String(64), default="")
    entry_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16), default="general")  # general | marketplace
    earned_on: Mapped[str] = mapped_column(String(16), default="")  # vendor the credit came from
    memo: Mapped[str] = mapped_column(Text, default="")
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True, index=True)
    # an application of a credit in another currency than its invoice's: 1 `currency` = fx_rate
    # invoice currency, the stored rate of the invoice's period it was converted at; else null
    fx_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)


class VendorReport(Base):
    """One billing period of one imported vendor file.

    Files, relative to the workspace (see `store/usage_files.py`): `source_path` the vendor
    file as imported (kept unchanged, shared by the periods of one file); the period's usage
    summary beside `stored_path` (`<sha16>.summary.parquet`, written at import: pricing reads
    it); `stored_path` the period's canonical rows, written from the source the first time
    rows are needed (detailed exports, custom ranges, the explorer's daily chart). Reports stored from
    canonical tables (`store_usage_table`) have no source: their rows are written at once.
    """

    __tablename__ = "vendor_reports"
    __table_args__ = (UniqueConstraint("sha256", "billing_period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    vendor: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(32))
    billing_account_id: Mapped[str] = mapped_column(String(128), default="")
    billing_period: Mapped[str] = mapped_column(String(7))
    file_name: Mapped[str] = mapped_column(String(500))
    stored_path: Mapped[str] = mapped_column(String(500))  # canonical rows, relative to the workspace
    source_path: Mapped[str | None] = mapped_column(String(500), nullable=True)  # the vendor file as imported
    read_as: Mapped[str | None] = mapped_column(String(16), nullable=True)  # the vendor= the import was given
    row_count: Mapped[int] = mapped_column(Integer)
    cost_total: Mapped[Decimal] = mapped_column(ExactDecimal())
    currency: Mapped[str] = mapped_column(String(3))
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("vendor_reports.id"), nullable=True)


class Invoice(Base):
    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    vendor: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)  # exclusive
    period_label: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    usage_currency: Mapped[str] = mapped_column(String(3))
    fx_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    issue_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    pricebook: Mapped[str] = mapped_column(String(100))
    pricebook_version: Mapped[str] = mapped_column(String(7))
    preliminary: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # what the invoice was made from, recorded at generation (None on invoices generated before
    # revision 0006): the customer's tax jurisdiction then, the taxes applied ([[name, rate_percent
    # as text], ...], [] without tax), and the reports and accounts it was priced from
    # ({"reports": [VendorReport ids], "accounts": [account ids]})
    tax_jurisdiction: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tax_rates: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    priced_from: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # the parties as the issued statement names them, recorded at issue (None on drafts and on
    # invoices issued before revision 0006): the customer's name, contact and billing address,
    # and the reseller's name, address and contact email (exports/view.py reads them)
    bill_to: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    issued_by: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # figures, computed once by workbench.billing.core.invoice and never recomputed by renderers
    vendor_cost: Mapped[Decimal] = mapped_column(ExactDecimal())
    usage_price: Mapped[Decimal] = mapped_column(ExactDecimal())
    support_fee: Mapped[Decimal] = mapped_column(ExactDecimal())
    marketplace: Mapped[Decimal] = mapped_column(ExactDecimal())
    credits: Mapped[Decimal] = mapped_column(ExactDecimal())
    subtotal: Mapped[Decimal] = mapped_column(ExactDecimal())  # rounded once
    tax_total: Mapped[Decimal] = mapped_column(ExactDecimal())
    total: Mapped[Decimal] = mapped_column(ExactDecimal())  # rounded once
    margin: Mapped[Decimal] = mapped_column(ExactDecimal())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )


class InvoiceNumberSequence(Base):
    """The last invoice number handed out per (vendor, month of the period's start): numbers run
    00001, 00002, ... within each and never go back, so a deleted draft's number is not given
    again (see `store/invoice_numbers.py`)."""

    __tablename__ = "invoice_number_sequences"
    vendor: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    last_number: Mapped[int] = mapped_column(Integer)


class InvoiceLine(Base):
    """kind: usage | marketplace | support | credit | tax. Amounts unrounded, invoice currency."""

    __tablename__ = "invoice_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    charge_category: Mapped[str] = mapped_column(String(16), default="")  # usage | credit | purchase ...
    section: Mapped[str] = mapped_column(String(100))  # product type
    service: Mapped[str] = mapped_column(String(200), default="")
    sku: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    unit: Mapped[str] = mapped_column(String(64), default="")
    vendor_cost: Mapped[Decimal] = mapped_column(ExactDecimal())  # usage currency
    markup_percent: Mapped[Decimal] = mapped_column(ExactDecimal())
    rule: Mapped[str] = mapped_column(String(300), default="")  # which pricebook rule priced it
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())  # unrounded, invoice currency
    amount_rounded: Mapped[Decimal] = mapped_column(ExactDecimal())  # as displayed
    margin: Mapped[Decimal] = mapped_column(ExactDecimal())  # invoice currency, unrounded
    source_rows: Mapped[int] = mapped_column(Integer, default=0)
    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class PeriodLock(Base):
    """Generating locks (vendor, customer, period): billed values must not change under it."""

    __tablename__ = "period_locks"
    vendor: Mapped[str] = mapped_column(String(16), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), primary_key=True)
    period_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    period_end: Mapped[dt.date] = mapped_column(Date)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))


class ApiKey(Base):
    """A billing-API key: only a hash of the secret is kept; the secret is shown once."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)  # public part, e.g. wb_3f9a...
    name: Mapped[str] = mapped_column(String(200), default="")
    secret_hash: Mapped[str] = mapped_column(String(128))  # hex sha256 of the secret
    scope: Mapped[str] = mapped_column(String(16))  # read | write | customer
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.customer_id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class IdempotencyRecord(Base):
    """A billing-API POST sent with an `Idempotency-Key` header, and its first answer, which a
    retry with the same key and request gets again instead of a second grant or run. Keys are
    per API key; records are kept for good (see workbench/api/idempotency.py)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("key_id", "idempotency_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.key_id"))  # the API key (client) that sent it
    idempotency_key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of method, path and the body's JSON
    claim: Mapped[str] = mapped_column(String(32))  # random token of the request running it (or that ran it)
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)  # null while the request runs
    response: Mapped[str | None] = mapped_column(Text, nullable=True)  # the JSON body answered
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEvent(Base):
    """Who did what, when and why: generation, status changes, deletions, pricebook and credit changes."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # "user:<name>" or "key:<key_id>"
    action: Mapped[str] = mapped_column(String(64), index=True)  # invoice.generate, invoice.status, ...
    entity: Mapped[str] = mapped_column(String(64))  # invoice, pricebook, credit, report, api_key
    entity_id: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxMessage(Base):
    """An email queued in the same transaction as the change that caused it; sent at most once."""

    __tablename__ = "outbox_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)  # RFC 5322 Message-ID
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(32))  # invoice-open
    to_address: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    attach_pdf: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | sending | sent | failed | cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class InvoiceSeal(Base):
    """Hashes taken when an invoice is issued: its figures and each rendered file."""

    __tablename__ = "invoice_seals"
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)  # "figures" or a file name
    sha256: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
