"""Optimistic locking: a change names the version it was made on.

Versioned models map ``version`` as SQLAlchemy's ``version_id_col``. A request that
sends an old version is refused here, before anything changes; one that loses a race
against a concurrent change is caught by the flush (``StaleDataError``), which
``mgz.core.errors.handle_stale_data`` answers with the same 409 problem, and the
request's unit of work rolls back.
"""

from __future__ import annotations

from typing import Any

from mgz.core.errors import ConflictError


class StaleVersionError(ConflictError):
    """The record changed since the caller read it."""

    slug = "stale-version"
    title = "Veraltete Version"


def check_version(
    obj: Any,
    expected: int,
    detail: str = "Der Datensatz wurde inzwischen geändert. Laden Sie ihn neu.",
) -> None:
    """Refuse with 409 unless ``obj.version`` is ``expected``; the answer names the current one."""
    if obj.version != expected:
        raise StaleVersionError(
            detail,
            errors={"version": ["Veraltete Version."]},
            extra={"current_version": obj.version},
        )
