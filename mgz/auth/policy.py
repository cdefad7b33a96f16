"""Enforcing the declared access policy on every request, and who the caller is.

Each endpoint declares ``@roles_required(...)`` or ``@public`` (markers from
``mgz.core.access``); a ``before_request`` hook refuses every endpoint that declares
nothing (default deny), answers 401 to anonymous callers, 403 to callers without
one of the roles, and checks the CSRF header on cookie-authenticated writes.
Browser sessions use Flask-Login; the cookie holds a random session token whose
SHA-256 is the server-side session row, so logout and time-outs really end it.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, request
from flask import session as cookie_session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from mgz.audit.reading import record_refusal
from mgz.auth import service
from mgz.auth import settings as _settings  # noqa: F401 - declares the settings read here
from mgz.auth.cookie_sessions import CookieSessions
from mgz.auth.errors import AuthenticationError, CsrfError
from mgz.auth.service import LoginPolicy, Principal
from mgz.auth.service.tokens import TokenRefusedError
from mgz.auth.settings import totp_required_roles
from mgz.core.access import PUBLIC_ENDPOINTS, Policy, policy_of, public, roles_required
from mgz.core.actor import SESSION_ACTOR_KEY, Actor, register_actor_provider
from mgz.core.db import get_session
from mgz.core.errors import DomainError, ForbiddenError

__all__ = ["current_actor", "init_app", "public", "roles_required"]

log = logging.getLogger("mgz.auth")
CSRF_HEADER = "X-CSRF-Token"
_CSRF_KEY = "mgz_csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PUBLIC = Policy(is_public=True)

login_manager = LoginManager()


class SignedInUser(UserMixin):
    """Flask-Login's user: a principal; ``get_id`` is the session token, not the user id."""

    def __init__(self, principal: Principal, session_token: str | None = None) -> None:
        self.principal = principal
        self._session_token = session_token

    def get_id(self) -> str | None:
        """The raw session token Flask-Login keeps in the signed cookie."""
        return self._session_token


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def _load_from_session(raw: str) -> SignedInUser | None:
    if "Authorization" in request.headers:
        return None  # a token request is judged by its token alone
    config = current_app.config
    db = get_session()
    principal = service.load_session(
        db,
        raw,
        idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        absolute=timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
    )
    _commit_if_changed(db)  # the refreshed last_seen_at, or a timed-out session's deletion
    return SignedInUser(principal, raw) if principal else None


def _load_from_token(_request: Any) -> SignedInUser | None:
    raw = _bearer()
    if raw is None:
        return None
    db = get_session()
    try:
        principal = service.load_token(
            db, raw, totp_required_roles=totp_required_roles(current_app.config)
        )
    except TokenRefusedError as refusal:
        g.mgz_token_refusal = refusal  # _enforce answers with its reason
        return None
    _commit_if_changed(db)  # the last use, recorded at most once a minute
    return SignedInUser(principal) if principal else None


def _commit_if_changed(db: Any) -> None:
    """Commit what authentication changed; otherwise the request goes on in its transaction.

    Most requests change nothing here, and their own work commits once at the end.
    """
    if db.new or db.dirty or db.deleted:
        db.commit()


def _unauthorized() -> None:
    raise AuthenticationError("Bitte melden Sie sich an.")


def endpoint_policy(endpoint: str | None, method: str) -> Policy | None:
    """The policy of an endpoint and method, or None if it declares none."""
    if endpoint is None:
        return None
    if endpoint in PUBLIC_ENDPOINTS:
        return _PUBLIC
    return policy_of(current_app.view_functions.get(endpoint), method)


def _enforce() -> None:
    if request.endpoint is None or request.method == "OPTIONS":
        return  # 404/405 follow from routing; OPTIONS carries no data
    policy = endpoint_policy(request.endpoint, request.method)
    if policy is None:
        log.error(
            "endpoint without access policy", extra={"event": "no_policy", "path": request.path}
        )
        raise ForbiddenError()
    if policy.is_public:
        return
    if not current_user.is_authenticated:
        refusal = g.get("mgz_token_refusal")
        raise _refused(policy, refusal or AuthenticationError("Bitte melden Sie sich an."))
    principal: Principal = current_user.principal
    if principal.method == "session" and request.method not in _SAFE_METHODS:
        expected = cookie_session.get(_CSRF_KEY, "")
        sent = request.headers.get(CSRF_HEADER, "")
        if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
            raise _refused(
                policy, CsrfError("CSRF-Token fehlt oder ist ungültig (Header X-CSRF-Token).")
            )
    acting = next((role for role in policy.roles if role in principal.roles), None)
    if acting is None:
        raise _refused(policy, ForbiddenError())
    g.mgz_acting_role = acting


