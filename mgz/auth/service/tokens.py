"""Personal API tokens: scoped to roles, created once (only a hash is stored), revoked, checked.

A token names the roles it may use when it is created, and a request with it acts
with those of them its user still holds. One rule decides which roles a token may
carry, for the API and the CLI alike (:func:`token_roles`): roles the user holds;
never a role that must sign in with a second factor (a token would skip it); and a
role that sees personal data only when the user creates the token themself, since
whoever creates a token sees its secret and could read client files under the
user's name.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from mgz.audit import service as audit
from mgz.auth.errors import AuthenticationError
from mgz.auth.models import ApiToken, ApiTokenRole, User, UserRole
from mgz.auth.service.common import TOKEN_PREFIX, Principal, _sha256
from mgz.auth.settings import TOKEN_MAX_DAYS
from mgz.core.access import NO_PERSONAL_DATA_ROLES, ROLES
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)

log = logging.getLogger("mgz.auth")


class TokenRefusedError(AuthenticationError):
    """A valid token that may not be used as it stands (a role now needs a second factor)."""


def token_roles(
    actor: Actor,
    user: User,
    requested: Iterable[str] | None,
    totp_roles: frozenset[str],
) -> frozenset[str]:
    """The roles a new token of ``user`` gets; the one rule for the API and the CLI.

    Without ``requested`` the token gets the user's roles that see no personal data
    and need no second factor. Named roles must be the user's; a role of
    ``totp_roles`` is refused (the token would skip the second factor its login
    demands); a role that sees personal data is refused unless ``actor`` is the user
    (the creator sees the secret). Raises 422 or 403 naming the field ``roles``.
    """
    if requested is None:
        roles = (user.roles & NO_PERSONAL_DATA_ROLES) - totp_roles
        if not roles:
            raise InvalidInputError(
                errors={
                    "roles": [
                        "Das Konto hat keine Rolle, die ein Token ohne Angabe erhält "
                        "(Rollen ohne Zugriff auf Klientendaten und ohne zweiten Faktor)."
                    ]
                }
            )
        return frozenset(roles)
    roles = frozenset(requested)
    messages: list[str] = []
    for role in sorted(roles):
        if role not in ROLES:
            messages.append(f"Unbekannte Rolle {role}.")
        elif role not in user.roles:
            messages.append(f"Das Konto hat die Rolle {role} nicht.")
        elif role in totp_roles:
            messages.append(
                f"Die Rolle {role} verlangt bei der Anmeldung einen zweiten Faktor; "
                "ein Token kann sie nicht nutzen."
            )
    if not roles:
        messages.append("Mindestens eine Rolle.")
    if messages:
        raise InvalidInputError(errors={"roles": messages})
    personal = sorted(roles - NO_PERSONAL_DATA_ROLES)
    if personal and actor.user_id != user.id:
        raise ForbiddenError(
            "Ein Token mit Zugriff auf Klientendaten erstellt nur die Person selbst, "
            "der es gehört.",
            errors={"roles": [f"Die Rolle {role} sieht Klientendaten." for role in personal]},
        )
    return roles


def create_token(
    session: Session,
    actor: Actor,
    user: User,
    label: str,
    expires_in: timedelta,
    roles: Iterable[str] | None = None,
    *,
    totp_required_roles: frozenset[str],
) -> tuple[ApiToken, str]:
    """Create a personal API token for ``user``; returns it with the secret (shown once).

    ``roles`` are the roles the token may use (:func:`token_roles` decides, default:
    the user's roles without personal data). ``totp_required_roles`` are the roles
    that need a second factor at login (``mgz.auth.settings.totp_required_roles``);
    a required argument, so that no caller can forget them.
    """
    if user.is_disabled:
        raise ConflictError("Das Konto ist gesperrt.")
    if expires_in <= timedelta(0) or expires_in > timedelta(days=TOKEN_MAX_DAYS):
        raise InvalidInputError(
            errors={"expires_in_days": [f"Höchstens {TOKEN_MAX_DAYS} Tage, mindestens 1."]}
        )
    label = label.strip()
    if not 1 <= len(label) <= 100:
        raise InvalidInputError(errors={"label": ["1–100 Zeichen."]})
    granted = token_roles(actor, user, roles, totp_required_roles)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        token_hash=_sha256(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        label=label,
        created_at=now,
        expires_at=now + expires_in,
        role_rows=[ApiTokenRole(role=role) for role in sorted(granted)],
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        object_type="api_token",
        object_id=str(token.id),
        details={
            "user_id": user.id,
            "expires_in_days": expires_in.days,
            "roles": "+".join(sorted(granted)),
        },
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


def list_tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    """A user's tokens, or everyone's (without secrets), newest first."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def _roles_of(role: Any, owner: Any, owner_id: Any) -> Any:
    """The roles of one token or user as one comma-separated string (a scalar subquery)."""
    return (
        select(func.aggregate_strings(role, ","))
        .where(owner == owner_id)
        .correlate_except(role.class_)
        .scalar_subquery()
    )


# The role lists come as strings of codes (a role is a known code without commas, see
# the models' check constraints), not as the relationships' own SELECTs.
_TOKEN_WITH_ROLES = (
    select(
        ApiToken,
        User,
        _roles_of(ApiTokenRole.role, ApiTokenRole.token_id, ApiToken.id),
        _roles_of(UserRole.role, UserRole.user_id, User.id),
    )
    .join(User, User.id == ApiToken.user_id)
    .options(lazyload(ApiToken.role_rows), lazyload(User.role_rows))
)


def _role_set(joined: str | None) -> frozenset[str]:
    return frozenset(joined.split(",")) if joined else frozenset()


def load_token(
    session: Session,
    raw: str,
    now: datetime | None = None,
    *,
    totp_required_roles: frozenset[str],
) -> Principal | None:
    """The principal of a valid API token, or None (unknown, expired, revoked, disabled).

    The token acts with its own roles that its user still holds (a role taken from
    the user stops working for the token too); none left: refused. A token holding a
    role that now needs a second factor at login is refused as a whole
    (:class:`TokenRefusedError`): the setting may have changed after its creation.
    The caller commits the usage time.
    """
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
        return None
    now = now or utcnow()
    # Token, user and both role lists in one statement (every request with a token asks).
    row = session.execute(_TOKEN_WITH_ROLES.where(ApiToken.token_hash == _sha256(raw))).first()
    if row is None:
        return None
    token, user, token_role_list, user_role_list = row
    if token.revoked_at is not None or token.expires_at <= now or user.is_disabled:
        return None
    token_roles = _role_set(token_role_list)
    if token_roles & totp_required_roles:
        log.warning(
            "token refused: a role of it needs a second factor",
            extra={"event": "token_refused", "token_id": token.id},
        )
        raise TokenRefusedError(
            "Dieses Token trägt eine Rolle, die bei der Anmeldung einen zweiten Faktor "
            "verlangt, und gilt deshalb nicht. Bitte ein neues Token ohne diese Rolle "
            "erstellen lassen."
        )
    roles = token_roles & _role_set(user_role_list)
    if not roles:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return Principal(user.id, user.username, roles, "token", str(token.id))
