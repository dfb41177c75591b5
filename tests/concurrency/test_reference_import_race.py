"""A reference-data import and invoice generation at once, the import first to check, on SQLite and
on PostgreSQL: the opposite order of `test_generation_race.py`'s pricebook race.

The import checks the closed months (no invoice holds 2025-10 yet, so the new pricebook version
is fine), and generation stores Beta's October draft right then, before the import writes. Left
so, the month is locked by a draft priced from the pricebook the import then replaces. The test
starts the generation at that point of the import (after its checks, before its write, through
the warnings it reads of a good import) and lets the import go on once the generation has
finished or is stuck on a lock (PostgreSQL: a backend waiting on a lock; SQLite cannot show a
waiting writer, so: it has sent its first write).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from billing.conftest import write_tables
from db.worked_example import TODAY
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import given_month
from workbench.billing.generate import GenerationResult, generate_invoices
from workbench.billing.store import models as m
from workbench.billing.store import closed_months, table_import
from workbench.billing.store.locking import lock_customers
from workbench.billing.store.table_import import import_tables
from workbench.billing.store.workspace import Workspace

from .race import LIMIT
from .test_import_race import writers_waiting

BETA = "100002"


def test_generation_while_a_pricebook_import_is_between_its_check_and_its_write_is_refused(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Standard's 2025-01 default markup goes from 15 % to 25 %. Generation of Beta's October
    (Standard) waits for the import's customer locks, then finds the pricebook changed since it
    priced and stores nothing; generating again prices 25 %. Without the locks taken before the
    checks, the draft was stored at 15 % and the import wrote 25 % under it."""
    generator = second_analyst(october)
    pricebooks = write_tables(tmp_path, {"pricebooks": """
        pricebook,effective_from,vendor,scope,match,markup_percent
        Standard,2025-01,aws,default,,25
        Standard,2025-01,aws,service,AmazonEC2,10
        Standard,2025-01,aws,sku,USE1-TimedStorage-ByteHrs,-5
    """})
    generated: list[GenerationResult] = []
    threads: list[threading.Thread] = []
    real_warnings = table_import._versions_leaving_out_rules

    def generate_between_check_and_write(*args: Any, **kwargs: Any) -> Any:
        with writers_waiting(october, [generator]) as stuck:
            run = threading.Thread(target=lambda: generated.append(generate_invoices(
                generator, "aws", given_month("2025-10"), [BETA], InvoiceOptions(), today=TODAY)))
            run.start()
            threads.append(run)
            deadline = time.monotonic() + LIMIT
            while run.is_alive() and not stuck() and time.monotonic() < deadline:
                time.sleep(0.01)
        return real_warnings(*args, **kwargs)

    monkeypatch.setattr(table_import, "_versions_leaving_out_rules", generate_between_check_and_write)
    summary, problems = import_tables(october, pricebooks)
    [run] = threads
    run.join(timeout=LIMIT)
    assert not run.is_alive()
    assert [p for p in problems if p.severity.value == "error"] == []
    assert str(summary) == "pricebooks: 0 new, 1 changed, 2 unchanged"

    [raced] = generated
    assert raced.invoices == ()
    assert [(p.code, p.customer_id) for p in raced.problems if p.severity.value == "error"] == [
        ("reference-changed", BETA)]
    with october.session() as session:
        assert session.scalars(select(m.Invoice).where(m.Invoice.customer_id == BETA)).all() == []

    monkeypatch.setattr(table_import, "_versions_leaving_out_rules", real_warnings)
    [draft] = generate_invoices(october, "aws", given_month("2025-10"), [BETA], InvoiceOptions(), today=TODAY).invoices
    with october.session() as session:
        lines = session.scalars(select(m.InvoiceLine).where(m.InvoiceLine.invoice_id == draft.invoice_id)).all()
    assert Decimal("25") in {line.markup_percent for line in lines}


ACME = "100001"


def test_an_import_whose_reach_grows_lets_go_and_locks_in_order_instead_of_deadlocking(
    october: Workspace, second_analyst: Callable[[Workspace], Workspace],
) -> None:
    """A table import first reaches Beta (100002) and locks it. Then, under that lock, it learns
    that its rows reach Acme (100001) too (an import that committed meanwhile gave Acme the
    currency of its FX rate). A generation run holds Acme and asks for Beta next, as generation
    does, in customer order. Had the import kept Beta while waiting for Acme, each would wait for
    the other: PostgreSQL aborts one of them with a deadlock error. The import lets go of Beta and
    asks for Acme then Beta, so generation gets Beta, finishes, and the import goes on."""
    generation = second_analyst(october)
    asked: list[int] = []

    def reach() -> set[str]:  # what `_reference_customers` answers: nothing at first, Acme once Beta is locked
        asked.append(1)
        return set() if len(asked) == 1 else {ACME}

    outcome: list[object] = []

    def table_import_locks() -> None:
        try:
            with october.session() as session:
                closed_months._lock_until_stable(session, {BETA}, reach)
                outcome.append("locked")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome.append(exc)

    with generation.session() as held:
        lock_customers(held, [ACME])
        with writers_waiting(october, [october]) as stuck:
            importing = threading.Thread(target=table_import_locks)
            importing.start()
            deadline = time.monotonic() + (2.0 if october.engine.dialect.name == "sqlite" else LIMIT)
            while not stuck() and importing.is_alive() and time.monotonic() < deadline:
                time.sleep(0.01)
        lock_customers(held, [BETA])  # generation's next customer: a deadlock error here without the fix
    importing.join(timeout=LIMIT)
    assert not importing.is_alive()
    assert outcome == ["locked"]
