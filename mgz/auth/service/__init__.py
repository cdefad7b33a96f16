"""Accounts, logins, sessions and API tokens; every change is written to the audit log.

Split by what they do: :mod:`.users` (accounts, roles, passwords, TOTP),
:mod:`.logins` (the throttled login and browser sessions), :mod:`.tokens` (API tokens).
Everything public is importable from here, as before the split. Functions take the
session and the acting user and flush; the caller's unit of work commits
(``mgz.core.unit_of_work``). A failed login is returned, not raised, so that the
view can raise it after the service recorded it.
"""

from mgz.auth.service.common import TOKEN_PREFIX, Principal, _sha256, normalise_username
from mgz.auth.service.logins import (
    LOGIN_FAILED,
    LoginOutcome,
    LoginPolicy,
    attempt_login,
    end_session,
    load_session,
    start_session,
    throttle_wait,
)
from mgz.auth.service.tokens import (
    TokenRefusedError,
    create_token,
    list_tokens,
    load_token,
    revoke_token,
    token_roles,
)
from mgz.auth.service.users import (
    create_user,
    disable_user,
    enable_totp,
    enable_user,
    find_user,
    get_user,
    list_users,
    reset_password,
    set_roles,
    user_by_name,
)

__all__ = [
    "LOGIN_FAILED",
    "TOKEN_PREFIX",
    "LoginOutcome",
    "LoginPolicy",
    "Principal",
    "TokenRefusedError",
    "_sha256",
    "attempt_login",
    "create_token",
    "create_user",
    "disable_user",
    "enable_totp",
    "enable_user",
    "end_session",
    "find_user",
    "get_user",
    "list_tokens",
    "list_users",
    "load_session",
    "load_token",
    "normalise_username",
    "reset_password",
    "revoke_token",
    "set_roles",
    "start_session",
    "throttle_wait",
    "token_roles",
    "user_by_name",
]
