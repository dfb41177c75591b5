"""A table import's statements do not grow with its rows: the stored rows are read once per
table and the new rows, the changes and their audit events are written in batches (one query and
one autoflush per row made 20,000 customers take 760 s: `bench/table_import.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, func, select

from workbench.billing.store import Workspace, import_tables, init_workspace
from workbench.billing.store.models import Account, AuditEvent, CreditEntry, Customer


def write_tables(folder: Path, customers: int, *, name: str = "Customer") -> list[Path]:
    """`customers` customers, an AWS account and a credit grant each, one pricebook rule per
    customer (a SKU rule) and the default."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "customers.csv": ["customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days",
                          *(f"C{i:04d},{name} {i},,,,CA-ON,30" for i in range(customers))],
        "customer_vendors.csv": ["customer_id,vendor,pricebook,invoice_currency",
                                 *(f"C{i:04d},aws,standard,CAD" for i in range(customers))],
        "accounts.csv": ["customer_id,vendor,account_id,account_name",
                         *(f"C{i:04d},aws,{100000000000 + i},{name.lower()}-{i}" for i in range(customers))],
        "pricebooks.csv": ["pricebook,effective_from,vendor,scope,match,markup_percent", "standard,2024-01,aws,default,,15",
                           *(f"standard,2024-01,aws,sku,SKU{i:04d},{10 + i % 7}" for i in range(customers))],
        "credits.csv": ["customer_id,credit_id,date,amount,currency,kind,earned_on,memo",
                        *(f"C{i:04d},CR-{i},2024-01-15,100.00,CAD,general,aws,welcome" for i in range(customers))],
    }
    for file, lines in files.items():
        (folder / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sorted(folder / file for file in files)


@contextmanager
def statements(ws: Workspace) -> Iterator[list[str]]:
    """The SQL statements the block sends (an executemany counts once)."""
    sent: list[str] = []

    def count(conn: object, cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(ws.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(ws.engine, "before_cursor_execute", count)


def imported(tmp_path: Path, customers: int) -> tuple[Workspace, dict[str, int]]:
    """A new workspace with `customers` customers imported, then imported again unchanged, then
    with every name changed: the statements each import sent."""
    ws = init_workspace(tmp_path / f"ws-{customers}")
    sent = {}
    for label, folder, name in (("new", "tables", "Customer"), ("unchanged", "tables", "Customer"),
                                ("changed", "renamed", "Renamed")):
        paths = write_tables(tmp_path / f"{folder}-{customers}", customers, name=name)
        with statements(ws) as found:
            summary, problems = import_tables(ws, paths, actor="user:ann")
        assert problems == ()
        sent[label] = len(found)
        expect = {"new": (customers, 0, 0), "unchanged": (0, 0, customers), "changed": (0, customers, 0)}[label]
        counted = summary.count("customers"), summary.count("accounts")
        assert [(c.inserted, c.updated, c.unchanged) for c in counted] == [expect, expect]
    return ws, sent


def test_an_import_sends_as_many_statements_for_400_customers_as_for_40(tmp_path: Path) -> None:
    small, few = imported(tmp_path, 40)
    big, many = imported(tmp_path, 400)
    assert many == few
    assert many["new"] < 60
    small.close()

    with big.session() as session:
        assert session.scalar(select(Customer.name).where(Customer.customer_id == "C0399")) == "Renamed 399"
        assert session.scalar(select(Account.account_name).where(Account.account_id == "100000000399")) == "renamed-399"
        assert session.scalar(select(func.count()).select_from(CreditEntry)) == 400
        # every row inserted, then every customer and account renamed: one audit event each
        assert dict(session.execute(select(AuditEvent.action, func.count()).group_by(AuditEvent.action)).all()) == {
            "customers.inserted": 400, "customers.updated": 400, "customer_vendors.inserted": 400,
            "accounts.inserted": 400, "accounts.updated": 400, "pricebooks.inserted": 401, "credits.inserted": 400}
        event_ = session.scalars(select(AuditEvent).where(AuditEvent.action == "accounts.updated",
                                                          AuditEvent.entity_id == "aws/100000000399")).one()
        assert (event_.actor, event_.entity, event_.reason) == ("user:ann", "customer",
                                                                "imported from accounts.csv, row 400")
        assert event_.details == {"customer_id": "C0399", "vendor": "aws", "account_id": "100000000399",
                                  "account_name": "renamed-399"}
    big.close()
