"""Accounts: creation, roles, disabling (never the last active admin), passwords, TOTP.

Functions take the session and the acting user and flush; the caller's unit of work
commits (``mgz.core.unit_of_work``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

import pyotp
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mgz.audit import service as audit
from mgz.auth import passwords
from mgz.auth.models import ApiToken, AuthSession, TotpSecret, User, UserRole
from mgz.auth.schemas import USERNAME_PATTERN
from mgz.auth.service.common import normalise_username
from mgz.auth.service.tokens import revoke_token
from mgz.core.access import NO_PERSONAL_DATA_ROLES, ROLES
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)

_USERNAME = re.compile(USERNAME_PATTERN)


def _check_roles(roles: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(roles)
    unknown = sorted(chosen - set(ROLES))
    if unknown or not chosen:
        raise InvalidInputError(
            errors={"roles": ["Mindestens eine Rolle aus: " + ", ".join(ROLES) + "."]}
        )
    return chosen


def _check_password(password: str, username: str) -> None:
    problems = passwords.password_problems(password, username)
    if problems:
        raise InvalidInputError(errors={"password": problems})


def _roles_code(roles: Iterable[str]) -> str:
    return "+".join(sorted(roles)) or "none"


# --- users -----------------------------------------------------------------------------


def get_user(session: Session, user_id: int) -> User:
    """A user by id; NotFoundError if there is none."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("Benutzer*in nicht gefunden.")
    return user


def find_user(session: Session, username: str) -> User | None:
    """A user by name (case-insensitive), or None."""
    return session.scalar(select(User).where(User.username == normalise_username(username)))


def user_by_name(session: Session, username: str) -> User:
    """A user by name; NotFoundError if there is none."""
    user = find_user(session, username)
    if user is None:
        raise NotFoundError("Benutzer*in nicht gefunden.")
    return user


def list_users(session: Session) -> list[User]:
    """All users, ordered by name."""
    return list(session.scalars(select(User).order_by(User.username)))


def create_user(
    session: Session, actor: Actor, username: str, password: str, roles: Iterable[str]
) -> User:
    """Create an account with roles; audited as ``user.create``."""
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise InvalidInputError(
            errors={"username": ["3–64 Zeichen: Kleinbuchstaben, Ziffern, Punkt, - und _."]}
        )
    chosen = _check_roles(roles)
    _check_password(password, name)
    if find_user(session, name) is not None:
        raise ConflictError(
            "Benutzername ist bereits vergeben.", errors={"username": ["Vergeben."]}
        )
    now = utcnow()
    user = User(
        username=name,
        password_hash=passwords.hash_password(password),
        password_changed_at=now,
        role_rows=[UserRole(role=role) for role in sorted(chosen)],
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        object_type="user",
        object_id=str(user.id),
        fields=["username", "roles", "password_hash"],
        details={"roles": _roles_code(chosen)},
    )
    return user


def set_roles(session: Session, actor: Actor, user: User, roles: Iterable[str]) -> User:
    """Replace a user's roles; audited as ``user.roles_change`` (takes effect at once).

    Nobody changes their own roles (an admin would otherwise make themselves an
    adviser and read client files); it takes a second admin, or the CLI.
    """
    if actor.user_id is not None and actor.user_id == user.id:
        raise ForbiddenError("Eigene Rollen können nicht selbst geändert werden.")
    chosen = _check_roles(roles)
    before = user.roles
    if chosen == before:
        return user
    if "admin" not in chosen:
        _refuse_last_admin(
            session, user, "Dem letzten aktiven Admin-Konto kann die Rolle nicht entzogen werden."
        )
    user.role_rows = [row for row in user.role_rows if row.role in chosen]
    for role in sorted(chosen - before):
        user.role_rows.append(UserRole(role=role))
    session.flush()
    if (chosen - before) - NO_PERSONAL_DATA_ROLES:
        # Tokens act with the user's current roles; one handed out for statistics
        # scripts must not start reading client files because its owner became an
        # adviser. The user asks for a new token if one is still needed.
        for token in session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ):
            revoke_token(session, actor, token.id)
    audit.record(
        session,
        actor,
        "user.roles_change",
        object_type="user",
        object_id=str(user.id),
        fields=["roles"],
        details={"added": _roles_code(chosen - before), "removed": _roles_code(before - chosen)},
    )
    return user


def _end_all_sessions(session: Session, user: User) -> int:
    result = session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


def _lock_admins(session: Session) -> None:
    """Serialise changes that could leave no active admin, until the next commit.

    Without it two admins on PostgreSQL could disable each other at the same time,
    each seeing the other still active. SQLite serialises every write transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext("users:active-admins"))))


def _refuse_last_admin(session: Session, user: User, detail: str) -> None:
    """ConflictError if ``user`` is the only active admin (nobody could manage accounts)."""
    if user.is_disabled or "admin" not in user.roles:
        return
    _lock_admins(session)
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .join(UserRole)
        .where(UserRole.role == "admin", User.disabled_at.is_(None), User.id != user.id)
    )
    if not others:
        raise ConflictError(detail)


def disable_user(session: Session, actor: Actor, user: User) -> User:
    """Disable an account: its sessions end, its tokens are revoked; audited.

    The last active admin is not disabled (409): nobody could manage accounts any
    more. Tokens are revoked rather than left unusable, so that enabling the
    account later does not bring old, possibly leaked, tokens back to life.
    """
    if user.disabled_at is None:
        _refuse_last_admin(
            session, user, "Das letzte aktive Admin-Konto kann nicht gesperrt werden."
        )
        user.disabled_at = utcnow()
        ended = _end_all_sessions(session, user)
        for token in session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ):
            revoke_token(session, actor, token.id)
        audit.record(
            session,
            actor,
            "user.disable",
            object_type="user",
            object_id=str(user.id),
            fields=["disabled_at"],
            details={"sessions_ended": ended},
        )
    return user


def enable_user(session: Session, actor: Actor, user: User) -> User:
    """Enable a disabled account again; audited ``user.enable``.

    The account signs in with its password as before; sessions ended and tokens
    revoked by the disabling stay so.
    """
    if user.disabled_at is not None:
        user.disabled_at = None
        audit.record(
            session,
            actor,
            "user.enable",
            object_type="user",
            object_id=str(user.id),
            fields=["disabled_at"],
        )
    return user


def reset_password(session: Session, actor: Actor, user: User, password: str) -> User:
    """Set a new password and end the user's sessions; audited."""
    _check_password(password, user.username)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = utcnow()
    ended = _end_all_sessions(session, user)
    audit.record(
        session,
        actor,
        "user.password_reset",
        object_type="user",
        object_id=str(user.id),
        fields=["password_hash"],
        details={"sessions_ended": ended},
    )
    return user


def enable_totp(session: Session, actor: Actor, user: User) -> str:
    """Enrol a new TOTP secret and return its otpauth:// URI (shown once); audited."""
    secret = pyotp.random_base32()
    if user.totp is None:
        user.totp = TotpSecret(id=uuid.uuid4(), secret=secret)
    else:
        user.totp.secret = secret
    user.totp_last_step = None
    audit.record(
        session,
        actor,
        "user.totp_enable",
        object_type="user",
        object_id=str(user.id),
        fields=["totp_secret"],
    )
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="mgz")
