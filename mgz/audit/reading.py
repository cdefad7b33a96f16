"""Reading the data-protection log: filtered listings, streamed exports, and logging the reads.

Reading the log is itself logged (who watches the auditors), as are refusals on routes
with personal data; both go through :func:`mgz.audit.service.record`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.audit import chain
from mgz.audit.models import AuditEvent
from mgz.audit.service import DETAIL_VALUE, FIELD, record
from mgz.core.actor import Actor


@dataclass(frozen=True)
class EventFilter:
    """Filters of the auditor's event list; all optional, combined with AND."""

    actor_user_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(filters: EventFilter) -> Any:
    query = select(AuditEvent)
    if filters.actor_user_id is not None:
        query = query.where(AuditEvent.actor_user_id == filters.actor_user_id)
    if filters.action is not None:
        query = query.where(AuditEvent.action == filters.action)
    if filters.object_type is not None:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at < filters.until)
    return query


def list_events(
    session: Session, filters: EventFilter, *, after_seq: int = 0, limit: int = 100
) -> list[AuditEvent]:
    """One page of events in chain order, starting after ``after_seq`` (keyset paging)."""
    query = _filtered(filters).where(AuditEvent.seq > after_seq)
    return list(session.scalars(query.order_by(AuditEvent.seq).limit(limit)))


def record_log_read(
    session: Session,
    actor: Actor | None,
    filters: EventFilter,
    action: str = "audit.read",
    **details: str | int | bool,
) -> AuditEvent:
    """Log a read of the log itself (the caller commits): who watches the auditors.

    The filters go into the event as codes and times; an object filter becomes the
    event's object, so "who touched this object" also shows who looked it up.
    """
    shown: dict[str, str | int | bool] = dict(details)
    if filters.actor_user_id is not None:
        shown["actor_user_id"] = filters.actor_user_id
    if filters.action is not None:
        shown["action"] = filters.action
    if filters.since is not None:
        shown["since"] = chain.utc_iso(filters.since)
    if filters.until is not None:
        shown["until"] = chain.utc_iso(filters.until)
    return record(
        session,
        actor,
        action,
        object_type=filters.object_type,
        object_id=filters.object_id,
        details=shown,
    )


def record_refusal(
    session: Session,
    actor: Actor,
    *,
    endpoint: str,
    method: str,
    status: int,
    view_args: Mapping[str, Any],
) -> AuditEvent:
    """Log a request the access policy refused (401/403) on a route with personal data.

    The caller commits although the request is refused, as with every audited
    refusal. The route's path arguments (ids such as a client's UUID) go into the
    details when they are pseudonymous codes; anything else is left out.
    """
    details: dict[str, str | int | bool] = {"status": status, "method": method.lower()}
    for name, value in view_args.items():
        text_value = str(value)
        if FIELD.match(name) and DETAIL_VALUE.match(text_value) and name not in details:
            details[name] = text_value
    return record(
        session,
        actor,
        "access.denied",
        object_type="endpoint",
        object_id=endpoint[:64] if DETAIL_VALUE.match(endpoint[:64]) else None,
        outcome="denied",
        details=details,
    )


def iter_events(session: Session, filters: EventFilter) -> Iterator[AuditEvent]:
    """All matching events in chain order, fetched in batches (constant memory)."""
    query = _filtered(filters).order_by(AuditEvent.seq).execution_options(yield_per=500)
    rows = session.scalars(query)
    try:
        yield from rows
    finally:
        rows.close()


def event_as_dict(event: AuditEvent) -> dict[str, Any]:
    """An event as plain data for the API and exports."""
    return {
        "seq": event.seq,
        "occurred_at": chain.utc_iso(event.occurred_at),
        "actor_user_id": event.actor_user_id,
        "actor_name": event.actor_name,
        "actor_role": event.actor_role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "fields": json.loads(event.fields),
        "request_id": event.request_id,
        "outcome": event.outcome,
        "details": json.loads(event.details) if event.details else None,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
