"""``GET /api/v1/health``: is the database reachable and at the newest migration?

Areas add checks of their own that need the database (the crypto area compares the
keys in use with their stored check values): :func:`add_readiness_check`.

Load balancers and orchestrators ask every second or two, per instance, so a healthy
answer should cost about what its one query costs. :class:`HealthProbe` answers
``GET /api/v1/health`` in front of Flask's request machinery when everything is
ready, with the same body, browser headers, request id and access line as any
response. Anything else (not ready, unreachable, a query string, HEAD) goes on to
the Flask view below, which probes again and answers with a logged problem.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from flask.views import MethodView
from marshmallow import fields
from sqlalchemy.exc import SQLAlchemyError

from mgz.core import headers, migrations
from mgz.core.access import public
from mgz.core.api import REQUEST_ID_HEADER, Blueprint, log_access
from mgz.core.db import Probe, database
from mgz.core.errors import ServiceUnavailableError
from mgz.core.schemas import OutputSchema

log = logging.getLogger("mgz.health")

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Betriebszustand")

READINESS_CHECKS = "mgz.health.readiness_checks"
# An unreachable database is usually back in moments (a restart, a fail-over).
RETRY_LATER = {"Retry-After": "2"}
ReadinessCheck = Callable[[Probe], dict[str, Any]]


def add_readiness_check(app: Flask, check: ReadinessCheck) -> None:
    """Run ``check`` on every probe once the database is reachable and migrated.

    It gets the probe (its connection; ``probe.session`` when it needs one, built on
    first use) and returns entries for the report (e.g.
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
    with database().probe() as probe:
        # Reading the migration state is the reachability probe too: one query.
        revision = migrations.stored_revision(probe)
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
            report.update(check(probe))
        return report


class HealthProbe:
    """WSGI middleware around ``app.wsgi_app``: the healthy answer without the framework.

    Nothing of the request reaches the probe but its method, path and query string;
    no cookie, token or body is read. The probe runs in an app context (the readiness
    checks use the app's extensions and settings), not a request context: no hooks,
    no session, no view.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wrapped = app.wsgi_app
        self.path = blp.url_prefix + "/health"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Answer a healthy probe here; pass everything else on."""
        if (
            environ.get("PATH_INFO") != self.path
            or environ.get("REQUEST_METHOD") != "GET"
            or environ.get("QUERY_STRING")
        ):
            return self.wrapped(environ, start_response)
        started = time.perf_counter()
        try:
            with self.app.app_context():
                report = _probe()
        except Exception:  # noqa: BLE001 - not ready: the view probes again and answers
            return self.wrapped(environ, start_response)
        # As jsonify writes it: compact, the app's key order, a final newline.
        body = (self.app.json.dumps(report, separators=(",", ":")) + "\n").encode()
        request_id = uuid.uuid4().hex
        secure = environ.get("wsgi.url_scheme") == "https"
        response_headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            (REQUEST_ID_HEADER, request_id),
            *headers.defaults(self.app.config, secure=secure),
        ]
        start_response("200 OK", response_headers)
        log_access("GET", self.path, 200, started, request_id)
        return [body]


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
