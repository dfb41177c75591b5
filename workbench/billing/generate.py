"""Generate draft invoices: stored usage -> DuckDB aggregation -> pure core -> one transaction.

    generate_invoices(ws, "aws", last_month(today), customers=None, options=InvoiceOptions())

1. Find the current (not superseded) reports of the vendor for the range's months.
2. Aggregate the usage of all customers in ONE DuckDB query over the reports' summaries (exact
   DECIMAL sums, grouped by customer and invoice line; `usage_groups`); free-tier and vendor-tax
   rows are left out; Python never sees a single vendor row.
   A draft is *preliminary* when a report holding any of its customer's rows for the range is
   not final (`store.finality`): with several billing (payer) accounts in a month, a customer
   whose usage is all in final reports gets a final draft while another payer's is pending.
3. Check every selected customer up front (pricebook and invoice currency for the vendor,
   pricebook version for the period, FX rate, period lock) from reference data read once for
   the run (`reference.RunReference`), and collect every problem.
4. Store the drafts in one transaction: lock the customers, check their period locks and read
   their credit balances again inside it, and refuse a customer priced from accounts, reports
   (under the months' lock that report imports take) or reference data that changed since the
   pricing; compute each invoice (`core.invoice.compute_invoice`)
   and write the drafts, their lines, the credit applications, the period locks and the audit
   trail in a few bulk statements. A customer that is refused does not stop the others.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.billing.core.credits import CreditBalance
from workbench.billing.core.invoice import InvoiceFigures, InvoiceOptions, Tax, compute_invoice
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.money import D, EXACT, ZERO, exact_sum, round_minor
from workbench.billing.core.periods import DateRange
from workbench.billing.core.pricebook import PricebookVersion, select_version
from workbench.billing.core.problems import Problem, Severity
from workbench.billing.core.rating import UsageGroup, factor, rate
from workbench.billing.core.usage import BILLABLE_SQL
from workbench.billing.exports.view import SourceRow
from workbench.billing.reference import Billed, RunReference, credit_balances, payable_credits, period_locks
from workbench.billing.store import audit
from workbench.billing.store import models as m
from workbench.billing.store.in_lists import chunks
from workbench.billing.store.invoice_numbers import take_numbers
from workbench.billing.store.locking import lock_customers, lock_usage_months
from workbench.billing.store.periods import final_fix, unlock_steps
from workbench.billing.store.usage_files import UsageUnavailable, duckdb_cursor, rows_files, sql_list, text_table
from workbench.billing.store.usage_queries import current_reports
from workbench.billing.store.workspace import Workspace
from workbench.billing.usage_groups import open_usage, usage_filter_sql

__all__ = ["AlreadyBilled", "CustomerPreview", "GeneratedInvoice", "GenerationResult", "SourceRowsUnknown", "generate_invoices", "invoiced_cost",
           "marketplace_cost", "payable_balances", "preview_customers", "source_rows", "unknown_customer"]

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class GeneratedInvoice:
    invoice_id: int
    number: str
    customer_id: str
    customer_name: str
    vendor: str
    period: str
    currency: str
    total: Decimal
    preliminary: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.invoice_id, "number": self.number, "customer_id": self.customer_id,
            "customer_name": self.customer_name, "vendor": self.vendor, "period": self.period,
            "currency": self.currency, "total": str(self.total), "preliminary": self.preliminary,
        }


@dataclass(frozen=True, slots=True)
class AlreadyBilled:
    """A customer whose invoice of the vendor covers exactly the range asked for: a run leaves it
    as it is (its `period-locked` problem says how to price it again)."""

    customer_id: str
    number: str
    status: str

    def to_dict(self) -> dict[str, object]:
        return {"customer_id": self.customer_id, "number": self.number, "status": self.status}


@dataclass(frozen=True, slots=True)
class GenerationResult:
    invoices: tuple[GeneratedInvoice, ...]
    problems: tuple[Problem, ...]
    already_billed: tuple[AlreadyBilled, ...] = ()

    @property
    def failed_customers(self) -> list[str]:
        return sorted({p.customer_id for p in self.problems if p.customer_id and p.severity is Severity.ERROR})

    @property
    def to_report(self) -> tuple[Problem, ...]:
        """The problems less the refusal of each customer already billed for exactly the range:
        what a run made again after a fix (the advice of every `... then generate again`) has
        news of. A lock over part of the range stays a problem: that range is not billed whole."""
        billed = {b.customer_id for b in self.already_billed}
        return tuple(p for p in self.problems if not (p.code == "period-locked" and p.customer_id in billed))

    @property
    def customers_to_fix(self) -> list[str]:
        """`failed_customers`, less those already billed for exactly the range."""
        return sorted({p.customer_id for p in self.to_report if p.customer_id and p.severity is Severity.ERROR})


@dataclass
class _Plan:
    """Everything one customer's invoice needs besides its usage, checked before any writing."""

    customer: m.Customer
    version: PricebookVersion
    currency: str
    taxes: list[Tax]
    balance: CreditBalance
    terms_days: int
    usage_currency: str
    fx: Decimal
    groups: list[UsageGroup] = field(default_factory=list)
    reports: tuple[int, ...] = ()  # the VendorReport ids it is priced from, recorded with the invoice
    accounts: tuple[str, ...] = ()  # the customer's vendor accounts it is priced with, too
    credit_rates: dict[str, Decimal] = field(default_factory=dict)  # other currency -> its rate into `currency`
    # credit held in other currencies with no rate into `currency`: it pays nothing (currency -> balance)
    unpriced: dict[str, CreditBalance] = field(default_factory=dict)
    credit_ids: dict[str, list[str]] = field(default_factory=dict)  # unpriced currency -> its grants (what a warning names)


