"""invoice numbers are counted per vendor and month, and never given twice

`invoice_number_sequences`: the last number handed out per (vendor, month of the period's
start), which `store/invoice_numbers.py` moves up under a lock. Before this revision a number
was the invoice's row id, shared by every vendor and month, and SQLite gave a deleted draft's
id (and so its number) to the next invoice.

Seeded from the numbers the workspace has made: those of its invoices and those its audit trail
names (`invoice.*` events: a deleted draft's number is there too), so that each vendor and month
continues after its highest number and none is handed out again. Runs inside the upgrade's
transaction; it commits nothing of its own.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# VENDOR-YYYYMM-NNNNN, as every revision so far has made them (vendors are stored lower case)
NUMBER = re.compile(r"^([A-Z0-9]+)-(\d{4})(\d{2})-(\d+)$")


def upgrade() -> None:
    sequences = op.create_table(
        "invoice_number_sequences",
        sa.Column("vendor", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("vendor", "month", name=op.f("pk_invoice_number_sequences")),
    )
    connection = op.get_bind()
    invoices = sa.table("invoices", sa.column("number", sa.String))
    events = sa.table("audit_events", sa.column("entity", sa.String), sa.column("entity_id", sa.String))
    made = set(connection.scalars(sa.select(invoices.c.number)))
    made |= set(connection.scalars(sa.select(events.c.entity_id).where(events.c.entity == "invoice").distinct()))
    highest: dict[tuple[str, str], int] = {}
    for number in made:
        found = NUMBER.match(number or "")
        if found:
            vendor, year, month, sequence = found.groups()
            key = (vendor.lower(), f"{year}-{month}")
            highest[key] = max(highest.get(key, 0), int(sequence))
    if highest:
        op.bulk_insert(sequences, [{"vendor": vendor, "month": month, "last_number": last}
                                   for (vendor, month), last in sorted(highest.items())])


def downgrade() -> None:
    op.drop_table("invoice_number_sequences")
