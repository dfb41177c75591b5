"""Generate draft invoices: stored usage -> DuckDB aggregation -> pure core -> one transaction each.

    generate_invoices(ws, "aws", last_month(today), customers=None, options=InvoiceOptions())

1. Find the current (not superseded) usage parquet of the vendor for the range's months.
2. Check every selected customer up front (pricebook and invoice currency for the vendor,
   pricebook version for the period, FX rate, period lock) and collect every problem.
3. Aggregate the usage of all customers in ONE DuckDB query (exact DECIMAL sums, grouped by
   customer and invoice line); free-tier and vendor-tax rows are left out; Python never sees
   a single vendor row.
4. Per customer: rate the groups, compute the figures (`core.invoice.compute_invoice`), and
   store the draft, its lines, the credit applications and the period lock in one transaction.
   A customer that fails does not stop the others.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.billing.core.credits import CreditBalance
from workbench.billing.core.invoice import InvoiceFigures, InvoiceOptions, Tax, compute_invoice
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.money import D, EXACT, ZERO, exact_sum, plain, round_minor
from workbench.billing.core.periods import DateRange
from workbench.billing.core.pricebook import PricebookVersion, Rule, SupportPlan, select_version
from workbench.billing.core.problems import Problem, Severity
from workbench.billing.core.rating import UsageGroup, factor, rate
from workbench.billing.store import audit
from workbench.billing.store import models as m
from workbench.billing.store.locking import lock_customer
from workbench.billing.store.usage_queries import current_reports
from workbench.billing.store.workspace import Workspace

Progress = Callable[[int, int, str], None]
T = TypeVar("T")


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
class GenerationResult:
    invoices: tuple[GeneratedInvoice, ...]
    problems: tuple[Problem, ...]

    @property
    def failed_customers(self) -> list[str]:
        return sorted({p.customer_id for p in self.problems if p.customer_id and p.severity is Severity.ERROR})


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


def usage_filter_sql(date_range: DateRange) -> str:
    """Rows of the range: whole months by billing period, custom ranges by usage date."""
    if date_range.is_whole_months:
        months = ", ".join(f"'{p}'" for p in date_range.months)
        return f"u.billing_period IN ({months})"
    return (
        f"u.charge_period_start >= TIMESTAMP '{date_range.start.isoformat()}' "
        f"AND u.charge_period_start < TIMESTAMP '{date_range.end.isoformat()}'"
    )


BILLABLE_SQL = "NOT coalesce(u.is_free_tier, false) AND u.charge_category <> 'tax'"


def connect_usage(ws: Workspace, reports: Sequence[m.VendorReport], accounts: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with views `usage` (the reports' parquet) and `accounts`."""
    con = duckdb.connect()
    paths = [str(ws.root / r.stored_path) for r in reports]
    con.execute(f"CREATE VIEW usage AS SELECT * FROM read_parquet({paths!r})")
    table = pa.table({"account_id": list(accounts), "customer_id": list(accounts.values())},
                     schema=pa.schema([("account_id", pa.string()), ("customer_id", pa.string())]))
    con.register("accounts", table)
    return con


@dataclass(frozen=True, slots=True)
class CustomerPreview:
    """One row of the report list: a customer's usage for the range, priced but not stored."""

    customer_id: str
    customer_name: str
    usage_currency: str
    vendor_cost: Decimal  # usage currency, exact
    currency: str | None  # invoice currency, None when the customer cannot be invoiced
    price: Decimal | None  # invoice currency, rounded as the invoice would show the charges
    margin: Decimal | None
    total: Decimal | None
    problems: tuple[Problem, ...]

    def to_dict(self) -> dict[str, object]:
        text = lambda d: None if d is None else format(d, "f")  # noqa: E731
        return {
            "customer_id": self.customer_id, "customer_name": self.customer_name,
            "usage_currency": self.usage_currency, "vendor_cost": text(self.vendor_cost),
            "currency": self.currency, "price": text(self.price), "margin": text(self.margin),
            "total": text(self.total), "problems": [p.to_dict() for p in self.problems],
        }


