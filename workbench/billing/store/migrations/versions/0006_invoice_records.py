"""invoices record what they were made from and, once issued, the parties they name

`tax_jurisdiction`, `tax_rates`: the customer's jurisdiction and the taxes applied, at
generation (`verify` re-derives the tax from them, not from today's tax table). `priced_from`:
the vendor reports and accounts the invoice was priced from (its detailed export lists their
rows, not those of a report imported since). `bill_to`, `issued_by`: the customer's and the
reseller's name, address and contact as the statement showed them when it was issued.
All null on invoices from before this revision, which keep reading today's data.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_jurisdiction", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("tax_rates", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("priced_from", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("bill_to", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("issued_by", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("issued_by")
        batch_op.drop_column("bill_to")
        batch_op.drop_column("priced_from")
        batch_op.drop_column("tax_rates")
        batch_op.drop_column("tax_jurisdiction")
