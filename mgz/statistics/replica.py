"""Statistics read from a PostgreSQL replica when one is configured; audit stays on the primary.

``MGZ_STATISTICS_DATABASE_URL`` names a read-only streaming replica (a hot standby).
Indicator queries then run there, in read-only transactions, so a long statistics
query never competes with advisers' writes; the audit event of the read is written
on the primary in the request's own unit of work. A replica that cannot be reached,
or whose replay lags more than ``STATISTICS_REPLICA_MAX_LAG_SECONDS`` behind, gives a
clear 503 rather than a figure computed from stale data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mgz.core import config
from mgz.core.db import make_engine
from mgz.core.errors import ServiceUnavailableError

EXTENSION = "mgz.statistics.replica"
RETRY_AFTER = "30"

config.register(
    config.Setting(
        "STATISTICS_DATABASE_URL",
        config.parse_database_url,
        "read-only PostgreSQL replica for statistics queries (empty: the primary)",
        secret=True,
    )
)
config.register(
    config.Setting(
        "STATISTICS_REPLICA_MAX_LAG_SECONDS",
        config.int_range(0, 86_400),
        "refuse statistics (503) when the replica's replay lags more than this",
    )
)

# Seconds the replica's replay is behind; 0 when it has replayed all it received, NULL
# when it has received more than it ever replayed a transaction of (unknown: refuse).
_LAG = text(
    "SELECT pg_is_in_recovery(), CASE WHEN NOT pg_is_in_recovery() THEN 0 "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
)


class ReplicaUnavailableError(ServiceUnavailableError):
    """The statistics replica is down or too far behind."""

    slug = "statistics-replica-unavailable"


def init_app(app: Flask) -> None:
    """Open the replica's engine when a URL is configured (PostgreSQL only)."""
    url = app.config.get("STATISTICS_DATABASE_URL") or ""
    if not url:
        app.extensions[EXTENSION] = None
        return
    if not url.startswith("postgresql"):
        raise config.ConfigError(
            "MGZ_STATISTICS_DATABASE_URL: a statistics replica must be PostgreSQL"
        )
    engine = make_engine(url, pool_size=2, pool_timeout=app.config["DB_POOL_TIMEOUT"])
    app.extensions[EXTENSION] = sessionmaker(bind=engine, expire_on_commit=False)


def _refuse(detail: str) -> ReplicaUnavailableError:
    return ReplicaUnavailableError(detail, headers={"Retry-After": RETRY_AFTER})


@contextmanager
def reading_session(primary: Session) -> Iterator[Session]:
    """The session statistics read through: the replica's if configured, else ``primary``."""
    factory: Any = current_app.extensions.get(EXTENSION) if has_app_context() else None
    if factory is None:
        yield primary
        return
    session: Session = factory()
    try:
        try:
            # Read-only also if the URL names a primary by mistake. (Not the driver's
            # read-only option: resetting it on return to the pool fails on a standby.)
            session.execute(text("SET TRANSACTION READ ONLY"))
            _in_recovery, lag = session.execute(_LAG).one()
        except DBAPIError:
            raise _refuse("Die Statistik-Datenbank (Replikat) ist nicht erreichbar.") from None
        limit = current_app.config["STATISTICS_REPLICA_MAX_LAG_SECONDS"]
        if lag is None or float(lag) > limit:
            raise _refuse(
                "Das Statistik-Replikat ist nicht auf dem aktuellen Stand; "
                "bitte später erneut versuchen."
            )
        try:
            yield session
        except DBAPIError as error:
            # Lost connection or a query cancelled by the standby's recovery: not ours.
            if not (isinstance(error, OperationalError) or error.connection_invalidated):
                raise
            raise _refuse("Die Statistik-Datenbank (Replikat) ist nicht erreichbar.") from None
    finally:
        session.rollback()
        session.close()
