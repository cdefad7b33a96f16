"""Tampering with single events directly in the database is found and named.

On PostgreSQL the append-only trigger stops UPDATE and DELETE, so these tests first
switch the triggers off for their transaction, as the tables' owner can
(``ALTER TABLE … DISABLE TRIGGER``); everything is rolled back after. The attacks on
the whole log (tail cut, checkpoints deleted or replaced) are in test_anchors.py.
"""

import base64
import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from mgz.audit import chain, checkpoints, service, verification
from mgz.audit.grants import APPEND_ONLY_TABLES
from mgz.audit.models import AuditEvent
from mgz.core.actor import Actor
from tests.conftest import TEST_AUDIT_KEY, TEST_PUBLIC_KEY, TEST_SIGNING_KEY

KEY = base64.b64decode(TEST_AUDIT_KEY)
PUBLIC = base64.b64decode(TEST_PUBLIC_KEY)
SIGNING = base64.b64decode(TEST_SIGNING_KEY)


def verify(db, public_key=PUBLIC):
    return verification.verify(db, public_key, audit_key=KEY)


ACTOR = Actor(3, "a.pruefer", frozenset({"auditor"}), "req-abcdefgh", "auditor")


@pytest.fixture
def events(db):
    """Six fresh events (positions returned), after whatever the database holds."""
    for number in range(6):
        service.record(db, ACTOR, "test.event", object_type="client", object_id=f"c-{number}")
    db.commit()
    seqs = db.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(6)).all()
    assert verify(db).ok
    return sorted(seqs)


@pytest.fixture
def attacker(db):
    """Run raw SQL as someone with database access, bypassing the trigger."""
    if db.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:  # as the owner: no superuser needed
            db.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))

    def run(sql, **params):
        db.execute(text(sql), params)
        db.expire_all()

    return run


def broken(db):
    result = verify(db)
    assert not result.ok
    return result.seq, result.code


def test_changed_event_is_named(db, events, attacker):
    attacker("UPDATE audit_events SET object_id = 'c-99' WHERE seq = :s", s=events[2])
    assert broken(db) == (events[2], "content_altered")


def test_changed_details_are_named(db, events, attacker):
    attacker("UPDATE audit_events SET outcome = 'failure' WHERE seq = :s", s=events[4])
    assert broken(db) == (events[4], "content_altered")


def test_deleted_event_is_named(db, events, attacker):
    attacker("DELETE FROM audit_events WHERE seq = :s", s=events[3])
    assert broken(db) == (events[3], "missing")


def _shift_up_from(attacker, seq):
    # Two steps, so no intermediate state violates the primary key.
    attacker("UPDATE audit_events SET seq = seq + 1000000 WHERE seq >= :s", s=seq)
    attacker("UPDATE audit_events SET seq = seq - 999999 WHERE seq >= 1000000")


def test_inserted_copy_of_an_event_is_named(db, events, attacker):
    _shift_up_from(attacker, events[3])
    attacker(
        "INSERT INTO audit_events (seq, occurred_at, actor_user_id, actor_name, actor_role, "
        "action, object_type, object_id, fields, request_id, outcome, details, prev_hash, hash) "
        "SELECT :new, occurred_at, actor_user_id, actor_name, actor_role, action, object_type, "
        "object_id, fields, request_id, outcome, details, prev_hash, :fake "
        "FROM audit_events WHERE seq = :old",
        new=events[3], old=events[2], fake="f" * 64,
    )  # fmt: skip
    assert broken(db) == (events[3], "content_altered")


def test_inserted_forgery_with_recomputed_hash_is_named(db, events, attacker):
    """A forger who computes a valid SHA-256 for the inserted event is named too."""
    _shift_up_from(attacker, events[3])
    previous = db.get(AuditEvent, events[2])
    forged = chain.event_content(
        seq=events[3], occurred_at=previous.occurred_at, actor_user_id=1, actor_name="x",
        actor_role="admin", action="user.disable", object_type="user", object_id="1",
        fields=[], request_id=None, outcome="success", details=None, prev_hash=previous.hash,
    )  # fmt: skip
    attacker(
        "INSERT INTO audit_events (seq, occurred_at, action, object_type, object_id, "
        "actor_user_id, actor_name, actor_role, fields, outcome, prev_hash, hash) "
        "VALUES (:seq, :at, 'user.disable', 'user', '1', 1, 'x', 'admin', '[]', 'success', "
        ":prev, :hash)",
        seq=events[3], at=previous.occurred_at.replace(tzinfo=None), prev=previous.hash,
        hash=chain.event_hash(forged),
    )  # fmt: skip
    # The forged event is self-consistent, but the event it displaced still links to
    # the event before it, one position further down: the forged one is named.
    assert broken(db) == (events[3], "inserted")


