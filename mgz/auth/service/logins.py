"""Logins under the throttle, and the server-side browser sessions they open.

A failed login is returned (``LoginOutcome.error``), not raised, by ``attempt_login``;
the view raises it, and the unit of work keeps the failure's audit event and the
counted attempt while it rolls the rest back.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from mgz.audit import service as audit
from mgz.auth import passwords
from mgz.auth.errors import AuthenticationError, ThrottledError
from mgz.auth.models import AuthSession, LoginFailure, User
from mgz.auth.service.common import Principal, _sha256, normalise_username
from mgz.auth.service.users import find_user
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.errors import DomainError
from mgz.core.unit_of_work import keep_on_failure

LOGIN_FAILED = "Benutzername, Passwort oder Code falsch."


@dataclass(frozen=True)
class LoginPolicy:
    """The login rules from configuration."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    totp_required_roles: frozenset[str] = frozenset()
    # Per client address, far above the per-account limit: a whole office signs in from
    # one NAT address, and one adviser's typos must not lock the others out. It still
    # stops one address guessing across many accounts (OWASP ASVS 2.2.1).
    max_address_failures: int = 100


@dataclass(frozen=True)
class LoginOutcome:
    """A user on success, else the error to raise (its records are kept on rollback)."""

    user: User | None = None
    error: DomainError | None = None


# --- login -----------------------------------------------------------------------------


def _retry_after(times: list[datetime], limit: int, window: timedelta, now: datetime) -> int | None:
    if len(times) < limit:
        return None
    ordered = sorted(times)
    # Once this failure leaves the window, fewer than ``limit`` remain.
    frees_at = ordered[len(ordered) - limit] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))


def throttle_wait(
    session: Session, username: str, client_address: str, policy: LoginPolicy, now: datetime
) -> int | None:
    """Seconds to wait before the next login attempt, or None if one is allowed.

    The account's own failures count against ``max_failures``; the address's failures
    (on any account) against the much higher ``max_address_failures``.
    """
    key = _sha256(normalise_username(username))
    rows = session.execute(
        select(LoginFailure.occurred_at, LoginFailure.account_key, LoginFailure.client_address)
        .where(LoginFailure.occurred_at > now - policy.window)
        .where(or_(LoginFailure.account_key == key, LoginFailure.client_address == client_address))
    ).all()
    waits = [
        _retry_after(
            [r.occurred_at for r in rows if r.account_key == key],
            policy.max_failures,
            policy.window,
            now,
        ),
        _retry_after(
            [r.occurred_at for r in rows if r.client_address == client_address],
            policy.max_address_failures,
            policy.window,
            now,
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


def _uncount(session: Session, attempt_id: int) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.id == attempt_id))


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

    The first step commits on its own (the one place here that must); the caller's unit
    of work commits the third and raises ``outcome.error``: the failure's audit event
    and the (un)counted attempt are kept when it rolls back.
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
        _uncount(session, attempt.id)

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
            keep_on_failure(session, lambda clean: _uncount(clean, attempt.id))
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
