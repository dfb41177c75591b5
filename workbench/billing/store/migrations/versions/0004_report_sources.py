"""vendor reports keep their source file; canonical rows are written when first needed

`source_path`: the vendor file as imported, inside the workspace. `read_as`: the vendor the
import was told the file is (re-applied when the rows are read from the source again).
Reports stored before this revision have their canonical rows already and no source.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vendor_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_path", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("read_as", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vendor_reports", schema=None) as batch_op:
        batch_op.drop_column("read_as")
        batch_op.drop_column("source_path")
