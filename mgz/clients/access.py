"""Who may open a client file: the configured policy, responsible advisers, break glass.

Consultations, profilings, assessments and qualifications of a client follow the
same rule as the file itself (see mgz.clients.records).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, exists, func, select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients.models import BreakGlassAccess, Client, client_advisers
from mgz.core.actor import Actor
from mgz.core.config import Setting, choice, register
from mgz.core.db import utcnow
from mgz.core.errors import ForbiddenError, NotFoundError
from mgz.core.unit_of_work import keep_rows
from mgz.crypto import data_keys
from mgz.crypto.errors import SubjectShreddedError
from mgz.crypto.models import DataKey
from mgz.reference.service import UnknownListError, is_valid, unknown_code

register(
    Setting(
        "CLIENT_ACCESS_POLICY",
        choice("team", "assigned"),
        "team: every adviser opens every file; assigned: responsible advisers only, "
        "others with a logged reason (break glass)",
    )
)


class AccessReasonRequiredError(ForbiddenError):
    """Assigned policy: not responsible, and no reason given."""

    slug = "access-reason-required"
    title = "Begründung erforderlich"


class NotResponsibleError(ForbiddenError):
    """An action only the responsible advisers may take (handing a file on)."""

    slug = "not-responsible"
    title = "Nicht zuständig"


@dataclass(frozen=True)
class AccessPolicy:
    """How advisers may open client files."""

    mode: str  # "team" or "assigned"


def access_policy(config: Mapping[str, Any]) -> AccessPolicy:
    """The configured access policy (its default is in config/defaults.toml)."""
    return AccessPolicy(config["CLIENT_ACCESS_POLICY"])


def _adviser_ids(session: Session, client_id: uuid.UUID) -> list[int]:
    rows = session.execute(
        select(client_advisers.c.user_id)
        .where(client_advisers.c.client_id == client_id)
        .order_by(client_advisers.c.user_id)
    )
    return [row[0] for row in rows]


def adviser_ids(session: Session, client: Client) -> list[int]:
    """The responsible advisers' user ids."""
    return _adviser_ids(session, client.id)


def is_responsible(session: Session, actor: Actor, client: Client) -> bool:
    """Whether ``actor`` is one of the client's responsible advisers."""
    return actor.user_id is not None and actor.user_id in _adviser_ids(session, client.id)


BREAK_GLASS_REASONS = "break_glass_reason"
# The headers a break glass is stated in (read by mgz.clients.case_access).
REASON_CODE_HEADER = "X-Access-Reason-Code"
REASON_HEADER = "X-Access-Reason"
REASON_MIN_OTHER = 10  # characters of free text when the code is "other"
REASON_MAX = 500


def _reason_errors(session: Session, code: str | None, text: str | None) -> dict[str, list[str]]:
    """What is wrong with a stated break-glass reason (empty: it will do)."""
    errors: dict[str, list[str]] = {}
    if not code:
        errors[REASON_CODE_HEADER] = [
            "Grund fehlt: ein Code der Liste break_glass_reason (z. B. emergency)."
        ]
    else:
        try:
            known = is_valid(session, BREAK_GLASS_REASONS, code)
        except UnknownListError:
            # Not loaded yet (`mgz reference load` after the upgrade): no break glass.
            errors[REASON_CODE_HEADER] = [
                "Die Codeliste break_glass_reason ist nicht geladen (mgz reference load)."
            ]
        else:
            if not known:
                errors[REASON_CODE_HEADER] = [unknown_code("break_glass_reason")]
    if text is not None and len(text) > REASON_MAX:
        errors[REASON_HEADER] = [f"Höchstens {REASON_MAX} Zeichen."]
    elif code == "other" and len(text or "") < REASON_MIN_OTHER:
        errors[REASON_HEADER] = [
            f"Bei „Sonstiges“ (other) ist eine Begründung von mindestens "
            f"{REASON_MIN_OTHER} Zeichen nötig."
        ]
    return errors


def _open(
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client: Client,
    reason: str | None,
    reason_code: str | None = None,
    advisers: list[int] | None = None,
) -> list[int] | None:
    """Apply the access policy; a break-glass opening is recorded with its reason.

    Returns the responsible advisers' ids if the check read them (not under ``team``);
    ``advisers``: already read with the file.
    """
    if policy.mode == "team":
        return None
    if advisers is None:
        advisers = _adviser_ids(session, client.id)
    if actor.user_id is not None and actor.user_id in advisers:
        return advisers
    text = (reason.strip() or None) if reason is not None else None
    code = reason_code.strip() if reason_code is not None else None
    errors = _reason_errors(session, code, text)
    if errors:
        record(
            session,
            actor,
            "client.access",
            object_type="client",
            object_id=client.case_number,
            outcome="denied",
            details={"policy": "assigned"},
        )  # a denial: kept when the request's work rolls back
        raise AccessReasonRequiredError(
            "Sie sind für diese Akte nicht zuständig. Geben Sie im Header "
            f"{REASON_CODE_HEADER} den Grund als Code der Liste break_glass_reason an "
            f"(bei other zusätzlich im Header {REASON_HEADER} eine Begründung von mindestens "
            f"{REASON_MIN_OTHER} Zeichen); der Zugriff wird protokolliert.",
            errors=errors,
        )
    assert code is not None  # noqa: S101 - _reason_errors refuses a missing code
    access = BreakGlassAccess(
        id=uuid.uuid4(),
        client_id=client.id,
        user_id=actor.user_id,
        reason_code=code,
        reason=text,
        accessed_at=utcnow(),
    )
    session.add(access)
    session.flush()
    # The opening stays recorded even when the request fails afterwards (a 404 of a
    # record, a refused input): the adviser has opened the file.
    keep_rows(session, access)
    record(
        session,
        actor,
        "client.break_glass",
        object_type="client",
        object_id=client.case_number,
        details={"break_glass_id": access.id.hex, "reason": code, "has_text": text is not None},
        keep=True,
    )
    return advisers


