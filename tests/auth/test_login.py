"""Login, logout, sessions, CSRF, time-outs, throttling and the second factor."""

from datetime import timedelta

import pyotp
from sqlalchemy import select, text, update

from mgz.audit.models import AuditEvent
from mgz.auth import service
from mgz.auth.models import AuthSession, LoginFailure, User
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from tests.factories import TEST_PASSWORD, make_user, signed_in_client

HTTPS = "https://localhost"


def login(client, username, password=TEST_PASSWORD, **extra):
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, **extra},
        base_url=HTTPS,
    )


def actions_since(db, seq):
    return [
        e.action
        for e in db.scalars(select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq))
    ]


def head(db):
    return db.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0


def test_login_sets_a_hardened_session_cookie_and_me_works(app, db):
    user = make_user(db, roles=["adviser", "statistician"])
    client = app.test_client()
    response = login(client, user.username.upper())  # names are case-insensitive
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == user.username
    assert body["roles"] == ["adviser", "statistician"]
    assert body["auth_method"] == "session"
    assert len(body["csrf_token"]) >= 32
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("mgz_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "password" not in response.get_data(as_text=True).lower()
    me = client.get("/api/v1/auth/me", base_url=HTTPS)
    assert me.status_code == 200
    assert me.get_json()["csrf_token"] == body["csrf_token"]


def test_session_cookie_is_not_secure_in_demo_mode(backend, make_app):
    app = make_app(backend.new_database(), MODE="demo")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_login_is_audited_and_failures_too_without_the_password(app, db, capsys):
    user = make_user(db)
    start = head(db)
    canary = "Zzyzx-Password-Canary-4711"
    client = app.test_client()
    assert login(client, user.username, canary).status_code == 401
    assert login(client, "no-such-user", canary).status_code == 401
    assert login(client, user.username).status_code == 200
    events = list(
        db.scalars(select(AuditEvent).where(AuditEvent.seq > start).order_by(AuditEvent.seq))
    )
    assert [e.action for e in events] == ["auth.login_failed", "auth.login_failed", "auth.login"]
    assert [e.details for e in events[:2]] == [
        '{"reason":"bad_password"}',
        '{"reason":"unknown_user"}',
    ]
    assert events[0].object_id == str(user.id) and events[1].object_id is None
    assert events[2].actor_user_id == user.id and events[2].request_id
    for event in events:
        assert canary not in repr(vars(event))
        assert "no-such-user" not in repr(vars(event))
    failures = db.scalars(select(LoginFailure)).all()
    assert failures and all(canary not in repr(vars(f)) for f in failures)
    assert all("no-such-user" not in repr(vars(f)) for f in failures)
    captured = capsys.readouterr()
    assert canary not in captured.out + captured.err


def test_wrong_password_unknown_user_and_disabled_get_the_same_answer(app, db):
    user = make_user(db)
    disabled = make_user(db, disabled=True)
    client = app.test_client()
    bodies = [
        login(client, user.username, "wrong-password-123").get_json(),
        login(client, "nobody-here").get_json(),
        login(client, disabled.username).get_json(),
    ]
    assert all(b["status"] == 401 for b in bodies)
    assert len({b["detail"] for b in bodies}) == 1


def test_session_id_is_rotated_at_login_and_the_old_one_ends(app, db):
    user = make_user(db)
    client = app.test_client()
    assert login(client, user.username).status_code == 200
    with client.session_transaction(base_url=HTTPS) as cookie:
        first = cookie["_user_id"]
    assert login(client, user.username).status_code == 200
    with client.session_transaction(base_url=HTTPS) as cookie:
        second = cookie["_user_id"]
    assert first != second
    assert db.get(AuthSession, service._sha256(first)) is None
    replay = app.test_client()
    with replay.session_transaction(base_url=HTTPS) as cookie:
        cookie["_user_id"] = first
    assert replay.get("/api/v1/auth/me", base_url=HTTPS).status_code == 401
    assert client.get("/api/v1/auth/me", base_url=HTTPS).status_code == 200


def test_logout_ends_the_session_on_the_server(app, db):
    user = make_user(db)
    client = app.test_client()
    csrf = login(client, user.username).get_json()["csrf_token"]
    with client.session_transaction(base_url=HTTPS) as cookie:
        raw = cookie["_user_id"]
    start = head(db)
    response = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}, base_url=HTTPS)
    assert response.status_code == 204
    assert actions_since(db, start) == ["auth.logout"]
    assert db.get(AuthSession, service._sha256(raw)) is None
    replay = app.test_client()
    with replay.session_transaction(base_url=HTTPS) as cookie:
        cookie["_user_id"] = raw
    assert replay.get("/api/v1/auth/me", base_url=HTTPS).status_code == 401


