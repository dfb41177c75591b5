"""The audit trail: who changed what, when and why.

Every write that matters for billing records an `AuditEvent` in the same transaction as the
change itself, so the trail can never miss a change or record one that was rolled back:
generation, status changes, deletions, voids, pricebook and support-plan changes, credit grants
and applications, vendor report imports, API key changes.

The actor is "user:<login>" for people at the command line or in a dashboard (overridable with
WORKBENCH_USER) and "key:<key_id>" for the billing API.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace


def current_actor() -> str:
    name = os.environ.get("WORKBENCH_USER")
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
    return f"user:{name}"


def record(
    session: Session,
    action: str,
    entity: str,
    entity_id: str = "",
    *,
    actor: str | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    session.add(m.AuditEvent(**event_row(action, entity, entity_id, actor=actor, reason=reason, details=details)))


def event_row(
    action: str, entity: str, entity_id: str = "", *, actor: str | None = None, reason: str = "",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of one audit event, for bulk inserts in the same transaction as the change."""
    return {"at": m.utcnow(), "actor": actor or current_actor(), "action": action, "entity": entity,
            "entity_id": entity_id, "reason": reason, "details": details or {}}


@dataclass(frozen=True, slots=True)
class Event:
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    reason: str
    details: dict[str, Any]


def events(
    ws: Workspace, *, entity: str | None = None, entity_id: str | None = None, action: str | None = None,
    since: dt.datetime | None = None,
) -> list[Event]:
    query = select(m.AuditEvent).order_by(m.AuditEvent.at, m.AuditEvent.id)
    if entity:
        query = query.where(m.AuditEvent.entity == entity)
    if entity_id:
        query = query.where(m.AuditEvent.entity_id == entity_id)
    if action:
        query = query.where(m.AuditEvent.action.startswith(action))
    if since:
        query = query.where(m.AuditEvent.at >= since)
    with ws.session() as session:
        return [Event(e.at, e.actor, e.action, e.entity, e.entity_id, e.reason, dict(e.details or {}))
                for e in session.scalars(query)]


def numbers(refs: Sequence[object]) -> str:
    return ", ".join(str(r) for r in refs)


@dataclass(frozen=True, slots=True)
class Stamp:
    """What a page's figures depend on besides its own widgets: the day, and the workspace's
    audit trail (generation, status changes, deletions, vendor and table imports, credits all
    record an event in the transaction that makes them)."""

    today: dt.date
    last_event: int
    events: int


def stamp(ws: Workspace, today: dt.date) -> Stamp:
    with ws.session() as session:
        last, count = session.execute(select(func.coalesce(func.max(m.AuditEvent.id), 0),
                                             func.count(m.AuditEvent.id))).one()
    return Stamp(today, int(last), int(count))
