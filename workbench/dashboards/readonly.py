"""A read-only view of a workspace: every session is rolled back, never committed.

Read-only dashboards check `read_only` in each writing callback; this is the second wall. The
engine may write as a side effect of reading (e.g. `list_invoices` first moves overdue Open
invoices to Past Due); through this view such writes are discarded, and the dashboard shows
the status the engine would have stored (`effective_status`) without storing it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy.orm import Session

from workbench.billing.core.lifecycle import Status, is_past_due
from workbench.billing.invoices import InvoiceSummary
from workbench.billing.store.workspace import Workspace

__all__ = ["ReadOnlyWorkspace", "effective_status", "read_only_view"]


@dataclass(frozen=True)
class ReadOnlyWorkspace(Workspace):
    # the canonical rows a detailed CSV needs (deferred by the import) are written outside the
    # workspace, in the user's cache (`usage_files.rows_files`): a manager may not be able to write it
    writes_derived_files: ClassVar[bool] = False

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Like `Workspace.session`, rolled back instead of committed. The objects read stay as
        read (as a committed session's do, `expire_on_commit=False`): they are let go before the
        rollback, which would otherwise expire them, so that a caller reading them after the
        block (`report_periods`, the detailed CSV's reports) does not fail on a closed session."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                session.expunge_all()
                session.rollback()


def read_only_view(ws: Workspace) -> ReadOnlyWorkspace:
    if isinstance(ws, ReadOnlyWorkspace):
        return ws
    return ReadOnlyWorkspace(**{f.name: getattr(ws, f.name) for f in dataclasses.fields(ws)})


def effective_status(invoice: InvoiceSummary, today: dt.date) -> Status:
    status = Status(invoice.status)
    return Status.PAST_DUE if is_past_due(status, invoice.due_date, today, invoice.total) else status