def test_cookie_writes_need_the_csrf_header_token_writes_do_not(app, db):
    user = make_user(db)
    client = app.test_client()
    csrf = login(client, user.username).get_json()["csrf_token"]
    missing = client.post("/api/v1/auth/logout", base_url=HTTPS)
    assert missing.status_code == 403
    assert missing.get_json()["type"] == "/problems/csrf"
    wrong = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "x" * 43}, base_url=HTTPS)
    assert wrong.status_code == 403
    assert client.get("/api/v1/auth/me", base_url=HTTPS).status_code == 200  # reads need none
    ok = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}, base_url=HTTPS)
    assert ok.status_code == 204
    token_client = signed_in_client(app, db, make_user(db), via="token")
    assert token_client.post("/api/v1/auth/logout").status_code == 204


def test_idle_timeout_ends_the_session(app, db):
    client = signed_in_client(app, db, make_user(db), via="session")
    assert client.get("/api/v1/auth/me").status_code == 200
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    db.execute(update(AuthSession).values(last_seen_at=utcnow() - idle - timedelta(seconds=5)))
    db.flush()
    assert client.get("/api/v1/auth/me").status_code == 401


def test_absolute_timeout_ends_an_active_session(app, db):
    client = signed_in_client(app, db, make_user(db), via="session")
    absolute = timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
    db.execute(
        update(AuthSession).values(
            created_at=utcnow() - absolute - timedelta(seconds=5), last_seen_at=utcnow()
        )
    )
    db.flush()
    assert client.get("/api/v1/auth/me").status_code == 401


def test_session_within_limits_refreshes_last_seen(app, db):
    client = signed_in_client(app, db, make_user(db), via="session")
    stale = utcnow() - timedelta(minutes=5)
    db.execute(update(AuthSession).values(last_seen_at=stale))
    db.flush()
    assert client.get("/api/v1/auth/me").status_code == 200
    db.expire_all()
    assert db.scalars(select(AuthSession)).one().last_seen_at > stale


def test_timeouts_come_from_configuration(backend, make_app):
    app = make_app(backend.new_database(), SESSION_IDLE_MINUTES="5", SESSION_ABSOLUTE_HOURS="2")
    assert app.config["SESSION_IDLE_MINUTES"] == 5
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=2)


def test_disabling_a_user_ends_their_sessions(app, db):
    user = make_user(db)
    client = signed_in_client(app, db, user, via="session")
    assert client.get("/api/v1/auth/me").status_code == 200
    service.disable_user(db, Actor.system("tests"), user)
    db.flush()
    assert client.get("/api/v1/auth/me").status_code == 401


# --- throttling --------------------------------------------------------------------


def test_sixth_attempt_on_one_account_gets_429_with_retry_after(app, db):
    user = make_user(db)
    client = app.test_client()
    for _ in range(5):
        assert login(client, user.username, "wrong-password-123").status_code == 401
    start = head(db)
    blocked = login(client, user.username)  # even the right password waits
    assert blocked.status_code == 429
    retry = int(blocked.headers["Retry-After"])
    assert 0 < retry <= 15 * 60
    assert blocked.get_json()["type"] == "/problems/too-many-requests"
    assert actions_since(db, start) == ["auth.login_throttled"]


def test_one_advisers_typos_do_not_lock_out_the_office_behind_one_address(app, db):
    adviser_a, adviser_b = make_user(db), make_user(db)
    client = app.test_client()  # every adviser behind the office's one NAT address
    for _ in range(5):
        assert login(client, adviser_a.username, "wrong-password-123").status_code == 401
    assert login(client, adviser_a.username).status_code == 429  # A waits ...
    assert login(client, adviser_b.username).status_code == 200  # ... B signs in


def _address_limited(database_url, make_app, db, **settings):
    """An app on the test's transaction whose per-address limit is 5, like the account's."""
    from mgz.core.db import database

    limited = make_app(database_url, LOGIN_MAX_FAILURES_PER_ADDRESS=5, **settings)
    database(limited).bind_to(db.get_bind())
    return limited


def test_one_client_address_is_throttled_across_accounts(database_url, make_app, db):
    app = _address_limited(database_url, make_app, db)
    client = app.test_client()
    for number in range(5):
        assert login(client, f"guess-{number}", "wrong-password-123").status_code == 401
    other = make_user(db)
    assert login(client, other.username).status_code == 429
    elsewhere = app.test_client()
    response = elsewhere.post(
        "/api/v1/auth/login",
        json={"username": other.username, "password": TEST_PASSWORD},
        base_url=HTTPS,
        environ_base={"REMOTE_ADDR": "192.0.2.77"},
    )
    assert response.status_code == 200


def test_throttle_is_shared_by_app_processes_through_the_database(backend, make_app):
    url = backend.new_database()
    first, second = make_app(url), make_app(url)  # two engines, as two gunicorn workers
    with first.app_context():
        from mgz.core.db import session_scope

        with session_scope(first) as db:
            user = make_user(db)
            db.commit()
            username = user.username
    for _ in range(5):
        assert login(first.test_client(), username, "wrong-password-123").status_code == 401
    assert login(second.test_client(), username).status_code == 429