@dataclass(frozen=True, slots=True)
class CustomerPreview:
    """One row of the report list: a customer's usage for the range, priced but not stored."""

    customer_id: str
    customer_name: str
    usage_currency: str
    vendor_cost: Decimal | None  # usage currency, exact; None when the usage is in several currencies
    currency: str | None  # invoice currency, None when the customer cannot be invoiced
    price: Decimal | None  # invoice currency, rounded as the invoice would show the charges
    margin: Decimal | None
    total: Decimal | None
    problems: tuple[Problem, ...]
    billed: str | None = None  # the invoice whose stored figures these are, when the range is billed
    # price and margin unrounded: a total of several customers adds these and rounds once
    price_exact: Decimal | None = None
    margin_exact: Decimal | None = None
    # What the options leave off the invoice that the customer has (so that a page can say so):
    # its credit balances that would pay part of it, while "apply credits" is off
    # (`payable_balances`, (amount, currency), the invoice's currency first), and the vendor cost
    # (usage currency) of its marketplace usage, while "include marketplace fees" is off; and the
    # credit (invoice currency) that would pay its marketplace fees, while credits are applied
    # and marketplace fees billed but "use credits for marketplace fees" is off.
    credits_not_applied: tuple[tuple[Decimal, str], ...] = ()
    marketplace_not_included: Decimal | None = None
    credits_not_on_marketplace: Decimal | None = None

    def to_dict(self) -> dict[str, object]:
        text = lambda d: None if d is None else format(d, "f")  # noqa: E731
        return {
            "customer_id": self.customer_id, "customer_name": self.customer_name,
            "usage_currency": self.usage_currency, "vendor_cost": text(self.vendor_cost),
            "currency": self.currency, "price": text(self.price), "margin": text(self.margin),
            "total": text(self.total), "problems": [p.to_dict() for p in self.problems], "billed": self.billed,
            "credits_not_applied": [{"amount": text(a), "currency": c} for a, c in self.credits_not_applied],
            "marketplace_not_included": text(self.marketplace_not_included),
            "credits_not_on_marketplace": text(self.credits_not_on_marketplace),
        }


@dataclass
class _Prepared:
    plans: dict[str, _Plan]
    problems: list[Problem]
    preliminary: set[str]  # customers with rows in a report that is not final: their drafts are preliminary
    groups: dict[str, list[UsageGroup]]
    currencies: dict[str, list[str]]
    names: dict[str, str]
    billed: dict[str, Billed] = field(default_factory=dict)  # customers whose range is billed
    accounts: dict[str, frozenset[str]] = field(default_factory=dict)  # the vendor accounts each was priced with


def unknown_customer(customer_id: str) -> Problem:
    """A customer asked for by ID that is not stored (generation, month end, `invoices list`)."""
    return Problem("unknown-customer", f"there is no customer with ID #{customer_id}", customer_id=customer_id,
                   fix="check the ID with `workbench customers list`, or add the customer to customers.csv and import it")


def _prepare(
    ws: Workspace, vendor: str, date_range: DateRange, customers: Sequence[str] | None, options: InvoiceOptions,
) -> _Prepared:
    problems: list[Problem] = []
    with ws.session() as session:
        reports = current_reports(session, vendor, date_range.months)
        if not reports:
            problems.append(Problem(
                "no-usage", f"there is no {vendor} report for {date_range}",
                fix=f"import the {vendor} billing export for {', '.join(date_range.months)} with `workbench import`",
            ))
            return _Prepared({}, problems, set(), {}, {}, {})
        accounts = {a.account_id: a.customer_id for a in session.scalars(select(m.Account).where(m.Account.vendor == vendor))}
        all_customers = {c.customer_id: c for c in session.scalars(select(m.Customer))}
        if customers is not None:
            problems += [unknown_customer(c) for c in customers if c not in all_customers]
        pending = [r for r in reports if not r.is_final]
        preliminary: set[str] = set()  # the customers those touch: only their drafts are preliminary
        with open_usage(ws, reports, accounts, date_range) as usage:
            groups_by_customer, currencies = usage.groups(customers)
            unassigned = usage.unassigned(vendor)
            wanted = [c for c in (list(customers) if customers is not None else sorted(groups_by_customer)) if c in all_customers]
            priced = [c for c in wanted if c in groups_by_customer]  # those that can have a draft
            if priced and pending and len(pending) == len(reports):  # month to date, as a rule
                preliminary = usage.customers(priced)
        if priced and pending and len(pending) < len(reports):
            with open_usage(ws, pending, accounts, date_range) as usage:
                preliminary = usage.customers(priced)
        if pending:
            problems.append(_preliminary_problem(vendor, date_range, reports, pending,
                                                 [all_customers[c] for c in sorted(preliminary)]))
        problems += unassigned
        reference = RunReference.load(session, vendor, date_range, wanted)
        plans: dict[str, _Plan] = {}
        for customer_id in wanted:
            if customer_id not in groups_by_customer:
                problems.append(Problem("no-usage", f"no {vendor} usage in {date_range}: no invoice", customer_id=customer_id,
                                        severity=Severity.WARNING))
                continue
            plan, found = _plan(reference, all_customers[customer_id], vendor, date_range, currencies[customer_id], options)
            problems += found
            if plan is not None:
                plan.groups = groups_by_customer[customer_id]
                plan.reports = tuple(r.id for r in reports)
                plans[customer_id] = plan
        names = {cid: all_customers[cid].name for cid in groups_by_customer if cid in all_customers}
    owned: dict[str, set[str]] = defaultdict(set)
    for account_id, customer_id in accounts.items():
        owned[customer_id].add(account_id)
    for cid, plan in plans.items():
        plan.accounts = tuple(sorted(owned[cid]))
    return _Prepared(plans, problems, preliminary, groups_by_customer, currencies, names, dict(reference.locks),
                     {cid: frozenset(owned[cid]) for cid in plans})


_NAMED = 10  # reports or customers a message names; the rest are counted


def _preliminary_problem(
    vendor: str, date_range: DateRange, reports: Sequence[m.VendorReport], pending: Sequence[m.VendorReport],
    touched: Sequence[m.Customer],
) -> Problem:
    """The warning for a range with reports the vendor has not finalised: which reports, and
    whose drafts they make preliminary (the others' are final)."""
    def report(r: m.VendorReport) -> str:
        return f"{r.file_name} (billing account {r.billing_account_id})" if r.billing_account_id else r.file_name

    where = "its report" if len(reports) == 1 else (
        f"all {len(reports)} reports" if len(pending) == len(reports) else f"{len(pending)} of {len(reports)} reports")
    named = ", ".join(report(r) for r in pending[:_NAMED]) + (f" and {len(pending) - _NAMED} more" if len(pending) > _NAMED else "")
    if touched:
        whose = ", ".join(f"#{c.customer_id} {c.name}" for c in touched[:_NAMED])
        whose += f" and {len(touched) - _NAMED} more" if len(touched) > _NAMED else ""
        effect = f"drafts of the customers with usage in {'it' if len(pending) == 1 else 'them'} are marked preliminary: {whose}"
    else:
        effect = f"none of these customers has usage in {'it' if len(pending) == 1 else 'them'}, no draft is preliminary"
    return Problem(
        "preliminary", f"the {vendor} data for {date_range} is not final yet in {where}: {named}; {effect}",
        fix="vendors finalise a month 5-10 business days after it closes; import the final report and regenerate",
        severity=Severity.WARNING,
    )


