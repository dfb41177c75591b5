"""FOCUS (FinOps Open Cost and Usage Specification) 1.0, 1.1 and 1.2, CSV or parquet, any provider.

The version is told by the columns each version added (FOCUS_Spec CHANGELOG.md):
- 1.1 added `CapacityReservationId`, `CapacityReservationStatus`, `CommitmentDiscountQuantity`,
  `CommitmentDiscountUnit`, `ServiceSubcategory`, `SkuMeter`, `SkuPriceDetails`;
- 1.2 added `BillingAccountType`, `InvoiceId`, `PricingCurrency`,
  `PricingCurrencyContractedUnitPrice`, `PricingCurrencyEffectiveCost`,
  `PricingCurrencyListUnitPrice`, `SubAccountType`.
All of them are optional in the spec, so a 1.1 or 1.2 file that leaves them all out reads as the
earlier version; the mapping is the same, so nothing is lost.

Mapping: billed_cost = `BilledCost` (never `EffectiveCost`: amortised, not what was billed);
vendor = `ProviderName` ("AWS", "Microsoft", "Google Cloud", ...; an unknown provider is a
Problem unless the caller said which vendor the file is); marketplace when `PublisherName`
differs from `ProviderName`; a usage or purchase row whose `ServiceName` mentions support =>
support; free tier: a row billed exactly 0 whose `ChargeDescription` says "free tier".

service, product_type, sku and the account are what the vendor's own export calls them, so that
a pricebook's rules and the customers' accounts mean the same whichever export the reseller
reads. The providers' FOCUS exports carry those names in columns of their own (`x_`):

| vendor | service | product_type | sku | sub_account_id |
|---|---|---|---|---|
| aws (CUR: product code) | `x_ServiceCode` (AmazonEC2) | `ServiceCategory` | `SkuId` (= product/sku) | `SubAccountId` |
| azure (cost details: meter) | `x_SkuMeterCategory` | `x_SkuServiceFamily` | `x_SkuMeterId` | `SubAccountId` less `/subscriptions/` (= SubscriptionId) |
| gcp (billing export) | `ServiceName` | `ServiceName` (the export's product type is its service) | `SkuId` | `SubAccountId` |

A file without a vendor's `x_` column falls back to `ServiceName`, `ServiceCategory`, `SkuId`.
"""

from __future__ import annotations

from collections.abc import Callable

from workbench.billing.core.problems import Problem, Severity
from workbench.billing.core.usage import Vendor
from workbench.billing.readers.format import ReportFormat, StageContext, Staging
from workbench.billing.readers.source import Probe
from workbench.billing.readers.sql import free_text_match, lit, to_decimal

__all__ = ["FOCUS_FORMATS", "focus_version"]

_ADDED_IN_1_1 = ("CapacityReservationId", "CapacityReservationStatus", "CommitmentDiscountQuantity",
                 "CommitmentDiscountUnit", "ServiceSubcategory", "SkuMeter", "SkuPriceDetails")
_ADDED_IN_1_2 = ("BillingAccountType", "InvoiceId", "PricingCurrency", "PricingCurrencyContractedUnitPrice",
                 "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice", "SubAccountType")
_REQUIRED = ("BilledCost", "BillingCurrency", "ChargeCategory", "ChargePeriodStart", "ChargePeriodEnd",
             "BillingPeriodStart", "ProviderName", "SubAccountId")
_OPTIONAL = ("BillingAccountId", "SubAccountName", "ServiceName", "ServiceCategory", "SkuId", "ChargeDescription",
             "ConsumedQuantity", "ConsumedUnit", "PublisherName", "InvoiceId", "ChargeClass",
             "x_ServiceCode", "x_SkuMeterCategory", "x_SkuServiceFamily", "x_SkuMeterId")


def _is_focus(found: Probe) -> bool:
    return "BilledCost" in found.columns and ("ChargeCategory" in found.columns or "ProviderName" in found.columns)


def focus_version(found: Probe) -> str:
    if any(c in found.columns for c in _ADDED_IN_1_2):
        return "1.2"
    if any(c in found.columns for c in _ADDED_IN_1_1):
        return "1.1"
    return "1.0"


def _vendor_case(ctx: StageContext) -> tuple[str, list[Problem]]:
    """SQL mapping ProviderName to a vendor, built from the file's distinct provider names."""
    provider = ctx.raw.text("ProviderName")
    names = [r[0] for r in ctx.con.execute(
        f"SELECT DISTINCT {provider} FROM {ctx.raw.name} WHERE {provider} IS NOT NULL ORDER BY 1").fetchall()]
    problems: list[Problem] = []
    whens: list[str] = []
    for name in names:
        try:
            vendor: Vendor | None = Vendor.parse(name)
        except ValueError:
            vendor = None
        if vendor is None and ctx.vendor is not None:
            vendor = ctx.vendor
            problems.append(Problem(
                "unknown-provider", f"ProviderName {name!r} is not a known vendor; read as {vendor.value} as asked",
                file=ctx.file, severity=Severity.WARNING))
        elif vendor is None:
            first = ctx.con.execute(
                f"SELECT min(__source_row), count(*) FROM {ctx.raw.name} WHERE {provider} = {lit(name)}").fetchone()
            problems.append(Problem(
                "unknown-provider", f"ProviderName {name!r} is not a known vendor ({first[1] if first else 0} rows); "
                "known: aws, azure, gcp", file=ctx.file, row=int(first[0]) if first else None,
                fix="Say which vendor the file is from (`workbench import --vendor aws|azure|gcp`; in Python, "
                    "vendor= of read_report), "
                    "or remove that provider's rows."))
        elif ctx.vendor is not None and vendor is not ctx.vendor:
            problems.append(Problem(
                "vendor-mismatch", f"ProviderName {name!r} is {vendor.value}, but the file was given as "
                f"{ctx.vendor.value}", file=ctx.file,
                fix=f"Import it as {vendor.value} (`--vendor {vendor.value}`), or check you picked the right file."))
        if vendor is not None:
            whens.append(f"WHEN {lit(name)} THEN {lit(vendor.value)}")
    case = f"(CASE {provider} {' '.join(whens)} END)" if whens else "CAST(NULL AS VARCHAR)"
    missing = ctx.con.execute(f"SELECT min(__source_row) FROM {ctx.raw.name} WHERE {provider} IS NULL").fetchone()
    if missing and missing[0] is not None:
        problems.append(Problem("unknown-provider", "ProviderName is empty", file=ctx.file, row=int(missing[0]),
                                fix="Every FOCUS row needs its ProviderName."))
    return case, problems


