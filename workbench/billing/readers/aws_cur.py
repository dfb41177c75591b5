"""AWS Cost and Usage Report: legacy CUR (`lineItem/...`, CSV or .csv.gz) and CUR 2.0
(`line_item_...`, parquet or CSV).

Mapping (both versions):
- sub_account_id = usage (linked) account; billing_account_id = payer account. Both are AWS
  account ids, 12 digits: any other value refuses the file (`ReportFormat.aws_account_columns`).
  AWS writes nothing else; a spreadsheet that re-saved the file wrote them as numbers
  (2.22222E+11: the digits lost, accounts merged; leading zeros dropped).
- service = `lineItem/ProductCode` (AmazonEC2, AmazonS3: what pricebook rules name); sku =
  `product/sku` (6TW5QKFYDWFVJ8Q4), else (rows without one, reports without product columns)
  `lineItem/UsageType`; product_type = `product/productFamily`. The product name (CUR 2.0: in
  the `product` map, costly to read) is not read: an invoice shows product family and description.
- billed_cost = unblended cost; invoice_id = `bill/InvoiceId`, empty until AWS finalises the month.
- `bill/BillingEntity` = "AWS Marketplace" => marketplace; publisher = the legal entity selling.
- charge_category from `LineItemType` (`_CATEGORY`); AWS Support product codes => support.
- Free tier: a `Usage` row billed exactly 0 whose description says "free" as a word ("... under
  the monthly global free tier", "First 1,000,000 Amazon SQS Requests per month are free",
  "Monthly Global Free Tier for KMS requests") or whose usage type says "Free" (CloudTrail
  `FreeEventsRecorded`). A row that costs money is never free tier, whatever its text says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workbench.billing.core.usage import Vendor
from workbench.billing.readers.format import ReportFormat, StageContext, Staging
from workbench.billing.readers.source import Probe
from workbench.billing.readers.sql import free_text_match, lit, to_decimal

__all__ = ["CUR_LEGACY", "CUR2"]

_CATEGORY: dict[str, tuple[str, ...]] = {
    "usage": ("Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"),
    "purchase": ("RIFee", "Fee", "SavingsPlanRecurringFee", "SavingsPlanUpfrontFee"),
    "tax": ("Tax",),
    "credit": ("Credit", "Refund", "EdpDiscount", "BundledDiscount", "SavingsPlanNegation", "PrivateRateDiscount"),
}
# AWSSupportBusiness, AWSSupportEnterprise, AWSDeveloperSupport, AWSSupportEnterpriseOnRamp, ...
_SUPPORT_PRODUCT = r"^AWS[A-Za-z]*Support"
_FREE_WORD = r"\bfree\b"


@dataclass(frozen=True)
class _Names:
    account: str
    payer: str
    line_type: str
    cost: str
    currency: str
    start: str
    end: str
    period_start: str
    entity: str
    invoice: str
    product_code: str
    product_family: str
    usage_type: str
    description: str
    amount: str
    unit: str
    legal_entity: str
    account_name: str | None
    sku: str

    def required(self) -> tuple[str, ...]:
        return (self.account, self.payer, self.line_type, self.cost, self.currency, self.start,
                self.period_start)

    def optional(self) -> tuple[str, ...]:
        names = [self.end, self.entity, self.invoice, self.product_code, self.product_family, self.usage_type,
                 self.description, self.amount, self.unit, self.legal_entity, self.account_name, self.sku]
        return tuple(n for n in names if n)


_LEGACY = _Names(
    account="lineItem/UsageAccountId", payer="bill/PayerAccountId", line_type="lineItem/LineItemType",
    cost="lineItem/UnblendedCost", currency="lineItem/CurrencyCode", start="lineItem/UsageStartDate",
    end="lineItem/UsageEndDate", period_start="bill/BillingPeriodStartDate", entity="bill/BillingEntity",
    invoice="bill/InvoiceId", product_code="lineItem/ProductCode", product_family="product/productFamily",
    usage_type="lineItem/UsageType", description="lineItem/LineItemDescription", amount="lineItem/UsageAmount",
    unit="pricing/unit", legal_entity="lineItem/LegalEntity", account_name=None, sku="product/sku",
)
_CUR2 = _Names(
    account="line_item_usage_account_id", payer="bill_payer_account_id", line_type="line_item_line_item_type",
    cost="line_item_unblended_cost", currency="line_item_currency_code", start="line_item_usage_start_date",
    end="line_item_usage_end_date", period_start="bill_billing_period_start_date", entity="bill_billing_entity",
    invoice="bill_invoice_id", product_code="line_item_product_code", product_family="product_product_family",
    usage_type="line_item_usage_type", description="line_item_line_item_description",
    amount="line_item_usage_amount", unit="pricing_unit", legal_entity="line_item_legal_entity",
    account_name="line_item_usage_account_name", sku="product_sku",
)


def _stage(names: _Names) -> Callable[[StageContext], Staging]:
    def stage(ctx: StageContext) -> Staging:
        t, v = ctx.raw.text, ctx.raw.value
        line_type = t(names.line_type)
        product_code = t(names.product_code)
        # AWS Support product codes turn usage, purchase and adjustment lines (not tax, not credit)
        # into support. The ILIKE only spares most rows the regular expression (same answer).
        support = (f"({product_code} ILIKE 'aws%support%' AND "
                   f"{free_text_match(product_code, _SUPPORT_PRODUCT)})")
        whens = " ".join(
            f"WHEN {line_type} IN ({', '.join(lit(v) for v in _CATEGORY[c])}) THEN {lit(c)}" for c in ("tax", "credit"))
        whens += f" WHEN {support} THEN 'support' " + " ".join(
            f"WHEN {line_type} IN ({', '.join(lit(v) for v in _CATEGORY[c])}) THEN {lit(c)}" for c in ("usage", "purchase"))
        category = f"(CASE {whens} ELSE 'adjustment' END)"
        cost = v(names.cost)
        description = t(names.description)
        entity = t(names.entity)
        # The text tests run only on the few Usage rows billed exactly 0.
        free = (f"(CASE WHEN {line_type} = 'Usage' AND {to_decimal(cost)} = 0 THEN "
                f"{free_text_match(description, _FREE_WORD)} OR {free_text_match(t(names.usage_type), 'free')} "
                f"ELSE FALSE END)")
        sql = f"""
