"""Column headers of the vendors' real report formats, exactly as the vendors write them.

`AWS_CUR_LEGACY_COLUMNS` is the 94-column header of a legacy Cost and Usage Report CSV and
`AZURE_EA_COLUMNS` the 55-column header of an Azure EA cost details export, both copied from the
real samples in `tests/data/vendor-samples/` (a test keeps them equal). `AWS_CUR2_COLUMNS` is the
fixed CUR 2.0 (Data Exports) schema restricted to what the generator fills.
"""

from __future__ import annotations

import re

__all__ = ["AWS_CUR_LEGACY_COLUMNS", "AWS_CUR2_COLUMNS", "AZURE_EA_COLUMNS", "GCP_EXPORT_FIELDS", "snake_case"]

AWS_CUR_LEGACY_COLUMNS: tuple[str, ...] = (
    "identity/LineItemId", "identity/TimeInterval", "bill/InvoiceId", "bill/InvoicingEntity",
    "bill/BillingEntity", "bill/BillType", "bill/PayerAccountId", "bill/BillingPeriodStartDate",
    "bill/BillingPeriodEndDate", "lineItem/UsageAccountId", "lineItem/LineItemType",
    "lineItem/UsageStartDate", "lineItem/UsageEndDate", "lineItem/ProductCode",
    "lineItem/UsageType", "lineItem/Operation", "lineItem/AvailabilityZone", "lineItem/UsageAmount",
    "lineItem/NormalizationFactor", "lineItem/NormalizedUsageAmount", "lineItem/CurrencyCode",
    "lineItem/UnblendedRate", "lineItem/UnblendedCost", "lineItem/BlendedRate",
    "lineItem/BlendedCost", "lineItem/LineItemDescription", "lineItem/TaxType",
    "lineItem/LegalEntity", "product/ProductName", "product/availability", "product/durability",
    "product/eventType", "product/feeCode", "product/feeDescription", "product/fromLocation",
    "product/fromLocationType", "product/fromRegionCode", "product/group",
    "product/groupDescription", "product/location", "product/locationType",
    "product/messageDeliveryFrequency", "product/messageDeliveryOrder", "product/operation",
    "product/overhead", "product/productFamily", "product/productType", "product/queueType",
    "product/region", "product/regionCode", "product/servicecode", "product/servicename",
    "product/sku", "product/storageClass", "product/storageMedia", "product/toLocation",
    "product/toLocationType", "product/toRegionCode", "product/transferType", "product/usagetype",
    "product/version", "product/volumeType", "pricing/RateCode", "pricing/RateId",
    "pricing/currency", "pricing/publicOnDemandCost", "pricing/publicOnDemandRate", "pricing/term",
    "pricing/unit", "reservation/AmortizedUpfrontCostForUsage",
    "reservation/AmortizedUpfrontFeeForBillingPeriod", "reservation/EffectiveCost",
    "reservation/EndTime", "reservation/ModificationStatus",
    "reservation/NormalizedUnitsPerReservation", "reservation/NumberOfReservations",
    "reservation/RecurringFeeForUsage", "reservation/StartTime", "reservation/SubscriptionId",
    "reservation/TotalReservedNormalizedUnits", "reservation/TotalReservedUnits",
    "reservation/UnitsPerReservation", "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "reservation/UnusedNormalizedUnitQuantity", "reservation/UnusedQuantity",
    "reservation/UnusedRecurringFee", "reservation/UpfrontValue",
    "savingsPlan/TotalCommitmentToDate", "savingsPlan/SavingsPlanARN",
    "savingsPlan/SavingsPlanRate", "savingsPlan/UsedCommitment",
    "savingsPlan/SavingsPlanEffectiveCost",
    "savingsPlan/AmortizedUpfrontCommitmentForBillingPeriod",
    "savingsPlan/RecurringCommitmentForBillingPeriod",
)

AZURE_EA_COLUMNS: tuple[str, ...] = (
    "InvoiceSectionName", "AccountName", "AccountOwnerId", "SubscriptionId", "SubscriptionName",
    "ResourceGroup", "ResourceLocation", "Date", "ProductName", "MeterCategory", "MeterSubCategory",
    "MeterId", "MeterName", "MeterRegion", "UnitOfMeasure", "Quantity", "EffectivePrice",
    "CostInBillingCurrency", "CostCenter", "ConsumedService", "ResourceId", "Tags", "OfferId",
    "AdditionalInfo", "ServiceInfo1", "ServiceInfo2", "ResourceName", "ReservationId",
    "ReservationName", "UnitPrice", "ProductOrderId", "ProductOrderName", "Term", "PublisherType",
    "PublisherName", "ChargeType", "Frequency", "PricingModel", "AvailabilityZone",
    "BillingAccountId", "BillingAccountName", "BillingCurrencyCode", "BillingPeriodStartDate",
    "BillingPeriodEndDate", "BillingProfileId", "BillingProfileName", "InvoiceSectionId",
    "IsAzureCreditEligible", "PartNumber", "PayGPrice", "PlanName", "ServiceFamily",
    "CostAllocationRuleName", "benefitId", "benefitName",
)


def snake_case(legacy_column: str) -> str:
    """`lineItem/UsageAccountId` -> `line_item_usage_account_id` (the Athena / parquet / CUR 2.0 spelling)."""
    text = legacy_column.replace("/", "_")
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return text.lower()


_CUR2_PRODUCT_STATIC = (
    "product_comment", "product_fee_code", "product_fee_description", "product_from_location",
    "product_from_location_type", "product_from_region_code", "product_instance_family",
    "product_instance_type", "product_instanceSKU", "product_location", "product_location_type",
    "product_operation", "product_pricing_unit", "product_product_family", "product_region_code",
    "product_servicecode", "product_sku", "product_to_location", "product_to_location_type",
    "product_to_region_code", "product_usagetype",
)

# CUR 2.0 keeps the legacy bill/identity/lineItem/pricing/reservation/savingsPlan columns (snake
# case), adds the two account names, keeps a fixed set of product columns and folds every other
# product attribute into the `product` map; tags, cost categories and discounts are maps too.
AWS_CUR2_COLUMNS: tuple[str, ...] = (
    *(snake_case(c) for c in AWS_CUR_LEGACY_COLUMNS if c.split("/")[0] in ("identity", "bill")),
    "bill_payer_account_name",
    *(snake_case(c) for c in AWS_CUR_LEGACY_COLUMNS if c.startswith("lineItem/")),
    "line_item_usage_account_name",
    "line_item_net_unblended_cost",
    "product",
    *_CUR2_PRODUCT_STATIC,
    *(snake_case(c) for c in AWS_CUR_LEGACY_COLUMNS if c.split("/")[0] in ("pricing", "reservation", "savingsPlan")),
    "resource_tags",
    "cost_category",
    "discount",
)

# Top-level fields of one row of the Google Cloud "standard usage cost" BigQuery export, in the
# order the generator writes them (nested records are JSON objects, repeated ones arrays).
GCP_EXPORT_FIELDS: tuple[str, ...] = (
    "billing_account_id", "service", "sku", "usage_start_time", "usage_end_time", "project",
    "labels", "system_labels", "location", "tags", "transaction_type", "seller_name", "export_time",
    "cost", "currency", "currency_conversion_rate", "usage", "credits", "invoice", "cost_type",
    "cost_at_list",
)
