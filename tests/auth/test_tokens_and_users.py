"""Personal API tokens and the admins' account API."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from mgz.audit.models import AuditEvent
from mgz.auth import service
from mgz.auth.models import ApiToken, User, UserRole
from mgz.auth.settings import TOKEN_MAX_DAYS
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.errors import ConflictError, InvalidInputError
from tests.factories import TEST_PASSWORD, make_token, make_user


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def test_admin_creates_a_token_shown_once_and_stored_only_as_hash(app, db, login_as):
    admin = login_as("admin")
    statistician = make_user(db, roles=["statistician"])
    response = admin.post(
        f"/api/v1/users/{statistician.id}/tokens", json={"label": "Statistik-Skript"}
    )
    assert response.status_code == 201
    body = response.get_json()
    raw = body["token"]
    assert raw.startswith("mgz_") and len(raw) > 40
    assert raw.startswith(body["prefix"])
    listing = admin.get(f"/api/v1/users/{statistician.id}/tokens").get_json()
    assert [t["id"] for t in listing] == [body["id"]]
    assert raw not in str(listing) and "token" not in listing[0]
    row = db.get(ApiToken, body["id"])
    stored = db.execute(text("SELECT * FROM api_tokens WHERE id = :i"), {"i": row.id}).one()
    assert raw not in [str(value) for value in stored]
    assert row.token_hash == service._sha256(raw)
    client = app.test_client()
    me = client.get("/api/v1/auth/me", headers=bearer(raw))
    assert me.status_code == 200
    assert me.get_json() == {
        "user_id": statistician.id,
        "username": statistician.username,
        "roles": ["statistician"],
        "auth_method": "token",
        "csrf_token": None,
    }


def test_a_role_given_to_the_user_later_does_not_reach_the_token(app, db):
    """Issue 15.4: a token used every role of its user, including ones added later."""
    user = make_user(db, roles=["statistician"])
    raw = make_token(db, user)
    client = app.test_client()
    assert client.get("/api/v1/users", headers=bearer(raw)).status_code == 403
    service.set_roles(db, Actor.system("tests"), user, ["statistician", "admin"])
    db.flush()
    assert client.get("/api/v1/users", headers=bearer(raw)).status_code == 403
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).get_json()["roles"] == [
        "statistician"
    ]


def test_revoked_token_is_refused_at_once(app, db, login_as):
    raw = make_token(db, make_user(db))
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.token_hash == service._sha256(raw)))
    client = app.test_client()
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).status_code == 200
    assert login_as("admin").delete(f"/api/v1/tokens/{token_id}").status_code == 204
    response = client.get("/api/v1/auth/me", headers=bearer(raw))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_expired_token_is_refused(app, db):
    raw = make_token(db, make_user(db), days=1)
    client = app.test_client()
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).status_code == 200
    db.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == service._sha256(raw))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.flush()
    assert client.get("/api/v1/auth/me", headers=bearer(raw)).status_code == 401


def test_token_of_a_disabled_user_is_refused(app, db):
    user = make_user(db)
    raw = make_token(db, user)
    service.disable_user(db, Actor.system("tests"), user)
    db.flush()
    assert app.test_client().get("/api/v1/auth/me", headers=bearer(raw)).status_code == 401


def test_unknown_or_malformed_tokens_are_401(app, db):
    client = app.test_client()
    for header in ("Bearer mgz_" + "A" * 43, "Bearer nonsense", "Basic dXNlcjpwdw=="):
        assert client.get("/api/v1/auth/me", headers={"Authorization": header}).status_code == 401


def test_token_lifetime_has_one_limit_in_document_api_service_and_cli(app, db, login_as, runner):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    documented = spec["components"]["schemas"]["TokenCreate"]["properties"]["expires_in_days"]
    assert documented["maximum"] == TOKEN_MAX_DAYS == 365
    user = make_user(db, roles=["statistician"])
    admin = login_as("admin")
    url = f"/api/v1/users/{user.id}/tokens"
    assert admin.post(url, json={"label": "x", "expires_in_days": 365}).status_code == 201
    response = admin.post(url, json={"label": "x", "expires_in_days": 366})
    assert response.status_code == 422
    assert "expires_in_days" in response.get_json()["errors"]
    with pytest.raises(InvalidInputError):
        service.create_token(
            db,
            Actor.system("tests"),
            user,
            "x",
            timedelta(days=366),
            totp_required_roles=frozenset(),
        )
    refused = runner.invoke(
        args=["tokens", "create", user.username, "--label", "x", "--days", "366"]
    )
    assert refused.exit_code == 2
    assert "366" in refused.output


def test_admin_manages_accounts_and_each_change_is_audited(app, db, login_as):
    admin = login_as("admin")
    start = db.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0
    created = admin.post(
        "/api/v1/users",
        json={
            "username": "b.statistik",
            "password": "Lange-Sichere-Phrase-42",
            "roles": ["statistician"],
        },
    )
    assert created.status_code == 201
    user_id = created.get_json()["id"]
    assert "password" not in created.get_json()
    roles = admin.put(f"/api/v1/users/{user_id}/roles", json={"roles": ["statistician", "auditor"]})
    assert roles.get_json()["roles"] == ["auditor", "statistician"]
    token = admin.post(f"/api/v1/users/{user_id}/tokens", json={"label": "Skript"}).get_json()
    assert admin.delete(f"/api/v1/tokens/{token['id']}").status_code == 204
    assert admin.post(f"/api/v1/users/{user_id}/disable").get_json()["disabled_at"]
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.seq > start).order_by(AuditEvent.seq)
    ).all()
    assert [e.action for e in events] == [
        "user.create", "user.roles_change", "token.create", "token.revoke", "user.disable",
    ]  # fmt: skip
    assert all(e.actor_user_id == admin.user.id and e.actor_role == "admin" for e in events)
    token_of_admin = f'"token":"{admin.token_id}","token_roles":"admin"'
    assert events[1].details == '{"added":"auditor","removed":"none",' + token_of_admin + "}"
    assert all("Lange-Sichere-Phrase-42" not in repr(vars(e)) for e in events)


def test_account_rules_are_checked(app, db, login_as):
    admin = login_as("admin")
    weak = admin.post(
        "/api/v1/users",
        json={"username": "c.user", "password": "Passwort1234", "roles": ["adviser"]},
    )
    assert weak.status_code == 422 and "password" in weak.get_json()["errors"]
    assert "Passwort1234" not in weak.get_data(as_text=True)
    bad_role = admin.post(
        "/api/v1/users",
        json={"username": "c.user", "password": "Lange-Sichere-Phrase-42", "roles": ["root"]},
    )
    assert bad_role.status_code == 422
    make_user(db, username="taken.name")
    taken = admin.post(
        "/api/v1/users",
        json={
            "username": "Taken.Name",
            "password": "Lange-Sichere-Phrase-42",
            "roles": ["adviser"],
        },
    )
    assert taken.status_code == 409
    assert db.scalar(select(User).where(User.username == "c.user")) is None


def test_an_admin_cannot_mint_a_token_for_an_adviser_over_the_api(app, db, login_as):
    """Review finding: the admin sees the secret and would read client files as the adviser."""
    adviser = make_user(db, roles=["adviser"])
    admin = login_as("admin")
    url = f"/api/v1/users/{adviser.id}/tokens"
    # By default a token gets no role that sees personal data: the adviser has none else.
    response = admin.post(url, json={"label": "script", "expires_in_days": 30})
    assert response.status_code == 422
    assert "roles" in response.get_json()["errors"]
    response = admin.post(url, json={"label": "script", "roles": ["adviser"]})
    assert response.status_code == 403
    assert "roles" in response.get_json()["errors"]
    assert db.scalars(select(ApiToken).where(ApiToken.user_id == adviser.id)).all() == []
    statistician = make_user(db, roles=["statistician"])
    response = admin.post(
        f"/api/v1/users/{statistician.id}/tokens", json={"label": "script", "expires_in_days": 30}
    )
    assert response.status_code == 201
    assert response.get_json()["roles"] == ["statistician"]


def test_nobody_changes_their_own_roles(app, db, login_as):
    admin = login_as("admin")
    response = admin.put(
        f"/api/v1/users/{admin.user.id}/roles", json={"roles": ["admin", "adviser"]}
    )
    assert response.status_code == 403
    other = make_user(db, roles=["statistician"])
    response = admin.put(f"/api/v1/users/{other.id}/roles", json={"roles": ["statistician"]})
    assert response.status_code == 200


def test_gaining_a_personal_data_role_revokes_the_users_tokens(app, db, login_as):
    statistician = make_user(db, roles=["statistician"])
    raw = make_token(db, statistician)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    assert client.get("/api/v1/auth/me").status_code == 200
    admin = login_as("admin")
    response = admin.put(
        f"/api/v1/users/{statistician.id}/roles", json={"roles": ["statistician", "adviser"]}
    )
    assert response.status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/clients").status_code == 401


def _audit_actions(db, since):
    return db.scalars(
        select(AuditEvent.action).where(AuditEvent.seq > since).order_by(AuditEvent.seq)
    ).all()


def _head(db):
    return db.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0


def _deactivate_other_admins(db, keep):
    """The shared test database may hold admins of other tests' set-up; only ``keep`` stays."""
    db.execute(
        update(User)
        .where(User.id.in_(select(UserRole.user_id).where(UserRole.role == "admin")))
        .where(User.id != keep.id, User.disabled_at.is_(None))
        .values(disabled_at=utcnow())
    )


