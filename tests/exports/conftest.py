"""Invoices for the export tests, stored through the real models in an in-memory SQLite database.

Two ways to make one, both written as `|` tables the way an analyst would read them on screen:

- `engine_invoice`: the usage groups of a month; the invoice engine itself (`core.rating.rate`
  and `core.invoice.compute_invoice`) prices them and makes every line and figure, which are
  stored exactly as `generate` stores them. The export tests use it wherever they can, so they
  cannot drift from the engine's definition of lines, subtotal and total.
- `store_invoice`: lines and figures typed in by hand, for stored data the engine never makes
  (figures that disagree with the lines, an unrounded "displayed" amount, odd source rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from workbench.billing.core.credits import CreditBalance
from workbench.billing.core.invoice import InvoiceOptions, Tax, compute_invoice
from workbench.billing.core.money import D
from workbench.billing.core.pricebook import PricebookVersion
from workbench.billing.core.rating import UsageGroup, rate
from workbench.billing.exports import InvoiceView, SourceRows
from workbench.billing.store.models import Base, CreditEntry, Customer, Invoice, InvoiceLine, Setting

from .helpers import DECIMAL_FIELDS, EngineInvoice, StoreInvoice, table


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                Setting(key="reseller.name", value="Northwind Cloud Partners"),
                Setting(key="reseller.address", value="1 Harbour St, Halifax NS"),
                Setting(key="reseller.contact_email", value="billing@northwind.example"),
                Setting(key="reseller.logo_file", value="logo.png"),
                Customer(customer_id="C-1001", name="Acme Corp", contact_name="Jo Doe",
                         contact_email="jo@acme.example", billing_address="5 Main St"),
            ]
        )
        s.commit()
        yield s
    engine.dispose()


def _invoice(number: str, currency: str, usage_currency: str, fx_rate: Decimal, pricebook: str, version: str,
             figures: dict[str, Decimal], options: dict[str, bool] | None = None) -> Invoice:
    return Invoice(
        number=number, customer_id="C-1001", vendor="aws",
        period_start=dt.date(2025, 10, 1), period_end=dt.date(2025, 11, 1), period_label="October 2025",
        status="draft", currency=currency, usage_currency=usage_currency, fx_rate=fx_rate,
        issue_date=dt.date(2025, 11, 7), due_date=dt.date(2025, 12, 7),
        pricebook=pricebook, pricebook_version=version, preliminary=False, options=options or {}, **figures,
    )


def _read_back(session: Session, invoice: Invoice, source_rows: SourceRows | None) -> InvoiceView:
    session.add(invoice)
    session.commit()
    session.expire_all()  # read back what the database holds, as the application will
    stored = session.get(Invoice, invoice.id)
    assert stored is not None
    return InvoiceView.from_orm(session, stored, source_rows=source_rows)


@pytest.fixture
def engine_invoice(session: Session) -> EngineInvoice:
    """Price the usage-group table with the invoice engine; store the result; return its view read back.

    Columns: section | service | sku | description | quantity | unit | vendor_cost | marketplace (yes/no)
    | source_rows, and optionally charge_category (default "usage").
    """

    def build(
        usage: str,
        *,
        pricebook: PricebookVersion,
        options: InvoiceOptions = InvoiceOptions(),
        balance: CreditBalance = CreditBalance(),
        taxes: Sequence[Tax] = (),
        currency: str = "USD",
        usage_currency: str | None = None,
        fx_rate: str = "1",
        number: str = "AWS-2025-10-00001",
        source_rows: SourceRows | None = None,
    ) -> InvoiceView:
        fx = D(fx_rate)
        groups = [
            UsageGroup(
                section=row["section"], service=row["service"], sku=row["sku"], description=row["description"],
                unit=row["unit"], quantity=D(row["quantity"]), vendor_cost=D(row["vendor_cost"]),
                is_marketplace={"yes": True, "no": False}[row["marketplace"]],
                charge_category=row.get("charge_category", "usage"), source_rows=int(row["source_rows"]),
            )
            for row in table(usage)
        ]
        figures = compute_invoice(
            [rate(group, pricebook, fx) for group in groups],
            currency=currency, fx_rate=fx, options=options, support=pricebook.support, balance=balance, taxes=taxes,
        )
        # stored the way workbench.billing.generate stores an invoice: every figure as the engine made it
        invoice = _invoice(
            number, currency, usage_currency or currency, fx, pricebook.pricebook, pricebook.effective_from,
            {
                "vendor_cost": figures.vendor_cost, "usage_price": figures.usage_price,
                "support_fee": figures.support_fee, "marketplace": figures.marketplace,
                "credits": figures.credits.total, "subtotal": figures.subtotal, "tax_total": figures.tax_total,
                "total": figures.total, "margin": figures.margin,
            },
            options.to_dict(),
        )
        invoice.lines = [
            InvoiceLine(
                position=i, kind=line.kind, charge_category=line.charge_category, section=line.section,
                service=line.service, sku=line.sku, description=line.description, quantity=line.quantity,
                unit=line.unit, vendor_cost=line.vendor_cost, markup_percent=line.markup_percent, rule=line.rule,
                amount=line.amount, amount_rounded=line.amount_rounded, margin=line.margin,
                source_rows=line.source_rows,
            )
            for i, line in enumerate(figures.lines, start=1)
        ]
        session.add(invoice)
        session.flush()
        # the ledger entries that applied credits in other currencies, with their rates, as generate records them
        session.add_all(
            CreditEntry(customer_id="C-1001", entry_date=dt.date(2025, 11, 7), amount=-take.taken,
                        currency=take.currency, kind=take.kind, memo=f"applied to {number}",
                        invoice_id=invoice.id, fx_rate=take.rate)
            for take in figures.credits.foreign
        )
        return _read_back(session, invoice, source_rows)

    return build


@pytest.fixture
def store_invoice(session: Session) -> StoreInvoice:
    """Store an Invoice with the given line table and figures; return its view read back from the database."""

    def build(
        lines: str,
        *,
        currency: str = "USD",
        subtotal: str,
        total: str,
        number: str = "AWS-2025-10-00001",
        usage_currency: str | None = None,
        fx_rate: str = "1",
        source_rows: SourceRows | None = None,
        **figures: str,
    ) -> InvoiceView:
        values: dict[str, Any] = {
            "vendor_cost": "0", "usage_price": "0", "support_fee": "0", "marketplace": "0",
            "credits": "0", "tax_total": "0", "margin": "0", **figures, "subtotal": subtotal, "total": total,
        }
        invoice = _invoice(number, currency, usage_currency or currency, D(fx_rate), "Standard", "2025-07",
                           {k: D(v) for k, v in values.items()})
        for row in table(lines):
            fields: dict[str, Any] = {"margin": "0", "rule": "", "source_rows": "0", **row}
            invoice.lines.append(
                InvoiceLine(**{k: D(v) if k in DECIMAL_FIELDS else int(v) if k in ("position", "source_rows") else v
                               for k, v in fields.items()})
            )
        return _read_back(session, invoice, source_rows)

    return build
