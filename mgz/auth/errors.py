"""Errors of the auth area (problem+json via mgz.core.errors' DomainError handler)."""

from __future__ import annotations

from mgz.core.errors import DomainError, ForbiddenError


class AuthenticationError(DomainError):
    """Not signed in, or the credentials are wrong, expired or revoked."""

    status = 401


class ThrottledError(DomainError):
    """Too many failed logins; the caller should wait ``Retry-After`` seconds."""

    status = 429


class CsrfError(ForbiddenError):
    """A cookie-authenticated write without the session's CSRF token."""

    slug = "csrf"
