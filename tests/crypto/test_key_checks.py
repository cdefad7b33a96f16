"""Wrong keys stop start-up (issue 12, point 4): key check values per key.

The start-up refusals run the installed console script in a clean environment holding
only the MGZ_* variables set here, against a migrated database of each backend.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from mgz.audit.models import AuditEvent
from mgz.core.actor import Actor
from mgz.core.config import ConfigError
from mgz.core.db import database, make_engine, session_scope
from mgz.crypto import key_checks
from mgz.crypto.keys import EXTENSION, CryptoState, parse_index_key, parse_master_keys, state
from mgz.crypto.models import DataKey, KeyCheck
from tests import factories
from tests.clients.conftest import intake
from tests.conftest import TEST_AUDIT_KEY, TEST_PUBLIC_KEY, TEST_SECRET

MGZ = str(Path(sys.executable).parent / "mgz")
REPO = Path(__file__).resolve().parents[2]


def _key(byte: int) -> str:
    return base64.b64encode(bytes([byte]) * 32).decode()


KEY_A, KEY_B, INDEX_I, INDEX_J = _key(0xA1), _key(0xB2), _key(0xC3), _key(0xD4)


def _mgz(args, url, tmp_path, master, index=INDEX_I, timeout=60):
    env = {
        "MGZ_INSTANCE_PATH": str(tmp_path / "instance"),
        "MGZ_DATABASE_URL": url,
        "MGZ_SECRET_KEY": TEST_SECRET,
        "MGZ_AUDIT_KEY": TEST_AUDIT_KEY,
        "MGZ_AUDIT_PUBLIC_KEY": TEST_PUBLIC_KEY,
        "MGZ_AUDIT_ANCHOR_PATH": str(tmp_path / "audit-anchors.jsonl"),
        "MGZ_MASTER_KEYS": master,
        "MGZ_INDEX_KEY": index,
    }
    return subprocess.run(  # noqa: S603 - our own console script
        [MGZ, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout
    )


def _refused(result):
    """The one line of a refused start (exit 2), checked to hold no key bytes."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for secret in (KEY_A, KEY_B, INDEX_I, INDEX_J):
        assert secret not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("mgz: configuration error: ")
    return lines[0]


def _write_client(make_app, url, master):
    app = make_app(url, MASTER_KEYS=master, INDEX_KEY=INDEX_I)
    with app.app_context(), session_scope(app) as session:
        user = factories.make_user(session, roles=("adviser",))
        token = factories.make_token(session, user)
        session.commit()
    response = app.test_client().post(
        "/api/v1/clients", json=intake(), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.get_json()
    return app


def test_wrong_keys_stop_start_up_with_one_line_naming_the_key(backend, make_app, tmp_path):
    url = backend.new_database()
    upgraded = _mgz(["db", "upgrade"], url, tmp_path, f"ka:{KEY_A}")
    assert upgraded.returncode == 0, upgraded.stderr
    app = _write_client(make_app, url, f"ka:{KEY_A}")

    # Another key's bytes under the same id: the server does not start.
    wrong_master = _mgz(["serve", "--port", "1", "--workers", "1"], url, tmp_path, f"ka:{KEY_B}")
    assert _refused(wrong_master) == (
        "mgz: configuration error: MGZ_MASTER_KEYS: key ka is not the key this database's "
        "data keys were wrapped with (key check value differs)"
    )
    # A wrong blind-index key.
    wrong_index = _mgz(["users", "list"], url, tmp_path, f"ka:{KEY_A}", index=INDEX_J)
    assert _refused(wrong_index) == (
        "mgz: configuration error: MGZ_INDEX_KEY: is not the index key this database's "
        "blind indexes were written with (key check value differs)"
    )
    # A configured id that wraps nothing, while the data keys need another id.
    other_id = _mgz(["serve", "--port", "1", "--workers", "1"], url, tmp_path, f"kb:{KEY_B}")
    assert _refused(other_id) == (
        "mgz: configuration error: MGZ_MASTER_KEYS: data keys are wrapped under master key "
        "id ka, which is not configured"
    )

    # `mgz keys status` shows each check, the failing one too (exit 1).
    status = _mgz(["keys", "status"], url, tmp_path, f"ka:{KEY_B}")
    assert status.returncode == 1, status.stderr
    assert "Schlüsselprüfung:" in status.stdout
    assert "ka                   FALSCH" in status.stdout
    assert "Index-Schlüssel      Prüfwert stimmt" in status.stdout
    assert "MGZ_MASTER_KEYS: key ka is not the key" in status.stderr
    status = _mgz(["keys", "status"], url, tmp_path, f"ka:{KEY_A}", index=INDEX_J)
    assert status.returncode == 1
    assert "ka                   Prüfwert stimmt" in status.stdout
    assert "Index-Schlüssel      FALSCH" in status.stdout
    status = _mgz(["keys", "status"], url, tmp_path, f"kb:{KEY_B}")
    assert status.returncode == 1
    assert "ka                   NICHT KONFIGURIERT" in status.stdout
    assert "kb                   noch kein Prüfwert" in status.stdout

    # The right keys start and every check passes; nothing was stored by the refusals.
    status = _mgz(["keys", "status"], url, tmp_path, f"ka:{KEY_A}")
    assert status.returncode == 0, status.stderr
    assert "ka                   Prüfwert stimmt" in status.stdout
    assert "Index-Schlüssel      Prüfwert stimmt" in status.stdout
    with session_scope(app) as session:
        stored = session.execute(select(KeyCheck.kind, KeyCheck.key_id)).all()
        assert sorted(stored) == [("index", "index"), ("master", "ka")]
        events = session.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.outcome).where(
                AuditEvent.action.like("keys.check%")
            )
        ).all()
    assert sorted(events) == [
        ("keys.check", "index", "failure"),
        ("keys.check", "ka", "failure"),
        ("keys.check", "ka", "failure"),
        ("keys.check_create", "index", "success"),
        ("keys.check_create", "ka", "success"),
    ]


