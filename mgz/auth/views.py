"""``/api/v1/auth`` (login, logout, me), ``/api/v1/users`` and ``/api/v1/tokens``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, g, request
from flask.views import MethodView

from mgz.auth import policy, service
from mgz.auth.models import ApiToken, User
from mgz.auth.schemas import (
    LoginSchema,
    MeSchema,
    NewTokenSchema,
    RolesSchema,
    TokenCreateSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
)
from mgz.auth.settings import totp_required_roles
from mgz.core.access import ROLES, public, roles_required
from mgz.core.api import Blueprint
from mgz.core.db import get_session

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Anmeldung und Konten")


def _me(principal: service.Principal, csrf: str | None) -> dict[str, Any]:
    return {
        "user_id": principal.user_id,
        "username": principal.username,
        "roles": sorted(principal.roles),
        "auth_method": principal.method,
        "csrf_token": csrf,
    }


@blp.route("/auth/login")
class Login(MethodView):
    """Sign in with user name, password and (if enrolled) a TOTP code."""

    @public
    @blp.arguments(LoginSchema)
    @blp.response(200, MeSchema)
    @blp.alt_response(401, description="Anmeldedaten falsch")
    @blp.alt_response(429, description="Zu viele Fehlversuche; Retry-After beachten")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Anmelden (Sitzungscookie); die Antwort enthält das CSRF-Token."""
        db = get_session()
        outcome = service.attempt_login(
            db,
            data["username"],
            data["password"],
            data.get("otp"),
            client_address=request.remote_addr or "-",
            request_id=g.get("request_id"),
            policy=policy.login_policy(),
        )
        if outcome.error is not None:
            # The unit of work keeps the failure (throttling) and its audit event.
            raise outcome.error
        user = outcome.user
        assert user is not None  # noqa: S101
        previous = policy.session_token_from_cookie()
        raw = service.start_session(db, user, g.get("request_id"), previous_token=previous)
        principal = service.Principal(user.id, user.username, user.roles, "session", "")
        csrf = policy.begin_browser_session(principal, raw)
        return _me(principal, csrf)


@blp.route("/auth/logout")
class Logout(MethodView):
    """End the current browser session."""

    @roles_required(*ROLES)
    @blp.response(204)
    def post(self) -> None:
        """Abmelden."""
        db = get_session()
        raw = policy.session_token()
        if raw is not None:
            service.end_session(db, policy.current_actor(), raw)
        policy.end_browser_session()


@blp.route("/auth/me")
class Me(MethodView):
    """The signed-in user."""

    @roles_required(*ROLES)
    @blp.response(200, MeSchema)
    def get(self) -> dict[str, Any]:
        """Angemeldete*r Benutzer*in, Rollen und CSRF-Token."""
        principal = policy.current_principal()
        return _me(principal, policy.csrf_token() if principal.method == "session" else None)


@blp.route("/users")
class Users(MethodView):
    """Accounts (admins)."""

    @roles_required("admin")
    @blp.response(200, UserSchema(many=True))
    def get(self) -> list[User]:
        """Alle Konten."""
        return service.list_users(get_session())

    @roles_required("admin")
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> User:
        """Konto anlegen."""
        db = get_session()
        user = service.create_user(
            db, policy.current_actor(), data["username"], data["password"], data["roles"]
        )
        return user


@blp.route("/users/<id:user_id>/roles")
class UserRoles(MethodView):
    """A user's roles (admins)."""

    @roles_required("admin")
    @blp.arguments(RolesSchema)
    @blp.response(200, UserSchema)
    def put(self, data: dict[str, Any], user_id: int) -> User:
        """Rollen ersetzen."""
        db = get_session()
        user = service.set_roles(
            db, policy.current_actor(), service.get_user(db, user_id), data["roles"]
        )
        return user


@blp.route("/users/<id:user_id>/disable")
class UserDisable(MethodView):
    """Disable an account (admins)."""

    @roles_required("admin")
    @blp.response(200, UserSchema)
    @blp.alt_response(409, description="letztes aktives Admin-Konto")
    def post(self, user_id: int) -> User:
        """Konto sperren (nicht das letzte aktive Admin-Konto)."""
        db = get_session()
        user = service.disable_user(db, policy.current_actor(), service.get_user(db, user_id))
        return user


@blp.route("/users/<id:user_id>/enable")
class UserEnable(MethodView):
    """Enable a disabled account again (admins)."""

    @roles_required("admin")
    @blp.response(200, UserSchema)
    def post(self, user_id: int) -> User:
        """Konto entsperren (alte Tokens bleiben widerrufen)."""
        db = get_session()
        user = service.enable_user(db, policy.current_actor(), service.get_user(db, user_id))
        return user


@blp.route("/users/<id:user_id>/tokens")
class UserTokens(MethodView):
    """A user's API tokens (admins)."""

    @roles_required("admin")
    @blp.response(200, TokenSchema(many=True))
    def get(self, user_id: int) -> list[ApiToken]:
        """Tokens eines Kontos (ohne Geheimnis)."""
        db = get_session()
        return service.list_tokens(db, service.get_user(db, user_id))

    @roles_required("admin")
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, NewTokenSchema)
    @blp.alt_response(403, description="Rolle mit Zugriff auf Klientendaten für ein fremdes Konto")
    @blp.alt_response(409, description="Konto gesperrt")
    def post(self, data: dict[str, Any], user_id: int) -> dict[str, Any]:
        """API-Token anlegen; das Token wird nur dieses eine Mal angezeigt."""
        db = get_session()
        token, raw = service.create_token(
            db,
            policy.current_actor(),
            service.get_user(db, user_id),
            data["label"],
            timedelta(days=data["expires_in_days"]),
            data.get("roles"),
            totp_required_roles=totp_required_roles(current_app.config),
        )
        names = [f.attribute or n for n, f in NewTokenSchema().fields.items() if n != "token"]
        return {**{name: getattr(token, name) for name in names}, "token": raw}


@blp.route("/tokens/<id:token_id>")
class Token(MethodView):
    """Revoke an API token (admins)."""

    @roles_required("admin")
    @blp.response(204)
    def delete(self, token_id: int) -> None:
        """API-Token widerrufen (wirkt sofort)."""
        db = get_session()
        service.revoke_token(db, policy.current_actor(), token_id)
