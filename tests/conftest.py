"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL 15.

``database_url`` is parametrised over the backends; each backend gets one migrated
database for the session, and each test runs inside a transaction that is rolled
back afterwards (sessions join it with ``create_savepoint``), so tests never see
each other's rows. Tests that must really commit (concurrency) use ``fresh_database``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz import create_app
from mgz.audit.models import AuditEvent
from mgz.core import migrations
from mgz.core.actor import Actor
from mgz.core.db import database, make_engine
from mgz.reference.loading import load_reference_data
from tests import factories
from tests.pg_cluster import PostgresCluster

BACKENDS = [b for b in os.environ.get("MGZ_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
TEST_SECRET = "test-secret-key-" + "x" * 32
# Throwaway audit key (HMAC of the app's anchors): base64 of 32 bytes.
TEST_AUDIT_KEY = "QVVE" * 10 + "QVU="
# Throwaway Ed25519 checkpoint signing key (base64 of 32 bytes) and its public key.
TEST_SIGNING_KEY = "U0lH" * 10 + "U0k="
TEST_PUBLIC_KEY = "JlQx70pIteyK0r+mUQnlbLwcgqugvSBSW++ho9QT/Ys="
# Fixed throwaway keys (base64 of 32 bytes each); the first master key is active.
TEST_MASTER_KEYS = "test1:" + "QUFB" * 10 + "QUE"
TEST_INDEX_KEY = "SU5E" * 10 + "SU4"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster in a temporary folder for the whole session."""
    cluster = PostgresCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


class Backend:
    """Creates empty databases on one backend."""

    def __init__(self, name: str, tmp_factory: Any, request: pytest.FixtureRequest) -> None:
        self.name = name
        self._tmp = tmp_factory
        self._request = request

    def new_database(self, migrate: bool = True, reference_data: bool = True) -> str:
        """A new, empty (or migrated) database; returns its URL.

        A migrated database also gets the shipped code lists, as after
        `mgz reference load`, unless ``reference_data=False``.
        """
        label = "mgz_" + uuid.uuid4().hex[:12]
        if self.name == "sqlite":
            url = f"sqlite:///{self._tmp.mktemp('db') / (label + '.sqlite3')}"
        else:
            url = self._request.getfixturevalue("pg_cluster").create_database(label)
        if migrate:
            engine = make_engine(url)
            migrations.upgrade(engine)
            if reference_data:
                with Session(engine) as session:
                    load_reference_data(session, Actor.system("tests"))
                    session.commit()
            engine.dispose()
        return url


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Backend:
    """The database backend under test (sqlite or postgresql)."""
    return Backend(request.param, tmp_path_factory, request)


@pytest.fixture(scope="session")
def database_url(backend: Backend) -> str:
    """One migrated database per backend for the session."""
    return backend.new_database()


def build_app(
    database_url: str, tmp_path: Any, *, verify_keys: bool = True, **overrides: Any
) -> Flask:
    """An app in production mode on ``database_url``, isolated from the shell's MGZ_*.

    It checks its keys against the database's key check values at start (ConfigError
    on a mismatch), so apps on one database share the keys above; ``verify_keys=False``
    builds one with other keys on purpose (to test the read path's own refusals).
    """
    settings = {
        "MODE": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "AUDIT_KEY": TEST_AUDIT_KEY,
        "AUDIT_SIGNING_KEY": TEST_SIGNING_KEY,
        "AUDIT_PUBLIC_KEY": TEST_PUBLIC_KEY,
        "AUDIT_ANCHOR_PATH": str(Path(tmp_path) / "audit-anchors.jsonl"),
        "MASTER_KEYS": TEST_MASTER_KEYS,
        "INDEX_KEY": TEST_INDEX_KEY,
        "LOG_FORMAT": "json",
        # Tests change stored check values and keys between two probes.
        "HEALTH_KEY_CHECK_SECONDS": 0,
        **overrides,
    }
    app = create_app(
        settings, environ={"MGZ_INSTANCE_PATH": str(tmp_path)}, verify_keys=verify_keys
    )
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: Any) -> Iterator[Flask]:
    """The app on the session database of the current backend."""
    app = build_app(database_url, tmp_path_factory.mktemp("instance"))
    yield app
    database(app).dispose()


@pytest.fixture
def make_app(tmp_path: Any) -> Iterator[Any]:
    """Build extra apps (other settings, other databases); their engines are disposed."""
    built: list[Flask] = []

    def factory(database_url: str, *, verify_keys: bool = True, **overrides: Any) -> Flask:
        app = build_app(database_url, tmp_path, verify_keys=verify_keys, **overrides)
        built.append(app)
        return app

    yield factory
    for app in built:
        database(app).dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    extension = database(app)
    original = extension.session_factory
    connection = extension.engine.connect()
    outer = connection.begin()
    extension.bind_to(connection)
    session = extension.new_session()
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()
        extension.session_factory = original
        # Anchors written for the rolled-back events go with them.
        if app.config.get("AUDIT_ANCHOR_PATH"):
            Path(app.config["AUDIT_ANCHOR_PATH"]).unlink(missing_ok=True)


@pytest.fixture
def client(app: Flask, db: Session) -> FlaskClient:
    """A test client whose requests run inside the test's transaction."""
    return app.test_client()


@pytest.fixture
def login_as(app: Flask, db: Session) -> Any:
    """``login_as("adviser")`` -> a client signed in as a new user with those roles.

    Authenticated by API token unless ``via="session"`` (cookie + CSRF header).
    """

    def login(*roles: str, via: str = "token") -> FlaskClient:
        user = factories.make_user(db, roles=roles)
        return factories.signed_in_client(app, db, user, via=via)

    return login


@pytest.fixture
def runner(app: Flask, db: Session) -> Any:
    """A CLI runner whose commands run inside the test's transaction."""
    return app.test_cli_runner()


@pytest.fixture
def adviser(app: Flask, db: Session) -> FlaskClient:
    """A client signed in as a new adviser (``.user`` is the User)."""
    return factories.signed_in_client(app, db, factories.make_user(db, roles=("adviser",)))


@pytest.fixture
def other_adviser(app: Flask, db: Session) -> FlaskClient:
    """A second adviser, not responsible for the first one's clients."""
    return factories.signed_in_client(app, db, factories.make_user(db, roles=("adviser",)))


# --- audit look-ups (plain functions, for any test) ------------------------------------


TOKEN_DETAILS = ("token", "token_roles")


def _split_details(raw: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    details = json.loads(raw) if raw else {}
    token = {key: details.pop(key) for key in TOKEN_DETAILS if key in details}
    return details, token


def events(db: Session, action: str | None = None, since: int = 0) -> list[dict[str, Any]]:
    """Audit events written so far (after ``since``), decoded.

    ``details`` are those the service recorded; what ``mgz.audit.service.record``
    adds for a request with an API token (its id and roles) is under ``token``.
    """
    db.expire_all()
    query = select(AuditEvent).where(AuditEvent.seq > since).order_by(AuditEvent.seq)
    if action:
        query = query.where(AuditEvent.action == action)
    return [
        {
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "fields": json.loads(e.fields),
            "details": _split_details(e.details)[0],
            "token": _split_details(e.details)[1],
            "outcome": e.outcome,
            "actor_user_id": e.actor_user_id,
            "request_id": e.request_id,
            "raw": " ".join(
                str(v) for v in (e.fields, e.details, e.object_id, e.actor_name, e.action)
            ),
        }
        for e in db.scalars(query)
    ]


def last_seq(db: Session) -> int:
    """Position of the newest audit event (0 if none)."""
    db.expire_all()
    return db.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0


# --- report which backends ran -------------------------------------------------------

_outcomes: Counter[tuple[str, str]] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count outcomes per backend from the test ids."""
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    for name in ("sqlite", "postgresql"):
        if (
            f"[{name}" in report.nodeid
            or f"-{name}]" in report.nodeid
            or f"-{name}-" in report.nodeid
        ):
            _outcomes[(name, report.outcome)] += 1
            return
    _outcomes[("no database", report.outcome)] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print a line per backend, so CI output shows both databases ran."""
    terminalreporter.section("database backends")
    for name in ("sqlite", "postgresql", "no database"):
        counts = {o: n for (b, o), n in _outcomes.items() if b == name}
        if counts:
            parts = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
            terminalreporter.write_line(f"{name}: {parts}")