def test_key_of_a_database_without_check_values_is_proven_by_its_data_keys(
    backend, make_app, tmp_path
):
    # A database from before the check values: data keys, no check values yet.
    url = backend.new_database()
    app = _write_client(make_app, url, f"ka:{KEY_A}")
    with session_scope(app) as session:
        session.execute(KeyCheck.__table__.delete())
        session.commit()
    with pytest.raises(ConfigError, match="^MGZ_MASTER_KEYS: key ka is not the key"):
        make_app(url, MASTER_KEYS=f"ka:{KEY_B}", INDEX_KEY=INDEX_I)
    again = make_app(url, MASTER_KEYS=f"ka:{KEY_A}", INDEX_KEY=INDEX_I)
    with session_scope(again) as session:
        assert session.scalar(select(func.count()).select_from(KeyCheck)) == 2


def test_health_is_503_when_the_stored_check_value_changes(client, db):
    assert client.get("/api/v1/health").get_json()["keys"] == "ok"
    db.execute(
        update(KeyCheck)
        .where(KeyCheck.kind == "master", KeyCheck.key_id == "test1")
        .values(check_value="0" * 64)
    )
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["keys"] == "failed"


def test_a_passed_key_comparison_stands_a_while_and_a_failure_never(app, make_app):
    running = make_app(app.config["DATABASE_URL"], HEALTH_KEY_CHECK_SECONDS=3600)
    probe = running.test_client()
    queries: list[str] = []
    event.listen(
        database(running).engine,
        "before_cursor_execute",
        lambda _c, _k, statement, *_a: statement == "BEGIN" or queries.append(statement),
    )
    assert probe.get("/api/v1/health").status_code == 200
    assert any("key_checks" in q for q in queries)
    queries.clear()
    assert probe.get("/api/v1/health").status_code == 200
    assert not any("key_checks" in q or "data_keys" in q for q in queries)
    assert len(queries) == 1  # the migration state: reachability and revision at once
    current = state(running)
    running.extensions[EXTENSION] = CryptoState(
        master=parse_master_keys(f"test1:{KEY_B}"), index_key=current.index_key
    )
    running.extensions[key_checks.EXTENSION].healthy_until = 0.0  # as after the time has passed
    assert probe.get("/api/v1/health").status_code == 503
    assert probe.get("/api/v1/health").status_code == 503  # a failure is not cached
    running.extensions[EXTENSION] = current


