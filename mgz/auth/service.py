"""Accounts, logins, sessions and API tokens; every change is written to the audit log.

Functions take the session and the acting user; the caller commits. Functions whose
failure must still be recorded (a failed login) return the error instead of raising
it, so the caller can commit the failure record and its audit event first.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from mgz.audit import service as audit
from mgz.auth import passwords
from mgz.auth.errors import AuthenticationError, ThrottledError
from mgz.auth.models import ApiToken, AuthSession, LoginFailure, TotpSecret, User, UserRole
from mgz.auth.schemas import USERNAME_PATTERN
from mgz.auth.settings import TOKEN_MAX_DAYS
from mgz.core.access import NO_PERSONAL_DATA_ROLES, ROLES
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)

TOKEN_PREFIX = "mgz_"  # noqa: S105 - a fixed prefix, not a secret
_USERNAME = re.compile(USERNAME_PATTERN)
LOGIN_FAILED = "Benutzername, Passwort oder Code falsch."


@dataclass(frozen=True)
class Principal:
    """Who a request is authenticated as, and how."""

    user_id: int
    username: str
    roles: frozenset[str]
    method: str  # "session" or "token"
    credential_id: str  # session token hash or API token id


@dataclass(frozen=True)
class LoginPolicy:
    """The login rules from configuration."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    totp_required_roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LoginOutcome:
    """A user on success, else the error to raise after committing its record."""

    user: User | None = None
    error: DomainError | None = None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_username(username: str) -> str:
    """User names are compared lower-case and without surrounding blanks."""
    return username.strip().casefold()


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


# --- login -----------------------------------------------------------------------------


def _retry_after(times: list[datetime], policy: LoginPolicy, now: datetime) -> int | None:
    if len(times) < policy.max_failures:
        return None
    ordered = sorted(times)
    # Once this failure leaves the window, fewer than max_failures remain.
    frees_at = ordered[len(ordered) - policy.max_failures] + policy.window
    return max(1, math.ceil((frees_at - now).total_seconds()))


def throttle_wait(
    session: Session, username: str, client_address: str, policy: LoginPolicy, now: datetime
) -> int | None:
    """Seconds to wait before the next login attempt, or None if one is allowed."""
    key = _sha256(normalise_username(username))
    rows = session.execute(
        select(LoginFailure.occurred_at, LoginFailure.account_key, LoginFailure.client_address)
        .where(LoginFailure.occurred_at > now - policy.window)
        .where(or_(LoginFailure.account_key == key, LoginFailure.client_address == client_address))
    ).all()
    waits = [
        _retry_after([r.occurred_at for r in rows if r.account_key == key], policy, now),
        _retry_after(
            [r.occurred_at for r in rows if r.client_address == client_address], policy, now
        ),
    ]
    found = [wait for wait in waits if wait is not None]
    return max(found) if found else None