def load_client(session: Session, client_id: uuid.UUID) -> Client:
    """The client or 404; shredded: refused. One statement: the file, its key, its advisers."""
    return _load_file(session, client_id)[0]


# The file, its data-key row (outer join: the erased flag is a shredded key; no row
# at all is refused when a field is read) and its advisers (ids as one string): one
# statement instead of three.
_FILE = select(
    Client,
    DataKey.dek_version,
    DataKey.kek_id,
    DataKey.wrapped_key,
    DataKey.shredded_at,
    select(func.aggregate_strings(cast(client_advisers.c.user_id, String), ","))
    .where(client_advisers.c.client_id == Client.id)
    .correlate(Client)
    .scalar_subquery(),
).outerjoin(DataKey, DataKey.subject_id == Client.id)


def _load_file(session: Session, client_id: uuid.UUID) -> tuple[Client, list[int]]:
    """The client (404, or refused if shredded) and its responsible advisers' ids, sorted.

    The data key comes with the row and is unwrapped only when a field is read, in the
    session's transaction like every other key (``mgz.crypto.data_keys``).
    """
    row = session.execute(_FILE.where(Client.id == client_id)).first()
    if row is None:
        raise NotFoundError("Akte nicht gefunden.")
    client, dek_version, kek_id, wrapped_key, shredded_at, advisers = row
    if shredded_at is not None:
        # Crypto-shredded: nothing of the person can be read, and nothing may be added.
        raise SubjectShreddedError()
    if dek_version is not None:
        data_keys.note_key_row(session, client.id, dek_version, kek_id, wrapped_key)
    return client, sorted(int(user_id) for user_id in advisers.split(",")) if advisers else []


def is_erased(session: Session, client_id: uuid.UUID) -> bool:
    """Whether the client's data key was destroyed (crypto-shredding)."""
    return (
        session.scalar(
            select(DataKey.shredded_at).where(
                DataKey.subject_id == client_id, DataKey.shredded_at.is_not(None)
            )
        )
        is not None
    )


def not_erased() -> ColumnElement[bool]:
    """SQL condition: the client (``Client.id``) has not been crypto-shredded."""
    return ~exists().where(DataKey.subject_id == Client.id, DataKey.shredded_at.is_not(None))


def check_access(
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client: Client,
    reason: str | None = None,
    reason_code: str | None = None,
) -> list[int] | None:
    """Apply the access policy to ``client``'s file or any record of it.

    Responsible advisers (or everyone, under ``team``) pass. Others state a reason:
    a code of the list ``break_glass_reason`` and, optionally, free text (at least 10
    characters for ``other``). The opening is then stored as a break glass (the text
    encrypted with the client's key, the code in the audit event) and logged; without
    a valid reason the refusal is logged (kept when the request rolls back) and 403
    is raised. Returns the responsible advisers' ids if it read them (None under
    ``team``, which needs no look-up).
    """
    return _open(session, actor, policy, client, reason, reason_code)


@dataclass(frozen=True)
class OpenedFile:
    """A client file opened under the policy, with its responsible advisers' ids."""

    client: Client
    adviser_ids: list[int]


@dataclass(frozen=True)
class CaseAccess:
    """Who opens which client file, under which policy, for what reason.

    Built once per request (``mgz.clients.case_access.case_access``) and handed to every
    service that opens a file or a record of it, instead of five loose arguments.
    """

    session: Session
    actor: Actor
    policy: AccessPolicy
    reason: str | None = None
    reason_code: str | None = None

    def open(self, client_id: uuid.UUID) -> Client:
        """Load a client file and apply the access policy (404, 403 or break glass)."""
        return self.open_file(client_id).client

    def open_file(self, client_id: uuid.UUID) -> OpenedFile:
        """Like :meth:`open`, with the responsible advisers (read with the file)."""
        client, advisers = _load_file(self.session, client_id)
        _open(
            self.session,
            self.actor,
            self.policy,
            client,
            self.reason,
            self.reason_code,
            advisers,
        )
        return OpenedFile(client, advisers)

    def is_responsible(self, client: Client) -> bool:
        """Whether the actor is one of ``client``'s responsible advisers."""
        return is_responsible(self.session, self.actor, client)

    def require_responsible(self, client: Client, action: str, refusal: str) -> None:
        """Refuse (403, the refusal kept in the log as ``action``) anyone not responsible.

        For what only the file's own advisers may see whatever the policy, break glass
        included: the others' break-glass reasons, the access report. ``refusal`` is the
        German detail of the 403.
        """
        if self.is_responsible(client):
            return
        record(
            self.session,
            self.actor,
            action,
            object_type="client",
            object_id=client.case_number,
            outcome="denied",
            details={"reason": "not_responsible"},
        )
        raise NotResponsibleError(refusal)

    def opens_without_reason(self, client: Client) -> bool:
        """Whether the actor may open ``client``'s file without a reason (names shown)."""
        return self.policy.mode == "team" or self.is_responsible(client)