def _figures(plan: _Plan, options: InvoiceOptions) -> InvoiceFigures:
    rated = [rate(g, plan.version, plan.fx) for g in plan.groups]
    return compute_invoice(
        rated, currency=plan.currency, fx_rate=plan.fx, options=options, support=plan.version.support,
        balance=plan.balance, taxes=plan.taxes,
    )


def preview_customers(
    ws: Workspace,
    vendor: str,
    date_range: DateRange,
    options: InvoiceOptions = InvoiceOptions(),
) -> tuple[list[CustomerPreview], tuple[Problem, ...]]:
    """Every customer with usage in the range, with cost, price and margin as generation would
    compute them (nothing is stored), and the problems that would stop its invoice."""
    prepared = _prepare(ws, vendor, date_range, None, options)
    rows = []
    billed = _billed_invoices(ws, prepared.billed, date_range)
    for cid in sorted(prepared.groups):
        groups, usage_currencies = prepared.groups[cid], prepared.currencies[cid]
        own = tuple(p for p in prepared.problems if p.customer_id == cid)
        plan = prepared.plans.get(cid)
        inv = billed.get(cid)
        if inv is not None:  # what was billed, as stored: a billed month still shows its margin
            rows.append(replace(inv.preview(groups, usage_currencies), customer_name=prepared.names.get(cid, ""),
                                problems=own))
            continue
        cost = _usage_cost(groups, usage_currencies, options.include_marketplace)
        if plan is None:
            rows.append(CustomerPreview(cid, prepared.names.get(cid, ""), ", ".join(usage_currencies),
                                        cost, None, None, None, None, own))
            continue
        figures = _figures(plan, options)
        own += tuple(_credit_without_rate(plan, figures, date_range))
        price = exact_sum((figures.usage_price, figures.support_fee, figures.marketplace))
        rows.append(CustomerPreview(cid, prepared.names[cid], plan.usage_currency, cost, plan.currency,
                                    round_minor(price, plan.currency), round_minor(figures.margin, plan.currency),
                                    figures.total, own, price_exact=price, margin_exact=figures.margin,
                                    credits_not_applied=_credits_not_applied(plan, options),
                                    marketplace_not_included=_marketplace_not_included(groups, usage_currencies, options),
                                    credits_not_on_marketplace=_credits_not_on_marketplace(plan, options, figures)))
    general = tuple(p for p in prepared.problems if p.customer_id is None)
    return rows, general


def invoiced_cost(groups: Sequence[UsageGroup], include_marketplace: bool) -> Decimal:
    """Vendor cost (usage currency) of what an invoice bills: marketplace lines only when it
    includes marketplace fees. So a report's margin is its price less this cost."""
    return exact_sum(g.vendor_cost for g in groups if include_marketplace or not g.is_marketplace)


def marketplace_cost(groups: Sequence[UsageGroup]) -> Decimal:
    """Vendor cost (usage currency) of the marketplace lines: what an invoice leaves out when it
    does not include marketplace fees (`invoiced_cost` with and without them differ by this)."""
    return exact_sum(g.vendor_cost for g in groups if g.is_marketplace)


def _marketplace_not_included(groups: Sequence[UsageGroup], usage_currencies: Sequence[str],
                              options: InvoiceOptions) -> Decimal | None:
    """The marketplace cost the options leave off the invoice; None when they include it, when
    there is none, or when the usage is in several currencies (never added up)."""
    if options.include_marketplace or len(usage_currencies) != 1:
        return None
    cost = marketplace_cost(groups)
    return cost if cost != 0 else None


def payable_balances(balance: CreditBalance, currency: str, *, use_for_marketplace: bool) -> tuple[tuple[Decimal, str], ...]:
    """The positive credit balances that may pay an invoice in `currency`, as (amount, its
    currency), the invoice's currency first: general credit, and marketplace credit too when
    credits may pay marketplace fees. `balance` is `reference.payable_credits`' (foreign credits
    only where a rate into `currency` exists)."""
    def held(general: Decimal, marketplace: Decimal) -> Decimal:
        general = max(general, ZERO)
        return EXACT.add(general, max(marketplace, ZERO)) if use_for_marketplace else general

    found = [(held(balance.general, balance.marketplace), currency),
             *((held(f.general, f.marketplace), f.currency) for f in sorted(balance.foreign, key=lambda f: f.currency))]
    return tuple((amount, cur) for amount, cur in found if amount > 0)


def _credits_not_applied(plan: _Plan, options: InvoiceOptions) -> tuple[tuple[Decimal, str], ...]:
    """With "apply credits" off: the customer's balances that would pay part of this invoice
    were it on (the invoice computed with it on takes some credit); else ()."""
    if options.apply_credits:
        return ()
    use_for_marketplace = options.credits_for_marketplace and options.include_marketplace
    held = payable_balances(plan.balance, plan.currency, use_for_marketplace=use_for_marketplace)
    if not held or _figures(plan, replace(options, apply_credits=True)).credits.total <= 0:
        return ()  # no credit, or none that this invoice could take (nothing owed, a refund)
    return held


def _credits_not_on_marketplace(plan: _Plan, options: InvoiceOptions, figures: InvoiceFigures) -> Decimal | None:
    """With credits applied and marketplace fees billed but "use credits for marketplace fees"
    off: the credit (invoice currency) the invoice would take more were that on, i.e. what is
    left of the customer's credit after the other charges that could pay its marketplace fees;
    else None. `figures`: the invoice's, computed with `options`."""
    if not (options.apply_credits and options.include_marketplace) or options.credits_for_marketplace:
        return None
    with_it = _figures(plan, replace(options, credits_for_marketplace=True))
    more = EXACT.subtract(with_it.credits.total, figures.credits.total)
    return more if more > 0 else None


