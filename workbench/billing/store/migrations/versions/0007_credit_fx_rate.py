"""credit applications in another currency than the invoice's record their rate

`credit_entries.fx_rate`: on an application of a credit in another currency than its invoice's,
the rate (1 credit currency = fx_rate invoice currency, the stored rate of the invoice's period)
it was converted at, so the statement shows it and `verify` re-derives the invoice. Null on
grants, returns and applications in the invoice's own currency (every entry before this revision).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# models.ExactDecimal's DDL at this revision: exact text on SQLite, NUMERIC without precision on
# PostgreSQL (as revision 0003 made every money column), NUMERIC(48, 18) elsewhere
EXACT_DECIMAL = sa.Numeric(48, 18).with_variant(sa.String(64), "sqlite").with_variant(sa.Numeric(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("credit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fx_rate", EXACT_DECIMAL, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credit_entries", schema=None) as batch_op:
        batch_op.drop_column("fx_rate")
