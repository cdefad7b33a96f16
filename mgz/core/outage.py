"""What the API does while the database is away (a restart, a fail-over).

A lost or refused connection is not an internal error: the request is answered
503 problem+json with ``Retry-After``. A safe request (GET, HEAD) that failed that
way is run once more after a short pause, with a new session, so a database
restart between two requests is not seen by the caller at all (the engine's
pre-ping replaces the pooled connections the restart killed). A write is never
retried here: whether its commit reached the database is unknown, and the caller
decides.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from inspect import CO_COROUTINE
from typing import Any

import psycopg
from flask import Flask, Response, g, request
from sqlalchemy.exc import DBAPIError

from mgz.core.db import close_quietly
from mgz.core.errors import handle_unexpected, problem
from mgz.core.unit_of_work import request_unit_of_work

log = logging.getLogger("mgz.db")

SAFE_METHODS = frozenset({"GET", "HEAD"})
RETRY_AFTER_SECONDS = 2
RETRY_PAUSE_SECONDS = 0.5
_RETRY = "mgz_db_retry"


# SQLite's transient conditions: another writer held the lock past busy_timeout.
_SQLITE_TRANSIENT = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database is away or busy, not that a statement is wrong.

    A dropped connection (the dialect invalidated it), PostgreSQL's operational errors
    (connection refused, server shutting down, statement cancelled), SQLite's lock
    time-out. SQLite reports a missing table as an OperationalError too: that one is a
    fault, not an outage.
    """
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        return getattr(original, "sqlite_errorname", "") in _SQLITE_TRANSIENT
    return isinstance(original, psycopg.OperationalError)


def handle_outage(error: DBAPIError) -> Response:
    """503 with Retry-After; marks a safe request for one more attempt."""
    # The class only: a driver message may quote SQL parameters.
    log.warning(
        "database unavailable",
        extra={"event": "db_unavailable", "error": type(error.orig).__name__},
    )
    if request.method in SAFE_METHODS and not g.get("mgz_db_retried"):
        g.setdefault(_RETRY, True)
    return problem(
        503,
        slug="database-unavailable",
        detail="Die Datenbank ist kurz nicht erreichbar. Bitte versuchen Sie es gleich erneut.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class App(Flask):
    """Flask with one unit of work per view, and one retry of safe requests after an outage."""

    def dispatch_request(self) -> Any:
        """Run the view in the request's unit of work (commit, or roll back and keep refusals).

        Inside ``full_dispatch_request``: the view's exception reaches the unit of work
        before the error handlers turn it into a problem response, and a retried
        request gets a unit of work of its own.
        """
        with request_unit_of_work():
            return super().dispatch_request()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's, answered from the function's code flags for plain functions and methods.

        Flask asks this of every hook and of the view on every request (fourteen
        times for a health probe), through ``inspect.iscoroutinefunction``, which
        unwraps and checks more than a ``def`` needs. mgz has no ``async def`` views;
        one would still be found here and run as Flask runs it.
        """
        code = getattr(getattr(func, "__func__", func), "__code__", None)
        if code is not None and not code.co_flags & CO_COROUTINE:
            return func
        return super().ensure_sync(func)

    def full_dispatch_request(self) -> Response:  # type: ignore[override]
        """Dispatch; once more after a pause if a safe request lost the database."""
        response = super().full_dispatch_request()
        if g.pop(_RETRY, False):
            close_quietly(g.pop("mgz_session", None))  # nothing of it was committed
            time.sleep(RETRY_PAUSE_SECONDS)
            g.mgz_db_retried = True
            response = super().full_dispatch_request()
        return response


def register_outage_handlers(app: Flask) -> None:
    """Answer database outages 503 instead of 500."""
    app.register_error_handler(DBAPIError, _outage_or_unexpected)


def _outage_or_unexpected(error: DBAPIError) -> Response:
    return handle_outage(error) if is_outage(error) else handle_unexpected(error)
