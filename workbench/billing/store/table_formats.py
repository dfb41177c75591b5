"""The human-editable table files: their names, columns, kinds of value and keys.

One `TableFormat` per file (`customers.csv`) or workbook sheet (`customers`). The import and the
export both read this list, so the columns documented in `docs.md` exist in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    TEXT = "text"
    VENDOR = "vendor"  # aws | azure | gcp (aliases such as "Amazon" accepted, stored as aws)
    CURRENCY = "currency"  # ISO 4217, e.g. USD
    MONTH = "month"  # YYYY-MM
    DATE = "date"  # YYYY-MM-DD
    NUMBER = "number"  # exact decimal, e.g. -7.5 or 0.0125
    PERCENT = "percent"  # a NUMBER in percent, e.g. 15 or 9.975 (a workbook's 15% cell is 15)
    DAYS = "days"  # whole number of days >= 0
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = True  # the column must be in the header (columns that may be empty may be left out)
    not_empty: bool = False  # every row must fill it
    choices: tuple[str, ...] = ()
    default: str = ""  # used when the column is optional and absent, or the cell is empty


@dataclass(frozen=True, slots=True)
class TableFormat:
    name: str  # file stem and sheet name
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # a row with the same key replaces the stored one

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _req(name: str, kind: Kind = Kind.TEXT, **kw: object) -> Column:
    return Column(name, kind, required=True, not_empty=True, **kw)  # type: ignore[arg-type]


def _opt(name: str, kind: Kind = Kind.TEXT, **kw: object) -> Column:
    return Column(name, kind, required=False, not_empty=False, **kw)  # type: ignore[arg-type]


SCOPES = ("default", "service", "product_type", "sku")
CREDIT_KINDS = ("general", "marketplace")

RESELLER = TableFormat(
    "reseller",
    (
        _req("name"),
        _opt("address"),
        _opt("contact_email"),
        _opt("logo_file"),
        _opt("payment_terms_days", Kind.DAYS),
        _opt("portal_url"),
    ),
    key=(),
)
CUSTOMERS = TableFormat(
    "customers",
    (
        _req("customer_id"),
        _req("name"),
        _opt("contact_name"),
        _opt("contact_email"),
        _opt("billing_address"),
        _opt("tax_jurisdiction"),
        _opt("payment_terms_days", Kind.DAYS),
    ),
    key=("customer_id",),
)
CUSTOMER_VENDORS = TableFormat(
    "customer_vendors",
    (_req("customer_id"), _req("vendor", Kind.VENDOR), _req("pricebook"), _req("invoice_currency", Kind.CURRENCY)),
    key=("customer_id", "vendor"),
)
ACCOUNTS = TableFormat(
    "accounts",
    (_req("customer_id"), _req("vendor", Kind.VENDOR), _req("account_id"), _opt("account_name")),
    key=("vendor", "account_id"),
)
PRICEBOOKS = TableFormat(
    "pricebooks",
    (
        _req("pricebook"),
        _req("effective_from", Kind.MONTH),
        _req("vendor", Kind.VENDOR),
        _req("scope", Kind.CHOICE, choices=SCOPES),
        _opt("match"),
        _req("markup_percent", Kind.PERCENT),
    ),
    key=("pricebook", "effective_from", "vendor", "scope", "match"),
)
SUPPORT_PLANS = TableFormat(
    "support_plans",
    (
        _req("pricebook"),
        _req("effective_from", Kind.MONTH),
        _req("vendor", Kind.VENDOR),
        _req("percent", Kind.PERCENT),
        _opt("monthly_minimum", Kind.NUMBER, default="0"),
    ),
    key=("pricebook", "effective_from", "vendor"),
)
TAX_RATES = TableFormat(
    "tax_rates",
    (_req("jurisdiction"), _req("tax_name"), _req("rate_percent", Kind.PERCENT), _req("effective_from", Kind.MONTH)),
    key=("jurisdiction", "tax_name", "effective_from"),
)
FX_RATES = TableFormat(
    "fx_rates",
    (
        _req("period", Kind.MONTH),
        _req("from_currency", Kind.CURRENCY),
        _req("to_currency", Kind.CURRENCY),
        _req("rate", Kind.NUMBER),
    ),
    key=("period", "from_currency", "to_currency"),
)
CREDITS = TableFormat(
    "credits",
    (
        _req("customer_id"),
        _req("credit_id"),
        _req("date", Kind.DATE),
        _req("amount", Kind.NUMBER),
        _req("currency", Kind.CURRENCY),
        _opt("kind", Kind.CHOICE, choices=CREDIT_KINDS, default="general"),
        _opt("earned_on", Kind.VENDOR),
        _opt("memo"),
    ),
    key=("customer_id", "credit_id"),
)

# In dependency order: customers before what refers to them. Import writes in this order.
TABLE_FORMATS: tuple[TableFormat, ...] = (
    RESELLER,
    CUSTOMERS,
    CUSTOMER_VENDORS,
    ACCOUNTS,
    PRICEBOOKS,
    SUPPORT_PLANS,
    TAX_RATES,
    FX_RATES,
    CREDITS,
)
FORMATS_BY_NAME: dict[str, TableFormat] = {f.name: f for f in TABLE_FORMATS}
