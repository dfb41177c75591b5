"""Request and response bodies of the billing API, as the OpenAPI description shows them.

Money crosses the API as exact decimal strings (`"238.44"`, `"0.0000000018"`), never JSON
numbers: a float cannot hold 1e-9 costs or 12-decimal amounts exactly. Requests are strict
(no unknown fields, no "true" for true, no 50.0 for "50.00").
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Money = Annotated[str, Field(description="exact decimal string, e.g. \"238.44\"; never a JSON number",
                             examples=["238.44"])]
CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
INVOICE_REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
CREDIT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
CustomerId = Annotated[str, Field(pattern=CUSTOMER_ID_PATTERN, description="customer ID, e.g. 100001")]
Vendor = Literal["aws", "azure", "gcp"]
TargetStatus = Literal["open", "closed", "past_due", "void"]
# csv, detailed-csv, xlsx, pdf, or an exporter plug-in's name (checked against the exporters per request)
DOWNLOAD_FORMAT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- problems ---------------------------------------------------------------------------------

class ProblemOut(BaseModel):
    """Bad input as data: what is wrong, where, and what to do about it."""

    code: str
    message: str
    file: str | None = None
    row: int | None = None
    customer_id: str | None = None
    fix: str | None = None
    severity: Literal["error", "warning"] = "error"


class ProblemsOut(BaseModel):
    """Every error response (4xx, 5xx) has this body."""

    problems: list[ProblemOut]


# --- customers --------------------------------------------------------------------------------

class VendorProfileOut(BaseModel):
    vendor: str
    invoice_currency: str
    pricebook: str | None = Field(None, description="null for customer keys")


class CustomerOut(BaseModel):
    customer_id: str
    name: str
    contact_name: str
    contact_email: str
    tax_jurisdiction: str


class CustomerDetailOut(CustomerOut):
    billing_address: str
    payment_terms_days: int | None
    vendors: list[VendorProfileOut]
    accounts: list[str] = Field(description="vendor:account_id")


# --- vendor reports ---------------------------------------------------------------------------

class ReportOut(BaseModel):
    id: int
    vendor: str
    format: str
    billing_account_id: str
    billing_period: str
    file_name: str
    row_count: int
    cost_total: Money
    currency: str
    is_final: bool
    imported_at: dt.datetime
    superseded_by: int | None


class ReportPeriodOut(BaseModel):
    vendor: str
    period: str
    currency: str
    is_final: bool
    rows: int
    cost: Money
    files: list[str]
    billing_accounts: list[str]


# --- invoices ---------------------------------------------------------------------------------

class GenerateRequest(Strict):
    """Draft invoices for one vendor and date range (the seed's Generate dialog)."""

    vendor: Vendor
    range: str = Field("mtd", max_length=40,
                       description="mtd, last-month, YYYY-MM, or YYYY-MM-DD..YYYY-MM-DD (both days included)")
    customers: list[CustomerId] | None = Field(None, max_length=10_000,
                                               description="customer IDs; null = every customer with usage")
    apply_credits: bool = False
    include_tax: bool = True
    include_marketplace: bool = False
    credits_for_marketplace: bool = False


class RangeOut(BaseModel):
    start: dt.date
    end: dt.date = Field(description="exclusive")
    label: str


class GeneratedOut(BaseModel):
    id: int
    number: str
    customer_id: str
    customer_name: str
    vendor: str
    period: str
    currency: str
    total: Money
    preliminary: bool


class AlreadyBilledOut(BaseModel):
    """A customer whose invoice of the vendor covers exactly the range: left as it is."""

    customer_id: str
    number: str
    status: str


class GenerationOut(BaseModel):
    """200 when at least one draft was made (problems list the customers that failed); 409 when
    none was, the period being billed already (`already_billed` names the invoices)."""

    range: RangeOut
    invoices: list[GeneratedOut]
    already_billed: list[AlreadyBilledOut] = Field(
        description="customers whose invoice covers exactly this range already (its `period-locked` "
                    "problem says how to price it again): a request sent again after a fix bills only the rest")
    problems: list[ProblemOut]


class InvoiceSummaryOut(BaseModel):
    id: int
    number: str
    customer_id: str
    customer_name: str
    vendor: str
    period: str
    status: str
    currency: str
    total: Money
    issue_date: dt.date
    due_date: dt.date
    preliminary: bool
    vendor_cost: Money | None = Field(None, description="null for customer keys")
    margin: Money | None = Field(None, description="null for customer keys")


class LineOut(BaseModel):
    position: int
    kind: str
    section: str
    service: str
    sku: str
    description: str
    quantity: str
    unit: str
    amount: Money = Field(description="unrounded, invoice currency")
    amount_rounded: Money = Field(description="as displayed")
    vendor_cost: Money | None = None
    markup_percent: str | None = None
    rule: str | None = None
    margin: Money | None = None


class StatementRowOut(BaseModel):
    role: Literal["line", "rounding", "subtotal", "charge", "total"]
    product_type: str
    description: str
    amount: Money


class InvoiceOut(InvoiceSummaryOut):
    period_start: dt.date
    period_end: dt.date = Field(description="exclusive")
    usage_currency: str
    fx_rate: str
    subtotal: Money
    tax_total: Money
    credits: Money
    pricebook: str | None = None
    pricebook_version: str | None = None
    lines: list[LineOut]
    statement: list[StatementRowOut] = Field(description="the rows the customer CSV and the PDF print")


class StatusChange(Strict):
    to: TargetStatus = Field(description="open (approve a draft), closed (paid), past_due, void")
    reason: str = Field("", max_length=1000)


class StatusChangedOut(InvoiceSummaryOut):
    warnings: list[ProblemOut] = Field(
        description="what the change binds, e.g. `issued-preliminary`: a draft priced from usage the vendor has "
                    "not finalised was issued (its final report is refused for the customer while it stands)")


class DeletedOut(BaseModel):
    deleted: str


# --- credits ----------------------------------------------------------------------------------

class CreditGrant(Strict):
    amount: str = Field(pattern=r"^[0-9]{1,15}(\.[0-9]{1,9})?$", max_length=32,
                        description="positive exact decimal string in the currency's minor unit, e.g. \"50.00\"")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    kind: Literal["general", "marketplace"] = "general"
    earned_on: Literal["", "aws", "azure", "gcp"] = ""
    memo: str = Field("", max_length=500)
    credit_id: str | None = Field(None, pattern=CREDIT_ID_PATTERN, description="default: API-<entry id>")
    date: dt.date | None = Field(None, strict=False, description="default: today (YYYY-MM-DD)")  # JSON has no dates: text
    reason: str = Field("", max_length=1000)


class CreditBalanceOut(BaseModel):
    currency: str
    kind: str
    balance: Money


class CreditEntryOut(BaseModel):
    id: int
    credit_id: str
    date: dt.date
    amount: Money = Field(description="grants positive, applications to invoices negative")
    currency: str
    kind: str
    earned_on: str
    memo: str
    invoice: str | None = Field(description="number of the invoice it was applied to or returned from")


class CreditsOut(BaseModel):
    customer_id: str
    balances: list[CreditBalanceOut]
    entries: list[CreditEntryOut]


class CreditGrantedOut(CreditsOut):
    granted: CreditEntryOut
    problems: list[ProblemOut]
