"""``GET /api/v1/health``: is the database reachable and at the newest migration?

Areas add checks of their own that need the database (the crypto area compares the
keys in use with their stored check values): :func:`add_readiness_check`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from flask.views import MethodView
from marshmallow import fields
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mgz.core import migrations
from mgz.core.access import public
from mgz.core.api import Blueprint
from mgz.core.db import database
from mgz.core.errors import ServiceUnavailableError
from mgz.core.schemas import OutputSchema

log = logging.getLogger("mgz.health")

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Betriebszustand")

READINESS_CHECKS = "mgz.health.readiness_checks"
# An unreachable database is usually back in moments (a restart, a fail-over).
RETRY_LATER = {"Retry-After": "2"}
ReadinessCheck = Callable[[Session], dict[str, Any]]


def add_readiness_check(app: Flask, check: ReadinessCheck) -> None:
    """Run ``check`` on every probe once the database is reachable and migrated.

    It gets the probe's session and returns entries for the report (e.g.
    ``{"keys": "ok"}``) or raises ServiceUnavailableError (503).
    """
    app.extensions.setdefault(READINESS_CHECKS, []).append(check)


class HealthSchema(OutputSchema):
    """Health report."""

    status = fields.String(required=True, metadata={"example": "ok"})
    database = fields.String(required=True, metadata={"example": "ok"})
    revision = fields.String(allow_none=True, metadata={"description": "migration applied"})
    head = fields.String(allow_none=True, metadata={"description": "newest migration"})
    keys = fields.String(metadata={"example": "ok", "description": "key check values match"})


def _unreachable() -> ServiceUnavailableError:
    log.warning("database unreachable", extra={"event": "health_db_down"})
    return ServiceUnavailableError(
        "Die Datenbank ist nicht erreichbar.",
        extra={"database": "unreachable"},
        headers=RETRY_LATER,
    )


def check_health() -> dict[str, Any]:
    """Probe the database and the migration state; raise 503 when not ready.

    A probe is one query on a connection it keeps, in autocommit
    (``Database.probe_session``), not the request's session: nothing else of the
    request runs in a transaction. When that connection fails (the server restarted
    since the last probe), it is given up and the probe asks once more on a new one.
    """
    try:
        return _probe()
    except SQLAlchemyError:
        pass  # a kept connection the server dropped: once more, on a new one
    try:
        return _probe()
    except SQLAlchemyError:
        raise _unreachable() from None


def _probe() -> dict[str, Any]:
    """The probe's queries; SQLAlchemy errors go to the caller."""
    with database().probe_session() as session:
        # Reading the migration state is the reachability probe too: one query.
        revision = migrations.stored_revision(session.connection())
        head = migrations.head_revision()
        if revision != head:
            raise ServiceUnavailableError(
                "Die Datenbank ist nicht auf dem neuesten Migrationsstand.",
                extra={"database": "ok", "revision": revision, "head": head},
            )
        report: dict[str, Any] = {
            "status": "ok",
            "database": "ok",
            "revision": revision,
            "head": head,
        }
        for check in current_app.extensions.get(READINESS_CHECKS, ()):
            report.update(check(session))
        return report


@blp.route("/health")
class Health(MethodView):
    """Liveness and readiness in one."""

    @public
    @blp.response(200, HealthSchema)
    @blp.alt_response(
        503,
        description="Datenbank nicht erreichbar, Migration fehlt, Schlüssel falsch",
    )
    def get(self) -> dict[str, Any]:
        """Betriebszustand: Datenbank erreichbar, Migrationen aktuell, Schlüssel geprüft."""
        current_app.logger.debug("health probe")
        return check_health()