def _usage_cost(groups: Sequence[UsageGroup], usage_currencies: Sequence[str], include_marketplace: bool) -> Decimal | None:
    """A report row's vendor cost, or None when the usage is in several currencies: EUR and USD
    are never added up (mixed-usage-currencies says why the row has no cost)."""
    return invoiced_cost(groups, include_marketplace) if len(usage_currencies) == 1 else None


@dataclass(frozen=True, slots=True)
class _BilledInvoice:
    """The stored figures of the invoice that bills a customer's range."""

    number: str
    customer_id: str
    currency: str
    usage_price: Decimal
    support_fee: Decimal
    marketplace: Decimal
    margin: Decimal
    total: Decimal
    include_marketplace: bool

    def preview(self, groups: Sequence[UsageGroup], usage_currencies: Sequence[str]) -> CustomerPreview:
        """As a report row: its vendor cost in the usage currency, under the invoice's options
        (none when the usage is in several currencies now, as an unbilled row shows it)."""
        price = exact_sum((self.usage_price, self.support_fee, self.marketplace))
        return CustomerPreview(self.customer_id, "", ", ".join(usage_currencies),
                               _usage_cost(groups, usage_currencies, self.include_marketplace), self.currency,
                               round_minor(price, self.currency), round_minor(self.margin, self.currency), self.total,
                               (), billed=self.number, price_exact=price, margin_exact=self.margin)


def _billed_invoices(ws: Workspace, locks: dict[str, Billed], date_range: DateRange) -> dict[str, _BilledInvoice]:
    """customer -> the invoice that bills exactly this range (not one that overlaps it), read in
    one query for all of them."""
    numbers = {lock.number for lock in locks.values()
               if (lock.period_start, lock.period_end) == (date_range.start, date_range.end)}
    if not numbers:
        return {}
    found: dict[str, _BilledInvoice] = {}
    with ws.session() as session:
        for chunk in chunks(sorted(numbers)):
            for inv in session.scalars(select(m.Invoice).where(m.Invoice.number.in_(chunk))):
                found[inv.customer_id] = _BilledInvoice(
                    inv.number, inv.customer_id, inv.currency, inv.usage_price, inv.support_fee, inv.marketplace,
                    inv.margin, inv.total, bool((inv.options or {}).get("include_marketplace")))
    return found


def generate_invoices(
    ws: Workspace,
    vendor: str,
    date_range: DateRange,
    customers: Sequence[str] | None = None,
    options: InvoiceOptions = InvoiceOptions(),
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
    actor: str | None = None,
) -> GenerationResult:
    today = today or dt.date.today()
    prepared = _prepare(ws, vendor, date_range, customers, options)
    problems = _as_asked(ws, vendor, date_range, customers, prepared.problems, bool(prepared.groups))
    try:
        # One transaction for the run. `_store` locks the customers and checks their period locks
        # before writing anything, so a refused customer leaves nothing to undo; any other error
        # rolls the whole run back, and no half-written invoice remains.
        with ws.session() as session:
            made, refused, locked = _store(session, [prepared.plans[c] for c in sorted(prepared.plans)], vendor,
                                           date_range, options, prepared.preliminary, today, actor, progress,
                                           prepared.accounts)
    except IntegrityError:
        raise _Conflict(vendor, date_range) from None
    billed = {**prepared.billed, **locked}
    whole = tuple(AlreadyBilled(cid, lock.number, lock.status) for cid, lock in sorted(billed.items())
                  if (lock.period_start, lock.period_end) == (date_range.start, date_range.end))
    return GenerationResult(tuple(made), tuple(problems + refused), whole)


def _as_asked(
    ws: Workspace, vendor: str, date_range: DateRange, customers: Sequence[str] | None, problems: list[Problem],
    any_usage: bool,
) -> list[Problem]:
    """The run's warnings scoped to what was asked. With customers named, the accounts that
    belong to no customer are no one's of them: one line counts them (`workbench unassigned`
    lists them), and a named customer with no account nor profile for the vendor is told so,
    as `no-vendor-account`, not "no usage" (a month end runs every vendor). With none named, a
    range in which no customer has usage says so: else the run printed only "0 drafts"."""
    said = [p for p in problems if customers is None or p.code != "unassigned-account"]
    if customers is not None:
        with ws.session() as session:
            theirs = {*session.scalars(select(m.Account.customer_id).where(m.Account.vendor == vendor)),
                      *session.scalars(select(m.CustomerVendor.customer_id).where(m.CustomerVendor.vendor == vendor))}
        said = [replace(p, code="no-vendor-account", message=f"no {vendor} account: no invoice")
                if p.code == "no-usage" and p.customer_id and p.customer_id not in theirs else p for p in said]
        nobodys = sum(p.code == "unassigned-account" for p in problems)
        if nobodys:
            said.append(Problem(
                "unassigned-accounts", f"{nobodys} {vendor} account(s) with usage in {date_range} belong to no customer",
                fix=f"see them with `workbench unassigned DIR --vendor {vendor}`", severity=Severity.WARNING))
    elif not any_usage and not any(p.code == "no-usage" for p in problems):
        said.append(Problem(
            "no-usage", f"no customer has {vendor} usage in {date_range}: no invoice to make",
            fix=f"check the range against the usage dates of the {vendor} reports for {', '.join(date_range.months)}; "
                f"`workbench unassigned DIR --vendor {vendor}` lists usage that belongs to no customer",
            severity=Severity.WARNING))
    return said


