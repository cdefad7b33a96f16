"""Erasure of one client (Art. 17 GDPR, § 84 SGB X) by crypto-shredding, in one transaction.

What goes: every encrypted (free-text or identifying) field of every record type of
the client, set to NULL (deleted, not only made undecryptable); the client's data
key (``mgz.crypto.service.shred``, which also clears the blind indexes); from then on
the file answers 410 Gone (``mgz.clients.access.load_client`` reads the shredded key).

What stays: the statistical and pseudonymous columns (case number, birth year,
dates and codes of the records), so indicators and aggregate exports computed
before stay true afterwards (§ 51b SGB II, Art. 89 GDPR), and the audit log, which
never held personal data. The reason is a code (list ``erasure_reason``), not free
text: after the shredding no key is left that could keep free text readable, and
the log stores codes only.

Refused, with the reason, while a legal hold applies (``mgz.privacy.holds``): 409
and a kept ``client.erase`` event with outcome ``denied``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients.access import load_client
from mgz.clients.models import Client
from mgz.core.actor import Actor
from mgz.core.db import Base, utcnow
from mgz.core.errors import InvalidInputError
from mgz.crypto.errors import SubjectShreddedError
from mgz.crypto.models import DataKey
from mgz.crypto.registry import registered_models
from mgz.crypto.service import shred
from mgz.privacy.holds import LegalHoldError, hold_labels, holds_of
from mgz.reference import service as reference

ERASURE_REASONS = "erasure_reason"


@dataclass(frozen=True)
class Erasure:
    """What one erasure did (no personal data: the case number is a pseudonym)."""

    client_id: uuid.UUID
    case_number: str
    reason: str
    erased_at: datetime
    rows_cleared: int


def check_request(session: Session, client: Client, reason: str, confirm: str | None) -> None:
    """422 unless ``reason`` is a code of ``erasure_reason`` and ``confirm`` the case number."""
    errors: dict[str, list[str]] = {}
    codes = reference.CodeErrors(session)
    codes.check("erasure_reason", ERASURE_REASONS, reason)
    errors.update(codes.errors)
    if confirm != client.case_number:
        errors["confirm_case_number"] = [
            "Zur Bestätigung die Aktennummer der zu löschenden Akte angeben."
        ]
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)


def refuse_if_held(session: Session, actor: Actor, client: Client, on: date) -> None:
    """409 with the reasons (and a kept denied event) if a legal hold applies on ``on``."""
    holds = holds_of(session, client.id, on)
    if not holds:
        return
    record(
        session,
        actor,
        "client.erase",
        object_type="client",
        object_id=client.case_number,
        outcome="denied",
        details={"holds": "+".join(holds)},
    )
    raise LegalHoldError(
        f"Die Akte darf nicht gelöscht werden: {hold_labels(session, holds)}.",
        extra={"holds": holds},
    )


def clear_encrypted_fields(session: Session, client_id: uuid.UUID) -> int:
    """NULL every encrypted field of every row of the client, in every registered model.

    Returns the number of rows cleared. Models are found in the crypto registry, so
    a record type added later is erased without anyone editing a list here.
    """
    cleared = 0
    for spec in registered_models(Base.metadata):
        values = {getattr(spec.cls, field.storage): None for field in spec.fields.values()}
        outcome = session.execute(
            update(spec.cls).where(getattr(spec.cls, spec.subject) == client_id).values(values),
            execution_options={"synchronize_session": "fetch"},
        )
        cleared += outcome.rowcount or 0  # type: ignore[attr-defined]
    return cleared


def erase_client(
    session: Session,
    actor: Actor,
    client_id: uuid.UUID,
    *,
    reason: str,
    confirm: str | None,
    on: date,
) -> Erasure:
    """Erase one client's personal data for good; the caller's unit of work commits.

    404 for an unknown id, 410 if already erased, 422 for a bad reason or
    confirmation, 409 under a legal hold. Writes ``keys.shred`` (by the crypto area)
    and ``client.erased`` with the case number and the reason code.
    """
    client = load_client(session, client_id)  # 404, or 410 once erased
    # Lock the data key first: of two concurrent erasures the second waits here and
    # then finds the key shredded (410), so no file is erased (and logged) twice.
    shredded = session.scalar(
        select(DataKey.shredded_at)
        .where(DataKey.subject_id == client.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if shredded is not None:
        raise SubjectShreddedError()
    check_request(session, client, reason, confirm)
    refuse_if_held(session, actor, client, on)
    case_number = client.case_number
    rows = clear_encrypted_fields(session, client.id)
    shred(session, actor, client.id)
    erased_at = utcnow()
    record(
        session,
        actor,
        "client.erased",
        object_type="client",
        object_id=case_number,
        details={"reason": reason, "rows_cleared": rows},
    )
    session.flush()
    return Erasure(client.id, case_number, reason, erased_at, rows)
