"""One declarative base, one engine per app, one session per request or CLI command.

Services receive the session as an argument (they never look it up themselves), so
the API, the CLI and the tests run the same code in the same transaction.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, Uuid, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from mgz.core.classification import classified

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
}

log = logging.getLogger("mgz.db")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both databases.

    SQLite has no time zones: it stores the naive UTC value and we re-attach UTC on
    the way out. Naive datetimes are refused on the way in, because guessing their
    zone is how off-by-one-hour statistics happen.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Normalise to UTC; refuse naive values."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every mgz model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class TimestampMixin:
    """Creation and change times in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow, info=classified("technical"))
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, info=classified("technical")
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets readers run beside a writer;
    # busy_timeout waits for the writer's lock instead of failing at once.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    dbapi_connection.isolation_level = None


_READ_ONLY = "mgz_read_only"


def _sqlite_begin(connection: Connection) -> None:
    # pysqlite opens transactions lazily and breaks SAVEPOINT; with the driver's own
    # handling switched off (isolation_level=None) we emit BEGIN ourselves, which is
    # the recipe in SQLAlchemy's SQLite dialect documentation. IMMEDIATE takes the
    # write lock at the start: a deferred transaction that reads and then writes
    # fails at once with "database is locked" when another writer got there first
    # (SQLite cannot wait there without risking deadlock), while an immediate one
    # simply waits (busy_timeout). SQLite is the embedded, single-office default;
    # serialising its transactions is the price of never failing a concurrent write.
    # A transaction opened by read_only_session() can never write, so it begins
    # deferred and waits for nobody (health probes beside a long write).
    deferred = connection.get_execution_options().get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def make_engine(url: str, *, pool_size: int = 5, pool_timeout: int = 10) -> Engine:
    """Create an engine with the settings each backend needs."""
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_size=pool_size, pool_timeout=pool_timeout, pool_pre_ping=True)


class Probe:
    """What the health probe asks through: its connection, and a session when a check needs one.

    Most probes run one query and nothing else; the session (an ORM unit, with its
    identity map and transaction bookkeeping) is built only for a check that asks
    for it, e.g. the key comparison when its last result has expired.
    """

    def __init__(self, connection: Connection, session: Session | None = None) -> None:
        self.connection = connection
        self._session = session
        self._owns_session = session is None

    def scalar(self, sql: str) -> Any:
        """The first column of the first row of ``sql`` (None without rows).

        As driver SQL: a constant statement needs no compiling and no compile cache.
        It still goes through the engine, so its events (statement counts, tracing)
        and error handling (a dropped connection is invalidated) apply to it.
        """
        return self.connection.exec_driver_sql(sql).scalar()

    @property
    def session(self) -> Session:
        """A session on the probe's connection, made on first use."""
        if self._session is None:
            self._session = Session(bind=self.connection)
        return self._session

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._owns_session and self._session is not None:
            self._session.close()
            self._session = None


class Database:
    """Flask extension holding the engine and the session factory."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session_factory: sessionmaker[Session] | None = None
        self._probe_connection: Connection | None = None
        self._autocommit: Engine | None = None
        self._probe_lock = threading.Lock()
        self._bound = False

    def init_app(self, app: Flask) -> None:
        """Create the engine from the app's DATABASE_URL and close sessions at teardown."""
        self.engine = make_engine(
            app.config["DATABASE_URL"],
            pool_size=app.config["DB_POOL_SIZE"],
            pool_timeout=app.config["DB_POOL_TIMEOUT"],
        )
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        # The health probe's: the same pool and event listeners, another isolation level.
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        app.extensions["mgz.db"] = self
        # Per request (an app context may outlive several requests, e.g. in tests or
        # when a CLI command calls views) and per app context (CLI commands).
        app.teardown_request(self._close_session)
        app.teardown_appcontext(self._close_session)

    def bind_to(self, connection: Connection) -> None:
        """Run every session inside an outer transaction on ``connection`` (tests)."""
        self.session_factory = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        self._bound = True

    def new_session(self) -> Session:
        """A fresh session not tied to the request (background work, CLI)."""
        assert self.session_factory is not None, "Database.init_app was not called"  # noqa: S101
        return self.session_factory()

    def dispose(self) -> None:
        """Close every pooled connection (before a fork, at the end of a test)."""
        self.drop_probe_connection()
        if self.engine is not None:
            self.engine.dispose()

    @contextmanager
    def probe(self) -> Iterator[Probe]:
        """The health probe's connection: its one query, one round trip.

        On PostgreSQL the probe keeps one connection of the pool checked out for
        itself, in autocommit: no pre-ping at checkout (its query is the ping), no
        BEGIN and COMMIT (it only reads, so autocommit changes nothing it sees). A
        probe that finds it busy (a threaded server) checks one out as usual. When
        the probe fails, the connection is given up (see :meth:`drop_probe_connection`).
        SQLite is a local file: a deferred read-only transaction there. Sessions bound
        to a test's connection use that connection, so a probe sees the test's rows.
        """
        assert self.engine is not None, "Database.init_app was not called"  # noqa: S101
        if self._bound or self.engine.dialect.name == "sqlite":
            with read_only(self.new_session()) as session:
                yield Probe(session.connection(), session)
            return
        autocommit = self._autocommit
        assert autocommit is not None  # noqa: S101 - set with the engine
        if not self._probe_lock.acquire(blocking=False):
            with autocommit.connect() as connection, Probe(connection) as probe:
                yield probe
            return
        try:
            if self._probe_connection is None or self._probe_connection.closed:
                self._probe_connection = autocommit.connect()
            with Probe(self._probe_connection) as probe:
                yield probe
        except SQLAlchemyError:
            self.drop_probe_connection()
            raise
        finally:
            self._probe_lock.release()

    def drop_probe_connection(self) -> None:
        """Give the probe's connection up (a failed probe; the pool's end)."""
        connection, self._probe_connection = self._probe_connection, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except SQLAlchemyError:
                log.warning("probe connection lost", extra={"event": "db_close_failed"})

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        # Anything not committed by the service is rolled back, never half-written.
        close_quietly(g.pop("mgz_session", None))


def close_quietly(session: Session | None) -> None:
    """Close a session whose connection may be gone (a database restart mid-request).

    Its work is rolled back either way; an error while closing would otherwise escape
    every error handler and reach the client as the server's bare 500 page.
    """
    if session is None:
        return
    try:
        session.close()
    except SQLAlchemyError:
        log.warning("session closed on a lost connection", extra={"event": "db_close_failed"})


def database(app: Flask | None = None) -> Database:
    """The app's Database extension."""
    return (app or current_app).extensions["mgz.db"]


def get_session() -> Session:
    """The session of the current request or CLI command; created on first use."""
    if "mgz_session" not in g:
        g.mgz_session = database().new_session()
    return g.mgz_session


def read_only_session() -> Session:
    """The request's session, for a request that only reads (e.g. the health check).

    Call it before anything else used the session: on SQLite its transaction then
    begins deferred instead of taking the write lock; a write in it would fail.
    """
    return read_only(get_session())


def read_only(session: Session) -> Session:
    """Open ``session``'s transaction as one that only reads (deferred on SQLite).

    Call it before the session did anything; a write in that transaction would fail.
    """
    session.connection(execution_options={_READ_ONLY: True})
    return session


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session for work outside a request; rolled back unless the caller committed."""
    session = database(app).new_session()
    try:
        yield session
    finally:
        session.close()
