"""``mgz users …``, ``mgz tokens …`` and the demo users."""

import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, update

from mgz.audit.models import AuditEvent
from mgz.auth import passwords, service
from mgz.auth.cli import demo_users
from mgz.auth.models import ApiToken, User, UserRole
from mgz.core.db import session_scope, utcnow
from tests.factories import make_user

PASSWORD = "Fahrrad-Hasestrasse-2026"


def actions(db, since):
    return db.scalars(
        select(AuditEvent.action).where(AuditEvent.seq > since).order_by(AuditEvent.seq)
    ).all()


def head(db):
    return db.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0


def test_users_create_list_set_roles_disable_reset(db, runner):
    start = head(db)
    created = runner.invoke(
        args=["users", "create", "F.Nutzer", "--role", "adviser"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert created.exit_code == 0, created.output
    assert PASSWORD not in created.output
    user = service.find_user(db, "f.nutzer")
    assert passwords.verify_password(PASSWORD, user.password_hash)
    roles = runner.invoke(
        args=["users", "set-roles", "f.nutzer", "--role", "adviser", "--role", "auditor"]
    )
    assert roles.exit_code == 0 and "adviser, auditor" in roles.output
    listing = runner.invoke(args=["users", "list"])
    assert "f.nutzer\tadviser,auditor\taktiv" in listing.output
    reset = runner.invoke(args=["users", "reset-password", "f.nutzer", "--generate-password"])
    assert reset.exit_code == 0
    generated = reset.output.strip().rsplit(" ", 1)[-1]
    db.expire_all()
    assert passwords.verify_password(generated, service.find_user(db, "f.nutzer").password_hash)
    assert runner.invoke(args=["users", "disable", "f.nutzer"]).exit_code == 0
    assert "gesperrt" in runner.invoke(args=["users", "list"]).output
    assert actions(db, start) == [
        "user.create", "user.roles_change", "user.password_reset", "user.disable",
    ]  # fmt: skip
    actors = db.scalars(select(AuditEvent.actor_name).where(AuditEvent.seq > start)).all()
    assert actors[0] == "system:users create"


def test_cli_refuses_weak_passwords_and_unknown_users(db, runner):
    weak = runner.invoke(
        args=["users", "create", "g.nutzer", "--role", "adviser"],
        input="Passwort1234\nPasswort1234\n",
    )
    assert weak.exit_code == 1
    assert "zu verbreitet" in weak.output and "Passwort1234" not in weak.output
    assert service.find_user(db, "g.nutzer") is None
    missing = runner.invoke(args=["users", "disable", "nobody"])
    assert missing.exit_code == 1 and "nicht gefunden" in missing.output


def test_tokens_create_shows_the_secret_once_and_revoke_ends_it(db, runner, app):
    user = make_user(db, roles=["statistician"])
    start = head(db)
    created = runner.invoke(args=["tokens", "create", user.username, "--label", "Skript"])
    assert created.exit_code == 0, created.output
    raw = created.output.strip().rsplit(" ", 1)[-1]
    assert raw.startswith("mgz_")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/auth/me", headers=auth).status_code == 200
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    assert runner.invoke(args=["tokens", "revoke", str(token_id)]).exit_code == 0
    assert client.get("/api/v1/auth/me", headers=auth).status_code == 401
    assert actions(db, start) == ["token.create", "token.revoke"]


def test_users_enable_reenables_a_disabled_account_audited(db, runner):
    user = make_user(db, roles=["statistician"])
    start = head(db)
    assert runner.invoke(args=["users", "disable", user.username]).exit_code == 0
    enabled = runner.invoke(args=["users", "enable", user.username])
    assert enabled.exit_code == 0, enabled.output
    assert f"{user.username} entsperrt" in enabled.output
    db.expire_all()
    assert service.find_user(db, user.username).disabled_at is None
    assert actions(db, start) == ["user.disable", "user.enable"]
    actor = db.scalars(select(AuditEvent.actor_name).where(AuditEvent.seq > start)).all()[-1]
    assert actor == "system:users enable"
    assert runner.invoke(args=["users", "enable", "nobody"]).exit_code == 1


def test_users_disable_refuses_the_last_active_admin(db, runner):
    admin = make_user(db, roles=["admin"])
    db.execute(
        update(User)
        .where(User.id.in_(select(UserRole.user_id).where(UserRole.role == "admin")))
        .where(User.id != admin.id)
        .values(disabled_at=utcnow())
    )
    start = head(db)
    refused = runner.invoke(args=["users", "disable", admin.username])
    assert refused.exit_code == 1
    assert "letzte aktive Admin-Konto" in refused.output
    db.expire_all()
    assert service.find_user(db, admin.username).disabled_at is None
    assert actions(db, start) == []


@pytest.mark.parametrize("token_id", ["2147483648", "9223372036854775808", "0"])
def test_tokens_revoke_refuses_ids_beyond_the_column(db, runner, token_id):
    result = runner.invoke(args=["tokens", "revoke", token_id])
    assert result.exit_code == 2  # a usage error, not a traceback
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_enable_totp_prints_the_uri_once(app, db, runner):
    user = make_user(db)
    result = runner.invoke(args=["users", "enable-totp", user.username])
    assert result.exit_code == 0
    assert "otpauth://totp/" in result.output
    db.expire_all()
    with app.app_context():
        secret = service.find_user(db, user.username).totp_secret
    assert secret
    assert f"secret={secret}" in result.output


def test_demo_creates_one_user_per_role_idempotently(backend, make_app):
    app = make_app(backend.new_database(), MODE="demo")
    first = demo_users(app)
    second = demo_users(app)
    assert first == second
    assert len(first) == 5
    path = os.path.join(app.instance_path, "demo-users.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with session_scope(app) as db:
        users = service.list_users(db)
        assert sorted((u.username, tuple(u.roles)) for u in users) == [
            ("demo-admin", ("admin",)),
            ("demo-adviser", ("adviser",)),
            ("demo-auditor", ("auditor",)),
            ("demo-statistician", ("statistician",)),
        ]
    username, password = first[1].split()[1:3]
    response = app.test_client().post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200
    assert json.loads(Path(path).read_text(encoding="utf-8"))[username] == password


def test_demo_step_does_nothing_outside_demo_mode(app):
    assert demo_users(app) == []
