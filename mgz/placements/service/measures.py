"""Measures a client started (goal 87): kind, provider, start, end, outcome."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.clients import records
from mgz.clients.access import CaseAccess
from mgz.core.classification import DataClass, fields_of
from mgz.placements.models import Measure
from mgz.placements.schemas import MeasureCreate, MeasureUpdate
from mgz.placements.service.common import (
    apply,
    event,
    load,
    merged,
    refuse_if,
    refuse_nulls,
    start_change,
)
from mgz.reference import service as reference

PERSONAL_FIELDS = fields_of(Measure, DataClass.IDENTIFYING)
_STALE = "Die Maßnahme wurde inzwischen geändert. Laden Sie sie neu."


def _check(session: Session, values: dict[str, Any], current: Measure | None = None) -> None:
    codes = reference.CodeErrors(session)
    codes.check("kind", "measure_kind", values.get("kind"))
    errors = codes.errors
    starts_on = merged(current, values, "starts_on") if current else values.get("starts_on")
    ends_on = merged(current, values, "ends_on") if current else values.get("ends_on")
    outcome = merged(current, values, "outcome") if current else values.get("outcome")
    if ends_on is not None and starts_on is not None and ends_on < starts_on:
        errors.setdefault("ends_on", []).append("Liegt vor dem Beginn.")
    if outcome is not None and ends_on is None:
        errors.setdefault("outcome", []).append("Ein Ergebnis gibt es erst mit dem Enddatum.")
    refuse_if(errors)


def create_measure(case: CaseAccess, client_id: uuid.UUID, data: MeasureCreate) -> Measure:
    """Record a measure; an end before the start is 422."""
    session = case.session
    client = case.open(client_id)
    values: dict[str, Any] = dict(data)
    _check(session, values)
    measure = Measure(id=uuid.uuid4(), client_id=client.id, **values)
    session.add(measure)
    session.flush()
    event(case, "measure.create", client, measure, sorted(data), kind=measure.kind)
    event(case, "measure.read", client, measure, PERSONAL_FIELDS)
    return measure


def list_measures(case: CaseAccess, client_id: uuid.UUID) -> list[Measure]:
    """All measures of a client, oldest first; one ``measure.list`` event."""
    return records.list_records(
        case,
        client_id,
        lambda client: (
            select(Measure)
            .where(Measure.client_id == client.id)
            .order_by(Measure.starts_on, Measure.created_at)
        ),
        object_type="measure",
        fields=PERSONAL_FIELDS,
    )


def get_measure(case: CaseAccess, client_id: uuid.UUID, measure_id: uuid.UUID) -> Measure:
    """One measure; writes a read event."""
    client = case.open(client_id)
    measure = load(case.session, Measure, client, measure_id, "Maßnahme nicht gefunden.")
    event(case, "measure.read", client, measure, PERSONAL_FIELDS)
    return measure


def update_measure(
    case: CaseAccess, client_id: uuid.UUID, measure_id: uuid.UUID, data: MeasureUpdate
) -> Measure:
    """Change a measure (its end, its outcome) if the version is current."""
    session = case.session
    client = case.open(client_id)
    measure = load(session, Measure, client, measure_id, "Maßnahme nicht gefunden.")
    values: dict[str, Any] = dict(data)
    start_change(measure, values, _STALE)
    refuse_nulls(values, ("kind", "starts_on"))
    _check(session, values, measure)
    apply(session, measure, values)
    event(case, "measure.update", client, measure, sorted(values), kind=measure.kind)
    event(case, "measure.read", client, measure, PERSONAL_FIELDS)
    return measure
