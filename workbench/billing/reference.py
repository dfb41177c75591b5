"""The workspace's reference data as the pricing core wants it: pricebook versions, exchange
rates, tax tables, payment terms, period locks and credit balances.

Single lookups (`load_pricebook`, `tax_rates`, `payment_terms`) serve `verify` and the
lifecycle; a generation run reads everything it needs for all its customers in a handful of
queries (`RunReference.load`), not a dozen per customer.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.billing.core.credits import CreditBalance, ForeignCredit
from workbench.billing.core.invoice import Tax
from workbench.billing.core.money import ZERO, exact_sum
from workbench.billing.core.periods import DateRange
from workbench.billing.core.pricebook import PricebookVersion, Rule, SupportPlan
from workbench.billing.store import models as m
from workbench.billing.store.in_lists import chunks
from workbench.billing.store.periods import HeldInvoice

__all__ = [
    "DEFAULT_PAYMENT_TERMS_DAYS", "Billed", "RunReference", "credit_balances", "load_pricebook", "payable_credits", "payment_terms",
    "period_locks",
    "tax_rates",
]

DEFAULT_PAYMENT_TERMS_DAYS = 30


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


def tax_rates(session: Session, jurisdiction: str, period: str) -> list[Tax]:
    latest: dict[str, m.TaxRate] = {}
    for t in session.scalars(select(m.TaxRate).where(m.TaxRate.jurisdiction == jurisdiction, m.TaxRate.effective_from <= period)
                             .order_by(m.TaxRate.effective_from)):
        latest[t.tax_name] = t
    return [Tax(t.tax_name, t.rate_percent) for name, t in sorted(latest.items()) if t.rate_percent]


def has_tax_rates(session: Session, jurisdiction: str, period: str) -> bool:
    """Whether the jurisdiction has any tax row in effect by `period`, a 0 % one too: a known
    untaxed jurisdiction (a 0 % VAT), unlike one nobody entered."""
    return session.scalar(select(m.TaxRate.jurisdiction).where(
        m.TaxRate.jurisdiction == jurisdiction, m.TaxRate.effective_from <= period).limit(1)) is not None


def credit_balances(session: Session, customer_ids: Sequence[str]) -> dict[tuple[str, str], CreditBalance]:
    """(customer, currency) -> the balance of general and marketplace credits, exact."""
    return _credit_ledger(session, customer_ids)[0]


def _credit_ledger(session: Session, customer_ids: Sequence[str]
                   ) -> tuple[dict[tuple[str, str], CreditBalance], dict[tuple[str, str], list[str]]]:
    """The balances, and (customer, currency) -> the ids of its grants (what a message names)."""
    totals: dict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
    grant_ids: dict[tuple[str, str], list[str]] = defaultdict(list)
    for chunk in chunks(customer_ids):
        for e in session.scalars(select(m.CreditEntry).where(m.CreditEntry.customer_id.in_(chunk)).order_by(m.CreditEntry.id)):
            totals[(e.customer_id, e.currency, e.kind)].append(e.amount)
            if e.invoice_id is None and e.amount > 0 and e.credit_id:
                grant_ids[(e.customer_id, e.currency)].append(e.credit_id)
    balances: dict[tuple[str, str], CreditBalance] = {}
    for customer, currency in {(c, cur) for c, cur, _ in totals}:
        balances[(customer, currency)] = CreditBalance(general=exact_sum(totals.get((customer, currency, "general"), [])),
                                                       marketplace=exact_sum(totals.get((customer, currency, "marketplace"), [])))
    return balances, dict(grant_ids)


def payable_credits(balances: dict[tuple[str, str], CreditBalance], customer_id: str, currency: str,
                    rates: dict[str, Decimal]) -> tuple[CreditBalance, list[str]]:
    """The customer's credits that may pay an invoice in `currency`: those in it, and those in
    another currency with a rate into it (`rates`: other currency -> 1 other in `currency`, the
    stored rates of the invoice's period). Also the other currencies holding credit but no rate:
    their credit pays nothing, which the run must say."""
    own = balances.get((customer_id, currency), CreditBalance())
    foreign: list[ForeignCredit] = []
    unpriced: list[str] = []
    for (cid, other), held in sorted(balances.items()):
        if cid != customer_id or other == currency or (held.general <= 0 and held.marketplace <= 0):
            continue
        if other in rates:
            foreign.append(ForeignCredit(other, rates[other], held.general, held.marketplace))
        else:
            unpriced.append(other)
    return CreditBalance(own.general, own.marketplace, tuple(foreign)), unpriced


def payment_terms(session: Session, customer: m.Customer) -> int:
    if customer.payment_terms_days is not None:
        return customer.payment_terms_days
    return _default_terms(session)


def _default_terms(session: Session) -> int:
    setting = session.get(m.Setting, "reseller.payment_terms_days")
    return int(setting.value) if setting is not None and setting.value.strip().isdigit() else DEFAULT_PAYMENT_TERMS_DAYS


@dataclass(frozen=True, slots=True)
class Billed:
    """A period lock with the invoice that holds it (what the analyst sees, and what releases it)."""

    period_start: dt.date
    period_end: dt.date  # exclusive
    number: str
    status: str
    total: Decimal

    @property
    def held(self) -> HeldInvoice:
        return HeldInvoice(self.number, self.status, self.total)


def period_locks(session: Session, vendor: str, customer_ids: Iterable[str], date_range: DateRange) -> dict[str, Billed]:
    """customer -> the first of its `vendor` locks overlapping the range (by start date)."""
    found: dict[str, Billed] = {}
    for chunk in chunks(customer_ids):
        query = (select(m.PeriodLock.customer_id, m.PeriodLock.period_start, m.PeriodLock.period_end, m.Invoice.number,
                        m.Invoice.status, m.Invoice.total)
                 .join(m.Invoice, m.Invoice.id == m.PeriodLock.invoice_id)
                 .where(m.PeriodLock.vendor == vendor, m.PeriodLock.customer_id.in_(chunk))
                 .where(m.PeriodLock.period_start < date_range.end, m.PeriodLock.period_end > date_range.start)
                 .order_by(m.PeriodLock.customer_id, m.PeriodLock.period_start))
        for customer_id, *lock in session.execute(query):
            found.setdefault(customer_id, Billed(*lock))
    return found


@dataclass
class RunReference:
    """What one generation run reads once for all its customers."""

    vendor: str
    date_range: DateRange
    profiles: dict[str, m.CustomerVendor]
    fx: dict[tuple[str, str], Decimal]
    default_terms: int
    locks: dict[str, Billed]
    balances: dict[tuple[str, str], CreditBalance]
    _session: Session
    _pricebooks: dict[str, list[PricebookVersion]] = field(default_factory=dict)
    _taxes: dict[str, list[Tax]] = field(default_factory=dict)
    credit_ids: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (customer, currency) -> grants

    @classmethod
    def load(cls, session: Session, vendor: str, date_range: DateRange, customer_ids: Sequence[str]) -> RunReference:
        month = date_range.first_month
        profiles: dict[str, m.CustomerVendor] = {}
        for chunk in chunks(customer_ids):
            profiles.update((p.customer_id, p) for p in session.scalars(
                select(m.CustomerVendor).where(m.CustomerVendor.vendor == vendor, m.CustomerVendor.customer_id.in_(chunk))))
        fx = {(r.from_currency, r.to_currency): r.rate for r in session.scalars(select(m.FxRate).where(m.FxRate.period == month))}
        balances, credit_ids = _credit_ledger(session, customer_ids)
        return cls(vendor, date_range, profiles, fx, _default_terms(session), period_locks(session, vendor, customer_ids, date_range),
                   balances, session, credit_ids=credit_ids)

    def pricebook(self, name: str) -> list[PricebookVersion]:
        if name not in self._pricebooks:
            self._pricebooks[name] = load_pricebook(self._session, name, self.vendor)
        return self._pricebooks[name]

    def taxes(self, jurisdiction: str) -> list[Tax]:
        if jurisdiction not in self._taxes:
            self._taxes[jurisdiction] = tax_rates(self._session, jurisdiction, self.date_range.first_month)
        return self._taxes[jurisdiction]

    def knows_taxes(self, jurisdiction: str) -> bool:
        """Taxes are entered for the jurisdiction, maybe all at 0 % (`has_tax_rates`)."""
        return bool(self.taxes(jurisdiction)) or has_tax_rates(self._session, jurisdiction, self.date_range.first_month)

    def fx_rate(self, from_currency: str, to_currency: str) -> Decimal | None:
        return Decimal(1) if from_currency == to_currency else self.fx.get((from_currency, to_currency))

    def balance(self, customer_id: str, currency: str) -> CreditBalance:
        return self.balances.get((customer_id, currency), CreditBalance(ZERO, ZERO))

    def rates_into(self, currency: str) -> dict[str, Decimal]:
        """other currency -> its rate into `currency` for the run's period (the usage's lookup)."""
        return {frm: rate for (frm, to), rate in self.fx.items() if to == currency}

    def terms(self, customer: m.Customer) -> int:
        return customer.payment_terms_days if customer.payment_terms_days is not None else self.default_terms

