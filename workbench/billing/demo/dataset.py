"""`write_demo_dataset`: the whole demo workspace input, three vendors, about 25 customers, two months."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from ._aws import period_bounds, write_cur_file
from ._azure import AzureSubscription, write_azure_ea
from ._gcp import GcpProject, write_gcp_export
from ._tables import write_tables
from ._world import build_world

AWS_PAYER_NAME = "Northwind Cloud Partners (payer)"


@dataclass(frozen=True, slots=True)
class ExpectedTotals:
    """What an import of one account's month must add up to, exactly.

    `cost` is the sum of the vendor's cost column over the account's rows in that month's report
    (AWS `lineItem/UnblendedCost`, Azure `CostInBillingCurrency`, Google `cost`); Google's
    `credits[].amount` are summed apart in `credits` (0 for the other vendors, whose credits are
    rows of their own and are inside `cost`).
    """

    cost: Decimal
    rows: int
    credits: Decimal = Decimal(0)


@dataclass(frozen=True)
class DemoFiles:
    tables: list[Path]  # workspace table CSVs (reseller, customers, accounts, pricebooks, ...)
    reports: list[Path]  # vendor reports in the vendors' real formats
    # (vendor, account_id, period) -> exact totals of that account's rows in that period's report
    expected: dict[tuple[str, str, str], ExpectedTotals]
    logo: Path
    # (vendor, account_id) of accounts deliberately assigned to no customer
    unassigned_accounts: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    # (customer_id, vendor): usage there, but no pricebook/currency -> "does not have the currency USD enabled"
    missing_pricebook: tuple[str, str] = ("", "")


def default_months(today: date) -> tuple[str, ...]:
    """The two months ending with the month before `today`'s."""
    last_year, last_month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    prev_year, prev_month = (last_year, last_month - 1) if last_month > 1 else (last_year - 1, 12)
    return (f"{prev_year:04d}-{prev_month:02d}", f"{last_year:04d}-{last_month:02d}")


def write_demo_dataset(
    out_dir: Path,
    *,
    months: tuple[str, ...] | None = None,
    today: date | None = None,
    customers: int = 25,
    rows_per_account_month: int = 40,
    seed: int = 7,
) -> DemoFiles:
    """Write the demo reseller's tables to `out_dir/tables` and vendor reports to `out_dir/reports`.

    `months` defaults to the two months before `today` (default: the real today), both final
    (vendor invoice ids filled). A month that is `today`'s own month is written as month-to-date:
    usage only up to yesterday and AWS `bill/InvoiceId` empty. Same arguments, same bytes.
    """
    today = today or date.today()
    months = tuple(months) if months else default_months(today)
    current = f"{today.year:04d}-{today.month:02d}"
    if any(m > current for m in months):
        raise ValueError(f"months {months} reach past today's month {current}")
    if rows_per_account_month < 4:
        raise ValueError("rows_per_account_month must be at least 4 (tax, free tier, marketplace, credit lines)")
    out_dir = Path(out_dir)
    world = build_world(customers=customers, seed=seed)
    tables, logo = write_tables(out_dir / "tables", world, months=months, seed=seed)
    reports_dir = out_dir / "reports"
    reports: list[Path] = []
    expected: dict[tuple[str, str, str], ExpectedTotals] = {}
    rng = random.Random(f"reports:{seed}")
    payer = str(rng.randrange(10**11, 10**12))
    aws = world.accounts_of("aws")
    azure = [AzureSubscription(a.account_id, a.account_name) for a in world.accounts_of("azure")]
    gcp = [GcpProject(a.account_id, a.account_name, str(random.Random(f"gcp-number:{a.account_id}").randrange(10**11, 10**12)))
           for a in world.accounts_of("gcp")]
    for period in months:
        _, _, days = period_bounds(period)
        month_to_date = period == current
        usage_days = max(1, today.day - 1) if month_to_date else days
        invoice = str(random.Random(f"aws-invoice:{seed}:{period}").randrange(10**9, 10**10))

        path = reports_dir / f"aws-cur-{period}.csv"
        for totals in write_cur_file(
            path, rows=len(aws) * rows_per_account_month, account_ids=[a.account_id for a in aws],
            account_names=[a.account_name for a in aws], payer=payer, period=period, fmt="csv", legacy=True,
            seed=seed, invoice_ids=None if month_to_date else (invoice, f"MP{invoice}"), usage_days=usage_days,
            with_totals=True,
        ):
            expected[("aws", totals.account_id, period)] = ExpectedTotals(totals.cost, totals.rows)
        reports.append(path)

        path = reports_dir / f"azure-ea-cost-{period}.csv"
        for subscription_id, (cost, rows) in write_azure_ea(
            path, period=period, subscriptions=azure, rows_per_subscription=rows_per_account_month, seed=seed,
            usage_days=usage_days,
        ).items():
            expected[("azure", subscription_id, period)] = ExpectedTotals(cost, rows)
        reports.append(path)

        path = reports_dir / f"gcp-billing-export-{period}.jsonl"
        for project_id, gcp_totals in write_gcp_export(
            path, period=period, projects=gcp, rows_per_project=rows_per_account_month, seed=seed, usage_days=usage_days,
        ).items():
            expected[("gcp", project_id, period)] = ExpectedTotals(gcp_totals.cost, gcp_totals.rows, gcp_totals.credits)
        reports.append(path)

    return DemoFiles(
        tables=tables,
        reports=reports,
        expected=expected,
        logo=logo,
        unassigned_accounts=frozenset((a.vendor, a.account_id) for a in world.accounts if a.customer_id is None),
        missing_pricebook=world.missing_pricebook,
    )