def _plan(
    reference: RunReference, customer: m.Customer, vendor: str, date_range: DateRange, usage_currencies: list[str],
    options: InvoiceOptions,
) -> tuple[_Plan | None, list[Problem]]:
    cid = customer.customer_id
    usage_currency = usage_currencies[0]
    profile = reference.profiles.get(cid)
    if profile is None:
        return None, [Problem(
            "currency-not-enabled",
            f"The customer with ID #{cid} does not have the currency {usage_currency} enabled",
            customer_id=cid,
            fix=(f"assign a pricebook for {vendor} and an invoice currency to {customer.name} (#{cid}): add a row "
                 f"'{cid},{vendor},<pricebook>,<currency>' to customer_vendors.csv and import it, then generate again"),
        )]
    problems: list[Problem] = []
    if len(usage_currencies) > 1:
        problems.append(Problem("mixed-usage-currencies",
                                f"usage of #{cid} is billed in several currencies ({', '.join(usage_currencies)})",
                                customer_id=cid, fix="import one report per billing currency and generate them as separate runs"))
    version = select_version(reference.pricebook(profile.pricebook), date_range.first_month)
    if version is None:
        problems.append(Problem(
            "no-pricebook", f"The customer with ID #{cid} does not have the currency {profile.invoice_currency} enabled: "
            f"pricebook {profile.pricebook!r} has no {vendor} version in force for {date_range.first_month}",
            customer_id=cid, fix=f"add {vendor} rules to pricebook {profile.pricebook!r} effective from {date_range.first_month} or earlier (pricebooks.csv)",
        ))
    fx = reference.fx_rate(usage_currency, profile.invoice_currency)
    if fx is None:
        problems.append(Problem(
            "no-fx-rate", f"no exchange rate {usage_currency}->{profile.invoice_currency} for {date_range.first_month}",
            customer_id=cid, fix=f"add '{date_range.first_month},{usage_currency},{profile.invoice_currency},<rate>' to fx_rates.csv and import it",
        ))
    lock = reference.locks.get(cid)
    if lock is not None:
        problems.append(_locked_problem(cid, vendor, date_range, lock))
    taxes: list[Tax] = []
    if options.include_tax:
        taxes = reference.taxes(customer.tax_jurisdiction)
        if not customer.tax_jurisdiction:
            problems.append(Problem("no-tax-rates", "the customer has no tax jurisdiction: the invoice has no tax",
                                    customer_id=cid, severity=Severity.WARNING,
                                    fix="give the customer a tax_jurisdiction in customers.csv (and its taxes in "
                                        "tax_rates.csv) if it is taxable"))
        elif not reference.knows_taxes(customer.tax_jurisdiction):  # a jurisdiction at 0 % is known, not missing
            problems.append(Problem("no-tax-rates", f"no tax rates for jurisdiction {customer.tax_jurisdiction!r}: the invoice has no tax",
                                    customer_id=cid, fix="add the jurisdiction's taxes to tax_rates.csv if it is taxable",
                                    severity=Severity.WARNING))
    if any(p.severity is Severity.ERROR for p in problems):
        return None, problems
    assert version is not None and fx is not None
    rates = reference.rates_into(profile.invoice_currency)
    plan = _Plan(
        customer=customer, version=version, currency=profile.invoice_currency, taxes=taxes,
        balance=CreditBalance(), terms_days=reference.terms(customer),
        usage_currency=usage_currency, fx=fx, credit_rates=rates,
    )
    _credits_of(plan, reference.balances)
    plan.credit_ids = {other: reference.credit_ids.get((cid, other), []) for other in plan.unpriced}
    return plan, problems


def _credits_of(plan: _Plan, balances: dict[tuple[str, str], CreditBalance]) -> None:
    """Set the plan's credits from `balances`: those that may pay its invoice, and those in a
    currency with no rate into the invoice's (they pay nothing: `_credit_without_rate`)."""
    cid = plan.customer.customer_id
    plan.balance, unpriced = payable_credits(balances, cid, plan.currency, plan.credit_rates)
    plan.unpriced = {other: balances[(cid, other)] for other in unpriced}


def _credit_without_rate(plan: _Plan, figures: InvoiceFigures, date_range: DateRange) -> list[Problem]:
    """A credit in another currency with no rate into the invoice's for the period pays nothing:
    the run says so when it could have paid part of what the invoice still owed after the credits
    that did pay it. When those paid it all, or it has nothing to pay, or what is left is
    marketplace fees that credits may not pay, the missing rate changed nothing: no warning.
    Decided on the priced invoice (`figures`), with the options it was priced under."""
    problems = []
    cid, currency, month = plan.customer.customer_id, plan.currency, date_range.first_month
    for other, held in sorted(plan.unpriced.items()):
        if not figures.credits.could_take(held.general, held.marketplace):
            continue
        ids = plan.credit_ids.get(other, [])
        named = f"credit {ids[0]}" if len(ids) == 1 else f"credits {', '.join(ids)}" if ids else "credit"
        problems.append(Problem(
            "credit-no-fx-rate",
            f"{named} of #{cid} ({other}) cannot pay its {currency} invoice for {date_range}: no exchange rate "
            f"{other}->{currency} for {month}; the invoice is made without it and the credit stays on the balance",
            customer_id=cid, severity=Severity.WARNING,
            fix=f"add '{month},{other},{currency},<rate>' to fx_rates.csv and import it, then delete the draft and "
                f"generate again to apply the credit",
        ))
    return problems


def _locked_problem(cid: str, vendor: str, date_range: DateRange, lock: Billed) -> Problem:
    return Problem(
        "period-locked",
        f"{vendor} {date_range} is already billed for #{cid} ({lock.number}, "
        f"{lock.period_start}..{lock.period_end - dt.timedelta(days=1)})",
        customer_id=cid,
        fix=final_fix([lock.held], "the period stays as billed") or f"{unlock_steps([lock.held])} first, then generate again",
    )


class _Conflict(RuntimeError):
    """Another run stored a lock this run did not see: a programmer error now that storing takes
    a per-customer lock; nothing of this run was stored."""

    def __init__(self, vendor: str, date_range: DateRange) -> None:
        super().__init__(f"{vendor} {date_range}: another run stored the same period at the same time; "
                         "nothing of this run was stored, generate again")


def _accounts_moved(session: Session, vendor: str, priced: dict[str, frozenset[str]],
                    ids: Sequence[str]) -> dict[str, set[str]]:
    """The customers whose vendor accounts differ now from those they were priced with: for each,
    the accounts gained or lost (read under the customers' locks)."""
    now: dict[str, set[str]] = defaultdict(set)
    for chunk in chunks(list(ids)):
        for account_id, customer_id in session.execute(select(m.Account.account_id, m.Account.customer_id).where(
                m.Account.vendor == vendor, m.Account.customer_id.in_(chunk))):
            now[customer_id].add(account_id)
    return {cid: changed for cid in ids if (changed := set(priced.get(cid, frozenset())) ^ now[cid])}


