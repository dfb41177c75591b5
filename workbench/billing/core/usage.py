"""The canonical usage schema: what every vendor reader produces, FOCUS-shaped.

One row per vendor line item. Readers (`workbench.billing.readers`) map each vendor format
into exactly these columns, in this order, with these DuckDB types; the usage store keeps them
as parquet and everything downstream (pricing, unassigned report, usage explorer) reads only
these names. Money columns are exact DECIMAL(38, 18): eighteen decimals keep the vendors' 9 to
14 decimal costs whole (the real Azure sample has 14), 20 integer digits hold any bill.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum

MONEY_SQL = "DECIMAL(38,18)"
QUANTITY_SQL = "DECIMAL(38,12)"


class Vendor(str, Enum):
    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"

    @classmethod
    def parse(cls, text: str) -> "Vendor":
        key = text.strip().lower()
        aliases = {
            "aws": cls.AWS, "amazon": cls.AWS, "amazon web services": cls.AWS,
            "azure": cls.AZURE, "microsoft": cls.AZURE, "microsoft azure": cls.AZURE,
            "gcp": cls.GCP, "google": cls.GCP, "google cloud": cls.GCP,
        }
        if key not in aliases:
            raise ValueError(f"unknown vendor {text!r}; known: aws, azure, gcp")
        return aliases[key]

    @property
    def display_name(self) -> str:
        """How statements, emails and dashboards name the vendor (as DOMAIN.md and the seed do)."""
        return _DISPLAY_NAMES[self]

    @classmethod
    def display_name_of(cls, value: str) -> str:
        """The display name of a stored vendor value ("gcp" -> "Google Cloud"); other text as it is."""
        try:
            return cls(value).display_name
        except ValueError:
            return value


_DISPLAY_NAMES: dict[Vendor, str] = {Vendor.AWS: "AWS", Vendor.AZURE: "Azure", Vendor.GCP: "Google Cloud"}


# An AWS account id is exactly 12 digits, leading zeros included (012345678901).
AWS_ACCOUNT_ID_DIGITS = 12
AWS_ACCOUNT_ID_SQL = "[0-9]{12}"  # for DuckDB's regexp_full_match: the same rule
# Canonical rows (or their summary) of AWS whose usage or payer account id is not one.
BAD_AWS_ACCOUNT_SQL = (f"(vendor = 'aws' AND (NOT regexp_full_match(sub_account_id, '{AWS_ACCOUNT_ID_SQL}') "
                       f"OR NOT regexp_full_match(billing_account_id, '{AWS_ACCOUNT_ID_SQL}')))")
_SCIENTIFIC = re.compile(r"[+-]?[0-9]+(\.[0-9]*)?[eE][+-]?[0-9]+")
_POINT_ZERO = re.compile(r"([0-9]+)\.0+")
_SPACED = re.compile(r"[0-9]{4}([- ]?)[0-9]{4}\1[0-9]{4}")


def aws_account_id_issue(account_id: str) -> tuple[str, str] | None:
    """What is wrong with `account_id` as an AWS account id (exactly 12 digits), and how to write
    it in accounts.csv; None when it is one.

    A spreadsheet that opens and saves a file turns ids into numbers: 012345678901 loses its
    leading zero (12345678901), or is written 12345678901.0, and a 12-digit id is written in
    scientific notation (1.23457E+11), which stands for a million accounts: its digits are lost.
    """
    if re.fullmatch(AWS_ACCOUNT_ID_SQL, account_id):
        return None
    digits, all_digits = len(account_id), re.fullmatch("[0-9]+", account_id) is not None
    if all_digits and digits < AWS_ACCOUNT_ID_DIGITS:
        return (f"has {digits} digits; an AWS account id has 12, so it lost its leading zero(s)",
                f"write it as {account_id.zfill(AWS_ACCOUNT_ID_DIGITS)}, with the column formatted as text "
                "(a spreadsheet drops leading zeros of numbers)")
    if _SCIENTIFIC.fullmatch(account_id):
        return ("is a number in scientific notation, as a spreadsheet writes a 12-digit id when it re-saves the "
                "file: the id's digits are lost, and two accounts may be written alike",
                "type the 12-digit id as text (format the column as Text first), or copy it from the vendor's "
                "original (the AWS console, the CUR), not from a file a spreadsheet re-saved")
    point = _POINT_ZERO.fullmatch(account_id)
    if point and len(point.group(1)) <= AWS_ACCOUNT_ID_DIGITS:
        return ("ends in .0, as a spreadsheet writes an id it read as a number when it re-saves the file",
                f"write it as {point.group(1).zfill(AWS_ACCOUNT_ID_DIGITS)}, with the column formatted as text, or "
                "copy it from the vendor's original (the AWS console, the CUR)")
    if _SPACED.fullmatch(account_id):
        return ("is written in groups, as the AWS console shows it",
                f"write it as {re.sub('[- ]', '', account_id)}: 12 digits, nothing between them")
    what = (f"has {digits} digits; an AWS account id has exactly 12" if all_digits
            else "is not an AWS account id, which is 12 digits")
    return (what, "copy the id from the AWS console or the vendor's report (lineItem/UsageAccountId), with the "
                  "column formatted as text")


def same_but_leading_zeros(account_id: str, known: Iterable[str]) -> str | None:
    """The known account id that is `account_id` with leading zeros dropped or added, if any.

    A spreadsheet reads 012345678901 (an AWS account id has 12 digits) as the number 12345678901:
    an accounts.csv saved from it no longer matches the vendor's report, and the account's usage
    belongs to no customer. None when no known id differs from it by leading zeros alone.
    """
    if not account_id.isdigit():
        return None
    bare = account_id.lstrip("0")
    return next((k for k in sorted(known) if k != account_id and k.isdigit() and k.lstrip("0") == bare), None)


def unassigned_fix(account_id: str | None, similar: str | None, vendor: str) -> str:
    """What to do about `vendor`'s account that belongs to no customer; `similar`: the assigned
    account that differs from it by leading zeros alone (`same_but_leading_zeros`), whichever side
    a spreadsheet stripped them from.

    An assigned id without its zeros was stored before the table import refused it: importing the
    right id adds a second row (the import never deletes), and the wrong one would stay, making
    every export of the tables one that the import refuses. So it is removed first."""
    if similar and account_id and len(similar) < len(account_id):
        return (f"accounts.csv has {similar}, the same id without its leading zero(s) (a spreadsheet drops them): "
                f"remove it first (`workbench customers remove-account DIR {vendor} {similar}`: an import adds the "
                f"right id beside it, it does not replace it), write it as {account_id}, with the column formatted "
                "as text, import it (`workbench customers import`), then generate again")
    if similar:
        return (f"accounts.csv has {similar}: the report's id lost its leading zero(s), as when a spreadsheet "
                "opens and saves the file; import the vendor's original file instead, then generate again")
    return "assign it in accounts.csv and import it (`workbench customers import`), then generate again"


class ChargeCategory(str, Enum):
    """FOCUS ChargeCategory, plus the vendor line kinds the pricing rules treat specially."""

    USAGE = "usage"
    PURCHASE = "purchase"  # reservations, savings plans, upfront fees, subscriptions
    TAX = "tax"  # the vendor's tax: never passed through as the reseller's tax
    CREDIT = "credit"  # vendor credits, refunds and discounts (negative cost)
    ADJUSTMENT = "adjustment"  # corrections, rounding errors
    SUPPORT = "support"  # the vendor's own support fee lines


# (name, DuckDB type, meaning) in the order readers must produce them.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("vendor", "VARCHAR", "aws | azure | gcp (FOCUS ProviderName mapped)"),
    ("billing_account_id", "VARCHAR", "the reseller's payer / billing account at the vendor"),
    ("sub_account_id", "VARCHAR", "customer key: AWS linked account, Azure subscription or tenant, GCP project or sub-account"),
    ("sub_account_name", "VARCHAR", "display name of the sub-account, when the vendor gives one"),
    ("billing_period", "VARCHAR", "YYYY-MM of the vendor invoice the row belongs to"),
    ("charge_period_start", "TIMESTAMP", "start of usage (UTC)"),
    ("charge_period_end", "TIMESTAMP", "end of usage (UTC), exclusive"),
    ("charge_category", "VARCHAR", "one of ChargeCategory"),
    ("service", "VARCHAR", "vendor service name: AmazonEC2, Virtual Machines, Compute Engine"),
    ("product_type", "VARCHAR", "invoice section: Compute, Storage, Networking, Database, ..."),
    ("sku", "VARCHAR", "vendor SKU / meter / usage type"),
    ("description", "VARCHAR", "vendor line description"),
    ("quantity", QUANTITY_SQL, "usage quantity in `unit`"),
    ("unit", "VARCHAR", "unit of `quantity`"),
    ("billed_cost", MONEY_SQL, "what the vendor bills for the row (FOCUS BilledCost), exact"),
    ("currency", "VARCHAR", "ISO 4217 code of billed_cost"),
    ("publisher", "VARCHAR", "who sells it: the vendor itself or a marketplace seller"),
    ("is_marketplace", "BOOLEAN", "a marketplace (third-party) charge: passed through at 0 margin"),
    ("is_free_tier", "BOOLEAN", "a free-tier row: disregarded"),
    ("invoice_id", "VARCHAR", "vendor invoice id; NULL while the vendor has not finalised the row"),
    ("source_file", "VARCHAR", "file name the row came from"),
    ("source_row", "BIGINT", "1-based data row in that file (header = row 0)"),
)

COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _, _ in COLUMNS)


def create_table_sql(table: str) -> str:
    """DDL for an empty TEMP table in the canonical schema (`usage_groups.open_usage` for a range
    without reports; tests): the connection's own, so that connections to one database
    (`usage_files.duckdb_cursor`) never meet each other's."""
    cols = ",\n  ".join(f"{name} {sql_type}" for name, sql_type, _ in COLUMNS)
    return f"CREATE TEMP TABLE {table} (\n  {cols}\n)"


# The rows an invoice bills, over the canonical columns of a table aliased `u`: not free tier
# (disregarded) and not the vendor's own tax (the reseller charges its own). Every "billed" and
# "not invoiced" figure uses it, so the generation warning and `workbench unassigned` agree.
BILLABLE_SQL = "NOT coalesce(u.is_free_tier, false) AND u.charge_category <> 'tax'"
