"""Settings of the auth area; their defaults are in config/defaults.toml, like every other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mgz.core import config
from mgz.core.access import ROLES


def parse_roles(value: Any) -> frozenset[str]:
    """A comma-separated list of roles (may be empty)."""
    if isinstance(value, list | tuple | set | frozenset):
        items = [str(item).strip() for item in value]
    else:
        items = [item.strip() for item in config.parse_str(value).split(",")]
    roles = frozenset(item for item in items if item)
    unknown = sorted(roles - set(ROLES))
    if unknown:
        raise ValueError("unknown role " + unknown[0] + "; known: " + ", ".join(ROLES))
    return roles


def totp_required_roles(app_config: Mapping[str, Any]) -> frozenset[str]:
    """The roles that need a second factor at login, hence are never given to a token.

    Read at token creation and at every token request, so a role added to the
    setting later stops working for existing tokens too (fail closed).
    """
    return frozenset(app_config["TOTP_REQUIRED_ROLES"])


# Longest lifetime of an API token, in days: one limit for the API (schema and
# document), the service and `mgz tokens create`. A year: a script's token is then
# renewed, and its owner confirmed, at least once a year.
TOKEN_MAX_DAYS = 365

for _setting in (
    config.Setting(
        "SESSION_IDLE_MINUTES", config.int_range(1, 24 * 60), "sign out after this idle time"
    ),
    config.Setting(
        "SESSION_ABSOLUTE_HOURS", config.int_range(1, 7 * 24), "sign out this long after login"
    ),
    config.Setting(
        "TOTP_REQUIRED_ROLES", parse_roles, "roles that must sign in with a TOTP second factor"
    ),
    config.Setting(
        "LOGIN_MAX_FAILURES", config.int_range(1, 100), "failed logins per account in the window"
    ),
    config.Setting(
        "LOGIN_MAX_FAILURES_PER_ADDRESS",
        config.int_range(1, 100_000),
        "failed logins from one client address (any account) in the window",
    ),
    config.Setting(
        "LOGIN_FAILURE_WINDOW_MINUTES",
        config.int_range(1, 24 * 60),
        "window in which failed logins are counted",
    ),
):
    config.register(_setting)