def test_the_last_active_admin_cannot_be_disabled(app, db, login_as):
    """Review finding: an admin disabled their own account, the last one, and nothing re-enabled."""
    admin = login_as("admin")
    _deactivate_other_admins(db, admin.user)
    start = _head(db)
    response = admin.post(f"/api/v1/users/{admin.user.id}/disable")
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert (
        response.get_json()["detail"] == "Das letzte aktive Admin-Konto kann nicht gesperrt werden."
    )
    db.expire_all()
    assert db.get(User, admin.user.id).disabled_at is None
    assert _audit_actions(db, start) == []
    assert admin.get("/api/v1/auth/me").status_code == 200
    # With a second active admin, the first may go (its own account included).
    make_user(db, roles=["admin"])
    assert admin.post(f"/api/v1/users/{admin.user.id}/disable").status_code == 200


def test_the_last_active_admin_keeps_the_admin_role(app, db, login_as):
    target = make_user(db, roles=["admin"])
    _deactivate_other_admins(db, target)
    other = login_as("admin")  # a second active admin: the count is two
    # Disabling the other admin first leaves ``target`` as the last active one.
    service.disable_user(db, Actor.system("tests"), other.user)
    with pytest.raises(ConflictError):
        service.set_roles(db, Actor.system("tests"), target, ["statistician"])
    assert db.get(User, target.id).roles == {"admin"}


