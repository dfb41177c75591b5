"""Azure cost details exports: EA, MCA and CSP (Microsoft Partner Agreement).

Azure spells the same field in PascalCase (EA, newer exports) or camelCase (MCA): columns are
matched case-insensitively. The three differ in the customer key and the currency column:
- EA: `SubscriptionId`, `BillingCurrencyCode` (an EA header also has `AccountOwnerId`).
- MCA: `subscriptionId`, `billingCurrency`, and an `invoiceId` once invoiced.
- CSP: the partner's cost details, one row per customer subscription, keyed by the customer's
  tenant: sub_account_id = `CustomerTenantId`, sub_account_name = `CustomerName`.

Mapping: `ChargeType` Usage => usage, Purchase / UnusedReservation / UnusedSavingsPlan =>
purchase, Refund => credit, Tax => tax, anything else => adjustment. `PublisherType`
Marketplace => marketplace. service = `MeterCategory`, product_type = `ServiceFamily` (else
`MeterCategory`), sku = `MeterId` (else `PartNumber`). Each row is one day: the charge period is
`Date` to the next midnight.
"""

from __future__ import annotations

from collections.abc import Callable

from workbench.billing.core.usage import Vendor
from workbench.billing.readers.format import ReportFormat, StageContext, Staging
from workbench.billing.readers.source import Probe

__all__ = ["AZURE_EA", "AZURE_MCA", "AZURE_CSP"]

_OPTIONAL = ("BillingAccountId", "SubscriptionName", "CustomerName", "BillingPeriodStartDate", "MeterCategory",
             "ServiceFamily", "MeterId", "PartNumber", "ProductName", "MeterName", "Quantity", "UnitOfMeasure",
             "PublisherName", "PublisherType", "InvoiceId", "SubscriptionId")


def _stage(customer_key: str, customer_name: str, currency: str) -> Callable[[StageContext], Staging]:
    def stage(ctx: StageContext) -> Staging:
        t, v = ctx.raw.text, ctx.raw.value
        charge_type = f"lower({t('ChargeType')})"
        sql = f"""
SELECT
  'azure' AS vendor,
  {t('BillingAccountId')} AS billing_account_id,
  {t(customer_key)} AS sub_account_id,
  {t(customer_name)} AS sub_account_name,
  {v('BillingPeriodStartDate')} AS billing_period_text,
  {v('Date')} AS charge_start_text,
  CAST(NULL AS VARCHAR) AS charge_end_text,
  CASE WHEN {charge_type} = 'usage' THEN 'usage'
       WHEN {charge_type} IN ('purchase', 'unusedreservation', 'unusedsavingsplan') THEN 'purchase'
       WHEN {charge_type} = 'refund' THEN 'credit'
       WHEN {charge_type} = 'tax' THEN 'tax'
       ELSE 'adjustment' END AS charge_category,
  {t('MeterCategory')} AS service,
  COALESCE({t('ServiceFamily')}, {t('MeterCategory')}) AS product_type,
  COALESCE({t('MeterId')}, {t('PartNumber')}) AS sku,
  COALESCE({t('ProductName')}, {t('MeterName')}) AS description,
  {v('Quantity')} AS quantity_text,
  {t('UnitOfMeasure')} AS unit,
  {v('CostInBillingCurrency')} AS cost_text,
  upper({t(currency)}) AS currency,
  COALESCE({t('PublisherName')}, 'Microsoft') AS publisher,
  COALESCE(lower({t('PublisherType')}) = 'marketplace', FALSE) AS is_marketplace,
  FALSE AS is_free_tier,
  {t('InvoiceId')} AS invoice_id,
  __source_row AS source_row,
  0 AS line_order
FROM {ctx.raw.name}"""
        return Staging(sql)

    return stage


def _is_csp(found: Probe) -> bool:
    return found.has("CustomerTenantId")


def _is_ea(found: Probe) -> bool:
    return not _is_csp(found) and (found.has("BillingCurrencyCode") or found.has("AccountOwnerId"))


def _is_mca(found: Probe) -> bool:
    azure = ("CostInBillingCurrency", "MeterCategory", "BillingProfileId")
    return not _is_csp(found) and not _is_ea(found) and any(found.has(c) for c in azure)


_COMMON = ("Date", "CostInBillingCurrency", "ChargeType", "BillingPeriodStartDate")

AZURE_EA = ReportFormat(
    name="azure-ea", vendor=Vendor.AZURE, recognises=_is_ea,
    required=("SubscriptionId", "BillingCurrencyCode", *_COMMON), optional=_OPTIONAL,
    stage=_stage("SubscriptionId", "SubscriptionName", "BillingCurrencyCode"),
    cost_column="CostInBillingCurrency", currency_column="BillingCurrencyCode", carries_invoice_ids=False,
)
AZURE_MCA = ReportFormat(
    name="azure-mca", vendor=Vendor.AZURE, recognises=_is_mca,
    required=("SubscriptionId", "BillingCurrency", *_COMMON), optional=_OPTIONAL,
    stage=_stage("SubscriptionId", "SubscriptionName", "BillingCurrency"),
    cost_column="costInBillingCurrency", currency_column="billingCurrency", carries_invoice_ids=False,
)
AZURE_CSP = ReportFormat(
    name="azure-csp", vendor=Vendor.AZURE, recognises=_is_csp,
    required=("CustomerTenantId", "BillingCurrency", *_COMMON), optional=_OPTIONAL,
    stage=_stage("CustomerTenantId", "CustomerName", "BillingCurrency"),
    cost_column="costInBillingCurrency", currency_column="billingCurrency", carries_invoice_ids=False,
)
