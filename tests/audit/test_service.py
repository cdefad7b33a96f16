"""The log is written in the work's transaction, chained, and refuses personal values."""

import base64
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mgz.audit import chain, checkpoints, service, verification
from mgz.audit.models import AuditChainHead, AuditEvent
from mgz.auth.models import User
from mgz.core.actor import Actor
from mgz.core.db import make_engine, utcnow
from tests.conftest import TEST_AUDIT_KEY, TEST_PUBLIC_KEY
from tests.factories import make_user

KEY = base64.b64decode(TEST_AUDIT_KEY)
PUBLIC = base64.b64decode(TEST_PUBLIC_KEY)
ACTOR = Actor(7, "b.berater", frozenset({"adviser"}), "req-12345678", "adviser")


def newest(db):
    return db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()


def test_event_carries_who_what_which_fields_request_and_outcome(db):
    service.record(
        db, ACTOR, "client.read", object_type="client", object_id="MGZ-2026-000123",
        fields=["last_name", "birth_date"], details={"hits": 1},
    )  # fmt: skip
    db.commit()
    event = newest(db)
    assert (event.actor_user_id, event.actor_name, event.actor_role) == (7, "b.berater", "adviser")
    assert (event.action, event.object_type, event.object_id) == (
        "client.read", "client", "MGZ-2026-000123",
    )  # fmt: skip
    assert json.loads(event.fields) == ["last_name", "birth_date"]
    assert event.request_id == "req-12345678"
    assert event.outcome == "success"
    assert json.loads(event.details) == {"hits": 1}
    assert event.occurred_at.tzinfo is not None


def test_events_form_a_hash_chain_over_canonical_json(db):
    for number in range(3):
        service.record(db, ACTOR, "test.append", details={"n": number})
    db.commit()
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(3)).all()[::-1]
    assert [e.seq for e in events] == [events[0].seq, events[0].seq + 1, events[0].seq + 2]
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    content = service.content_of(events[1])
    canonical = chain.canonical_json(content)
    assert b" " not in canonical.replace(b"b.berater", b"")
    assert list(json.loads(canonical)) == sorted(content)
    assert json.loads(canonical)["occurred_at"].endswith("Z")
    own = {k: v for k, v in json.loads(canonical).items() if k not in ("seq", "prev_hash")}
    digest = hashlib.sha256(chain.canonical_json(own)).hexdigest()
    link = f"{events[1].prev_hash}:{events[1].seq}:{digest}".encode()
    assert events[1].hash == hashlib.sha256(link).hexdigest()
    head = db.get(AuditChainHead, 1)
    db.refresh(head)
    assert (head.seq, head.hash) == (events[2].seq, events[2].hash)
    assert verification.verify(db, PUBLIC, audit_key=KEY).ok


def test_event_rolls_back_with_its_work(db):
    before = newest(db)
    user = make_user(db)
    service.record(db, ACTOR, "user.create", object_type="user", object_id=str(user.id))
    db.rollback()
    assert db.scalar(select(User).where(User.id == user.id)) is None
    after = newest(db)
    assert (after.seq if after else None) == (before.seq if before else None)
    db.commit()  # nothing left over from the rolled-back work
    after = newest(db)
    assert (after.seq if after else None) == (before.seq if before else None)


