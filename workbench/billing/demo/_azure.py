"""Azure EA cost details export (CSV, 55 columns, `M/D/YYYY` dates, CRLF line ends).

Small enough to write row by row in Python. Amounts are integer nano-units until written:
`CostInBillingCurrency` = quantity x effective price, rounded half up to 9 decimals.
Per subscription and month: line 0 is a reservation Purchase on a third of the subscriptions,
line 1 a Refund (negative) on a quarter, line 2 a Marketplace charge on a third; the rest are
Usage, one in forty with a cost of 1E-9 scale.
"""

from __future__ import annotations

import csv
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ._formats import AZURE_EA_COLUMNS
from ._money_text import nanos_decimal, nanos_text, round_half_up_div, scaled

ENROLLMENT = "87654321"
ENROLLMENT_NAME = "Northwind Cloud Partners Inc."


@dataclass(frozen=True, slots=True)
class _Meter:
    product: str
    category: str
    subcategory: str
    meter: str
    region: str
    unit: str
    consumed_service: str
    resource_type: str
    service_family: str
    price: str  # exact effective price per unit
    part_number: str


_METERS: tuple[_Meter, ...] = (
    _Meter("Virtual Machines Dv3 Series - D2 v3 - US East", "Virtual Machines", "Dv3 Series", "D2 v3", "US East",
           "1 Hour", "Microsoft.Compute", "virtualMachines", "Compute", "0.096", "AAA-12345"),
    _Meter("Virtual Machines Dsv5 Series - D4s v5 - CA Central", "Virtual Machines", "Dsv5 Series", "D4s v5", "CA Central",
           "1 Hour", "Microsoft.Compute", "virtualMachines", "Compute", "0.212", "AAA-23456"),
    _Meter("Premium SSD Managed Disks - P10 LRS - US East", "Storage", "Premium SSD Managed Disks", "P10 LRS Disk", "US East",
           "1/Month", "Microsoft.Compute", "disks", "Storage", "0.026712329", "AAB-34567"),
    _Meter("Blob Storage - Hot LRS - US East", "Storage", "Tiered Block Blob", "Hot LRS Data Stored", "US East",
           "1 GB/Month", "Microsoft.Storage", "storageAccounts", "Storage", "0.0184", "AAC-45678"),
    _Meter("Azure SQL Database Single vCore - General Purpose - Compute Gen5 - US East", "SQL Database",
           "Single General Purpose - Compute Gen5", "vCore", "US East", "1 Hour", "Microsoft.Sql", "servers",
           "Databases", "0.2523", "AAD-56789"),
    _Meter("Bandwidth - Data Transfer Out - Zone 1", "Bandwidth", "Rtn Preference: MGN", "Standard Data Transfer Out",
           "Zone 1", "1 GB", "Microsoft.Network", "publicIPAddresses", "Networking", "0.087", "AAE-67890"),
    _Meter("Log Analytics - Pay-as-you-go Data Ingestion", "Log Analytics", "", "Pay-as-you-go Data Ingestion", "US East",
           "1 GB", "Microsoft.OperationalInsights", "workspaces", "Management and Governance", "2.76", "AAF-78901"),
)

_RESERVATION = _Meter("Reserved VM Instance, Standard_D2s_v3, US East, 1 Year", "Virtual Machines", "Reservation-Base VM",
                      "D2s v3", "US East", "1 Hour", "Microsoft.Capacity", "reservations", "Compute", "62.05",
                      "AAG-00001")
_MARKETPLACE = _Meter("Contoso Data Platform - Team plan", "SaaS", "Contoso Data Platform", "Team plan seat", "",
                      "1 Month", "Microsoft.SaaS", "resources", "Compute", "29.99", "MKT-00001")
_MARKETPLACE_PUBLISHER = "Contoso Data Ltd"


@dataclass(frozen=True, slots=True)
class AzureSubscription:
    subscription_id: str
    name: str


