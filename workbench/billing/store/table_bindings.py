"""Where each table file lives in the database: its model and the column -> attribute map."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
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

    def find(self, session: Session, values: Mapping[str, object]) -> Base | None:
        query = select(self.model).filter_by(**{self.attribute(k): values[k] for k in self.format.key})
        if self.ledger_grants_only:
            query = query.where(CreditEntry.invoice_id.is_(None))
        return session.scalars(query).one_or_none()


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
