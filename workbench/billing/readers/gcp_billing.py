"""Google Cloud billing export (standard usage cost table) exported from BigQuery as CSV or JSONL.

CSV exports carry nested fields as dotted headers (`service.description`, `invoice.month`) and
the repeated `credits` field as JSON text; JSONL exports nest them. Both are read through the
same dotted names. JSON numbers (cost, credit amounts) are quoted before parsing, so they go
from text to DECIMAL without passing through DOUBLE.

Mapping:
- sub_account_id = `project.id`; rows without a project (tax, some support or adjustment lines)
  fall back to the `billing_account_id` (for a reseller, the customer's sub-account).
- billing_period = `invoice.month` (YYYYMM). `cost_type` regular => usage (the "Support"
  service => support), tax => tax, adjustment and rounding error => adjustment.
- Each entry of `credits` becomes its own row with charge_category credit and billed_cost =
  the credit amount (negative), so that per account sum(billed_cost) = sum(cost) + sum(credits).
  A `FREE_TIER` credit row is marked free tier.
- Marketplace: `transaction_type` THIRD_PARTY_RESELLER or THIRD_PARTY_AGENCY (a Google Cloud
  Marketplace seller's product; GOOGLE otherwise), publisher = `seller_name` (else "Google").
  Its credits are marketplace too.
- The standard export has no invoice id: invoice_id is NULL.
"""

from __future__ import annotations

from workbench.billing.core.problems import Problem
from workbench.billing.core.usage import Vendor
from workbench.billing.readers.format import ReportFormat, StageContext, Staging
from workbench.billing.readers.source import MAX_ROW_PROBLEMS, Probe, quote_json_numbers

__all__ = ["GCP_BILLING_EXPORT"]

_REQUIRED = ("billing_account_id", "service.description", "sku.id", "usage_start_time", "cost", "currency",
             "invoice.month")
_OPTIONAL = ("project.id", "project.name", "usage_end_time", "sku.description", "usage.amount", "usage.unit",
             "cost_type", "credits", "transaction_type", "seller_name")


def _stage(ctx: StageContext) -> Staging:
    t, v = ctx.raw.text, ctx.raw.value
    month = t("invoice.month")
    period = (f"(CASE WHEN regexp_full_match({month}, '\\d{{6}}') "
              f"THEN substr({month}, 1, 4) || '-' || substr({month}, 5, 2) || '-01' ELSE {month} END)")
    cost_type = f"lower(COALESCE({t('cost_type')}, 'regular'))"
    service = t("service.description")
    category = (f"(CASE WHEN {cost_type} = 'regular' AND lower({service}) = 'support' THEN 'support' "
                f"WHEN {cost_type} = 'regular' THEN 'usage' WHEN {cost_type} = 'tax' THEN 'tax' "
                f"ELSE 'adjustment' END)")
    credits = f"CAST({quote_json_numbers(t('credits'))} AS VARCHAR)"
    marketplace = f"COALESCE(upper({t('transaction_type')}) IN ('THIRD_PARTY_RESELLER', 'THIRD_PARTY_AGENCY'), FALSE)"
    base = f"""
  'gcp' AS vendor,
  {t('billing_account_id')} AS billing_account_id,
  COALESCE({t('project.id')}, {t('billing_account_id')}) AS sub_account_id,
  {t('project.name')} AS sub_account_name,
  {period} AS billing_period_text,
  {v('usage_start_time')} AS charge_start_text,
  {v('usage_end_time')} AS charge_end_text,
  {service} AS service,
  {service} AS product_type,
  {t('sku.id')} AS sku,
  {t('currency')} AS currency,
  (CASE WHEN {marketplace} THEN COALESCE({t('seller_name')}, 'Google Cloud Marketplace') ELSE 'Google' END) AS publisher,
  {marketplace} AS is_marketplace,
  CAST(NULL AS VARCHAR) AS invoice_id,
  __source_row AS source_row"""
    raw = ctx.raw.name
    sql = f"""
SELECT {base},
  {category} AS charge_category,
  {t('sku.description')} AS description,
  {t('usage.amount')} AS quantity_text,
  {t('usage.unit')} AS unit,
  {t('cost')} AS cost_text,
  FALSE AS is_free_tier,
  0 AS line_order
FROM {raw}
UNION ALL BY NAME
SELECT * EXCLUDE (__credit, __index),
  'credit' AS charge_category,
  COALESCE(NULLIF(TRIM(json_extract_string(__credit, '$.full_name')), ''),
           NULLIF(TRIM(json_extract_string(__credit, '$.name')), '')) AS description,
  CAST(NULL AS VARCHAR) AS quantity_text,
  CAST(NULL AS VARCHAR) AS unit,
  NULLIF(TRIM(json_extract_string(__credit, '$.amount')), '') AS cost_text,
  COALESCE(upper(json_extract_string(__credit, '$.type')) = 'FREE_TIER', FALSE) AS is_free_tier,
  __index AS line_order
FROM (
  SELECT {base},
    unnest(json_extract(__credits, '$[*]')) AS __credit,
    generate_subscripts(json_extract(__credits, '$[*]'), 1) AS __index
  FROM (SELECT *, {credits} AS __credits FROM {raw}) AS r
  WHERE json_valid(__credits) AND json_type(__credits) = 'ARRAY'
)"""
    bad = ctx.con.execute(
        f"SELECT __source_row, left(__credits, 80) FROM (SELECT __source_row, {credits} AS __credits FROM {raw}) "
        f"WHERE __credits IS NOT NULL AND (NOT json_valid(__credits) OR json_type(__credits) <> 'ARRAY') "
        f"ORDER BY 1 LIMIT {MAX_ROW_PROBLEMS}"
    ).fetchall()
    problems = tuple(
        Problem("bad-credits", f"the credits field is not a JSON list: {text!r}", file=ctx.file, row=int(row),
                fix="Export credits as BigQuery writes them: a JSON list of {name, amount, type} objects.")
        for row, text in bad
    )
    return Staging(sql, problems, ordered=False)  # credit rows follow their cost rows


def _recognises(found: Probe) -> bool:
    return found.has("billing_account_id") and any(
        found.has(c) for c in ("cost_type", "invoice.month", "service.description", "sku.id", "invoice"))


GCP_BILLING_EXPORT = ReportFormat(
    name="gcp-billing-export", vendor=Vendor.GCP, recognises=_recognises, required=_REQUIRED, optional=_OPTIONAL,
    stage=_stage, cost_column="cost", currency_column="currency", carries_invoice_ids=False,
)