def test_reordered_events_are_named(db, events, attacker):
    a, b = events[1], events[2]
    attacker("UPDATE audit_events SET seq = -1 WHERE seq = :a", a=a)
    attacker("UPDATE audit_events SET seq = :a WHERE seq = :b", a=a, b=b)
    attacker("UPDATE audit_events SET seq = :b WHERE seq = -1", b=b)
    assert broken(db) == (a, "content_altered")


def test_deleted_last_event_is_named_with_the_head_as_proof(db, events, attacker):
    attacker("DELETE FROM audit_events WHERE seq = :s", s=events[-1])
    assert broken(db) == (events[-1], "truncated")
    result = verify(db)
    assert result.proof == "head" and "Kettenkopf" in result.reason


def test_truncated_tail_is_caught_by_the_last_checkpoint(db, events, attacker):
    checkpoint = checkpoints.create_checkpoint(db, SIGNING)
    db.commit()
    assert checkpoint.seq == events[-1]
    assert verify(db).ok
    attacker("DELETE FROM audit_events WHERE seq >= :s", s=events[4])
    attacker("UPDATE audit_chain_head SET seq = :s, hash = :h WHERE id = 1",
             s=events[3], h=db.get(AuditEvent, events[3]).hash)  # fmt: skip
    result = verify(db)
    assert (result.ok, result.code, result.seq) == (False, "truncated", events[4])
    assert result.checkpoint_id == checkpoint.id and result.proof == "checkpoint"
    assert "signierten Prüfpunkt" in result.reason


def test_rewritten_chain_before_a_checkpoint_fails_at_the_checkpoint(db, events, attacker):
    checkpoints.create_checkpoint(db, SIGNING)
    db.commit()
    # The forger changes one event and recomputes every hash after it.
    attacker("UPDATE audit_events SET object_id = 'c-forged' WHERE seq = :s", s=events[2])
    prev_hash = db.get(AuditEvent, events[1]).hash
    for seq in events[2:]:
        stored = db.get(AuditEvent, seq)
        content = service.content_of(stored)
        content["prev_hash"] = prev_hash
        new_hash = chain.event_hash(content)
        attacker("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s",
                 p=prev_hash, h=new_hash, s=seq)  # fmt: skip
        prev_hash = new_hash
    assert broken(db) == (events[-1], "checkpoint_mismatch")


def test_forged_checkpoint_signature_is_refused(db, events, attacker):
    checkpoint = checkpoints.create_checkpoint(db, SIGNING)
    db.commit()
    attacker("UPDATE audit_checkpoints SET seq = seq + 5 WHERE id = :i", i=checkpoint.id)
    result = verify(db)
    assert (result.ok, result.code, result.checkpoint_id) == (
        False, "checkpoint_signature", checkpoint.id,
    )  # fmt: skip
    assert not verify(db, chain.public_key_of(b"k" * 32)).ok


def test_checkpoint_signed_with_another_key_is_refused(db, events):
    """Whoever lacks the checkpoint job's key (the app, the database owner) cannot sign."""
    forged = checkpoints.create_checkpoint(db, b"k" * 32)
    db.commit()
    result = verify(db)
    assert (result.ok, result.code, result.checkpoint_id) == (
        False, "checkpoint_signature", forged.id,
    )  # fmt: skip


def test_verify_result_as_the_api_shows_it(db, events, attacker):
    attacker("DELETE FROM audit_events WHERE seq = :s", s=events[0])
    body = verify(db).as_dict()
    assert body["ok"] is False
    assert body["broken"]["seq"] == events[0]
    assert body["broken"]["code"] == "missing"
    assert "fehlt" in body["broken"]["reason"]
    json.dumps(body)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET outcome = 'failure'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "UPDATE audit_checkpoints SET seq = 0",
        "DELETE FROM audit_checkpoints",
    ],
)
def test_postgresql_refuses_update_and_delete_on_the_log(backend, db, events, statement):
    if backend.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    checkpoints.create_checkpoint(db, SIGNING)
    db.commit()
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement))


def test_columns_in_another_but_equivalent_form_are_checked_exactly(db, events, attacker):
    """The fast path only confirms canonical columns; the exact check decides the rest."""
    attacker("UPDATE audit_events SET fields = '[ ]' WHERE seq = :s", s=events[1])
    assert verify(db).ok  # the same content: the event is intact
    attacker("UPDATE audit_events SET fields = '[\"x\"]' WHERE seq = :s", s=events[1])
    assert broken(db) == (events[1], "content_altered")


def test_names_with_quotes_and_umlauts_verify(db):
    odd = Actor(8, 'j."müller"\\\n', frozenset({"adviser"}), "req-ü", "adviser")
    service.record(db, odd, "test.event", details={"n": 1})
    db.commit()
    assert verify(db).ok