def test_health_is_503_when_the_configured_key_changes_in_a_running_app(app, make_app):
    running = make_app(app.config["DATABASE_URL"])
    assert running.test_client().get("/api/v1/health").status_code == 200
    current = state(running)
    running.extensions[EXTENSION] = CryptoState(
        master=parse_master_keys(f"test1:{KEY_B}"), index_key=current.index_key
    )
    response = running.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json()["keys"] == "failed"
    running.extensions[EXTENSION] = CryptoState(
        master=current.master, index_key=parse_index_key(INDEX_J)
    )
    assert running.test_client().get("/api/v1/health").status_code == 503
    running.extensions[EXTENSION] = current
    assert running.test_client().get("/api/v1/health").status_code == 200


def test_an_app_that_could_not_check_at_start_checks_at_the_first_request(backend, make_app):
    url = backend.new_database(migrate=False)
    app = make_app(url)  # not migrated yet: nothing to compare with
    assert app.test_client().get("/api/v1/health").status_code == 503
    engine = make_engine(url)
    try:
        from mgz.core import migrations

        migrations.upgrade(engine)
        with Session(engine) as session:  # meanwhile another key wrote under test1
            session.add(
                KeyCheck(kind="master", key_id="test1", check_value="0" * 64, created_by="x")
            )
            session.commit()
    finally:
        engine.dispose()
    for path in ("/api/v1/health", "/api/v1/clients"):
        response = app.test_client().get(path)
        assert response.status_code == 503, path
        assert response.get_json()["keys"] == "failed"


def _crypto(master: str) -> CryptoState:
    return CryptoState(master=parse_master_keys(master), index_key=parse_index_key(INDEX_I))


@pytest.mark.parametrize("second_key", [KEY_A, KEY_B], ids=["same-key", "other-key"])
def test_two_workers_starting_at_once_on_a_fresh_database(backend, second_key):
    """Both find no check value; the second insert conflicts, then compares."""
    url = backend.new_database()
    engine = make_engine(url)
    outcome = {}
    try:
        first = Session(engine)
        key_checks.verify(first, Actor.system("w1"), _crypto(f"ka:{KEY_A}"))
        first.flush()  # inserted, not committed: the second worker cannot see it yet

        def second_worker():
            with Session(engine) as second:
                try:
                    outcome["results"] = key_checks.verify(
                        second, Actor.system("w2"), _crypto(f"ka:{second_key}")
                    )
                    second.commit()
                except key_checks.KeyCheckError as error:
                    outcome["error"] = error

        worker = threading.Thread(target=second_worker)
        worker.start()
        time.sleep(0.5)  # the second worker now waits for the first one's insert
        first.commit()
        first.close()
        worker.join(timeout=30)
        assert not worker.is_alive()
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(KeyCheck)) == 2
            created = session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "keys.check_create")
            )
            assert created == 2  # one per key, by the first worker
            assert session.scalar(select(func.count()).select_from(DataKey)) == 0
    finally:
        engine.dispose()
    if second_key == KEY_A:
        assert [r.status for r in outcome["results"]] == ["ok", "ok"]
    else:
        assert outcome["error"].result.key_id == "ka"
        assert outcome["error"].result.status == "mismatch"


def test_check_value_is_a_keyed_mac_never_the_key():
    raw = base64.b64decode(KEY_A)
    value = key_checks.check_value(raw, "master", "ka")
    assert len(value) == 64 and raw.hex() not in value
    assert value != key_checks.check_value(raw, "master", "kb")
    assert value != key_checks.check_value(base64.b64decode(KEY_B), "master", "ka")
    assert value == key_checks.check_value(raw, "master", "ka")


def test_demo_keys_are_checked_and_work_across_restarts(tmp_path):
    env = {"MGZ_INSTANCE_PATH": str(tmp_path / "instance")}

    def run(*args):
        return subprocess.run(  # noqa: S603 - our own console script
            [MGZ, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=300
        )

    for _start in range(2):  # a fresh machine, then a restart with the generated keys
        result = run("demo", "--no-serve")
        assert result.returncode == 0, result.stderr
    env["MGZ_MODE"] = "demo"
    status = run("keys", "status")
    assert status.returncode == 0, status.stderr
    assert "dev1                 Prüfwert stimmt" in status.stdout
    assert "Index-Schlüssel      Prüfwert stimmt" in status.stdout