_CATEGORIES = ("usage", "purchase", "tax", "credit", "adjustment")  # FOCUS 1.0-1.2 ChargeCategory


def _category_problems(ctx: StageContext) -> list[Problem]:
    """A ChargeCategory FOCUS does not have ('Usagee'): it cannot be priced as anything."""
    category = ctx.raw.text("ChargeCategory")
    found = ctx.con.execute(
        f"SELECT {category}, min(__source_row), count(*) FROM {ctx.raw.name} WHERE {category} IS NOT NULL "
        f"AND lower({category}) NOT IN ({', '.join(lit(c) for c in _CATEGORIES)}) GROUP BY 1 ORDER BY 2").fetchall()
    return [Problem("unknown-charge-category", f"ChargeCategory {name!r} is not a FOCUS charge category ({count} rows)",
                    file=ctx.file, row=int(row),
                    fix="FOCUS charge categories are Usage, Purchase, Tax, Credit and Adjustment; fix the value "
                        "or re-export the report.") for name, row, count in found]


def _stage(ctx: StageContext) -> Staging:
    t, v = ctx.raw.text, ctx.raw.value
    vendor, problems = _vendor_case(ctx)
    problems += _category_problems(ctx)
    category = f"lower({t('ChargeCategory')})"
    base = f"(CASE WHEN {category} IN ({', '.join(lit(c) for c in _CATEGORIES)}) THEN {category} ELSE 'adjustment' END)"
    service = t("ServiceName")
    publisher, provider = t("PublisherName"), t("ProviderName")
    description = t("ChargeDescription")
    terms = _native_terms(t, service)

    def native(column: str, focus: str) -> str:
        """The vendor's own name for `column` where it has one (see the table above), else FOCUS's."""
        cases = " ".join(f"WHEN {lit(v)} THEN COALESCE({terms[v][column]}, {focus})" for v in terms if column in terms[v])
        return f"(CASE {vendor} {cases} ELSE {focus} END)"

    sql = f"""
SELECT
  {vendor} AS vendor,
  {t('BillingAccountId')} AS billing_account_id,
  {native('sub_account_id', t('SubAccountId'))} AS sub_account_id,
  {t('SubAccountName')} AS sub_account_name,
  {v('BillingPeriodStart')} AS billing_period_text,
  {v('ChargePeriodStart')} AS charge_start_text,
  {v('ChargePeriodEnd')} AS charge_end_text,
  (CASE WHEN {base} IN ('usage', 'purchase') AND {free_text_match(service, 'support')} THEN 'support'
        ELSE {base} END) AS charge_category,
  {native('service', service)} AS service,
  {native('product_type', t('ServiceCategory'))} AS product_type,
  {native('sku', t('SkuId'))} AS sku,
  {description} AS description,
  {v('ConsumedQuantity')} AS quantity_text,
  {t('ConsumedUnit')} AS unit,
  {v('BilledCost')} AS cost_text,
  {t('BillingCurrency')} AS currency,
  COALESCE({publisher}, {provider}) AS publisher,
  COALESCE(lower({publisher}) <> lower({provider}), FALSE) AS is_marketplace,
  COALESCE({to_decimal(v('BilledCost'))} = 0 AND {free_text_match(description, 'free tier')}, FALSE) AS is_free_tier,
  {t('InvoiceId')} AS invoice_id,
  __source_row AS source_row,
  0 AS line_order
FROM {ctx.raw.name}"""
    return Staging(sql, tuple(problems))


def _native_terms(t: Callable[[str], str], service: str) -> dict[str, dict[str, str]]:
    """vendor -> canonical column -> SQL of the vendor export's own term (NULL: use FOCUS's)."""
    subscription = t("SubAccountId")
    return {
        "aws": {"service": t("x_ServiceCode")},
        "azure": {"service": t("x_SkuMeterCategory"), "product_type": t("x_SkuServiceFamily"), "sku": t("x_SkuMeterId"),
                  "sub_account_id": f"regexp_replace({subscription}, '^/subscriptions/', '', 'i')"},
        "gcp": {"product_type": service},
    }


def _recognises(version: str) -> Callable[[Probe], bool]:
    return lambda found: _is_focus(found) and focus_version(found) == version


FOCUS_FORMATS: tuple[ReportFormat, ...] = tuple(
    ReportFormat(name=f"focus-{version}", vendor=None, recognises=_recognises(version), required=_REQUIRED,
                 optional=_OPTIONAL, stage=_stage, cost_column="BilledCost", currency_column="BillingCurrency",
                 carries_invoice_ids=False)  # InvoiceId decides only when a file fills it (1.2 added it)
    for version in ("1.0", "1.1", "1.2")
)
