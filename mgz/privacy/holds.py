"""Legal holds: why a client's file must not be erased yet.

Two kinds, both answered with the reason, never with personal data:

- explicit holds (``legal_holds``), placed and released by an admin with a code of
  ``legal_hold_reason`` (an open benefit or refund procedure, a court case, an audit)
  and an optional end date;
- automatic ones: an open benefit period (``benefits.to_on`` NULL or today or later)
  means the benefit case is open, and its records may still be needed (§§ 44 ff.
  SGB X), so the file is held without anyone placing a hold.

Placing and releasing a hold writes an audit event in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients.models import Client
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.errors import ConflictError, InvalidInputError, NotFoundError
from mgz.placements.models import Benefit
from mgz.privacy.models import LegalHold
from mgz.reference import service as reference

OPEN_BENEFIT = "open_benefit_period"
HOLD_REASONS = "legal_hold_reason"


class LegalHoldError(ConflictError):
    """The file is under a legal hold: it cannot be erased now."""

    slug = "legal-hold"
    title = "Löschsperre"


def _explicit(client_id: ColumnElement[uuid.UUID] | uuid.UUID, on: date) -> ColumnElement[bool]:
    return and_(
        LegalHold.client_id == client_id,
        LegalHold.released_at.is_(None),
        or_(LegalHold.until.is_(None), LegalHold.until >= on),
    )


def _open_benefit(client_id: ColumnElement[uuid.UUID] | uuid.UUID, on: date) -> ColumnElement[bool]:
    return and_(Benefit.client_id == client_id, or_(Benefit.to_on.is_(None), Benefit.to_on >= on))


def not_held(on: date) -> ColumnElement[bool]:
    """SQL condition: the client (``Client.id``) is under no hold on ``on``."""
    return and_(
        ~exists().where(_explicit(Client.id, on)), ~exists().where(_open_benefit(Client.id, on))
    )


def holds_of(session: Session, client_id: uuid.UUID, on: date) -> list[str]:
    """The reason codes holding the client's file on ``on`` (empty: none), sorted."""
    reasons = set(session.scalars(select(LegalHold.reason).where(_explicit(client_id, on))))
    if session.scalar(select(exists().where(_open_benefit(client_id, on)))):
        reasons.add(OPEN_BENEFIT)
    return sorted(reasons)


def hold_labels(session: Session, codes: list[str]) -> str:
    """The German labels of hold reasons, for a refusal's detail."""
    labels = []
    for code in codes:
        entry = reference.get_code(session, HOLD_REASONS, code)
        labels.append(entry.label if entry is not None else code)
    return "; ".join(labels)


def _client(session: Session, case_number: str) -> Client:
    client = session.scalar(select(Client).where(Client.case_number == case_number))
    if client is None:
        raise NotFoundError("Akte nicht gefunden.")
    return client


def place_hold(
    session: Session, actor: Actor, case_number: str, reason: str, until: date | None, on: date
) -> LegalHold:
    """Put a file under a legal hold (an admin, from the CLI); audited ``legal_hold.place``."""
    client = _client(session, case_number)
    errors: dict[str, list[str]] = {}
    codes = reference.CodeErrors(session)
    codes.check("reason", HOLD_REASONS, reason)
    errors.update(codes.errors)
    if reason == OPEN_BENEFIT:
        errors["reason"] = ["Wird aus den Leistungszeiträumen abgeleitet, nicht gesetzt."]
    if until is not None and until < on:
        errors["until"] = ["Liegt in der Vergangenheit."]
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)
    hold = LegalHold(
        id=uuid.uuid4(),
        client_id=client.id,
        reason=reason,
        until=until,
        placed_at=utcnow(),
        placed_by=actor.username,
    )
    session.add(hold)
    session.flush()
    details: dict[str, str | int | bool] = {"hold_id": hold.id.hex, "reason": reason}
    if until is not None:
        details["until"] = until.isoformat()
    record(
        session,
        actor,
        "legal_hold.place",
        object_type="client",
        object_id=client.case_number,
        details=details,
    )
    return hold


def release_hold(session: Session, actor: Actor, hold_id: uuid.UUID) -> LegalHold:
    """End an explicit hold; audited ``legal_hold.release``. Released twice: 409."""
    hold = session.get(LegalHold, hold_id, with_for_update=True)
    if hold is None:
        raise NotFoundError("Löschsperre nicht gefunden.")
    if hold.released_at is not None:
        raise ConflictError("Die Löschsperre ist bereits aufgehoben.")
    hold.released_at = utcnow()
    hold.released_by = actor.username
    session.flush()
    case_number = session.scalar(select(Client.case_number).where(Client.id == hold.client_id))
    record(
        session,
        actor,
        "legal_hold.release",
        object_type="client",
        object_id=case_number,
        details={"hold_id": hold.id.hex, "reason": hold.reason},
    )
    return hold
