"""Legal bases and consents per client and purpose, and the gate that enforces them.

Which legal basis a purpose has when none is recorded (docs/privacy.md):

- ``counselling`` and ``course_referral``: the MgZ's public task (Art. 6(1)(e) GDPR
  with §§ 67a ff. SGB X); recording a consent for them is possible, and then its
  withdrawal blocks the purpose until a new basis is recorded;
- ``data_exchange``: per named unit. To course providers (``course_provider``) a
  course referral transfers what the provider needs, on the public task (§ 69(1)
  no. 1 SGB X); to the units of the county administration (Jobcenter, immigration,
  social welfare, youth welfare office) nothing without a recorded basis, i.e.
  normally a consent;
- ``statistics``: always lawful on the statistical attributes already recorded
  (§ 51b SGB II, Art. 89 GDPR), whatever is recorded; the gate never refuses it.

Otherwise the newest record of the purpose (for ``data_exchange``: the newest that
names the unit) decides: a consent withdrawn on or before today refuses the purpose
with 409 at once, until a new consent or another basis is recorded.

Every read and change of a client's records writes its audit event through
``CaseAccess``; a refusal by the gate writes a kept ``consent.required`` event.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients import records
from mgz.clients.access import CaseAccess
from mgz.clients.models import Client
from mgz.core.actor import Actor
from mgz.core.classification import DataClass, fields_of
from mgz.core.clock import today
from mgz.core.errors import ConflictError, InvalidInputError, NotFoundError
from mgz.core.purposes import register_purpose_gate
from mgz.core.versions import check_version
from mgz.crypto.types import decrypt_fields
from mgz.privacy.consent_schemas import DATA_EXCHANGE, ConsentCreate, ConsentWithdraw
from mgz.privacy.models import CONSENT, Consent
from mgz.reference import service as reference

PERSONAL_FIELDS = fields_of(Consent, DataClass.IDENTIFYING)
STATISTICS = "statistics"
# The legal basis of a purpose when nothing is recorded; None: a consent is needed.
DEFAULT_BASIS: dict[str, str | None] = {
    "counselling": "public_task",
    "course_referral": "public_task",
    STATISTICS: "legal_obligation",
}
# data_exchange, per unit: only the transfer of a course referral to its provider.
DEFAULT_EXCHANGE_BASIS: dict[str, str | None] = {"course_provider": "public_task"}


class ConsentRequiredError(ConflictError):
    """The purpose has no legal basis now: no consent, or the consent was withdrawn."""

    slug = "consent-required"
    title = "Keine Rechtsgrundlage"


class NotAConsentError(ConflictError):
    """Only a consent can be withdrawn, and only once."""

    slug = "not-withdrawable"
    title = "Nicht widerrufbar"


def _invalid(errors: dict[str, list[str]]) -> InvalidInputError:
    return InvalidInputError("Eingabe ungültig.", errors=errors)


def _event(
    case: CaseAccess, action: str, client: Client, consent: Consent, fields: list[str]
) -> None:
    if action.endswith(".read"):
        decrypt_fields(consent)  # a damaged field fails before the read is logged
    record(
        case.session,
        case.actor,
        action,
        object_type="consent",
        object_id=client.case_number,
        fields=fields,
        details={
            "consent_id": consent.id.hex,
            "purpose": consent.purpose,
            "legal_basis": consent.legal_basis,
            "withdrawn": consent.withdrawn_on is not None,
        },
    )


def record_consent(case: CaseAccess, client_id: uuid.UUID, data: ConsentCreate) -> Consent:
    """Record the legal basis of a purpose (a consent, or another basis) from a date on.

    A new record of a purpose takes over from the older ones: so a new consent lifts
    the block that a withdrawal put on its purpose.
    """
    session = case.session
    client = case.open(client_id)
    values: dict[str, Any] = dict(data)
    codes = reference.CodeErrors(session)
    codes.check("purpose", "processing_purpose", values.get("purpose"))
    codes.check("legal_basis", "legal_basis", values.get("legal_basis"))
    codes.check("consent_form", "consent_form", values.get("consent_form"))
    codes.check_each("units", "data_exchange_unit", values.get("units"))
    if codes.errors:
        raise _invalid(codes.errors)
    values["units"] = sorted(set(values.get("units") or []))
    consent = Consent(
        id=uuid.uuid4(), client_id=client.id, recorded_by_id=case.actor.user_id, **values
    )
    session.add(consent)
    session.flush()
    _event(case, "consent.create", client, consent, sorted(data))
    _event(case, "consent.read", client, consent, list(PERSONAL_FIELDS))
    return consent


def list_consents(case: CaseAccess, client_id: uuid.UUID) -> list[Consent]:
    """Every legal basis recorded for a client, oldest first; one ``consent.list`` event."""
    return records.list_records(
        case,
        client_id,
        lambda client: (
            select(Consent)
            .where(Consent.client_id == client.id)
            .order_by(Consent.given_on, Consent.created_at, Consent.id)
        ),
        object_type="consent",
        fields=PERSONAL_FIELDS,
    )


def withdraw_consent(
    case: CaseAccess, client_id: uuid.UUID, consent_id: uuid.UUID, data: ConsentWithdraw
) -> Consent:
    """Record the withdrawal of a consent (Art. 7(3) GDPR); it takes effect at once.

    From ``withdrawn_on`` on the gate refuses the purpose (409) until a new basis is
    recorded; what was lawfully done before stays lawful. Another basis than consent,
    or a consent already withdrawn, cannot be withdrawn (409).
    """
    session = case.session
    client = case.open(client_id)
    consent = session.get(Consent, consent_id)
    if consent is None or consent.client_id != client.id:
        raise NotFoundError("Rechtsgrundlage nicht gefunden.")
    check_version(
        consent, data["version"], "Die Einwilligung wurde inzwischen geändert. Laden Sie sie neu."
    )
    if consent.legal_basis != CONSENT:
        raise NotAConsentError("Nur eine Einwilligung kann widerrufen werden.")
    if consent.withdrawn_on is not None:
        raise NotAConsentError(
            f"Die Einwilligung wurde bereits am {consent.withdrawn_on.isoformat()} widerrufen."
        )
    if data["withdrawn_on"] < consent.given_on:
        raise _invalid({"withdrawn_on": ["Liegt vor der Erteilung der Einwilligung."]})
    consent.withdrawn_on = data["withdrawn_on"]
    consent.withdrawn_by_id = case.actor.user_id
    session.flush()  # a concurrent change: StaleDataError, answered 409
    _event(case, "consent.withdraw", client, consent, ["withdrawn_on"])
    _event(case, "consent.read", client, consent, list(PERSONAL_FIELDS))
    return consent


def current_basis(
    session: Session, client_id: uuid.UUID, purpose: str, unit: str | None = None
) -> Consent | None:
    """The newest record of ``purpose`` (for data_exchange: naming ``unit``), or None."""
    rows = session.scalars(
        select(Consent)
        .where(Consent.client_id == client_id, Consent.purpose == purpose)
        .order_by(Consent.given_on.desc(), Consent.created_at.desc(), Consent.id.desc())
    )
    for row in rows:
        if purpose != DATA_EXCHANGE or unit in (row.units or []):
            return row
    return None


def _label(session: Session, list_name: str, code: str) -> str:
    entry = reference.get_code(session, list_name, code)
    return entry.label if entry is not None else code


def refusal(
    session: Session, client_id: uuid.UUID, purpose: str, unit: str | None, on: date
) -> str | None:
    """Why ``purpose`` is not lawful for the client on ``on`` (German), or None if it is."""
    if purpose == STATISTICS:
        return None  # § 51b SGB II, Art. 89 GDPR: the recorded statistical attributes
    if purpose == DATA_EXCHANGE and unit is None:
        raise ValueError("data_exchange needs the unit it goes to")
    what = f"„{_label(session, 'processing_purpose', purpose)}“"
    if unit is not None:
        what += f" an „{_label(session, 'data_exchange_unit', unit)}“"
    basis = current_basis(session, client_id, purpose, unit)
    if basis is None:
        default = (
            DEFAULT_EXCHANGE_BASIS.get(unit or "")
            if purpose == DATA_EXCHANGE
            else DEFAULT_BASIS.get(purpose)
        )
        if default is not None:
            return None
        return (
            f"Für {what} ist keine Rechtsgrundlage erfasst; nötig ist eine Einwilligung "
            "(POST /api/v1/clients/{id}/consents)."
        )
    if basis.legal_basis == CONSENT and basis.withdrawn_on is not None and basis.withdrawn_on <= on:
        return (
            f"Die Einwilligung für {what} wurde am {basis.withdrawn_on.isoformat()} widerrufen; "
            "bis eine neue Einwilligung erfasst ist, ist dieser Zweck gesperrt."
        )
    return None


def require_purpose(
    session: Session, actor: Actor, client_id: uuid.UUID, purpose: str, unit: str | None = None
) -> None:
    """Refuse with 409 (and a kept ``consent.required`` event) unless the purpose is lawful.

    Registered as the gate of ``mgz.core.purposes.require_purpose``, which the record
    services below this area call.
    """
    reason = refusal(session, client_id, purpose, unit, today())
    if reason is None:
        return
    case_number = session.scalar(select(Client.case_number).where(Client.id == client_id))
    details: dict[str, str | int | bool] = {"purpose": purpose}
    if unit is not None:
        details["unit"] = unit
    record(
        session,
        actor,
        "consent.required",
        object_type="consent",
        object_id=case_number,
        outcome="denied",
        details=details,
    )
    raise ConsentRequiredError(reason, extra=details)


register_purpose_gate(require_purpose)