@dataclass
class _Prepared:
    plans: dict[str, _Plan]
    problems: list[Problem]
    preliminary: bool
    groups: dict[str, list[UsageGroup]]
    currencies: dict[str, list[str]]
    names: dict[str, str]


def _prepare(
    ws: Workspace, vendor: str, date_range: DateRange, customers: Sequence[str] | None,
    options: InvoiceOptions, today: dt.date,
) -> _Prepared:
    problems: list[Problem] = []
    with ws.session() as session:
        reports = current_reports(session, vendor, date_range.months)
        if not reports:
            problems.append(Problem(
                "no-usage", f"there is no {vendor} report for {date_range}",
                fix=f"import the {vendor} billing export for {', '.join(date_range.months)} with `workbench import`",
            ))
            return _Prepared({}, problems, False, {}, {}, {})
        accounts = {a.account_id: a.customer_id for a in session.scalars(select(m.Account).where(m.Account.vendor == vendor))}
        all_customers = {c.customer_id: c for c in session.scalars(select(m.Customer))}
        if customers is not None:
            problems += [Problem("unknown-customer", f"there is no customer with ID #{c}", customer_id=c,
                                 fix="check the ID with `workbench customers list`, or add the customer to customers.csv and import it")
                         for c in customers if c not in all_customers]
        preliminary = not all(r.is_final for r in reports)
        if preliminary:
            problems.append(Problem(
                "preliminary", f"the {vendor} data for {date_range} is not final yet: drafts are marked preliminary",
                fix="vendors finalise a month 5-10 business days after it closes; import the final report and regenerate",
                severity=Severity.WARNING,
            ))
        con = connect_usage(ws, reports, accounts)
        try:
            groups_by_customer, currencies = aggregate_usage(con, date_range, customers)
            problems += _unassigned(con, vendor, date_range)
        finally:
            con.close()
        wanted = list(customers) if customers is not None else sorted(groups_by_customer)
        plans: dict[str, _Plan] = {}
        for customer_id in wanted:
            if customer_id not in all_customers:
                continue
            if customer_id not in groups_by_customer:
                problems.append(Problem("no-usage", f"no {vendor} usage in {date_range}: no invoice", customer_id=customer_id,
                                        severity=Severity.WARNING))
                continue
            plan, found = _plan(session, all_customers[customer_id], vendor, date_range, currencies[customer_id], options, today)
            problems += found
            if plan is not None:
                plan.groups = groups_by_customer[customer_id]
                plans[customer_id] = plan
        names = {cid: all_customers[cid].name for cid in groups_by_customer if cid in all_customers}
    return _Prepared(plans, problems, preliminary, groups_by_customer, currencies, names)


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
    *,
    today: dt.date | None = None,
) -> tuple[list[CustomerPreview], tuple[Problem, ...]]:
    """Every customer with usage in the range, with cost, price and margin as generation would
    compute them (nothing is stored), and the problems that would stop its invoice."""
    prepared = _prepare(ws, vendor, date_range, None, options, today or dt.date.today())
    rows = []
    for cid in sorted(prepared.groups):
        cost = exact_sum(g.vendor_cost for g in prepared.groups[cid])
        own = tuple(p for p in prepared.problems if p.customer_id == cid)
        plan = prepared.plans.get(cid)
        if plan is None:
            rows.append(CustomerPreview(cid, prepared.names.get(cid, ""), prepared.currencies[cid][0], cost,
                                        None, None, None, None, own))
            continue
        figures = _figures(plan, options)
        price = round_minor(exact_sum((figures.usage_price, figures.support_fee, figures.marketplace)), plan.currency)
        rows.append(CustomerPreview(cid, prepared.names[cid], plan.usage_currency, cost, plan.currency, price,
                                    round_minor(figures.margin, plan.currency), figures.total, own))
    general = tuple(p for p in prepared.problems if p.customer_id is None)
    return rows, general


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
    prepared = _prepare(ws, vendor, date_range, customers, options, today)
    problems = prepared.problems
    made: list[GeneratedInvoice] = []
    try:
        # One transaction for the run: one commit instead of one per customer. `_store` checks a
        # customer's lock before writing anything, so a refused customer leaves nothing to undo;
        # any other error rolls the whole run back, and no half-written invoice remains.
        with ws.session() as session:
            # customers in one order for every run, so two runs never wait on each other's locks
            for done, (customer_id, plan) in enumerate(sorted(prepared.plans.items()), start=1):
                try:
                    made.append(_store(session, plan, vendor, date_range, options, prepared.preliminary, today, actor))
                except _Refused as refused:
                    problems.append(refused.problem)
                if progress:
                    progress(done, len(prepared.plans), customer_id)
    except IntegrityError:
        raise _Conflict(vendor, date_range) from None
    return GenerationResult(tuple(made), tuple(problems))


