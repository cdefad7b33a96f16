"""The application's PostgreSQL role cannot rewrite the log, not even by disabling triggers."""

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from mgz.audit.grants import grant_app_role, grant_checkpoint_role
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
        # Setting the head back would make every later append fail (denial of service).
        "UPDATE audit_chain_head SET seq = 0",
        # Checkpoints come from the checkpoint job only.
        "INSERT INTO audit_checkpoints (created_at, seq, head_hash, prev_hash, signature) "
        "VALUES (now(), 1, repeat('0', 64), repeat('0', 64), repeat('a', 128))",
        # Appends go through mgz_audit_append, which chains them.
        "INSERT INTO audit_events (seq, occurred_at, action, fields, outcome, prev_hash, hash) "
        "VALUES (999999, now(), 'x', '[]', 'success', repeat('0', 64), repeat('f', 64))",
    ]
    for statement in refused:
        with (
            app.app_context(),
            session_scope(app) as session,
            pytest.raises(DBAPIError, match="permission denied|must be owner"),
        ):
            session.execute(text(statement))


def test_checkpoint_role_reads_and_adds_checkpoints_only(backend, make_app):
    if backend.name != "postgresql":
        pytest.skip("database roles are a PostgreSQL deployment")
    url = backend.new_database()
    role = f"mgz_ckpt_{uuid.uuid4().hex[:8]}"
    owner = create_engine(url)
    with owner.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        grant_checkpoint_role(connection, role)
    owner.dispose()
    app = make_app(url.replace("postgres@", f"{role}@"))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
        assert result.exit_code == 0, result.output
    for statement in [
        "SELECT count(*) FROM users",
        "UPDATE audit_chain_head SET seq = 0",
        "DELETE FROM audit_checkpoints",
        "SELECT * FROM mgz_audit_append('[]'::jsonb)",
    ]:
        with (
            app.app_context(),
            session_scope(app) as session,
            pytest.raises(DBAPIError, match="permission denied"),
        ):
            session.execute(text(statement))


def test_a_role_without_the_grant_cannot_append(backend):
    """The append function runs with its owner's rights, so PUBLIC may not call it."""
    if backend.name != "postgresql":
        pytest.skip("database roles are a PostgreSQL deployment")
    url = backend.new_database()
    role = f"mgz_other_{uuid.uuid4().hex[:8]}"
    owner = create_engine(url)
    with owner.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
    owner.dispose()
    stranger = create_engine(url.replace("postgres@", f"{role}@"))
    try:
        with (
            stranger.begin() as connection,
            pytest.raises(DBAPIError, match="permission denied for function mgz_audit_append"),
        ):
            connection.execute(text("SELECT * FROM mgz_audit_append('[]'::jsonb)"))
    finally:
        stranger.dispose()


def test_a_role_that_owns_tables_is_refused(backend):
    if backend.name != "postgresql":
        pytest.skip("database roles are a PostgreSQL deployment")
    url = backend.new_database()
    owner = create_engine(url)
    with owner.begin() as connection, pytest.raises(ValueError, match="owns"):
        grant_app_role(connection, "postgres")
    owner.dispose()
