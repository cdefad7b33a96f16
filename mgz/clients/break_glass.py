"""Reading the break-glass accesses of a client file: who opened it, when and why.

The reason's code is in the audit log for auditors; its free text is encrypted with
the client's data key, so only those who may read the file read it: the file's
responsible advisers (:func:`read_break_glass_accesses`, audited as a read of
personal data) and the client's own access report (Art. 15 DSGVO), which calls
:func:`break_glass_accesses` and logs its own read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.auth.models import User
from mgz.clients.access import (
    BREAK_GLASS_REASONS,
    CaseAccess,
    load_client,
)
from mgz.clients.models import BreakGlassAccess, Client
from mgz.crypto.types import decrypt_fields
from mgz.reference.service import get_code

# What a listing shows of a break glass that is personal data, for the audit event.
SHOWN_FIELDS = ("reason", "reason_code")


@dataclass(frozen=True)
class BreakGlassEntry:
    """One break-glass opening of a file, with its reason decrypted."""

    id: uuid.UUID
    accessed_at: datetime
    user_id: int | None
    username: str | None
    reason_code: str
    reason_label: str | None
    reason: str | None


def break_glass_accesses(session: Session, client: Client) -> list[BreakGlassEntry]:
    """Every break-glass opening of ``client``'s file, oldest first, text decrypted.

    Checks nothing and logs nothing: the caller has decided that its actor may see
    them and records the read (the advisers' listing below, the access report).
    A text that fails to decrypt raises before anything is returned.
    """
    rows = session.execute(
        select(BreakGlassAccess, User.username)
        .outerjoin(User, User.id == BreakGlassAccess.user_id)
        .where(BreakGlassAccess.client_id == client.id)
        .order_by(BreakGlassAccess.accessed_at, BreakGlassAccess.id)
    ).all()
    decrypt_fields(*(access for access, _name in rows))
    entries = []
    for access, username in rows:
        code = get_code(session, BREAK_GLASS_REASONS, access.reason_code)
        entries.append(
            BreakGlassEntry(
                id=access.id,
                accessed_at=access.accessed_at,
                user_id=access.user_id,
                username=username,
                reason_code=access.reason_code,
                reason_label=code.label if code is not None else None,
                reason=access.reason,
            )
        )
    return entries


def read_break_glass_accesses(case: CaseAccess, client_id: uuid.UUID) -> list[BreakGlassEntry]:
    """The break-glass openings of a file, for its responsible advisers only.

    Anyone else (under either policy, with or without a stated reason) is refused
    with 403 and the refusal is logged: a colleague who opened the file by break
    glass does not read the others' reasons. The read is logged as
    ``client.break_glass_read`` with the fields shown.
    """
    session = case.session
    client = load_client(session, client_id)
    case.require_responsible(
        client,
        "client.break_glass_read",
        "Die Zugriffe mit Begründung sehen nur die zuständigen Berater*innen der Akte.",
    )
    entries = break_glass_accesses(session, client)
    record(
        session,
        case.actor,
        "client.break_glass_read",
        object_type="client",
        object_id=client.case_number,
        fields=SHOWN_FIELDS,
        details={"count": len(entries)},
    )
    return entries