def test_failures_older_than_the_window_no_longer_count(db):
    policy = service.LoginPolicy(max_failures=5, window=timedelta(minutes=15))
    now = utcnow()
    key = service._sha256("someone")
    for minutes in (16, 17, 18, 19, 20, 1):
        db.add(
            LoginFailure(
                occurred_at=now - timedelta(minutes=minutes),
                account_key=key,
                client_address="192.0.2.1",
            )
        )
    db.flush()
    assert service.throttle_wait(db, "someone", "192.0.2.9", policy, now) is None
    for minutes in (2, 3, 4, 5):
        db.add(
            LoginFailure(
                occurred_at=now - timedelta(minutes=minutes),
                account_key=key,
                client_address="192.0.2.1",
            )
        )
    db.flush()
    # Five inside the window: blocked until the oldest of them (5 min ago) leaves it.
    assert service.throttle_wait(db, "someone", "192.0.2.9", policy, now) == 10 * 60


# --- second factor -----------------------------------------------------------------


def test_totp_enrolled_user_needs_a_fresh_code(app, db):
    user = make_user(db)
    with app.app_context():
        uri = service.enable_totp(db, Actor.system("tests"), user)
        db.flush()
        secret = user.totp_secret
    assert uri.startswith("otpauth://totp/")
    client = app.test_client()
    missing = login(client, user.username)
    assert missing.status_code == 401 and missing.get_json()["otp_required"] is True
    totp = pyotp.TOTP(secret)
    stale = totp.at(utcnow() - timedelta(hours=1))  # outside the accepted window
    assert login(client, user.username, otp=stale).status_code == 401
    code = totp.now()
    assert login(client, user.username, otp=code).status_code == 200
    assert login(app.test_client(), user.username, otp=code).status_code == 401  # no replay


def test_configuration_can_require_a_second_factor_per_role(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", frozenset({"admin"}))
    admin = make_user(db, roles=["admin"])
    adviser = make_user(db, roles=["adviser"])
    client = app.test_client()
    assert login(client, adviser.username).status_code == 200
    assert login(client, admin.username).status_code == 401
    reasons = db.scalars(
        select(AuditEvent.details).where(AuditEvent.object_id == str(admin.id))
    ).all()
    assert '{"reason":"otp_not_enrolled"}' in reasons
    with app.app_context():
        service.enable_totp(db, Actor.system("tests"), admin)
        db.flush()
        code = pyotp.TOTP(db.get(User, admin.id).totp_secret).now()
    assert login(client, admin.username, otp=code).status_code == 200


def _login_from(client, username, forwarded_for, password="wrong-password-123"):
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password},
        base_url=HTTPS,
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},  # the proxy
    )


def test_behind_a_trusted_proxy_throttling_sees_the_real_client_address(database_url, make_app, db):
    app = _address_limited(database_url, make_app, db, TRUSTED_PROXIES=1)
    client = app.test_client()
    victim = make_user(db)
    for number in range(5):
        assert _login_from(client, f"guess-{number}", "198.51.100.7").status_code == 401
    # The attacker's address is throttled ...
    assert _login_from(client, victim.username, "198.51.100.7", TEST_PASSWORD).status_code == 429
    # ... but a colleague behind the same proxy is not locked out.
    assert _login_from(client, victim.username, "198.51.100.8", TEST_PASSWORD).status_code == 200


def test_without_trusted_proxies_forwarded_for_is_ignored(database_url, make_app, db):
    client = _address_limited(database_url, make_app, db).test_client()
    for number in range(5):
        # A client cannot dodge the throttle by inventing X-Forwarded-For addresses.
        assert _login_from(client, f"guess-{number}", f"203.0.113.{number}").status_code == 401
    other = make_user(db)
    assert _login_from(client, other.username, "203.0.113.99", TEST_PASSWORD).status_code == 429


def test_totp_seed_is_stored_encrypted(app, db):
    user = make_user(db)
    with app.app_context():
        uri = service.enable_totp(db, Actor.system("tests"), user)
        db.flush()
    seed = uri.split("secret=")[1].split("&")[0]
    stored = db.execute(
        text("SELECT secret FROM user_totp_secrets WHERE user_id = :u"), {"u": user.id}
    ).scalar_one()
    assert stored is not None
    assert seed.encode() not in bytes(stored)
    assert seed.lower().encode() not in bytes(stored).lower()


def test_parallel_wrong_guesses_get_no_more_password_checks_than_the_limit(backend, make_app):
    """A burst of parallel attempts must not slip past the throttle (counted up front)."""
    import threading

    from mgz.core.db import session_scope

    app = make_app(backend.new_database())
    with app.app_context(), session_scope(app) as db:
        username = make_user(db).username
        db.commit()
    statuses = []
    barrier = threading.Barrier(10)

    def guess():
        client = app.test_client()
        barrier.wait(timeout=30)
        statuses.append(login(client, username, "wrong-password-123").status_code)

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == 10
    assert statuses.count(401) == 5
    assert statuses.count(429) == 5