def _reports_changed(session: Session, vendor: str, date_range: DateRange, plans: Sequence[_Plan]) -> dict[str, tuple[str, str]]:
    """The customers priced from other reports than the current ones (a vendor file imported, or
    imported again, since the pricing), read under the months' lock: the reports each invoice
    would record in `priced_from` and the usage it was priced from would not be what bills the
    month. For each: `reports-changed` and which files came and went."""
    now = {r.id: r.file_name for r in current_reports(session, vendor, date_range.months)}
    superseded = sorted({i for plan in plans for i in plan.reports} - set(now))
    names = {i: name for chunk in chunks(superseded) for i, name in session.execute(
        select(m.VendorReport.id, m.VendorReport.file_name).where(m.VendorReport.id.in_(chunk)))}
    changed: dict[str, tuple[str, str]] = {}
    for plan in plans:
        came = sorted(now[i] for i in set(now) - set(plan.reports))
        gone = sorted(names.get(i, f"report {i}") for i in set(plan.reports) - set(now))
        if came or gone:
            what = "; ".join([*([f"imported {', '.join(came)}"] if came else []), *([f"superseded {', '.join(gone)}"] if gone else [])])
            changed[plan.customer.customer_id] = ("reports-changed", f"{vendor} reports for {date_range} ({what})")
    return changed


def _reference_changed(session: Session, vendor: str, date_range: DateRange, plans: Sequence[_Plan],
                       options: InvoiceOptions) -> dict[str, tuple[str, str]]:
    """The customers whose reference data differs now from what they were priced with (a
    pricebook, customer or FX import that committed since the pricing), read under their locks:
    the pricebook version and support plan, the pricebook and invoice currency for the vendor, the
    exchange rate, the taxes. For each: `reference-changed` and what changed."""
    ids = [p.customer.customer_id for p in plans]
    reference = RunReference.load(session, vendor, date_range, ids)
    jurisdictions = {cid: j for chunk in chunks(ids) for cid, j in session.execute(
        select(m.Customer.customer_id, m.Customer.tax_jurisdiction).where(m.Customer.customer_id.in_(chunk)))}
    changed: dict[str, tuple[str, str]] = {}
    for plan in plans:
        cid = plan.customer.customer_id
        what: list[str] = []
        profile = reference.profiles.get(cid)
        if profile is None or (profile.pricebook, profile.invoice_currency) != (plan.version.pricebook, plan.currency):
            what.append(f"{vendor} pricebook and invoice currency")
        else:
            version = select_version(reference.pricebook(profile.pricebook), date_range.first_month)
            if version is None or (version.effective_from, set(version.rules), version.support) != (
                    plan.version.effective_from, set(plan.version.rules), plan.version.support):
                what.append(f"{vendor} pricebook {profile.pricebook!r} for {date_range.first_month}")
            if reference.fx_rate(plan.usage_currency, plan.currency) != plan.fx:
                what.append(f"exchange rate {plan.usage_currency}->{plan.currency} for {date_range.first_month}")
        jurisdiction = jurisdictions.get(cid) or ""
        if jurisdiction != (plan.customer.tax_jurisdiction or "") or (
                options.include_tax and reference.taxes(jurisdiction) != plan.taxes):
            what.append("taxes")
        if what:
            changed[cid] = ("reference-changed", " and ".join(what))
    return changed


