"""Benefit periods of a client (goal 87): periods of one kind never overlap.

Two requests adding overlapping periods at the same moment must not both succeed:
the check runs under a row lock on the client (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers anyway), so the second
request waits, then sees the first one's period and is refused with 422.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mgz.clients import records
from mgz.clients.access import CaseAccess
from mgz.clients.models import Client
from mgz.core.classification import DataClass, fields_of
from mgz.placements.models import Benefit
from mgz.placements.schemas import BenefitCreate, BenefitUpdate
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

PERSONAL_FIELDS = fields_of(Benefit, DataClass.IDENTIFYING)
_STALE = "Der Leistungszeitraum wurde inzwischen geändert. Laden Sie ihn neu."


def _overlapping(
    session: Session,
    client: Client,
    kind: str,
    from_on: date,
    to_on: date | None,
    exclude: uuid.UUID | None,
) -> Benefit | None:
    # Lock the client row first: concurrent writers of this file's benefits queue here.
    session.execute(select(Client.id).where(Client.id == client.id).with_for_update())
    query = select(Benefit).where(
        Benefit.client_id == client.id,
        Benefit.kind == kind,
        or_(Benefit.to_on.is_(None), Benefit.to_on >= from_on),
    )
    if to_on is not None:
        query = query.where(Benefit.from_on <= to_on)
    if exclude is not None:
        query = query.where(Benefit.id != exclude)
    return session.scalars(query.order_by(Benefit.from_on).limit(1)).first()


def _check(
    session: Session,
    client: Client,
    values: dict[str, Any],
    kind: str,
    from_on: date,
    to_on: date | None,
    exclude: uuid.UUID | None = None,
) -> None:
    codes = reference.CodeErrors(session)
    codes.check("kind", "benefit_kind", values.get("kind"))
    errors = codes.errors
    if to_on is not None and to_on < from_on:
        errors.setdefault("to_on", []).append("Liegt vor dem Beginn.")
    refuse_if(errors)
    other = _overlapping(session, client, kind, from_on, to_on, exclude)
    if other is not None:
        until = f"{other.to_on:%d.%m.%Y}" if other.to_on else "offen"
        field = "from_on" if "from_on" in values or exclude is None else "to_on"
        refuse_if(
            {
                field: [
                    "Überschneidet sich mit einem anderen Zeitraum derselben Leistung "
                    f"({other.from_on:%d.%m.%Y} bis {until})."
                ]
            }
        )


def create_benefit(case: CaseAccess, client_id: uuid.UUID, data: BenefitCreate) -> Benefit:
    """Record a benefit period; an overlap with one of the same kind is 422."""
    session = case.session
    client = case.open(client_id)
    values: dict[str, Any] = dict(data)
    _check(session, client, values, values["kind"], values["from_on"], values.get("to_on"))
    benefit = Benefit(id=uuid.uuid4(), client_id=client.id, **values)
    session.add(benefit)
    session.flush()
    event(case, "benefit.create", client, benefit, sorted(data), kind=benefit.kind)
    event(case, "benefit.read", client, benefit, PERSONAL_FIELDS)
    return benefit


def list_benefits(case: CaseAccess, client_id: uuid.UUID) -> list[Benefit]:
    """All benefit periods of a client, oldest first; one ``benefit.list`` event."""
    return records.list_records(
        case,
        client_id,
        lambda client: (
            select(Benefit)
            .where(Benefit.client_id == client.id)
            .order_by(Benefit.from_on, Benefit.kind, Benefit.created_at)
        ),
        object_type="benefit",
        fields=PERSONAL_FIELDS,
    )


def get_benefit(case: CaseAccess, client_id: uuid.UUID, benefit_id: uuid.UUID) -> Benefit:
    """One benefit period; writes a read event."""
    client = case.open(client_id)
    benefit = load(case.session, Benefit, client, benefit_id, "Leistungszeitraum nicht gefunden.")
    event(case, "benefit.read", client, benefit, PERSONAL_FIELDS)
    return benefit


def update_benefit(
    case: CaseAccess, client_id: uuid.UUID, benefit_id: uuid.UUID, data: BenefitUpdate
) -> Benefit:
    """Change a benefit period (e.g. close it with ``to_on``) if the version is current."""
    session = case.session
    client = case.open(client_id)
    benefit = load(session, Benefit, client, benefit_id, "Leistungszeitraum nicht gefunden.")
    values: dict[str, Any] = dict(data)
    start_change(benefit, values, _STALE)
    refuse_nulls(values, ("kind", "from_on"))
    _check(
        session,
        client,
        values,
        merged(benefit, values, "kind"),
        merged(benefit, values, "from_on"),
        merged(benefit, values, "to_on"),
        exclude=benefit.id,
    )
    apply(session, benefit, values)
    event(case, "benefit.update", client, benefit, sorted(values), kind=benefit.kind)
    event(case, "benefit.read", client, benefit, PERSONAL_FIELDS)
    return benefit
