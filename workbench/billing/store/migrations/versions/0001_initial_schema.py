"""Initial schema: every table of models.py.

Revision ID: 0001
Revises: (none)
Create Date: written with alembic autogenerate from models.py, reviewed by hand
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The DDL of models.ExactDecimal frozen here, so a later change to that class cannot rewrite
# history: exact text on SQLite (no exact DECIMAL there), NUMERIC(48, 18) elsewhere.
EXACT_DECIMAL = sa.Numeric(48, 18).with_variant(sa.String(64), "sqlite")

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('customers',
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=200), nullable=False),
    sa.Column('billing_address', sa.Text(), nullable=False),
    sa.Column('tax_jurisdiction', sa.String(length=64), nullable=False),
    sa.Column('payment_terms_days', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customers'))
    )
    op.create_table('fx_rates',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('from_currency', sa.String(length=3), nullable=False),
    sa.Column('to_currency', sa.String(length=3), nullable=False),
    sa.Column('rate', EXACT_DECIMAL, nullable=False),
    sa.PrimaryKeyConstraint('period', 'from_currency', 'to_currency', name=op.f('pk_fx_rates'))
    )
    op.create_table('pricebook_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pricebook', sa.String(length=100), nullable=False),
    sa.Column('effective_from', sa.String(length=7), nullable=False),
    sa.Column('vendor', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('match', sa.String(length=200), nullable=False),
    sa.Column('markup_percent', EXACT_DECIMAL, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pricebook_rules')),
    sa.UniqueConstraint('pricebook', 'effective_from', 'vendor', 'scope', 'match', name=op.f('uq_pricebook_rules_pricebook'))
    )
    with op.batch_alter_table('pricebook_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pricebook_rules_pricebook'), ['pricebook'], unique=False)

    op.create_table('settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('support_plans',
    sa.Column('pricebook', sa.String(length=100), nullable=False),
    sa.Column('effective_from', sa.String(length=7), nullable=False),
    sa.Column('vendor', sa.String(length=16), nullable=False),
    sa.Column('percent', EXACT_DECIMAL, nullable=False),
    sa.Column('monthly_minimum', EXACT_DECIMAL, nullable=False),
    sa.PrimaryKeyConstraint('pricebook', 'effective_from', 'vendor', name=op.f('pk_support_plans'))
    )
    op.create_table('tax_rates',
    sa.Column('jurisdiction', sa.String(length=64), nullable=False),
    sa.Column('tax_name', sa.String(length=64), nullable=False),
    sa.Column('effective_from', sa.String(length=7), nullable=False),
    sa.Column('rate_percent', EXACT_DECIMAL, nullable=False),
    sa.PrimaryKeyConstraint('jurisdiction', 'tax_name', 'effective_from', name=op.f('pk_tax_rates'))
    )
    op.create_table('vendor_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('vendor', sa.String(length=16), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('billing_account_id', sa.String(length=128), nullable=False),
    sa.Column('billing_period', sa.String(length=7), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('cost_total', EXACT_DECIMAL, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('is_final', sa.Boolean(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('superseded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['superseded_by'], ['vendor_reports.id'], name=op.f('fk_vendor_reports_superseded_by_vendor_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_reports')),
    sa.UniqueConstraint('sha256', 'billing_period', name=op.f('uq_vendor_reports_sha256'))
    )
    with op.batch_alter_table('vendor_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_reports_sha256'), ['sha256'], unique=False)

    op.create_table('accounts',
    sa.Column('vendor', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('account_name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'], name=op.f('fk_accounts_customer_id_customers')),
    sa.PrimaryKeyConstraint('vendor', 'account_id', name=op.f('pk_accounts'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_vendors',
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('vendor', sa.String(length=16), nullable=False),
    sa.Column('pricebook', sa.String(length=100), nullable=False),
    sa.Column('invoice_currency', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'], name=op.f('fk_customer_vendors_customer_id_customers')),
    sa.PrimaryKeyConstraint('customer_id', 'vendor', name=op.f('pk_customer_vendors'))
    )
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('vendor', sa.String(length=16), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('period_label', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('usage_currency', sa.String(length=3), nullable=False),
    sa.Column('fx_rate', EXACT_DECIMAL, nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('pricebook', sa.String(length=100), nullable=False),
    sa.Column('pricebook_version', sa.String(length=7), nullable=False),
    sa.Column('preliminary', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('vendor_cost', EXACT_DECIMAL, nullable=False),
    sa.Column('usage_price', EXACT_DECIMAL, nullable=False),
    sa.Column('support_fee', EXACT_DECIMAL, nullable=False),
    sa.Column('marketplace', EXACT_DECIMAL, nullable=False),
    sa.Column('credits', EXACT_DECIMAL, nullable=False),
    sa.Column('subtotal', EXACT_DECIMAL, nullable=False),
    sa.Column('tax_total', EXACT_DECIMAL, nullable=False),
    sa.Column('total', EXACT_DECIMAL, nullable=False),
    sa.Column('margin', EXACT_DECIMAL, nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'], name=op.f('fk_invoices_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_status'), ['status'], unique=False)

    op.create_table('credit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('credit_id', sa.String(length=64), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('amount', EXACT_DECIMAL, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('earned_on', sa.String(length=16), nullable=False),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'], name=op.f('fk_credit_entries_customer_id_customers')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_credit_entries_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_entries'))
    )
    with op.batch_alter_table('credit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_entries_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_entries_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('charge_category', sa.String(length=16), nullable=False),
    sa.Column('section', sa.String(length=100), nullable=False),
    sa.Column('service', sa.String(length=200), nullable=False),
    sa.Column('sku', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('quantity', EXACT_DECIMAL, nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('vendor_cost', EXACT_DECIMAL, nullable=False),
    sa.Column('markup_percent', EXACT_DECIMAL, nullable=False),
    sa.Column('rule', sa.String(length=300), nullable=False),
    sa.Column('amount', EXACT_DECIMAL, nullable=False),
    sa.Column('amount_rounded', EXACT_DECIMAL, nullable=False),
    sa.Column('margin', EXACT_DECIMAL, nullable=False),
    sa.Column('source_rows', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines'))
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('period_locks',
    sa.Column('vendor', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'], name=op.f('fk_period_locks_customer_id_customers')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_period_locks_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('vendor', 'customer_id', 'period_start', name=op.f('pk_period_locks'))
    )


def downgrade() -> None:
    op.drop_table('period_locks')
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_invoice_id'))

    op.drop_table('invoice_lines')
    with op.batch_alter_table('credit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_entries_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_credit_entries_customer_id'))

    op.drop_table('credit_entries')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_status'))
        batch_op.drop_index(batch_op.f('ix_invoices_customer_id'))

    op.drop_table('invoices')
    op.drop_table('customer_vendors')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_customer_id'))

    op.drop_table('accounts')
    with op.batch_alter_table('vendor_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendor_reports_sha256'))

    op.drop_table('vendor_reports')
    op.drop_table('tax_rates')
    op.drop_table('support_plans')
    op.drop_table('settings')
    with op.batch_alter_table('pricebook_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pricebook_rules_pricebook'))

    op.drop_table('pricebook_rules')
    op.drop_table('fx_rates')
    op.drop_table('customers')
