"""Consultations of a client: first talk (exactly one) and follow-ups.

Access follows the client file's policy; every response with notes or next steps
writes a read event naming those fields; changes write their own event; all in the
caller's unit of work (services flush, never commit).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.auth.models import User
from mgz.clients import records
from mgz.clients.access import CaseAccess
from mgz.clients.models import Client
from mgz.consultations.models import Consultation
from mgz.consultations.schemas import ConsultationCreate, ConsultationUpdate
from mgz.core.actor import Actor
from mgz.core.classification import DataClass, fields_of
from mgz.core.config import Setting, int_range, register
from mgz.core.errors import ConflictError, InvalidInputError, NotFoundError
from mgz.core.versions import check_version
from mgz.crypto.types import decrypt_fields
from mgz.reference import service as reference

register(
    Setting(
        "CONSULTATION_MOVE_IN_MARGIN_DAYS",
        int_range(0, 3650),
        "how many days a consultation may lie before the client's move-in date",
    )
)

# Field names for the audit log, from the columns' classification (mgz.core.classification).
PERSONAL_FIELDS = fields_of(Consultation, DataClass.IDENTIFYING)


class FirstConsultationExistsError(ConflictError):
    """A client has exactly one first consultation."""

    slug = "first-consultation-exists"
    title = "Erstgespräch bereits erfasst"


def _check(
    session: Session, client: Client, values: Mapping[str, Any], margin_days: int
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    held_on = values.get("held_on")
    earliest = client.moved_in_on - timedelta(days=margin_days) if client.moved_in_on else None
    if held_on is not None and earliest is not None and held_on < earliest:
        errors["held_on"] = [f"Liegt mehr als {margin_days} Tage vor dem Zuzugsdatum der Akte."]
    codes = reference.CodeErrors(session)
    codes.check("channel", "consultation_channel", values.get("channel"))
    codes.check("language", "language", values.get("language") or None)
    codes.check_each("topics", "consultation_topic", values.get("topics"))
    codes.check_each("referrals_out", "referral_institution", values.get("referrals_out"))
    errors.update(codes.errors)
    for field in ("topics", "referrals_out"):
        if len(set(values.get(field) or [])) != len(values.get(field) or []):
            errors.setdefault(field, []).append("Codes doppelt angegeben.")
    if "adviser_id" in values:
        user = session.get(User, values["adviser_id"])
        if user is None or user.is_disabled or "adviser" not in user.roles:
            errors["adviser_id"] = ["Keine aktive Beraterin / kein aktiver Berater."]
    return errors


def _event(
    session: Session,
    actor: Actor,
    action: str,
    client: Client,
    consultation: Consultation,
    fields: list[str],
) -> None:
    if action.endswith(".read"):
        decrypt_fields(consultation)  # a damaged field fails before the read is logged
    record(
        session,
        actor,
        action,
        object_type="consultation",
        object_id=client.case_number,
        fields=fields,
        details={"consultation_id": consultation.id.hex},
    )


def create_consultation(
    case: CaseAccess,
    client_id: uuid.UUID,
    data: ConsultationCreate,
    *,
    margin_days: int,
) -> Consultation:
    """Record a consultation; a second ``first`` one is refused with 409."""
    session, actor = case.session, case.actor
    client = case.open(client_id)
    values: dict[str, Any] = dict(data)
    values.setdefault("adviser_id", actor.user_id)
    if values["adviser_id"] is None:
        values.pop("adviser_id")
    errors = _check(session, client, values, margin_days)
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)
    if values["kind"] == "first":
        existing = session.scalar(
            select(Consultation.id).where(
                Consultation.client_id == client.id, Consultation.kind == "first"
            )
        )
        if existing is not None:
            raise FirstConsultationExistsError(
                "Für diese Akte ist bereits ein Erstgespräch erfasst.",
                errors={"kind": ["Erstgespräch bereits vorhanden."]},
            )
    consultation = Consultation(
        id=uuid.uuid4(),
        client_id=client.id,
        residence_status_group_then=client.residence_status_group,
        protection_seeker_then=client.is_protection_seeker,
        **values,
    )
    try:
        with session.begin_nested():
            session.add(consultation)
    except IntegrityError:
        # A concurrent request recorded the first consultation in the meantime.
        raise FirstConsultationExistsError(
            "Für diese Akte ist bereits ein Erstgespräch erfasst.",
            errors={"kind": ["Erstgespräch bereits vorhanden."]},
        ) from None
    _event(session, actor, "consultation.create", client, consultation, sorted(values))
    _event(session, actor, "consultation.read", client, consultation, list(PERSONAL_FIELDS))
    return consultation


def list_consultations(case: CaseAccess, client_id: uuid.UUID) -> list[Consultation]:
    """All consultations of a client, oldest first; one read event."""
    return records.list_records(
        case,
        client_id,
        lambda client: (
            select(Consultation)
            .where(Consultation.client_id == client.id)
            .order_by(Consultation.held_on, Consultation.created_at)
        ),
        object_type="consultation",
        fields=PERSONAL_FIELDS,
    )


def _load(session: Session, client: Client, consultation_id: uuid.UUID) -> Consultation:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None or consultation.client_id != client.id:
        raise NotFoundError("Gespräch nicht gefunden.")
    return consultation


def get_consultation(
    case: CaseAccess, client_id: uuid.UUID, consultation_id: uuid.UUID
) -> Consultation:
    """One consultation; writes a read event."""
    client = case.open(client_id)
    consultation = _load(case.session, client, consultation_id)
    _event(
        case.session, case.actor, "consultation.read", client, consultation, list(PERSONAL_FIELDS)
    )
    return consultation


def update_consultation(
    case: CaseAccess,
    client_id: uuid.UUID,
    consultation_id: uuid.UUID,
    data: ConsultationUpdate,
    *,
    margin_days: int,
) -> Consultation:
    """Change a consultation if ``data["version"]`` is current."""
    session, actor = case.session, case.actor
    client = case.open(client_id)
    consultation = _load(session, client, consultation_id)
    values: dict[str, Any] = dict(data)
    expected = values.pop("version")
    check_version(
        consultation, expected, "Das Gespräch wurde inzwischen geändert. Laden Sie es neu."
    )
    for required in ("held_on", "channel", "interpreter_used", "topics", "referrals_out"):
        if required in values and values[required] is None:
            raise InvalidInputError(
                "Eingabe ungültig.", errors={required: ["Darf nicht leer sein."]}
            )
    errors = _check(session, client, values, margin_days)
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)
    for name, value in values.items():
        setattr(consultation, name, value)
    session.flush()  # a concurrent change: StaleDataError, answered 409 (mgz.core.versions)
    _event(session, actor, "consultation.update", client, consultation, sorted(values))
    _event(session, actor, "consultation.read", client, consultation, list(PERSONAL_FIELDS))
    return consultation
