"""Who may open a client file: the configured policy, responsible advisers, break glass.

Consultations, profilings, assessments and qualifications of a client follow the
same rule as the file itself (see mgz.clients.records).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients.models import BreakGlassAccess, Client, client_advisers
from mgz.core.actor import Actor
from mgz.core.config import Setting, choice, register
from mgz.core.db import utcnow
from mgz.core.errors import ForbiddenError, NotFoundError
from mgz.core.unit_of_work import keep_rows
from mgz.crypto.errors import SubjectShreddedError
from mgz.crypto.models import DataKey

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


def _open(
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client: Client,
    reason: str | None,
) -> list[int] | None:
    """Apply the access policy; a break-glass opening is recorded with its reason.

    Returns the responsible advisers' ids if the check read them (not under ``team``).
    """
    if policy.mode == "team":
        return None
    advisers = _adviser_ids(session, client.id)
    if actor.user_id is not None and actor.user_id in advisers:
        return advisers
    if not reason or len(reason.strip()) < 10:
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
            "Sie sind für diese Akte nicht zuständig. Geben Sie im Header X-Access-Reason "
            "eine Begründung (mindestens 10 Zeichen) an; der Zugriff wird protokolliert.",
            errors={"X-Access-Reason": ["Begründung fehlt oder ist zu kurz."]},
        )
    access = BreakGlassAccess(
        id=uuid.uuid4(),
        client_id=client.id,
        user_id=actor.user_id,
        reason=reason.strip()[:500],
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
        details={"break_glass_id": access.id.hex},
        keep=True,
    )
    return advisers


def load_client(session: Session, client_id: uuid.UUID) -> Client:
    """The client or 404."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFoundError("Akte nicht gefunden.")
    if is_erased(session, client.id):
        # Crypto-shredded: nothing of the person can be read, and nothing may be added.
        raise SubjectShreddedError()
    return client


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
) -> list[int] | None:
    """Apply the access policy to ``client``'s file or any record of it.

    Responsible advisers (or everyone, under ``team``) pass. Others need a reason of
    at least 10 characters: the opening is then stored as a break glass (reason
    encrypted) and logged; without one the refusal is logged (kept when the request
    rolls back) and 403 is raised. Returns the responsible advisers' ids if it read
    them (None under ``team``, which needs no look-up).
    """
    return _open(session, actor, policy, client, reason)


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

    def open(self, client_id: uuid.UUID) -> Client:
        """Load a client file and apply the access policy (404, 403 or break glass)."""
        client = load_client(self.session, client_id)
        check_access(self.session, self.actor, self.policy, client, self.reason)
        return client

    def open_file(self, client_id: uuid.UUID) -> OpenedFile:
        """Like :meth:`open`, with the responsible advisers the check read."""
        client = load_client(self.session, client_id)
        advisers = check_access(self.session, self.actor, self.policy, client, self.reason)
        if advisers is None:
            advisers = _adviser_ids(self.session, client.id)
        return OpenedFile(client, advisers)

    def is_responsible(self, client: Client) -> bool:
        """Whether the actor is one of ``client``'s responsible advisers."""
        return is_responsible(self.session, self.actor, client)

    def opens_without_reason(self, client: Client) -> bool:
        """Whether the actor may open ``client``'s file without a reason (names shown)."""
        return self.policy.mode == "team" or self.is_responsible(client)
