"""Workspace table CSVs of the demo reseller, and its PNG logo (pure zlib/struct, no imaging library).

Money and percentages are exact decimal text; months are `YYYY-MM`, days `YYYY-MM-DD`.
"""

from __future__ import annotations

import csv
import random
import struct
import zlib
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from ._world import World

RESELLER_NAME = "Northwind Cloud Partners Inc."

TABLE_HEADERS: dict[str, tuple[str, ...]] = {
    "reseller.csv": ("name", "address", "contact_email", "logo_file", "payment_terms_days", "portal_url"),
    "customers.csv": ("customer_id", "name", "contact_name", "contact_email", "billing_address", "tax_jurisdiction",
                      "payment_terms_days"),
    "customer_vendors.csv": ("customer_id", "vendor", "pricebook", "invoice_currency"),
    "accounts.csv": ("customer_id", "vendor", "account_id", "account_name"),
    "pricebooks.csv": ("pricebook", "effective_from", "vendor", "scope", "match", "markup_percent"),
    "support_plans.csv": ("pricebook", "effective_from", "vendor", "percent", "monthly_minimum"),
    "tax_rates.csv": ("jurisdiction", "tax_name", "rate_percent", "effective_from"),
    "fx_rates.csv": ("period", "from_currency", "to_currency", "rate"),
    "credits.csv": ("customer_id", "credit_id", "date", "amount", "currency", "kind", "earned_on", "memo"),
}

# Pricebook rules: (vendor, scope, match, markup percent). The most specific scope wins:
# sku > product_type > service > default. SKU matches are the vendor's SKU ids (AWS product/sku,
# Google sku.id); product_type matches the invoice section (Compute, Storage, Database, ...).
_STANDARD: tuple[tuple[str, str, str, str], ...] = (
    ("aws", "default", "", "15"),
    ("aws", "service", "AmazonEC2", "10"),
    ("aws", "product_type", "Storage", "12.5"),
    ("aws", "sku", "6TW5QKFYDWFVJ8Q4", "-5"),
    ("azure", "default", "", "12"),
    ("azure", "service", "Virtual Machines", "8"),
    ("gcp", "default", "", "10"),
    ("gcp", "service", "BigQuery", "5"),
    ("gcp", "sku", "2E27-4F75-95CD", "-5"),
)
_PARTNER: tuple[tuple[str, str, str, str], ...] = (
    ("aws", "default", "", "-3"),
    ("aws", "service", "AmazonEC2", "-5"),
    ("azure", "default", "", "-2"),
    ("gcp", "default", "", "-4"),
)
_SUPPORT: tuple[tuple[str, str, str, str], ...] = (  # (pricebook, vendor, percent, monthly minimum)
    ("Standard", "aws", "3", "100.00"),
    ("Standard", "azure", "2.5", "50.00"),
    ("Standard", "gcp", "2", "0.00"),
    ("Partner", "aws", "1.5", "0.00"),
)
_TAXES: tuple[tuple[str, str, str, str], ...] = (
    ("CA-ON", "HST", "13", "2016-07"),
    ("CA-QC", "GST", "5", "2008-01"),
    ("CA-QC", "QST", "9.975", "2013-01"),
    ("CA-BC", "GST", "5", "2008-01"),
    ("CA-BC", "PST", "7", "2013-04"),
    ("US-WA", "WA sales tax", "10.25", "2023-04"),
    ("US-NY", "NY sales tax", "8.875", "2020-01"),
    ("GB", "VAT", "20", "2011-01"),
    ("DE", "USt", "19", "2021-01"),
)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def png_logo(width: int = 96, height: int = 48) -> bytes:
    """A small RGB PNG: a teal field with a white 'N'-like diagonal band."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            band = abs((x - 24) - (y * 48 // height)) < 5 or x in range(18, 24) or x in range(72, 78)
            inside = 12 <= y < height - 12 or band
            rows += bytes((255, 255, 255)) if band and 6 <= y < height - 6 else (
                bytes((0, 128, 128)) if inside else bytes((0, 96, 96)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")


def write_tables(out: Path, world: World, *, months: Sequence[str], seed: int) -> tuple[list[Path], Path]:
    """Write every workspace table CSV and the logo into `out`; return (table paths, logo path)."""
    out.mkdir(parents=True, exist_ok=True)
    logo = out / "logo.png"
    logo.write_bytes(png_logo())
    rng = random.Random(f"tables:{seed}")
    gap_customer, gap_vendor = world.missing_pricebook
    last_month = months[-1]
    tables: dict[str, list[tuple[str, ...]]] = {
        "reseller.csv": [(RESELLER_NAME, "200 Bay St, Suite 1200, Toronto ON M5J 2J2, Canada", "billing@northwind-cloud.example",
                          logo.name, "30", "https://portal.northwind-cloud.example")],
        "customers.csv": [
            (c.customer_id, c.name, c.contact_name, c.contact_email, c.billing_address, c.jurisdiction.code,
             str(c.jurisdiction.terms_days)) for c in world.customers],
        "customer_vendors.csv": [
            (c.customer_id, vendor, c.pricebook, c.jurisdiction.currency)
            for c in world.customers for vendor in c.vendors if (c.customer_id, vendor) != (gap_customer, gap_vendor)],
        "accounts.csv": [
            (a.customer_id, a.vendor, a.account_id, a.account_name) for a in world.accounts if a.customer_id is not None],
        "pricebooks.csv": [
            *(("Standard", "2020-01", *rule) for rule in _STANDARD),
            *(("Partner", "2020-01", *rule) for rule in _PARTNER),
            # A new Standard version from the latest month: AWS default markup 15 -> 16. Closed
            # months keep the old version.
            *(("Standard", last_month, *(rule[:3] + (("16",) if rule[:2] == ("aws", "default") else rule[3:])))
              for rule in _STANDARD),
        ],
        "support_plans.csv": [(book, "2020-01", vendor, percent, minimum) for book, vendor, percent, minimum in _SUPPORT],
        "tax_rates.csv": list(_TAXES),
        "fx_rates.csv": [
            row for month in months for row in (
                (month, "USD", "CAD", f"1.{3500 + rng.randrange(500)}"),
                (month, "USD", "EUR", f"0.{9000 + rng.randrange(400)}"),
            )],
        "credits.csv": _credits(world, last_month),
    }
    paths = [_write_csv(out / name, TABLE_HEADERS[name], rows) for name, rows in tables.items()]
    return paths, logo


def _credits(world: World, month: str) -> list[tuple[str, ...]]:
    year, mon = (int(p) for p in month.split("-"))
    all_three = world.customers[0]  # the first customers use all three clouds
    second, third = world.customers[1], world.customers[2]
    fourth = next((c for c in world.customers[5:] if "azure" in c.vendors), world.customers[1])

    def day(d: int) -> str:
        return date(year, mon, d).isoformat()

    return [
        (all_three.customer_id, "CR-0001", day(12), "250.00", all_three.jurisdiction.currency, "general", "aws",
         "SLA credit earned on AWS (EC2 outage); apply to the Azure invoice"),
        (second.customer_id, "CR-0002", day(3), "75.50", second.jurisdiction.currency, "marketplace", "aws",
         "Marketplace credit: may pay AWS Marketplace charges"),
        (third.customer_id, "CR-0003", day(1), "1000.00", third.jurisdiction.currency, "general", "gcp",
         "Onboarding promotion, larger than one invoice: the remainder stays on the balance"),
        (fourth.customer_id, "CR-0004", day(20), "40.00", fourth.jurisdiction.currency, "general", "azure",
         "Goodwill credit for a delayed migration"),
    ]
