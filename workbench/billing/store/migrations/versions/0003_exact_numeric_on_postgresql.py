"""Money on PostgreSQL as NUMERIC without precision: exact, scale kept as written

NUMERIC(48, 18) rounded amounts beyond 18 decimals and padded every value to 18 of them.
Widening: no value changes. SQLite stores text and is not touched.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY_COLUMNS = {
    "fx_rates": ["rate"],
    "pricebook_rules": ["markup_percent"],
    "support_plans": ["percent", "monthly_minimum"],
    "tax_rates": ["rate_percent"],
    "vendor_reports": ["cost_total"],
    "invoices": ["fx_rate", "vendor_cost", "usage_price", "support_fee", "marketplace", "credits",
                 "subtotal", "tax_total", "total", "margin"],
    "credit_entries": ["amount"],
    "invoice_lines": ["quantity", "vendor_cost", "markup_percent", "amount", "amount_rounded", "margin"],
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in MONEY_COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.Numeric(), existing_type=sa.Numeric(48, 18))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in MONEY_COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.Numeric(48, 18), existing_type=sa.Numeric())
