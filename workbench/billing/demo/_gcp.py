"""Google Cloud Billing "standard usage cost" export, as BigQuery writes it to newline-delimited JSON.

Field names and nesting follow the BigQuery table `gcp_billing_export_v1_<BILLING_ACCOUNT_ID>`:
`service{id,description}`, `sku{id,description}`, `project{id,number,name,...}`, `labels[{key,value}]`,
`location{...}`, `usage{amount,unit,amount_in_pricing_units,pricing_unit}`,
`credits[{name,amount,full_name,id,type}]`, `invoice{month}`, `cost_type`. Timestamps are written
the way a BigQuery JSON extract writes TIMESTAMP (`2024-05-01 13:00:00 UTC`), INT64 project
numbers as strings. `cost` and credit amounts are JSON numbers written as exact decimal literals
(at most 9 decimals) from integer nano-units, never through a float.

Per project and month: line 0 is a `tax` line; a third of the projects have a Marketplace line
(line 2); a fifth of the Compute Engine lines carry a sustained-use discount credit and some
projects a promotion credit on every line; one usage line in forty costs 1E-9-scale.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ._money_text import json_number, nanos_decimal, round_half_up_div, scaled

BILLING_ACCOUNT = "01A2B3-C4D5E6-F7A8B9"


@dataclass(frozen=True, slots=True)
class _Sku:
    service_id: str
    service: str
    sku_id: str
    sku: str
    unit: str
    pricing_unit: str
    units_per_pricing_unit: int  # usage.amount = amount_in_pricing_units x this
    rate: str  # exact USD per pricing unit


_SKUS: tuple[_Sku, ...] = (
    _Sku("6F81-5844-456A", "Compute Engine", "2E27-4F75-95CD", "N2 Instance Core running in Americas", "seconds", "hour",
         3600, "0.031611"),
    _Sku("6F81-5844-456A", "Compute Engine", "6E8A-4D1B-97F2", "N2 Instance Ram running in Americas", "byte-seconds",
         "gibibyte hour", 3600 * 2**30, "0.004237"),
    _Sku("95FF-2EF5-5EA1", "Cloud Storage", "E5F0-6A5D-7BAD", "Standard Storage US Multi-region", "byte-seconds",
         "gibibyte month", 2**30 * 2_592_000, "0.026"),
    _Sku("24E6-581D-38E5", "BigQuery", "3362-E469-6BEF", "Analysis (on-demand)", "bytes", "tebibyte", 2**40, "6.25"),
    _Sku("9662-B51E-5089", "Cloud SQL", "D973-5D65-BAB2", "Cloud SQL for PostgreSQL: Zonal - vCPU in Americas", "seconds",
         "hour", 3600, "0.0413"),
    _Sku("E505-1604-58F8", "Networking", "9DE9-9092-B3BC", "Network Internet Data Transfer Out from Americas to Americas",
         "bytes", "gibibyte", 2**30, "0.12"),
    _Sku("CCD8-9BF1-090E", "Kubernetes Engine", "B561-BFBD-1264", "Autopilot Pod mCPU Requests (us-central1)", "seconds",
         "hour", 3600, "0.0445"),
)
_TAX_SKU = _Sku("5490-F7B7-8DF6", "Invoice", "0000-TAX0-CA01", "Canada GST/HST", "", "", 1, "0")
_MARKET_SKU = _Sku("A1E8-BE35-7EBC", "Bluefin Analytics (Google Cloud Marketplace)", "8F31-0C2B-6A17",
                   "Bluefin Analytics Team plan - seat month", "requests", "count", 1, "25")
_MARKET_SELLER = "Bluefin Analytics LLC"


@dataclass(frozen=True, slots=True)
class GcpProject:
    project_id: str
    name: str
    number: str


@dataclass(frozen=True, slots=True)
class GcpTotals:
    cost: Decimal  # sum of `cost`, before credits
    credits: Decimal  # sum of every credits[].amount (negative)
    rows: int


def _json(value: Any) -> str:
    """Compact JSON where a `_Number` goes out as its exact literal."""
    if isinstance(value, _Number):
        return value.literal
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class _Number:
    literal: str


def _bq_timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _units(amount: Decimal) -> _Number:
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0")
        text = text + "0" if text.endswith(".") else text
    return _Number(text)


def write_gcp_export(
    out: Path, *, period: str, projects: list[GcpProject], rows_per_project: int, seed: int, usage_days: int,
) -> dict[str, GcpTotals]:
    """Write one invoice month's export lines; return {project id: exact totals}."""
    year, month = (int(p) for p in period.split("-"))
    start = datetime(year, month, 1)
    export_time = start + timedelta(days=usage_days, hours=6)
    rng = random.Random(f"gcp:{seed}:{period}")
    totals: dict[str, GcpTotals] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="\n") as handle:
        for project in projects:
            project_rng = random.Random(f"gcp-project:{seed}:{project.project_id}")
            has_market, has_promotion = project_rng.random() < 1 / 3, project_rng.random() < 1 / 4
            env = "prod" if "-prod-" in project.project_id else "dev"
            cost_total = credit_total = 0
            for j in range(rows_per_project):
                hour = start + timedelta(days=rng.randrange(usage_days), hours=rng.randrange(24))
                sku = _SKUS[rng.randrange(len(_SKUS))]
                cost_type, transaction_type, seller = "regular", "GOOGLE", "Google"
                quantity_micro = rng.randrange(1_000, 48_000_000)  # pricing units, 6 decimals
                if j == 0:
                    sku, cost_type, quantity_micro = _TAX_SKU, "tax", 0
                elif j == 2 and has_market:
                    sku, quantity_micro = _MARKET_SKU, rng.randrange(1, 10) * 1_000_000
                    transaction_type, seller = "THIRD_PARTY_RESELLER", _MARKET_SELLER
                if cost_type == "tax":
                    cost_nanos = rng.randrange(10_000_000, 9_000_000_000)
                elif rng.randrange(40) == 0:
                    cost_nanos, quantity_micro = rng.randrange(1, 10), 1
                else:
                    cost_nanos = round_half_up_div(quantity_micro * scaled(sku.rate, 10), 10**7)
                credits: list[dict[str, Any]] = []
                if sku.service == "Compute Engine" and rng.randrange(5) == 0 and cost_nanos >= 5:
                    amount = -(cost_nanos // 5)
                    credits.append({"name": "Sustained Usage Discount", "amount": _Number(json_number(amount)),
                                    "full_name": "Sustained Usage Discount", "id": f"SUD-{sku.sku_id}",
                                    "type": "SUSTAINED_USAGE_DISCOUNT"})
                if has_promotion and cost_type == "regular" and transaction_type == "GOOGLE" and cost_nanos >= 10:
                    amount = -(cost_nanos // 10)
                    credits.append({"name": "Startup program credit", "amount": _Number(json_number(amount)),
                                    "full_name": "Google for Startups Cloud Program credit",
                                    "id": f"PROMO-{project.number[-6:]}", "type": "PROMOTION"})
                cost_total += cost_nanos
                credit_total += sum(int(Decimal(c["amount"].literal).scaleb(9)) for c in credits)
                pricing_amount = Decimal(quantity_micro).scaleb(-6)
                row: dict[str, Any] = {
                    "billing_account_id": BILLING_ACCOUNT,
                    "service": {"id": sku.service_id, "description": sku.service},
                    "sku": {"id": sku.sku_id, "description": sku.sku},
                    "usage_start_time": _bq_timestamp(hour if cost_type == "regular" else start),
                    "usage_end_time": _bq_timestamp(hour + timedelta(hours=1) if cost_type == "regular"
                                                    else start + timedelta(days=usage_days)),
                    "project": {"id": project.project_id, "number": project.number, "name": project.name,
                                "labels": [], "ancestry_numbers": f"/{BILLING_ACCOUNT[:6].lower()}/{project.number}/"},
                    "labels": [{"key": "env", "value": env}] if cost_type == "regular" else [],
                    "system_labels": [],
                    "location": ({"location": "us-central1", "country": "US", "region": "us-central1",
                                  "zone": "us-central1-a"} if cost_type == "regular" else {}),
                    "tags": [],
                    "transaction_type": transaction_type,
                    "seller_name": seller,
                    "export_time": _bq_timestamp(export_time),
                    "cost": _Number(json_number(cost_nanos)),
                    "currency": "USD",
                    "currency_conversion_rate": _Number("1.0"),
                    "usage": ({"amount": _units(pricing_amount * sku.units_per_pricing_unit), "unit": sku.unit,
                               "amount_in_pricing_units": _units(pricing_amount), "pricing_unit": sku.pricing_unit}
                              if cost_type == "regular" else {}),
                    "credits": credits,
                    "invoice": {"month": f"{year:04d}{month:02d}"},
                    "cost_type": cost_type,
                    "cost_at_list": _Number(json_number(cost_nanos)),
                }
                handle.write(_json(row) + "\n")
            totals[project.project_id] = GcpTotals(nanos_decimal(cost_total), nanos_decimal(credit_total), rows_per_project)
    return totals