def _lock_attempts(session: Session, account_key: str, client_address: str) -> None:
    """Serialise login attempts per account and per address until the next commit.

    Without it, parallel attempts on PostgreSQL would all read the failure count
    before any of them is written, and a burst would get as many password checks as
    the server has workers. SQLite serialises every transaction already (BEGIN
    IMMEDIATE).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for lock_key in sorted({f"login:account:{account_key}", f"login:address:{client_address}"}):
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(lock_key))))


def _fail(
    session: Session,
    user: User | None,
    reason: str,
    request_id: str | None,
) -> LoginOutcome:
    audit.record(
        session,
        Actor(None, "anonymous", request_id=request_id),
        "auth.login_failed",
        object_type="user" if user else None,
        object_id=str(user.id) if user else None,
        outcome="failure",
        details={"reason": reason},
    )
    extra = {"otp_required": True} if reason == "otp_required" else None
    return LoginOutcome(error=AuthenticationError(LOGIN_FAILED, extra=extra))


def _totp_ok(user: User, code: str, now: datetime) -> bool:
    secret = user.totp_secret
    assert secret is not None  # noqa: S101 - checked by the caller
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        expected = totp.at(candidate * totp.interval)
        if secrets.compare_digest(expected, code) and (
            user.totp_last_step is None or candidate > user.totp_last_step
        ):
            user.totp_last_step = candidate
            return True
    return False


def attempt_login(
    session: Session,
    username: str,
    password: str,
    otp: str | None,
    *,
    client_address: str,
    request_id: str | None,
    policy: LoginPolicy,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check credentials under the throttle; record failures and their audit events.

    Three steps, so that neither a burst of parallel attempts nor the slow password
    hash defeats the throttle or blocks the database:

    1. under a per-account and per-address lock, check the throttle and count this
       attempt in advance (a failure row); commit, which releases the lock;
    2. check the password with no transaction open (scrypt takes about half a second
       and, on SQLite, would otherwise hold the only write lock);
    3. in a new transaction, keep the failure row and log the failure, or remove it
       on success (and when only the second factor is missing).

    The caller commits the third step in every case and then raises ``outcome.error``.
    """
    now = now or utcnow()
    account_key = _sha256(normalise_username(username))
    address = client_address[:64]
    _lock_attempts(session, account_key, address)
    wait = throttle_wait(session, username, address, policy, now)
    if wait is not None:
        audit.record(
            session,
            Actor(None, "anonymous", request_id=request_id),
            "auth.login_throttled",
            outcome="denied",
            details={"retry_after": wait},
        )
        return LoginOutcome(
            error=ThrottledError(
                "Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie.",
                headers={"Retry-After": str(wait)},
                extra={"retry_after": wait},
            )
        )
    attempt = LoginFailure(occurred_at=now, account_key=account_key, client_address=address)
    session.add(attempt)
    # Failures older than a day are of no use to throttling; the audit log keeps them.
    session.execute(delete(LoginFailure).where(LoginFailure.occurred_at < now - timedelta(days=1)))
    user = find_user(session, username)
    stored_hash = user.password_hash if user else None
    session.commit()

    password_ok = passwords.verify_password(password, stored_hash)

    def succeed_without_counting() -> None:
        session.execute(delete(LoginFailure).where(LoginFailure.id == attempt.id))

    if not password_ok:
        return _fail(session, user, "unknown_user" if user is None else "bad_password", request_id)
    assert user is not None  # noqa: S101 - verify_password is False without a user
    # Fresh state, locked on PostgreSQL: a parallel login with the same one-time code
    # waits here and then sees the code's time step as used.
    user = session.get(User, user.id, with_for_update=True, populate_existing=True)
    if user is None or user.is_disabled:
        return _fail(session, user, "disabled", request_id)
    if not user.has_totp and user.roles & policy.totp_required_roles:
        return _fail(session, user, "otp_not_enrolled", request_id)
    if user.has_totp:
        if not otp:
            succeed_without_counting()  # the password was right; asking for the code
            return _fail(session, user, "otp_required", request_id)
        if not _totp_ok(user, otp, now):
            return _fail(session, user, "bad_otp", request_id)
    succeed_without_counting()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return LoginOutcome(user=user)


# --- sessions --------------------------------------------------------------------------


def start_session(
    session: Session, user: User, request_id: str | None, *, previous_token: str | None = None
) -> str:
    """Open a new server-side session (a fresh id at every login); audited ``auth.login``.

    A session the browser carried before is ended, so an id planted before login is
    worth nothing after it.
    """
    if previous_token:
        session.execute(
            delete(AuthSession).where(AuthSession.token_hash == _sha256(previous_token))
        )
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AuthSession(token_hash=_sha256(raw), user_id=user.id, created_at=now, last_seen_at=now)
    )
    actor = Actor(user.id, user.username, user.roles, request_id)
    audit.record(
        session,
        actor,
        "auth.login",
        object_type="user",
        object_id=str(user.id),
        details={"second_factor": user.has_totp},
    )
    return raw


def load_session(
    session: Session,
    raw: str,
    *,
    idle: timedelta,
    absolute: timedelta,
    now: datetime | None = None,
) -> Principal | None:
    """The principal of a valid session token, or None (unknown, timed out, disabled).

    Refreshes ``last_seen_at`` at most once a minute (the caller commits).
    """
    now = now or utcnow()
    token_hash = _sha256(raw)
    row = session.get(AuthSession, token_hash)
    if row is None:
        return None
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or user.is_disabled or not user.roles:
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    return Principal(user.id, user.username, user.roles, "session", token_hash)


def end_session(session: Session, actor: Actor, raw: str) -> None:
    """Sign out: delete the server-side session; audited ``auth.logout``."""
    session.execute(delete(AuthSession).where(AuthSession.token_hash == _sha256(raw)))
    audit.record(session, actor, "auth.logout", object_type="user", object_id=str(actor.user_id))


# --- API tokens ------------------------------------------------------------------------


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