def aggregate_usage(
    con: duckdb.DuckDBPyConnection, date_range: DateRange, customers: Sequence[str] | None
) -> tuple[dict[str, list[UsageGroup]], dict[str, list[str]]]:
    where = [usage_filter_sql(date_range), BILLABLE_SQL]
    params: list[object] = []
    if customers is not None:
        where.append("a.customer_id IN (SELECT unnest(?))")
        params.append(list(customers))
    rows = con.execute(
        f"""
        SELECT a.customer_id, u.currency,
               coalesce(nullif(u.product_type, ''), 'Other') AS section,
               coalesce(u.service, '') AS service, coalesce(u.sku, '') AS sku,
               coalesce(u.unit, '') AS unit, coalesce(u.is_marketplace, false) AS is_marketplace,
               u.charge_category,
               min(coalesce(u.description, '')) AS description,
               sum(coalesce(u.quantity, 0)) AS quantity,
               sum(u.billed_cost) AS cost, count(*) AS source_rows
        FROM usage u JOIN accounts a ON a.account_id = u.sub_account_id
        WHERE {' AND '.join(where)}
        GROUP BY ALL
        ORDER BY ALL
        """,
        params,
    ).fetchall()
    groups: dict[str, list[UsageGroup]] = defaultdict(list)
    currencies: dict[str, set[str]] = defaultdict(set)
    for customer_id, currency, section, service, sku, unit, market, category, description, qty, cost, n in rows:
        currencies[customer_id].add(currency)
        groups[customer_id].append(UsageGroup(section, service, sku, description, unit, D(qty), D(cost), bool(market), category, int(n)))
    return dict(groups), {k: sorted(v) for k, v in currencies.items()}


