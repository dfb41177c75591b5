"""The migrations build exactly the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from workbench.billing.exports.view import CustomerContact, InvoiceView
from workbench.billing.store.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from workbench.billing.store.models import Base, Invoice
from workbench.billing.store.workspace import Workspace


def test_upgrading_an_empty_database_gives_exactly_the_models(db_url: str) -> None:
    upgrade_to_head(db_url)
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, Base.metadata) == []
        assert set(inspect(connection).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_upgrading_again_changes_nothing(any_db_workspace: Workspace) -> None:
    def schema() -> dict[str, object]:
        with any_db_workspace.engine.connect() as connection:
            found = inspect(connection)
            return {t: (found.get_columns(t), found.get_indexes(t), found.get_unique_constraints(t))
                    for t in sorted(found.get_table_names())}

    before = schema()
    upgrade_to_head(any_db_workspace.engine.url.render_as_string(hide_password=False))
    assert current_revision(any_db_workspace.engine) == head_revision()
    assert repr(schema()) == repr(before)


def test_an_invoice_stored_before_revision_0006_keeps_reading_todays_data(db_url: str) -> None:
    """0006 adds what an invoice is made from and whom it names, null on the invoices already
    stored: those keep reading the customer and the tax table as they are now."""
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
        before = MetaData()
        before.reflect(connection, only=["customers", "invoices"])
        money = "0" if engine.dialect.name == "sqlite" else Decimal("0")
        connection.execute(before.tables["customers"].insert(), [dict(
            customer_id="100001", name="Acme Corp", contact_name="Ann Smith", contact_email="ann@acme.example",
            billing_address="1 Main St", tax_jurisdiction="CA-QC")])
        connection.execute(before.tables["invoices"].insert(), [dict(
            number="AWS-202510-00001", customer_id="100001", vendor="aws", period_start=dt.date(2025, 10, 1),
            period_end=dt.date(2025, 11, 1), period_label="2025-10", status="open", currency="CAD", usage_currency="USD",
            fx_rate=money, issue_date=dt.date(2025, 11, 21), due_date=dt.date(2025, 12, 21), pricebook="Standard",
            pricebook_version="2025-01", preliminary=False, options={}, created_at=dt.datetime(2025, 11, 20),
            updated_at=dt.datetime(2025, 11, 21),
            **{f: money for f in ("vendor_cost", "usage_price", "support_fee", "marketplace", "credits", "subtotal",
                                  "tax_total", "total", "margin")})])
    upgrade_to_head(db_url)
    with Session(engine) as session:
        invoice = session.scalar(select(Invoice))
        assert invoice is not None
        assert (invoice.tax_jurisdiction, invoice.tax_rates, invoice.priced_from, invoice.bill_to, invoice.issued_by) == (
            None, None, None, None, None)
        assert InvoiceView.from_orm(session, invoice).customer == CustomerContact(
            "100001", "Acme Corp", "Ann Smith", "ann@acme.example", "1 Main St")
        invoice.tax_rates = [["GST", "5"], ["QST", "9.975"]]  # and the new columns hold what new invoices record
        invoice.bill_to = {"name": "Acme Corp", "billing_address": "1 Main St"}
        session.commit()
        session.expire_all()
        assert (invoice.tax_rates, invoice.bill_to["name"]) == ([["GST", "5"], ["QST", "9.975"]], "Acme Corp")
    engine.dispose()


# Upgrades the database argv[1]; stops after the upgrade's first ALTER TABLE when argv[2] is
# "pause", says so and waits for a line on stdin. Prints "upgraded" when done.
UPGRADER = r"""
import sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
from workbench.billing.store.migrate import upgrade_to_head

@event.listens_for(Engine, "after_cursor_execute")
def _pause(conn, cursor, statement, parameters, context, executemany):
    if sys.argv[2] == "pause" and statement.lstrip().upper().startswith("ALTER TABLE"):
        sys.argv[2] = ""
        print("paused", flush=True)
        sys.stdin.readline()

print("ready", flush=True)
upgrade_to_head(sys.argv[1])
print("upgraded", flush=True)
"""


def test_two_processes_upgrading_one_database_at_once_take_turns(db_url: str) -> None:
    """The second waits for the first (SQLite: a flock and the write lock; PostgreSQL: an
    advisory lock), then finds the database upgraded; without that it would add 0006's columns
    again ("duplicate column" / "already exists")."""
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
    _two_upgraders_at_once(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_processes_upgrading_take_turns_on_a_server_that_defaults_to_repeatable_read(db_url: str) -> None:
    """A server (or database) whose transactions default to REPEATABLE READ reads each statement of
    a transaction from the snapshot of its first one: the second upgrader's was taken by its
    advisory-lock statement, before it waited, so it read revision 0005 again once the first had
    committed, and failed adding 0006's columns again ("already exists"). The upgrade reads at READ
    COMMITTED, whatever the server's default."""
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
        database = connection.execute(text("SELECT current_database()")).scalar()
        connection.execute(text(f"ALTER DATABASE \"{database}\" SET default_transaction_isolation = 'repeatable read'"))
    _two_upgraders_at_once(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def _two_upgraders_at_once(db_url: str) -> None:
    """The first upgrader stopped after its first ALTER TABLE, the second started meanwhile: the
    second waits, then finds the database upgraded."""

    def start(mode: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, "-c", UPGRADER, db_url, mode], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        return proc

    first = start("pause")
    second = None
    try:
        assert first.stdout is not None and first.stdout.readline() == "paused\n"
        second = start("")
        with pytest.raises(subprocess.TimeoutExpired):  # it waits for the first one's upgrade
            second.wait(timeout=3)
        first.communicate("\n", timeout=120)
        out, err = second.communicate(timeout=120)
        assert (first.returncode, second.returncode, out) == (0, 0, "upgraded\n"), err
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate()

