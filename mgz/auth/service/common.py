"""What the account, login and token services share: the principal, hashing of secrets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

TOKEN_PREFIX = "mgz_"  # noqa: S105 - a fixed prefix, not a secret


@dataclass(frozen=True)
class Principal:
    """Who a request is authenticated as, and how."""

    user_id: int
    username: str
    roles: frozenset[str]
    method: str  # "session" or "token"
    credential_id: str  # session token hash or API token id


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_username(username: str) -> str:
    """User names are compared lower-case and without surrounding blanks."""
    return username.strip().casefold()
