"""Where each table file lives in the database: its model and the column -> attribute map."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import Session

from workbench.billing.store.models import (
    Account,
    Base,
    CreditEntry,
    Customer,
    CustomerVendor,
    FxRate,
    PricebookRule,
    Setting,
    SupportPlan,
    TaxRate,
)
from workbench.billing.store.table_formats import FORMATS_BY_NAME, RESELLER, TableFormat

RESELLER_PREFIX = "reseller."


@dataclass(frozen=True)
class Binding:
    format: TableFormat
    model: type[Base]
    renamed: dict[str, str] = field(default_factory=dict)  # file column -> attribute, when they differ
    ledger_grants_only: bool = False  # credits: only rows typed in by people (no invoice applications)

    def attribute(self, column: str) -> str:
        return self.renamed.get(column, column)

    def select_all(self) -> Select[Any]:
        query = select(self.model)
        if self.ledger_grants_only:
            query = query.where(CreditEntry.invoice_id.is_(None))
        return query.order_by(*(getattr(self.model, self.attribute(k)) for k in self.format.key))

    def stored_by_key(self, session: Session) -> dict[tuple[object, ...], dict[str, Any]]:
        """Every stored row of the table, by key, as {attribute: value} of its file's columns and
        its primary key: one query of plain rows, where looking each imported row up took one
        ORM query (and an autoflush) per row."""
        mapper = inspect(self.model)
        names = dict.fromkeys([*(self.attribute(c) for c in self.format.column_names),
                               *(mapper.get_property_by_column(c).key for c in mapper.primary_key)])
        query = select(*(getattr(self.model, name) for name in names))
        if self.ledger_grants_only:
            query = query.where(CreditEntry.invoice_id.is_(None))
        key = [self.attribute(k) for k in self.format.key]
        with session.no_autoflush:
            rows = [dict(zip(names, row)) for row in session.execute(query)]
        return {tuple(row[k] for k in key): row for row in rows}

    def primary_key(self, stored: dict[str, Any]) -> dict[str, Any]:
        """The primary key attributes of a row `stored_by_key` gave (for a bulk UPDATE)."""
        mapper = inspect(self.model)
        return {name: stored[name] for name in (mapper.get_property_by_column(c).key for c in mapper.primary_key)}


BINDINGS: dict[str, Binding] = {
    b.format.name: b
    for b in (
        Binding(FORMATS_BY_NAME["customers"], Customer),
        Binding(FORMATS_BY_NAME["customer_vendors"], CustomerVendor),
        Binding(FORMATS_BY_NAME["accounts"], Account),
        Binding(FORMATS_BY_NAME["pricebooks"], PricebookRule),
        Binding(FORMATS_BY_NAME["support_plans"], SupportPlan),
        Binding(FORMATS_BY_NAME["tax_rates"], TaxRate),
        Binding(FORMATS_BY_NAME["fx_rates"], FxRate),
        Binding(FORMATS_BY_NAME["credits"], CreditEntry, {"date": "entry_date"}, ledger_grants_only=True),
    )
}


def reseller_key(column: str) -> str:
    return RESELLER_PREFIX + column


def reseller_settings(session: Session) -> dict[str, str]:
    keys = [reseller_key(c) for c in RESELLER.column_names]
    rows = session.scalars(select(Setting).where(Setting.key.in_(keys))).all()
    return {row.key.removeprefix(RESELLER_PREFIX): row.value for row in rows}