SELECT
  'aws' AS vendor,
  {t(names.payer)} AS billing_account_id,
  {t(names.account)} AS sub_account_id,
  {t(names.account_name) if names.account_name else 'CAST(NULL AS VARCHAR)'} AS sub_account_name,
  {v(names.period_start)} AS billing_period_text,
  {v(names.start)} AS charge_start_text,
  {v(names.end)} AS charge_end_text,
  {category} AS charge_category,
  {product_code} AS service,
  {t(names.product_family)} AS product_type,
  COALESCE({t(names.sku)}, {t(names.usage_type)}) AS sku,
  {description} AS description,
  {v(names.amount)} AS quantity_text,
  {t(names.unit)} AS unit,
  {cost} AS cost_text,
  {t(names.currency)} AS currency,
  COALESCE({t(names.legal_entity)}, {entity}) AS publisher,
  COALESCE({entity} = 'AWS Marketplace', FALSE) AS is_marketplace,
  COALESCE({free}, FALSE) AS is_free_tier,
  {t(names.invoice)} AS invoice_id,
  __source_row AS source_row,
  0 AS line_order
FROM {ctx.raw.name}"""
        # Read per row only in their staged column (the cost also compared with 0, for free tier):
        # a summary folds the rest (`readers.fold`).
        return Staging(sql, measures={"cost_text": names.cost, "quantity_text": names.amount,
                                      "charge_start_text": names.start, "charge_end_text": names.end})

    return stage


def _is_legacy(found: Probe) -> bool:
    return any(c.startswith(("lineItem/", "bill/")) for c in found.columns)


def _is_cur2(found: Probe) -> bool:
    return any(c.startswith("line_item_") for c in found.columns) and any(c.startswith("bill_") for c in found.columns)


CUR_LEGACY = ReportFormat(
    name="aws-cur-legacy", vendor=Vendor.AWS, recognises=_is_legacy, required=_LEGACY.required(),
    optional=_LEGACY.optional(), stage=_stage(_LEGACY), cost_column=_LEGACY.cost, currency_column=_LEGACY.currency,
    carries_invoice_ids=True,  # bill/InvoiceId, filled on every row when AWS invoices the month
    aws_account_columns=(_LEGACY.account, _LEGACY.payer),
)
CUR2 = ReportFormat(
    name="aws-cur2", vendor=Vendor.AWS, recognises=_is_cur2, required=_CUR2.required(),
    optional=_CUR2.optional(), stage=_stage(_CUR2), cost_column=_CUR2.cost, currency_column=_CUR2.currency,
    carries_invoice_ids=True,  # bill_invoice_id, as bill/InvoiceId
    aws_account_columns=(_CUR2.account, _CUR2.payer),
)