def _refused(policy: Policy, error: DomainError) -> DomainError:
    """Put a refusal on a route with personal data into the data-protection log.

    Committed before the request is refused, like every audited refusal.
    """
    if policy.has_personal_data:
        request_id = g.get("request_id")
        if current_user.is_authenticated:
            principal: Principal = current_user.principal
            actor = Actor(
                principal.user_id,
                principal.username,
                principal.roles,
                request_id,
                token_id=_token_id(principal),
            )
        else:
            actor = Actor(None, "anonymous", request_id=request_id)
        db = get_session()
        record_refusal(
            db,
            actor,
            endpoint=request.endpoint or "",
            method=request.method,
            status=error.status,
            view_args=request.view_args or {},
        )
        db.commit()
    return error


def _token_id(principal: Principal) -> str | None:
    return principal.credential_id if principal.method == "token" else None


def current_principal() -> Principal:
    """The authenticated principal of this request; 401 if there is none."""
    if not current_user.is_authenticated:
        raise AuthenticationError("Bitte melden Sie sich an.")
    return current_user.principal  # type: ignore[no-any-return]


def current_actor() -> Actor:
    """The :class:`Actor` for service calls: the signed-in user, their role, the request id.

    Registered at init_app as the provider of ``mgz.core.actor.current_actor``, which
    is what views outside this area call.

    It is also put into the request session's ``info``, so that events written deep
    inside a flush or a read (a decryption failure) name the user too.
    """
    principal = current_principal()
    actor = Actor(
        principal.user_id,
        principal.username,
        principal.roles,
        g.get("request_id"),
        g.get("mgz_acting_role"),
        token_id=_token_id(principal),
    )
    get_session().info[SESSION_ACTOR_KEY] = actor
    return actor


def login_policy() -> LoginPolicy:
    """The login rules from the app's configuration."""
    config = current_app.config
    return LoginPolicy(
        max_failures=config["LOGIN_MAX_FAILURES"],
        max_address_failures=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        window=timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"]),
        totp_required_roles=frozenset(config["TOTP_REQUIRED_ROLES"]),
    )


def session_token() -> str | None:
    """The raw session token of a cookie-authenticated request (None for tokens)."""
    if current_user.is_authenticated and current_user.principal.method == "session":
        return current_user.get_id()  # type: ignore[no-any-return]
    return None


def session_token_from_cookie() -> str | None:
    """The session token the browser sent, valid or not (to end it at the next login)."""
    value = cookie_session.get("_user_id")
    return value if isinstance(value, str) else None


def begin_browser_session(principal: Principal, raw: str) -> str:
    """Replace the cookie session with a new one for ``raw``; return its CSRF token."""
    cookie_session.clear()
    login_user(SignedInUser(principal, raw))
    cookie_session.permanent = True
    csrf = secrets.token_urlsafe(32)
    cookie_session[_CSRF_KEY] = csrf
    return csrf


def end_browser_session() -> None:
    """Forget the cookie session."""
    logout_user()
    cookie_session.clear()


def csrf_token() -> str | None:
    """The CSRF token of the current cookie session."""
    return cookie_session.get(_CSRF_KEY)


def init_app(app: Flask) -> None:
    """Cookie settings, Flask-Login and the policy hook (after the request-id hook)."""
    app.config.update(
        SESSION_COOKIE_NAME="mgz_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Outside demo mode the cookie only travels over TLS.
        SESSION_COOKIE_SECURE=not app.config.get("DEMO", False),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"]),
        REMEMBER_COOKIE_DURATION=timedelta(0),
    )
    app.session_interface = CookieSessions()
    login_manager.init_app(app)
    login_manager.user_loader(_load_from_session)
    login_manager.request_loader(_load_from_token)
    login_manager.unauthorized_handler(_unauthorized)
    # "strong" would drop the session when the client's address changes (mobile
    # networks); our own idle and absolute time-outs bound a stolen cookie instead.
    login_manager.session_protection = None
    app.before_request(_enforce)
    register_actor_provider(app, current_actor)