def test_no_work_commits_without_its_event(backend):
    """If the event cannot be written, the commit fails and the work is not stored."""
    url = backend.new_database()
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            head = db.get(AuditChainHead, 1)
            # Occupy the next position behind the writer's back: its insert must fail.
            db.execute(
                text(
                    "INSERT INTO audit_events (seq, occurred_at, action, fields, outcome, "
                    "prev_hash, hash) VALUES (:s, :t, 'x.y', '[]', 'success', :h, :h2)"
                ),
                {"s": head.seq + 1, "t": "2026-01-01 00:00:00", "h": "0" * 64, "h2": "1" * 64},
            )
            db.commit()
        with Session(engine) as db:
            db.add(
                User(
                    username="lost.work",
                    password_hash="x",
                    password_changed_at=utcnow(),
                )
            )
            service.record(db, ACTOR, "user.create", object_type="user")
            with pytest.raises(IntegrityError):
                db.commit()
        with Session(engine) as db:
            assert db.scalar(select(User).where(User.username == "lost.work")) is None
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"details": {"name": "Ahmad Karimi"}}, "only codes"),
        ({"details": {"birth_date": "1990-01-01T00:00:00 Berlin"}}, "only codes"),
        ({"fields": ["Ahmad Karimi"]}, "field names"),
        ({"object_id": "Karimi, Ahmad"}, "pseudonymous"),
        ({"outcome": "maybe"}, "outcome"),
    ],
)
def test_personal_values_cannot_enter_the_log(db, kwargs, message):
    with pytest.raises(service.AuditUsageError, match=message):
        service.record(db, ACTOR, "client.read", **kwargs)


def test_system_and_anonymous_actors(db):
    service.record(db, Actor.system("keys rotate"), "key.rotate")
    service.record(db, None, "auth.login_failed", outcome="failure")
    db.commit()
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(2)).all()
    assert (events[1].actor_name, events[1].actor_role) == ("system:keys rotate", "system")
    assert (events[0].actor_user_id, events[0].actor_name) == (None, None)


def test_events_of_a_rolled_back_savepoint_are_dropped_and_earlier_ones_kept(db):
    """Review finding: savepoints must neither lose nor keep events wrongly."""
    from sqlalchemy import select

    from mgz.audit.models import AuditEvent
    from mgz.audit.service import record
    from mgz.core.actor import Actor

    actor = Actor.system("tests")
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    record(db, actor, "test.outer_before")
    try:
        with db.begin_nested():
            record(db, actor, "test.inside_rolled_back")
            raise RuntimeError("undo the savepoint")
    except RuntimeError:
        pass
    with db.begin_nested():
        record(db, actor, "test.inside_released")
    record(db, actor, "test.outer_after")
    db.commit()
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.seq).offset(before)).all()
    assert actions == ["test.outer_before", "test.inside_released", "test.outer_after"]


def test_a_failing_flush_in_a_caught_savepoint_loses_no_event(db):
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from mgz.audit.models import AuditEvent
    from mgz.audit.service import record
    from mgz.auth.models import User
    from mgz.core.actor import Actor
    from mgz.core.db import utcnow

    actor = Actor.system("tests")
    record(db, actor, "test.kept_across_failed_savepoint")
    try:
        with db.begin_nested():
            db.add(User(username=None, password_hash="x", password_changed_at=utcnow()))
    except IntegrityError:
        pass
    db.commit()
    actions = db.scalars(select(AuditEvent.action)).all()
    assert "test.kept_across_failed_savepoint" in actions


def test_first_and_every_nth_event_are_anchored_after_the_commit(app, db, monkeypatch):
    from mgz.audit import anchors
    from mgz.audit.service import record
    from mgz.core.actor import Actor

    path = Path(app.config["AUDIT_ANCHOR_PATH"])
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_EVERY", 3)
    actor = Actor.system("tests")
    with app.app_context():
        start = checkpoints.chain_tip(db)[0]
        record(db, actor, "test.rolled_back")
        db.flush()
        db.rollback()  # no anchor for work that did not commit
        for number in range(7):
            record(db, actor, f"test.event_{number}")
            db.commit()
        lines = list(anchors.read([path])) if path.exists() else []
        seqs = [a.seq for a in lines]
        assert seqs == [s for s in range(start + 1, start + 8) if s % 3 == 0]
        assert all(a.kind == "head" for a in lines)
        assert all(anchors.authentic(a, public_key=PUBLIC, audit_key=KEY) for a in lines)
        assert verification.verify(db, PUBLIC, audit_key=KEY, anchor_lines=lines).ok
