"""Pricebooks: markup or discount percent per vendor, refined by service, product type or SKU.

A pricebook has versions; a version takes effect from a month (`effective_from`, YYYY-MM) and
applies until the next version. The most specific matching rule wins:
sku > product_type > service > default. No matching rule means the line is billed at cost
(0 %), and the line records that no rule matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from workbench.billing.core.money import ZERO

SCOPES = ("sku", "product_type", "service", "default")  # most specific first


@dataclass(frozen=True, slots=True)
class Rule:
    scope: str
    match: str
    markup_percent: Decimal

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"unknown pricebook scope {self.scope!r}; use one of {', '.join(SCOPES)}")

    def describe(self) -> str:
        where = "default" if self.scope == "default" else f"{self.scope}={self.match}"
        return f"{where}: {self.markup_percent:+}%"


AT_COST = Rule("default", "", ZERO)


@dataclass(frozen=True, slots=True)
class SupportPlan:
    percent: Decimal
    monthly_minimum: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PricebookVersion:
    pricebook: str
    vendor: str
    effective_from: str  # YYYY-MM
    rules: tuple[Rule, ...] = ()
    support: SupportPlan | None = None
    _index: dict[tuple[str, str], Rule] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({(r.scope, r.match if r.scope != "default" else ""): r for r in self.rules})

    @property
    def label(self) -> str:
        return f"{self.pricebook} {self.effective_from}"

    def rule_for(self, service: str, product_type: str, sku: str) -> Rule:
        for scope, value in (("sku", sku), ("product_type", product_type), ("service", service), ("default", "")):
            rule = self._index.get((scope, value))
            if rule is not None:
                return rule
        return AT_COST


def select_version(versions: list[PricebookVersion], period: str) -> PricebookVersion | None:
    """The version in force for billing period `period` (YYYY-MM): latest effective_from <= period."""
    eligible = [v for v in versions if v.effective_from <= period]
    return max(eligible, key=lambda v: v.effective_from) if eligible else None
