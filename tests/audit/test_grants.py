"""The application's PostgreSQL role cannot rewrite the log, not even by disabling triggers."""

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from mgz.audit.grants import grant_app_role
from mgz.audit.models import AuditEvent
from mgz.audit.service import record
from mgz.core.actor import Actor
from mgz.core.db import session_scope
from tests.factories import make_user


@pytest.fixture
def app_role_database(backend, make_app):
    if backend.name != "postgresql":
        pytest.skip("database roles are a PostgreSQL deployment")
    url = backend.new_database()  # migrated by the owner (postgres)
    role = f"mgz_app_{uuid.uuid4().hex[:8]}"  # roles are cluster-wide: one per test
    owner = create_engine(url)
    with owner.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        statements = grant_app_role(connection, role)
    owner.dispose()
    assert any("mgz_audit_append" in s for s in statements)
    return make_app(url.replace("postgres@", f"{role}@"))


def test_app_role_works_but_cannot_touch_the_log(app_role_database):
    app = app_role_database
    with app.app_context(), session_scope(app) as session:
        user = make_user(session)
        record(session, Actor.system("tests"), "test.grant_probe", object_id=str(user.id))
        session.commit()
        assert session.query(AuditEvent).filter_by(action="test.grant_probe").count() == 1
    refused = [
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "DELETE FROM audit_checkpoints",
        "DELETE FROM audit_chain_head",
        "UPDATE alembic_version SET version_num = 'x'",
    ]
    for statement in refused:
        with (
            app.app_context(),
            session_scope(app) as session,
            pytest.raises(DBAPIError, match="permission denied|must be owner"),
        ):
            session.execute(text(statement))


def test_a_role_that_owns_tables_is_refused(backend):
    if backend.name != "postgresql":
        pytest.skip("database roles are a PostgreSQL deployment")
    url = backend.new_database()
    owner = create_engine(url)
    with owner.begin() as connection, pytest.raises(ValueError, match="owns"):
        grant_app_role(connection, "postgres")
    owner.dispose()