def _store(
    session: Session, plans: list[_Plan], vendor: str, date_range: DateRange, options: InvoiceOptions,
    preliminary: set[str], today: dt.date, actor: str | None, progress: Progress | None,
    accounts: dict[str, frozenset[str]] | None = None,
) -> tuple[list[GeneratedInvoice], list[Problem], dict[str, Billed]]:
    """Write the drafts of `plans` (customers in one order for every run, so two runs never wait
    on each other's locks) in bulk statements; the customers refused because another run has
    billed their period meanwhile come back as problems (and their locks), after the warnings of credits without a
    rate that could have paid a stored draft (decided on its figures, from the balances read here)."""
    ids = [p.customer.customer_id for p in plans]
    # One writer per customer at a time (another analyst, another vendor's run): the lock check
    # and the credit balances below see what a concurrent run committed.
    lock_customers(session, ids)
    locked = period_locks(session, vendor, ids, date_range)  # again, inside the transaction
    refused = [_locked_problem(cid, vendor, date_range, lock) for cid, lock in locked.items()]
    plans = [p for p in plans if p.customer.customer_id not in locked]
    if accounts is not None:  # an account import (it locks the same customers) committed since the pricing
        moved = _accounts_moved(session, vendor, accounts, [p.customer.customer_id for p in plans])
        refused += [Problem("accounts-changed", f"customer {cid}'s {vendor} accounts changed while its invoice was "
                            f"being priced ({', '.join(sorted(changed))}): no draft was stored", customer_id=cid,
                            fix="generate again: it prices the accounts as they are now")
                    for cid, changed in moved.items()]
        plans = [p for p in plans if p.customer.customer_id not in moved]
    if plans:  # a report or reference import that committed since the pricing
        # Shared with other runs, exclusive of report imports (`locking.lock_usage_months`): an
        # import of these months that has not committed by now waits for the drafts' period
        # locks, and is then refused as any import into a billed month.
        lock_usage_months(session, vendor, date_range.months, shared=True)
        changed = _reports_changed(session, vendor, date_range, plans)
        changed.update((cid, what) for cid, what in _reference_changed(session, vendor, date_range, plans, options).items()
                       if cid not in changed)
        refused += [Problem(code, f"customer {cid}'s {what} changed while its invoice was being priced: no draft was stored",
                            customer_id=cid, fix="generate again: it prices the usage and reference data as they are now")
                    for cid, (code, what) in changed.items()]
        plans = [p for p in plans if p.customer.customer_id not in changed]
    balances = credit_balances(session, [p.customer.customer_id for p in plans])
    figures: list[InvoiceFigures] = []
    warned: list[Problem] = []
    for done, plan in enumerate(plans, start=1):
        _credits_of(plan, balances)
        figures.append(_figures(plan, options))
        warned += _credit_without_rate(plan, figures[-1], date_range)
        if progress:
            progress(done, len(plans), plan.customer.customer_id)
    if not plans:
        return [], refused, locked
    # Core statements on the tables: the ORM's bulk path costs more than the database here
    invoices = m.Invoice.__table__
    invoice_ids = list(session.scalars(
        insert(invoices).returning(invoices.c.id, sort_by_parameter_order=True),
        [_invoice_row(plan, vendor, date_range, options, plan.customer.customer_id in preliminary, today, f)
         for plan, f in zip(plans, figures)]))
    numbers = take_numbers(session, vendor, date_range.start, len(invoice_ids))  # per vendor and month, never reused
    session.execute(update(invoices).where(invoices.c.id == bindparam("invoice_id")).values(number=bindparam("number")),
                    [{"invoice_id": i, "number": n} for i, n in zip(invoice_ids, numbers)])
    session.execute(insert(m.InvoiceLine.__table__), [
        {"invoice_id": invoice_id, "position": position, "kind": line.kind, "charge_category": line.charge_category,
         "section": line.section, "service": line.service, "sku": line.sku, "description": line.description,
         "quantity": line.quantity, "unit": line.unit, "vendor_cost": line.vendor_cost,
         "markup_percent": line.markup_percent, "rule": line.rule, "amount": line.amount,
         "amount_rounded": line.amount_rounded, "margin": line.margin, "source_rows": line.source_rows}
        for invoice_id, f in zip(invoice_ids, figures) for position, line in enumerate(f.lines, start=1)])
    session.execute(insert(m.PeriodLock.__table__), [
        {"vendor": vendor, "customer_id": plan.customer.customer_id, "period_start": date_range.start,
         "period_end": date_range.end, "invoice_id": invoice_id} for plan, invoice_id in zip(plans, invoice_ids)])
    who = actor or audit.current_actor()
    events: list[dict[str, object]] = []
    credits: list[dict[str, object]] = []
    for plan, f, invoice_id, number in zip(plans, figures, invoice_ids, numbers):
        cid = plan.customer.customer_id
        events.append(audit.event_row("invoice.generate", "invoice", number, actor=who, reason=f"draft for {vendor} {date_range}",
                                      details={"customer_id": cid, "total": str(f.total), "currency": plan.currency,
                                               "options": options.to_dict(), "pricebook": plan.version.label,
                                               "preliminary": cid in preliminary}))
        for kind, amount in (("general", f.credits.general), ("marketplace", f.credits.marketplace)):
            if amount:
                credits.append({"customer_id": cid, "entry_date": today, "amount": -amount, "currency": plan.currency,
                                "kind": kind, "earned_on": "", "memo": f"applied to {number}", "invoice_id": invoice_id,
                                "fx_rate": None})
                events.append(audit.event_row("credit.apply", "credit", cid, actor=who, reason=f"applied to {number}",
                                              details={"kind": kind, "amount": str(amount), "currency": plan.currency}))
        for take in f.credits.foreign:  # off the credit's own balance, in its currency, with the rate
            paid = f"{take.paid} {plan.currency} at {take.rate} {plan.currency} per {take.currency}"
            credits.append({"customer_id": cid, "entry_date": today, "amount": -take.taken, "currency": take.currency,
                            "kind": take.kind, "earned_on": "", "memo": f"applied to {number}: {paid}",
                            "invoice_id": invoice_id, "fx_rate": take.rate})
            events.append(audit.event_row("credit.apply", "credit", cid, actor=who, reason=f"applied to {number}",
                                          details={"kind": take.kind, "amount": str(take.taken), "currency": take.currency,
                                                   "paid": str(take.paid), "invoice_currency": plan.currency,
                                                   "fx_rate": str(take.rate)}))
    if credits:
        session.execute(insert(m.CreditEntry.__table__), credits)
    session.execute(insert(m.AuditEvent.__table__), events)
    made = [GeneratedInvoice(invoice_id, number, plan.customer.customer_id, plan.customer.name, vendor, date_range.label,
                             plan.currency, f.total, plan.customer.customer_id in preliminary)
            for plan, f, invoice_id, number in zip(plans, figures, invoice_ids, numbers)]
    return made, warned + refused, locked


def _invoice_row(
    plan: _Plan, vendor: str, date_range: DateRange, options: InvoiceOptions, preliminary: bool,
    today: dt.date, figures: InvoiceFigures,
) -> dict[str, object]:
    return dict(
        number=f"pending-{plan.customer.customer_id}-{vendor}-{date_range.start}",
        customer_id=plan.customer.customer_id, vendor=vendor, period_start=date_range.start,
        period_end=date_range.end, period_label=date_range.label, status=Status.DRAFT.value,
        currency=plan.currency, usage_currency=plan.usage_currency, fx_rate=plan.fx, issue_date=today,
        due_date=today + dt.timedelta(days=plan.terms_days), pricebook=plan.version.pricebook,
        pricebook_version=plan.version.effective_from, preliminary=preliminary, options=options.to_dict(),
        vendor_cost=figures.vendor_cost, usage_price=figures.usage_price, support_fee=figures.support_fee,
        marketplace=figures.marketplace, credits=figures.credits.total, subtotal=figures.subtotal,
        tax_total=figures.tax_total, total=figures.total, margin=figures.margin,
        # what it is made from, so that verify and the detailed export read that, not today's data
        tax_jurisdiction=plan.customer.tax_jurisdiction or "",
        tax_rates=[[tax.name, format(tax.rate_percent, "f")] for tax in plan.taxes],
        priced_from={"reports": list(plan.reports), "accounts": list(plan.accounts)},
    )


class SourceRowsUnknown(UsageUnavailable):
    """The rows an invoice generated before invoices recorded their reports (revision 0006) was
    priced from cannot be told apart: a report of its months was replaced since."""

    def __init__(self, message: str, fix: str) -> None:
        self.message, self.fix, self.problems = message, fix, ()
        Exception.__init__(self, f"{message}; {fix}")