def _unassigned(con: duckdb.DuckDBPyConnection, vendor: str, date_range: DateRange) -> list[Problem]:
    rows = con.execute(
        f"""
        SELECT u.sub_account_id, u.currency, count(*), sum(u.billed_cost)
        FROM usage u ANTI JOIN accounts a ON a.account_id = u.sub_account_id
        WHERE {usage_filter_sql(date_range)} AND {BILLABLE_SQL}
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    return [
        Problem("unassigned-account",
                f"{vendor} account {account} belongs to no customer: {n:,} row(s), {plain(D(cost))} {currency} not invoiced",
                fix="assign it in accounts.csv and import it (`workbench customers import`), then generate again",
                severity=Severity.WARNING)
        for account, currency, n, cost in rows
    ]


def _plan(
    session: Session, customer: m.Customer, vendor: str, date_range: DateRange, usage_currencies: list[str],
    options: InvoiceOptions, today: dt.date,
) -> tuple[_Plan | None, list[Problem]]:
    cid = customer.customer_id
    usage_currency = usage_currencies[0]
    profile = session.get(m.CustomerVendor, (cid, vendor))
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
    version = select_version(_cached(session, ("pricebook", profile.pricebook, vendor),
                                     lambda: load_pricebook(session, profile.pricebook, vendor)), date_range.first_month)
    if version is None:
        problems.append(Problem(
            "no-pricebook", f"The customer with ID #{cid} does not have the currency {profile.invoice_currency} enabled: "
            f"pricebook {profile.pricebook!r} has no {vendor} version in force for {date_range.first_month}",
            customer_id=cid, fix=f"add {vendor} rules to pricebook {profile.pricebook!r} effective from {date_range.first_month} or earlier (pricebooks.csv)",
        ))
    fx = fx_rate(session, date_range.first_month, usage_currency, profile.invoice_currency)
    if fx is None:
        problems.append(Problem(
            "no-fx-rate", f"no exchange rate {usage_currency}->{profile.invoice_currency} for {date_range.first_month}",
            customer_id=cid, fix=f"add '{date_range.first_month},{usage_currency},{profile.invoice_currency},<rate>' to fx_rates.csv and import it",
        ))
    lock = find_lock(session, vendor, cid, date_range)
    if lock is not None:
        problems.append(_locked_problem(cid, vendor, date_range, lock))
    taxes: list[Tax] = []
    if options.include_tax:
        taxes = _cached(session, ("taxes", customer.tax_jurisdiction, date_range.first_month),
                        lambda: tax_rates(session, customer.tax_jurisdiction, date_range.first_month))
        if not taxes:
            problems.append(Problem("no-tax-rates", f"no tax rates for jurisdiction {customer.tax_jurisdiction!r}: the invoice has no tax",
                                    customer_id=cid, fix="add the jurisdiction's taxes to tax_rates.csv if it is taxable",
                                    severity=Severity.WARNING))
    if any(p.severity is Severity.ERROR for p in problems):
        return None, problems
    assert version is not None and fx is not None
    plan = _Plan(
        customer=customer, version=version, currency=profile.invoice_currency, taxes=taxes,
        balance=credit_balance(session, cid, profile.invoice_currency), terms_days=payment_terms(session, customer),
        usage_currency=usage_currency, fx=fx,
    )
    return plan, problems


def _cached(session: Session, key: tuple[str, ...], load: Callable[[], T]) -> T:
    """Reference data read once per generation run (the session's lifetime), not per customer."""
    cache: dict[tuple[str, ...], object] = session.info.setdefault("generation-cache", {})
    if key not in cache:
        cache[key] = load()
    return cache[key]  # type: ignore[return-value]


def _locked_problem(cid: str, vendor: str, date_range: DateRange, lock: m.PeriodLock) -> Problem:
    return Problem(
        "period-locked",
        f"{vendor} {date_range} is already billed for #{cid} (invoice id {lock.invoice_id}, "
        f"{lock.period_start}..{lock.period_end - dt.timedelta(days=1)})",
        customer_id=cid,
        fix="delete the existing draft (`workbench invoices delete`) to regenerate; an issued invoice is corrected by voiding it",
    )


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Conflict(RuntimeError):
    """Another run stored a lock this run did not see: a programmer error now that storing takes
    a per-customer lock; nothing of this run was stored."""

    def __init__(self, vendor: str, date_range: DateRange) -> None:
        super().__init__(f"{vendor} {date_range}: another run stored the same period at the same time; "
                         "nothing of this run was stored, generate again")


def _store(
    session: Session, plan: _Plan, vendor: str, date_range: DateRange, options: InvoiceOptions,
    preliminary: bool, today: dt.date, actor: str | None,
) -> GeneratedInvoice:
    cid = plan.customer.customer_id
    # One writer per customer at a time (another analyst, another vendor's run): the lock check
    # and the credit balance below see what a concurrent run committed.
    lock_customer(session, cid)
    lock = find_lock(session, vendor, cid, date_range)  # again, inside the transaction
    if lock is not None:
        raise _Refused(_locked_problem(cid, vendor, date_range, lock))
    plan.balance = credit_balance(session, cid, plan.currency)
    figures = _figures(plan, options)
    invoice = _invoice_row(plan, vendor, date_range, options, preliminary, today, plan.fx, figures)
    session.add(invoice)
    session.flush()
    invoice.number = f"{vendor.upper()}-{date_range.start:%Y%m}-{invoice.id:05d}"
    session.add(m.PeriodLock(vendor=vendor, customer_id=cid, period_start=date_range.start,
                             period_end=date_range.end, invoice_id=invoice.id))
    audit.record(session, "invoice.generate", "invoice", invoice.number, actor=actor,
                 reason=f"draft for {vendor} {date_range}",
                 details={"customer_id": cid, "total": str(figures.total), "currency": plan.currency,
                          "options": options.to_dict(), "pricebook": plan.version.label, "preliminary": preliminary})
    for kind, amount in (("general", figures.credits.general), ("marketplace", figures.credits.marketplace)):
        if amount:
            session.add(m.CreditEntry(customer_id=cid, entry_date=today, amount=-amount, currency=plan.currency,
                                      kind=kind, earned_on="", memo=f"applied to {invoice.number}", invoice_id=invoice.id))
            audit.record(session, "credit.apply", "credit", cid, actor=actor, reason=f"applied to {invoice.number}",
                         details={"kind": kind, "amount": str(amount), "currency": plan.currency})
    session.flush()
    return GeneratedInvoice(invoice.id, invoice.number, cid, plan.customer.name, vendor, date_range.label,
                            plan.currency, figures.total, preliminary)


def _invoice_row(
    plan: _Plan, vendor: str, date_range: DateRange, options: InvoiceOptions, preliminary: bool,
    today: dt.date, fx: Decimal, figures: InvoiceFigures,
) -> m.Invoice:
    invoice = m.Invoice(
        number=f"pending-{plan.customer.customer_id}-{vendor}-{date_range.start}",
        customer_id=plan.customer.customer_id, vendor=vendor, period_start=date_range.start,
        period_end=date_range.end, period_label=date_range.label, status=Status.DRAFT.value,
        currency=plan.currency, usage_currency=plan.usage_currency, fx_rate=fx, issue_date=today,
        due_date=today + dt.timedelta(days=plan.terms_days), pricebook=plan.version.pricebook,
        pricebook_version=plan.version.effective_from, preliminary=preliminary, options=options.to_dict(),
        vendor_cost=figures.vendor_cost, usage_price=figures.usage_price, support_fee=figures.support_fee,
        marketplace=figures.marketplace, credits=figures.credits.total, subtotal=figures.subtotal,
        tax_total=figures.tax_total, total=figures.total, margin=figures.margin,
    )
    invoice.lines = [
        m.InvoiceLine(
            position=i, kind=line.kind, charge_category=line.charge_category, section=line.section,
            service=line.service, sku=line.sku, description=line.description, quantity=line.quantity,
            unit=line.unit, vendor_cost=line.vendor_cost, markup_percent=line.markup_percent, rule=line.rule,
            amount=line.amount, amount_rounded=line.amount_rounded, margin=line.margin, source_rows=line.source_rows,
        )
        for i, line in enumerate(figures.lines, start=1)
    ]
    return invoice


# --- reading the workspace's reference data -------------------------------------------------

def load_pricebook(session: Session, pricebook: str, vendor: str) -> list[PricebookVersion]:
    rules: dict[str, list[Rule]] = defaultdict(list)
    for r in session.scalars(select(m.PricebookRule).where(m.PricebookRule.pricebook == pricebook, m.PricebookRule.vendor == vendor)):
        rules[r.effective_from].append(Rule(r.scope, r.match or "", r.markup_percent))
    plans = {
        s.effective_from: SupportPlan(s.percent, s.monthly_minimum)
        for s in session.scalars(select(m.SupportPlan).where(m.SupportPlan.pricebook == pricebook, m.SupportPlan.vendor == vendor))
    }
    months = sorted(set(rules) | set(plans))
    versions = []
    for month in months:
        # a version is the rules and support plan of its month; a month with only a support plan
        # change keeps the rules in force before it
        in_force = rules.get(month) or next((rules[p] for p in reversed(months) if p < month and p in rules), [])
        support = plans.get(month) or next((plans[p] for p in reversed(months) if p < month and p in plans), None)
        versions.append(PricebookVersion(pricebook, vendor, month, tuple(in_force), support))
    return versions


def fx_rate(session: Session, period: str, from_currency: str, to_currency: str) -> Decimal | None:
    if from_currency == to_currency:
        return Decimal(1)
    row = session.get(m.FxRate, (period, from_currency, to_currency))
    return row.rate if row is not None else None


def tax_rates(session: Session, jurisdiction: str, period: str) -> list[Tax]:
    latest: dict[str, m.TaxRate] = {}
    for t in session.scalars(select(m.TaxRate).where(m.TaxRate.jurisdiction == jurisdiction, m.TaxRate.effective_from <= period)
                             .order_by(m.TaxRate.effective_from)):
        latest[t.tax_name] = t
    return [Tax(t.tax_name, t.rate_percent) for name, t in sorted(latest.items()) if t.rate_percent]


def credit_balance(session: Session, customer_id: str, currency: str) -> CreditBalance:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for e in session.scalars(select(m.CreditEntry).where(m.CreditEntry.customer_id == customer_id, m.CreditEntry.currency == currency)):
        totals[e.kind] = exact_sum((totals[e.kind], e.amount))
    return CreditBalance(general=totals["general"], marketplace=totals["marketplace"])


def payment_terms(session: Session, customer: m.Customer) -> int:
    if customer.payment_terms_days is not None:
        return customer.payment_terms_days
    setting = session.get(m.Setting, "reseller.payment_terms_days")
    return int(setting.value) if setting is not None and setting.value.strip().isdigit() else 30


def find_lock(session: Session, vendor: str, customer_id: str, date_range: DateRange) -> m.PeriodLock | None:
    for lock in session.scalars(select(m.PeriodLock).where(m.PeriodLock.vendor == vendor, m.PeriodLock.customer_id == customer_id)):
        if date_range.overlaps(lock.period_start, lock.period_end):
            return lock
    return None


def source_rows(ws: Workspace, invoice_id: int) -> Iterator[tuple[int, dict[str, object]]]:
    """The vendor rows behind an invoice, each with its line position and exact amount."""
    with ws.session() as session:
        invoice = session.get(m.Invoice, invoice_id)
        if invoice is None:
            return
        date_range = DateRange(invoice.period_start, invoice.period_end, invoice.period_label)
        reports = current_reports(session, invoice.vendor, date_range.months)
        accounts = {a.account_id: a.customer_id for a in session.scalars(
            select(m.Account).where(m.Account.vendor == invoice.vendor, m.Account.customer_id == invoice.customer_id))}
        lines = {(l.kind == "marketplace", l.section, l.service, l.sku, l.unit, l.charge_category): l for l in invoice.lines
                 if l.kind in ("usage", "marketplace")}
        fx = invoice.fx_rate
    if not reports or not accounts:
        return
    con = connect_usage(ws, reports, accounts)
    try:
        cursor = con.execute(
            f"""
            SELECT coalesce(u.is_marketplace, false), coalesce(nullif(u.product_type, ''), 'Other'),
                   coalesce(u.service, ''), coalesce(u.sku, ''), coalesce(u.unit, ''), u.charge_category,
                   u.source_file, u.source_row, u.sub_account_id, u.charge_period_start, u.description,
                   coalesce(u.quantity, 0), u.billed_cost
            FROM usage u JOIN accounts a ON a.account_id = u.sub_account_id
            WHERE {usage_filter_sql(date_range)} AND {BILLABLE_SQL}
            ORDER BY u.source_file, u.source_row
            """
        )
        while batch := cursor.fetchmany(10_000):
            for market, section, service, sku, unit, category, file, row, account, start, desc, qty, cost in batch:
                line = lines.get((bool(market), section, service, sku, unit, category))
                if line is None:  # marketplace rows of an invoice that left marketplace fees out
                    continue
                amount = EXACT.multiply(EXACT.multiply(D(cost), fx), factor(line.markup_percent))
                yield line.position, {
                    "source_file": file, "source_row": row, "sub_account_id": account, "charge_period_start": start,
                    "service": service, "sku": sku, "description": desc or "", "quantity": D(qty), "unit": unit,
                    "vendor_cost": D(cost), "markup_percent": line.markup_percent, "fx_rate": fx, "amount": amount,
                }
    finally:
        con.close()
