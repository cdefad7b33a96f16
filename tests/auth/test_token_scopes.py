"""Issue 15, point 4: tokens use only the roles named at their creation, never a 2FA role."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from mgz.audit.models import AuditEvent
from mgz.auth import service
from mgz.auth.models import ApiToken
from mgz.core import migrations
from mgz.core.actor import Actor
from mgz.core.db import make_engine, utcnow
from mgz.core.errors import ForbiddenError, InvalidInputError
from tests.factories import make_token, make_user


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def token_row(db, raw):
    return db.scalars(select(ApiToken).where(ApiToken.token_hash == service._sha256(raw))).one()


def test_a_token_uses_only_the_roles_named_at_its_creation(app, db, login_as):
    user = make_user(db, roles=["statistician", "auditor"])
    created = login_as("admin").post(
        f"/api/v1/users/{user.id}/tokens", json={"label": "Statistik", "roles": ["statistician"]}
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["roles"] == ["statistician"]
    raw = created.get_json()["token"]
    client = app.test_client()
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).get_json()["roles"] == [
        "statistician"
    ]
    # The user may read the log; the token may not.
    assert client.get("/api/v1/audit/events", headers=bearer(raw)).status_code == 403


def test_a_token_cannot_name_a_role_its_user_does_not_hold(db, login_as, runner):
    user = make_user(db, roles=["statistician"])
    response = login_as("admin").post(
        f"/api/v1/users/{user.id}/tokens", json={"label": "x", "roles": ["statistician", "admin"]}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["roles"] == ["Das Konto hat die Rolle admin nicht."]
    refused = runner.invoke(
        args=["tokens", "create", user.username, "--label", "x", "--role", "auditor"]
    )
    assert refused.exit_code == 1
    assert "roles: Das Konto hat die Rolle auditor nicht." in refused.output
    assert db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_the_default_is_the_users_roles_that_see_no_personal_data(db):
    user = make_user(db, roles=["adviser", "statistician"])
    token, _raw = service.create_token(
        db,
        Actor(user.id, user.username, user.roles),
        user,
        "eigenes Skript",
        timedelta(days=1),
        totp_required_roles=frozenset(),
    )
    assert token.roles == {"statistician"}


def test_a_role_that_needs_a_second_factor_is_refused_at_creation(app, db, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", frozenset({"admin"}))
    target = make_user(db, roles=["admin", "statistician"])
    admin = login_as("admin", via="session")
    url = f"/api/v1/users/{target.id}/tokens"
    response = admin.post(url, json={"label": "x", "roles": ["admin"]})
    assert response.status_code == 422
    assert "zweiten Faktor" in response.get_json()["errors"]["roles"][0]
    # Without roles named, the 2FA role is left out, not given.
    default = admin.post(url, json={"label": "x"})
    assert default.status_code == 201 and default.get_json()["roles"] == ["statistician"]


def test_the_cli_refuses_a_second_factor_role_too(app, db, runner, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", frozenset({"auditor"}))
    user = make_user(db, roles=["auditor"])
    refused = runner.invoke(
        args=["tokens", "create", user.username, "--label", "x", "--role", "auditor"]
    )
    assert refused.exit_code == 1
    assert "zweiten Faktor" in refused.output
    assert "Traceback" not in refused.output


def test_a_token_is_refused_once_its_role_needs_a_second_factor(app, db, monkeypatch):
    user = make_user(db, roles=["admin"])
    raw = make_token(db, user)
    client = app.test_client()
    assert client.get("/api/v1/users", headers=bearer(raw)).status_code == 200
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", frozenset({"admin"}))
    response = client.get("/api/v1/users", headers=bearer(raw))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert "zweiten Faktor" in response.get_json()["detail"]
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).status_code == 401


def test_a_role_taken_from_the_user_stops_working_for_the_token(app, db):
    user = make_user(db, roles=["statistician", "auditor"])
    raw = make_token(db, user, roles=["statistician", "auditor"])
    client = app.test_client()
    assert client.get("/api/v1/audit/events", headers=bearer(raw)).status_code == 200
    service.set_roles(db, Actor.system("tests"), user, ["statistician"])
    db.flush()
    assert client.get("/api/v1/audit/events", headers=bearer(raw)).status_code == 403
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).get_json()["roles"] == [
        "statistician"
    ]
    # No role of the token left: refused altogether.
    service.set_roles(db, Actor.system("tests"), user, ["auditor", "admin"])
    service.set_roles(db, Actor.system("tests"), user, ["admin"])
    db.flush()
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).status_code == 401


def test_one_rule_for_api_and_cli_no_advisers_token_by_someone_else(db, login_as, runner):
    """The CLI used to issue adviser tokens that the API refused; now both refuse."""
    adviser = make_user(db, roles=["adviser"])
    by_cli = runner.invoke(
        args=["tokens", "create", adviser.username, "--label", "x", "--role", "adviser"]
    )
    assert by_cli.exit_code == 1
    assert "roles: Die Rolle adviser sieht Klientendaten." in by_cli.output
    by_default = runner.invoke(args=["tokens", "create", adviser.username, "--label", "x"])
    assert by_default.exit_code == 1 and "roles:" in by_default.output
    with pytest.raises(ForbiddenError):
        service.create_token(
            db,
            Actor.system("tests"),
            adviser,
            "x",
            timedelta(days=1),
            ["adviser"],
            totp_required_roles=frozenset(),
        )
    assert db.scalars(select(ApiToken).where(ApiToken.user_id == adviser.id)).all() == []
    # The one case: the adviser creates their own (here: an admin who is an adviser too).
    both = make_user(db, roles=["admin", "adviser"])
    own, _raw = service.create_token(
        db,
        Actor(both.id, both.username, both.roles),
        both,
        "eigenes",
        timedelta(days=1),
        ["adviser"],
        totp_required_roles=frozenset(),
    )
    assert own.roles == {"adviser"}
    with pytest.raises(InvalidInputError):
        service.create_token(
            db,
            Actor(both.id, both.username, both.roles),
            both,
            "leer",
            timedelta(days=1),
            [],
            totp_required_roles=frozenset(),
        )


def test_audit_events_of_token_requests_name_the_token_and_its_roles(app, db, login_as):
    user = make_user(db, roles=["statistician", "auditor"])
    created = login_as("admin").post(
        f"/api/v1/users/{user.id}/tokens", json={"label": "Prüfskript", "roles": ["auditor"]}
    )
    raw, token_id = created.get_json()["token"], created.get_json()["id"]
    response = app.test_client().get("/api/v1/audit/events?limit=1", headers=bearer(raw))
    assert response.status_code == 200
    logged = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert logged.action == "audit.read" and logged.actor_user_id == user.id
    assert f'"token":"{token_id}"' in logged.details
    assert '"token_roles":"auditor"' in logged.details
    created = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "token.create", AuditEvent.object_id == str(token_id)
        )
    ).one()
    assert '"roles":"auditor"' in created.details
    # A session request names no token.
    session_user = login_as("auditor", via="session")
    assert session_user.get("/api/v1/audit/events?limit=1").status_code == 200
    logged = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert "token" not in (logged.details or "")


def test_tokens_list_shows_roles_and_state_without_secrets(db, runner):
    user = make_user(db, roles=["statistician", "auditor"])
    other = make_user(db, roles=["statistician"])
    raw = make_token(db, user, roles=["statistician", "auditor"])
    other_raw = make_token(db, other)
    token = token_row(db, raw)
    service.revoke_token(db, Actor.system("tests"), token.id)
    db.flush()
    listing = runner.invoke(args=["tokens", "list", "--user", user.username])
    assert listing.exit_code == 0, listing.output
    lines = listing.output.strip().splitlines()
    assert lines[0] == "id\tKonto\tRollen\terstellt\tläuft ab\tzuletzt genutzt\twiderrufen"
    assert len(lines) == 2
    cells = lines[1].split("\t")
    assert cells[:3] == [str(token.id), user.username, "auditor,statistician"]
    assert cells[5] == "-" and cells[6] != "-"
    assert raw not in listing.output and token.token_hash not in listing.output
    everyone = runner.invoke(args=["tokens", "list"]).output
    assert other.username in everyone and other_raw not in everyone
    missing = runner.invoke(args=["tokens", "list", "--user", "niemand"])
    assert missing.exit_code == 1 and "nicht gefunden" in missing.output


def test_tokens_from_before_the_migration_keep_no_personal_data_role(backend):
    """Migration 0011: old tokens get their user's roles without personal data only."""
    url = backend.new_database(migrate=False)
    engine = make_engine(url)
    now = utcnow()
    try:
        migrations.upgrade(engine, "0010")
        with engine.begin() as connection:
            for user_id, name in ((1, "alt.beraterin"), (2, "alt.statistik")):
                connection.execute(
                    text(
                        "INSERT INTO users (id, username, password_hash, password_changed_at,"
                        " created_at, updated_at) VALUES (:id, :name, 'x', :now, :now, :now)"
                    ),
                    {"id": user_id, "name": name, "now": now},
                )
            for user_id, role in ((1, "adviser"), (2, "adviser"), (2, "statistician")):
                connection.execute(
                    text("INSERT INTO user_roles (user_id, role) VALUES (:u, :r)"),
                    {"u": user_id, "r": role},
                )
            for token_id, user_id in ((10, 1), (20, 2)):
                connection.execute(
                    text(
                        "INSERT INTO api_tokens (id, user_id, token_hash, prefix, label,"
                        " created_at, expires_at) VALUES (:id, :u, :h, 'mgz_ab', 'alt',"
                        " :now, :later)"
                    ),
                    {
                        "id": token_id,
                        "u": user_id,
                        "h": f"{token_id:064d}",
                        "now": now,
                        "later": now + timedelta(days=30),
                    },
                )
        migrations.upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT token_id, role FROM api_token_roles ORDER BY token_id, role")
            ).all()
        assert [tuple(row) for row in rows] == [(20, "statistician")]
    finally:
        engine.dispose()
