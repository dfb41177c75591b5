"""The demo reseller's world: customers, their accounts at each vendor, and the deliberate gaps.

Everything comes from one `random.Random` seeded with the demo seed, drawn in a fixed order, so
a seed always gives the same customers, the same account ids and the same assignments.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

VENDORS: tuple[str, ...] = ("aws", "azure", "gcp")


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    city: str
    region_line: str
    currency: str
    terms_days: int


JURISDICTIONS: tuple[Jurisdiction, ...] = (
    Jurisdiction("CA-ON", "Toronto", "Toronto ON M5V 2T6, Canada", "CAD", 30),
    Jurisdiction("CA-QC", "Montreal", "Montreal QC H3B 4W8, Canada", "CAD", 30),
    Jurisdiction("CA-BC", "Vancouver", "Vancouver BC V6B 1A1, Canada", "CAD", 45),
    Jurisdiction("US-WA", "Seattle", "Seattle WA 98101, United States", "USD", 30),
    Jurisdiction("US-NY", "New York", "New York NY 10001, United States", "USD", 15),
    Jurisdiction("GB", "London", "London EC1A 1BB, United Kingdom", "USD", 30),
    Jurisdiction("DE", "Berlin", "10115 Berlin, Germany", "EUR", 30),
)

_FIRST = ("Maple", "Harbor", "Granite", "Aurora", "Cedar", "Summit", "Lakeshore", "Northern", "Blue Heron", "Copper",
          "Prairie", "Silverline", "Redwood", "Atlas", "Beacon", "Evergreen", "Falcon", "Juniper", "Keystone", "Meridian",
          "Orchard", "Pinnacle", "Quarry", "Riverside", "Tidewater")
_SECOND = ("Analytics", "Logistics", "Health", "Robotics", "Media", "Foods", "Energy", "Software", "Design", "Labs",
           "Finance", "Retail", "Games", "Biotech", "Travel")
_SUFFIX = {"CA": "Inc.", "US": "LLC", "GB": "Ltd", "DE": "GmbH"}
_PEOPLE = ("Avery Chen", "Jordan Patel", "Morgan Tremblay", "Riley Nguyen", "Casey Schmidt", "Taylor Okafor",
           "Jamie Roy", "Alex Martin", "Sam Gagnon", "Drew Fischer", "Robin Singh", "Charlie Lee")
_STREETS = ("King St W", "Rue Sainte-Catherine", "Granville St", "Pike St", "Broadway", "Old Street", "Torstrasse",
            "Front St E", "Main St", "Bay St")


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    name: str
    contact_name: str
    contact_email: str
    billing_address: str
    jurisdiction: Jurisdiction
    pricebook: str
    vendors: tuple[str, ...]  # vendors the customer has accounts (and usage) at


@dataclass(frozen=True, slots=True)
class Account:
    vendor: str
    account_id: str
    account_name: str
    customer_id: str | None  # None: deliberately assigned to no customer


@dataclass(frozen=True, slots=True)
class World:
    customers: tuple[Customer, ...]
    accounts: tuple[Account, ...]
    # The customer that has usage at `vendor` but no pricebook/currency for it.
    missing_pricebook: tuple[str, str]

    def accounts_of(self, vendor: str) -> list[Account]:
        return [a for a in self.accounts if a.vendor == vendor]


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-").replace("--", "-")


def build_world(*, customers: int, seed: int) -> World:
    if customers < 4:
        raise ValueError("the demo needs at least 4 customers")
    rng = random.Random(f"workbench-demo:{seed}")
    names = [f"{a} {b}" for a in _FIRST for b in _SECOND]
    rng.shuffle(names)
    if customers > len(names):
        names += [f"Demo Customer {n}" for n in range(len(names) + 1, customers + 1)]
    used_ids: set[str] = set()

    def unique(draw: str) -> str:
        while True:
            value = {
                "aws": lambda: str(rng.randrange(10**11, 10**12)),
                "azure": lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "gcp": lambda: str(rng.randrange(100000, 1000000)),
            }[draw]()
            if value not in used_ids:
                used_ids.add(value)
                return value

    result: list[Customer] = []
    accounts: list[Account] = []
    for index in range(customers):
        customer_id = str(100001 + index)
        jurisdiction = JURISDICTIONS[index % len(JURISDICTIONS)]
        base_name = names[index]
        name = f"{base_name} {_SUFFIX[jurisdiction.code[:2]]}"
        contact = _PEOPLE[rng.randrange(len(_PEOPLE))]
        domain = _slug(base_name).replace("-", "") + ".example"
        email = f"{contact.split()[0].lower()}.{contact.split()[1].lower()}@{domain}"
        address = f"{rng.randrange(10, 990)} {_STREETS[rng.randrange(len(_STREETS))]}, {jurisdiction.region_line}"
        # Most customers use two or three clouds; the first three customers use all three.
        # Customer #4 (US-WA, USD) is the one whose AWS pricebook is deliberately missing.
        drawn = tuple(v for v in VENDORS if rng.random() < 0.7) or ("aws",)
        vendors = VENDORS if index < 3 else ("aws", "azure") if index == 3 else drawn
        pricebook = "Partner" if index % 5 == 4 else "Standard"
        result.append(Customer(customer_id, name, contact, email, address, jurisdiction, pricebook, vendors))
        slug = _slug(base_name)
        for vendor in vendors:
            count = 1 + rng.randrange(3 if vendor == "aws" else 2)
            for n in range(count):
                env = ("prod", "staging", "dev")[n]
                if vendor == "gcp":
                    account_id = f"{slug}-{env}-{unique('gcp')}"
                else:
                    account_id = unique(vendor)
                accounts.append(Account(vendor, account_id, f"{base_name} {env}", customer_id))
    # Accounts nobody has claimed yet: they must show up in the unassigned report.
    accounts.append(Account("aws", unique("aws"), "sandbox-unassigned", None))
    accounts.append(Account("aws", unique("aws"), "new-linked-account", None))
    accounts.append(Account("azure", unique("azure"), "Pay-As-You-Go (unassigned)", None))
    accounts.append(Account("gcp", f"orphan-analytics-{unique('gcp')}", "orphan analytics", None))
    # Customer #4 has AWS usage but no AWS pricebook/currency ("does not have the currency USD enabled").
    return World(tuple(result), tuple(accounts), (result[3].customer_id, "aws"))