def _mdy(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def write_azure_ea(
    out: Path, *, period: str, subscriptions: list[AzureSubscription], rows_per_subscription: int, seed: int,
    usage_days: int,
) -> dict[str, tuple[Decimal, int]]:
    """Write one month's EA export; return {subscription id: (exact cost sum, row count)}."""
    year, month = (int(p) for p in period.split("-"))
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    rng = random.Random(f"azure:{seed}:{period}")
    totals: dict[str, tuple[Decimal, int]] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(AZURE_EA_COLUMNS)
        for sub_index, sub in enumerate(subscriptions):
            sub_rng = random.Random(f"azure-sub:{seed}:{sub.subscription_id}")
            has_purchase, has_refund, has_market = sub_rng.random() < 1 / 3, sub_rng.random() < 1 / 4, sub_rng.random() < 1 / 3
            resource_group = f"rg-{sub.name.split()[0].lower()}-{sub_index % 3 + 1}"
            total_nanos = 0
            for j in range(rows_per_subscription):
                day = start + timedelta(days=rng.randrange(usage_days))
                charge_type, frequency, pricing_model, publisher_type, publisher = "Usage", "UsageBased", "OnDemand", "Azure", "Microsoft"
                meter = _METERS[rng.randrange(len(_METERS))]
                quantity_micro = rng.randrange(1_000, 24_000_000)  # 0.001 .. 24 units, 6 decimals
                plan, order_name, term, reservation = "", "", "", ""
                if j == 0 and has_purchase:
                    meter, quantity_micro = _RESERVATION, 1_000_000
                    charge_type, frequency, pricing_model, term = "Purchase", "OneTime", "Reservation", "12"
                    order_name, reservation = "VM_RI_D2s_v3_1yr", f"VM_RI_{period.replace('-', '')}"
                elif j == 1 and has_refund:
                    charge_type, frequency = "Refund", "OneTime"
                elif j == 2 and has_market:
                    meter, quantity_micro = _MARKETPLACE, rng.randrange(1, 20) * 1_000_000
                    charge_type, frequency, publisher_type, publisher = "Purchase", "Recurring", "Marketplace", _MARKETPLACE_PUBLISHER
                    plan = "Team plan"
                price_units = scaled(meter.price, 10)
                if charge_type == "Usage" and rng.randrange(40) == 0:
                    cost_nanos = rng.randrange(1, 10)  # a 1E-9-scale line, as real exports carry
                    quantity_micro = 1
                else:
                    cost_nanos = round_half_up_div(quantity_micro * price_units, 10**7)
                if charge_type == "Refund":
                    cost_nanos, quantity_micro = -cost_nanos, -quantity_micro
                total_nanos += cost_nanos
                resource_name = f"{meter.resource_type[:-1].lower()}-{sub_index:02d}{j % 4}"
                resource_id = (f"/subscriptions/{sub.subscription_id}/resourceGroups/{resource_group}/providers/"
                               f"{meter.consumed_service}/{meter.resource_type}/{resource_name}")
                row = {
                    "InvoiceSectionName": "Reseller customers",
                    "AccountName": "Northwind EA account",
                    "AccountOwnerId": "billing@northwind-cloud.example",
                    "SubscriptionId": sub.subscription_id,
                    "SubscriptionName": sub.name,
                    "ResourceGroup": resource_group,
                    "ResourceLocation": meter.region.replace(" ", "") if meter.region else "",
                    "Date": _mdy(day),
                    "ProductName": meter.product,
                    "MeterCategory": meter.category,
                    "MeterSubCategory": meter.subcategory,
                    "MeterId": str(uuid.UUID(int=random.Random(f"meter:{meter.part_number}").getrandbits(128), version=4)),
                    "MeterName": meter.meter,
                    "MeterRegion": meter.region,
                    "UnitOfMeasure": meter.unit,
                    "Quantity": nanos_text(quantity_micro * 1000, 6),
                    "EffectivePrice": meter.price,
                    "CostInBillingCurrency": nanos_text(cost_nanos),
                    "CostCenter": "",
                    "ConsumedService": meter.consumed_service,
                    "ResourceId": resource_id,
                    "Tags": f'"env": "{("prod", "dev")[j % 2]}","owner": "{sub.name.split()[0].lower()}"',
                    "OfferId": "MS-AZR-0017P",
                    "AdditionalInfo": "",
                    "ServiceInfo1": "",
                    "ServiceInfo2": "",
                    "ResourceName": resource_name,
                    "ReservationId": str(uuid.UUID(int=sub_rng.getrandbits(128), version=4)) if reservation else "",
                    "ReservationName": reservation,
                    "UnitPrice": meter.price,
                    "ProductOrderId": str(uuid.UUID(int=sub_rng.getrandbits(128), version=4)) if order_name else "",
                    "ProductOrderName": order_name,
                    "Term": term,
                    "PublisherType": publisher_type,
                    "PublisherName": publisher,
                    "ChargeType": charge_type,
                    "Frequency": frequency,
                    "PricingModel": pricing_model,
                    "AvailabilityZone": "",
                    "BillingAccountId": ENROLLMENT,
                    "BillingAccountName": ENROLLMENT_NAME,
                    "BillingCurrencyCode": "USD",
                    "BillingPeriodStartDate": _mdy(start),
                    "BillingPeriodEndDate": _mdy(end),
                    "BillingProfileId": ENROLLMENT,
                    "BillingProfileName": ENROLLMENT_NAME,
                    "InvoiceSectionId": "",
                    "IsAzureCreditEligible": "FALSE" if publisher_type == "Marketplace" else "TRUE",
                    "PartNumber": meter.part_number,
                    "PayGPrice": meter.price,
                    "PlanName": plan,
                    "ServiceFamily": meter.service_family,
                    "CostAllocationRuleName": "",
                    "benefitId": "",
                    "benefitName": "",
                }
                writer.writerow([row[column] for column in AZURE_EA_COLUMNS])
            totals[sub.subscription_id] = (nanos_decimal(total_nanos), rows_per_subscription)
    return totals