def test_a_disabled_account_is_enabled_again_audited_without_its_old_tokens(app, db, login_as):
    admin = login_as("admin")
    user = make_user(db, roles=["statistician"])
    raw = make_token(db, user)
    start = _head(db)
    disabled = admin.post(f"/api/v1/users/{user.id}/disable")
    assert disabled.status_code == 200 and disabled.get_json()["disabled_at"]
    enabled = admin.post(f"/api/v1/users/{user.id}/enable")
    assert enabled.status_code == 200
    assert enabled.get_json()["disabled_at"] is None
    assert _audit_actions(db, start) == ["token.revoke", "user.disable", "user.enable"]
    enable_event = db.scalars(
        select(AuditEvent).where(AuditEvent.seq > start, AuditEvent.action == "user.enable")
    ).one()
    assert enable_event.object_id == str(user.id) and enable_event.actor_user_id == admin.user.id
    # A token possibly leaked before the disabling does not come back to life.
    assert app.test_client().get("/api/v1/auth/me", headers=bearer(raw)).status_code == 401
    assert (
        app.test_client()
        .post("/api/v1/auth/login", json={"username": user.username, "password": TEST_PASSWORD})
        .status_code
        == 200
    )
    # Enabling an active account changes nothing and logs nothing.
    again = _head(db)
    assert admin.post(f"/api/v1/users/{user.id}/enable").status_code == 200
    assert _audit_actions(db, again) == []


def test_only_admins_enable_accounts(db, login_as):
    user = make_user(db, disabled=True)
    for role in ("adviser", "statistician", "auditor"):
        assert login_as(role).post(f"/api/v1/users/{user.id}/enable").status_code == 403
    assert db.get(User, user.id).disabled_at is not None