def _priced_from(session: Session, invoice: m.Invoice, date_range: DateRange) -> tuple[list[m.VendorReport], dict[str, str]]:
    """The reports and accounts (account -> customer) the invoice was priced from, as it recorded
    them: a void invoice's month may have a new report and its accounts another owner since.

    An invoice from before the record has the current ones, which are what it was priced from
    unless a report of its months replaced another after it was generated (the audit trail says
    when): then SourceRowsUnknown, rather than rows of a file it was not priced from."""
    recorded = invoice.priced_from
    if recorded is not None:
        ids = list(recorded.get("reports", []))
        found = {r.id: r for chunk in chunks(ids)
                 for r in session.scalars(select(m.VendorReport).where(m.VendorReport.id.in_(chunk)))}
        # a report row is never deleted (a replaced one is kept, superseded): its files may be, which
        # rows_files reports as UsageUnavailable, naming the file to import again
        return [found[i] for i in ids if i in found], {a: invoice.customer_id for a in recorded.get("accounts", [])}
    replaced = session.scalars(select(m.AuditEvent).where(
        m.AuditEvent.action == "report.replace", m.AuditEvent.at > invoice.created_at,
        or_(*(m.AuditEvent.entity_id.startswith(f"{invoice.vendor}/{month}/") for month in date_range.months)),
    ).order_by(m.AuditEvent.at).limit(1)).first()
    if replaced is not None:
        earlier = ", ".join((replaced.details or {}).get("replaces", [])) or "an earlier report"
        raise SourceRowsUnknown(
            f"the usage rows behind {invoice.number} cannot be listed: it was generated before invoices recorded the "
            f"reports they are priced from, and on {replaced.at:%Y-%m-%d %H:%M} UTC, after it, "
            f"{replaced.reason.removeprefix('imported ')} replaced {earlier} ({replaced.entity_id.rsplit('/', 1)[0]})",
            "its statement, customer CSV and figures stand as stored; only its detailed rows cannot be told from the new file's",
        )
    accounts = {a.account_id: a.customer_id for a in session.scalars(
        select(m.Account).where(m.Account.vendor == invoice.vendor, m.Account.customer_id == invoice.customer_id))}
    return current_reports(session, invoice.vendor, date_range.months), accounts


KEEP_AT_MOST = 200_000  # rows `source_row_reader(keep=True)` holds: ~0.2 GB (1 KB a row, measured); beyond, read again


def source_row_reader(ws: Workspace, invoice_id: int, *, keep: bool = False) -> Callable[[], Iterable[SourceRow]]:
    """`source_rows` as an `InvoiceView`'s `source_rows`: read only when an exporter asks (the
    detailed CSV, the workbook's Detail sheet, a plug-in), never for the PDF or the customer CSV.
    `keep` reads them once for several exporters of the same invoice (month end): the first
    reader's rows stream through as they are read and are kept for the next, unless there are
    more than KEEP_AT_MOST (a customer with millions of usage rows: each exporter reads them
    again rather than a worker holding gigabytes of them)."""
    kept: list[SourceRow] | None = None

    def read() -> Iterator[SourceRow]:
        return (SourceRow(line_position=position, **values)  # type: ignore[arg-type]  # rows are typed loosely
                for position, values in source_rows(ws, invoice_id))

    def keeping() -> Iterator[SourceRow]:
        nonlocal kept
        held: list[SourceRow] | None = []
        for row in read():
            if held is not None:
                held.append(row)
                if len(held) > KEEP_AT_MOST:
                    held = None
            yield row
        kept = held  # only rows read to the end are kept

    def rows() -> Iterable[SourceRow]:
        if kept is not None:
            return iter(kept)
        return keeping() if keep else read()

    return rows


def source_rows(ws: Workspace, invoice_id: int) -> Iterator[tuple[int, dict[str, object]]]:
    """The vendor rows behind an invoice, each with its line position and exact amount: the rows
    of the reports and accounts it was priced from (`_priced_from`), not today's."""
    with ws.session() as session:
        invoice = session.get(m.Invoice, invoice_id)
        if invoice is None:
            return
        date_range = DateRange(invoice.period_start, invoice.period_end, invoice.period_label)
        reports, accounts = _priced_from(session, invoice, date_range)
        # line key -> (position, markup, fx x (1 + markup)): per line, not per row
        fx = invoice.fx_rate
        lines = {(l.kind == "marketplace", l.section, l.service, l.sku, l.unit, l.charge_category):
                 (l.position, l.markup_percent, EXACT.multiply(fx, factor(l.markup_percent)))
                 for l in invoice.lines if l.kind in ("usage", "marketplace")}
    if not reports or not accounts:
        return
    files = sql_list(rows_files(ws, reports))
    with duckdb_cursor() as con:
        text_table(con, "accounts", {"account_id": list(accounts)})
        cursor = con.execute(
            f"""
            SELECT coalesce(u.is_marketplace, false), coalesce(nullif(u.product_type, ''), 'Other'),
                   coalesce(u.service, ''), coalesce(u.sku, ''), coalesce(u.unit, ''), u.charge_category,
                   u.source_file, u.source_row, u.sub_account_id, u.charge_period_start, u.description,
                   -- exact decimals as text: DuckDB makes a Python Decimal of a DECIMAL(38, 18) in 4 us,
                   -- Decimal(text) in 0.3 (20,000 rows: 80 ms less), to the same digits and exponent
                   coalesce(u.quantity, 0)::VARCHAR, u.billed_cost::VARCHAR
            FROM read_parquet({files}) u SEMI JOIN accounts a ON a.account_id = u.sub_account_id
            WHERE {usage_filter_sql(date_range)} AND {BILLABLE_SQL}
            ORDER BY u.source_file, u.source_row
            """
        )
        while batch := cursor.fetchmany(10_000):
            for market, section, service, sku, unit, category, file, row, account, start, desc, qty, cost in batch:
                line = lines.get((bool(market), section, service, sku, unit, category))
                if line is None:  # marketplace rows of an invoice that left marketplace fees out
                    continue
                position, markup, rate = line
                cost = D(cost)
                yield position, {
                    "source_file": file, "source_row": row, "sub_account_id": account, "charge_period_start": start,
                    "service": service, "sku": sku, "description": desc or "", "quantity": D(qty), "unit": unit,
                    "vendor_cost": cost, "markup_percent": markup, "fx_rate": fx,
                    "amount": EXACT.multiply(cost, rate),  # exact: (cost x fx) x factor = cost x (fx x factor)
                }
