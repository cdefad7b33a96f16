"""Personal API tokens: created once (only a hash is stored), revoked at once, checked."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.audit import service as audit
from mgz.auth.models import ApiToken, User
from mgz.auth.service.common import TOKEN_PREFIX, Principal, _sha256
from mgz.auth.settings import TOKEN_MAX_DAYS
from mgz.core.access import NO_PERSONAL_DATA_ROLES
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)


def create_token(
    session: Session,
    actor: Actor,
    user: User,
    label: str,
    expires_in: timedelta,
) -> tuple[ApiToken, str]:
    """Create a personal API token for ``user``; returns it with the secret (shown once).

    An admin sees the secret, so over the API an admin may not create a token for
    someone else's account that can read personal data (advisers): that would be a
    way into client files under another person's name. Operators with shell access
    (the CLI, a system actor) can, as they hold the keys anyway.
    """
    if (
        actor.user_id is not None
        and actor.user_id != user.id
        and user.roles - NO_PERSONAL_DATA_ROLES
    ):
        raise ForbiddenError(
            "Tokens für Konten mit Zugriff auf Klientendaten werden nicht über die API "
            "für andere erstellt."
        )
    if user.is_disabled:
        raise ConflictError("Das Konto ist gesperrt.")
    if expires_in <= timedelta(0) or expires_in > timedelta(days=TOKEN_MAX_DAYS):
        raise InvalidInputError(
            errors={"expires_in_days": [f"Höchstens {TOKEN_MAX_DAYS} Tage, mindestens 1."]}
        )
    label = label.strip()
    if not 1 <= len(label) <= 100:
        raise InvalidInputError(errors={"label": ["1–100 Zeichen."]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        token_hash=_sha256(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        label=label,
        created_at=now,
        expires_at=now + expires_in,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        object_type="api_token",
        object_id=str(token.id),
        details={"user_id": user.id, "expires_in_days": expires_in.days},
    )
    return token, raw


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token at once; audited ``token.revoke``."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError("Token nicht gefunden.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor,
            "token.revoke",
            object_type="api_token",
            object_id=str(token.id),
            details={"user_id": token.user_id},
        )
    return token


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """A user's tokens (without secrets), newest first."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def load_token(session: Session, raw: str, now: datetime | None = None) -> Principal | None:
    """The principal of a valid API token, or None (unknown, expired, revoked, disabled).

    The token acts with its user's current roles (the caller commits the usage time).
    """
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
        return None
    now = now or utcnow()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(raw)))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or user.is_disabled or not user.roles:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return Principal(user.id, user.username, user.roles, "token", str(token.id))
