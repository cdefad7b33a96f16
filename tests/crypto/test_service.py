"""Key operations on a database of their own: rotate, retire, status, shred; and the CLI."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from sqlalchemy import select, text

from mgz.audit.models import AuditEvent
from mgz.core.actor import Actor
from mgz.crypto import service
from mgz.crypto.errors import DecryptionError, KeyInUseError, SubjectShreddedError
from mgz.crypto.keys import state
from mgz.crypto.models import DataKey, RetiredMasterKey
from tests.conftest import TEST_MASTER_KEYS
from tests.crypto.conftest import Person, ProbeBase, Visit

K2 = "k2:" + "Mj" * 21 + "M"
ACTOR = Actor.system("test")


def _write_people(fresh, count, app=None):
    ids = []
    with (app or fresh.app).app_context(), fresh.session(app) as session:
        for number in range(count):
            person = Person(
                first_name=f"Vorname{number}",
                last_name=f"Nachname{number}",
                birth_date=date(1980, 1, 1 + number % 28),
                nationalities=["SY", "AF"],
            )
            session.add(person)
            session.flush()
            session.add(Visit(person_id=person.id, notes=f"Notiz {number}"))
            ids.append(person.id)
        session.commit()
    return ids


def _read_all(fresh, app, ids):
    with app.app_context(), fresh.session(app) as session:
        for number, person_id in enumerate(ids):
            person = session.get(Person, person_id)
            assert person.last_name == f"Nachname{number}"
            assert person.nationalities == ["SY", "AF"]
            visit = session.scalars(select(Visit).where(Visit.person_id == person_id)).one()
            assert visit.notes == f"Notiz {number}"


def _events(fresh, action):
    with fresh.session() as session:
        return session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        ).all()


def test_rotation_rewraps_every_data_key_and_the_old_key_can_be_retired(fresh):
    ids = _write_people(fresh, 7)
    rotated = fresh.make_app(MASTER_KEYS=f"{K2},{TEST_MASTER_KEYS}")
    master = state(rotated).master
    with rotated.app_context(), fresh.session(rotated) as session:
        with pytest.raises(KeyInUseError, match="zuerst `mgz keys rotate`"):
            service.retire(session, ACTOR, master, "test1")
        session.commit()  # the refusal is audited
        assert service.key_status(session, master).pending_rotation == 7
        batches = []
        result = service.rotate(session, ACTOR, master, batch_size=3, on_batch=batches.append)
        assert (result.rewrapped, batches) == (7, [3, 3, 1])
        assert service.rotation_backlog(session, master) == 0
        kek_ids = set(session.scalars(select(DataKey.kek_id)))
        assert kek_ids == {"k2"}
    _read_all(fresh, rotated, ids)
    with rotated.app_context(), fresh.session(rotated) as session:
        service.retire(session, ACTOR, master, "test1")
        session.commit()
        status = service.key_status(session, master)
        assert [(k.kek_id, k.data_keys, k.retired) for k in status.keys] == [
            ("k2", 7, False),
            ("test1", 0, True),
        ]
    # After removing the retired key, everything still reads.
    _read_all(fresh, fresh.make_app(MASTER_KEYS=K2), ids)
    assert [e.outcome for e in _events(fresh, "keys.retire")] == ["denied", "success"]
    rotations = [json.loads(e.details) for e in _events(fresh, "keys.rotate")]
    assert sum(d["count"] for d in rotations) == 7
    assert {d["from"] for d in rotations} == {"test1"}


def test_rotation_is_resumable_after_an_interruption(fresh):
    ids = _write_people(fresh, 5)
    rotated = fresh.make_app(MASTER_KEYS=f"{K2},{TEST_MASTER_KEYS}")
    master = state(rotated).master

    def crash(_count):
        raise KeyboardInterrupt

    with (
        rotated.app_context(),
        fresh.session(rotated) as session,
        pytest.raises(KeyboardInterrupt),
    ):
        service.rotate(session, ACTOR, master, batch_size=2, on_batch=crash)
    with rotated.app_context(), fresh.session(rotated) as session:
        assert service.rotation_backlog(session, master) == 3
        assert service.rotate(session, ACTOR, master, batch_size=2).rewrapped == 3
    _read_all(fresh, rotated, ids)


def test_everything_reads_between_rotation_batches(fresh):
    # Online: while some data keys are re-wrapped and others not, requests read all.
    ids = _write_people(fresh, 5)
    rotated = fresh.make_app(MASTER_KEYS=f"{K2},{TEST_MASTER_KEYS}")
    seen = []

    def read_everything(count):
        _read_all(fresh, rotated, ids)
        with fresh.session(rotated) as other:
            seen.append(sorted(other.scalars(select(DataKey.kek_id))))

    with rotated.app_context(), fresh.session(rotated) as session:
        service.rotate(
            session, ACTOR, state(rotated).master, batch_size=2, on_batch=read_everything
        )
    assert seen[0] == ["k2", "k2", "test1", "test1", "test1"]
    assert seen[-1] == ["k2"] * 5


def test_data_written_during_rotation_uses_the_new_key(fresh):
    _write_people(fresh, 2)
    rotated = fresh.make_app(MASTER_KEYS=f"{K2},{TEST_MASTER_KEYS}")
    new_ids = _write_people(fresh, 1, app=rotated)
    with fresh.session(rotated) as session:
        assert session.get(DataKey, new_ids[0]).kek_id == "k2"


def test_rotation_stops_clearly_on_a_data_key_of_an_unconfigured_master_key(fresh):
    _write_people(fresh, 2)
    # Start-up refuses this configuration (test_key_checks); the service refuses on its own.
    only_new = fresh.make_app(MASTER_KEYS=K2, verify_keys=False)
    with only_new.app_context(), fresh.session(only_new) as session:
        status = service.key_status(session, state(only_new).master)
        assert status.unreadable == ["test1"]
        with pytest.raises(service.KeyNotUsableError, match="test1"):
            service.rotate(session, ACTOR, state(only_new).master)
    assert [e.outcome for e in _events(fresh, "keys.rotate")] == ["failure"]


def test_active_key_cannot_be_retired(fresh):
    with (
        fresh.app.app_context(),
        fresh.session() as session,
        pytest.raises(KeyInUseError, match="aktiv"),
    ):
        service.retire(session, ACTOR, state(fresh.app).master, "test1")


def test_a_retired_key_put_back_in_front_wraps_no_new_data_key(fresh):
    rotated = fresh.make_app(MASTER_KEYS=f"{K2},{TEST_MASTER_KEYS}")
    with rotated.app_context(), fresh.session(rotated) as session:
        service.retire(session, ACTOR, state(rotated).master, "test1")
        session.commit()
    with fresh.app.app_context(), fresh.session() as session:
        session.add(Person(last_name="Neu"))
        with pytest.raises(service.KeyNotUsableError, match="stillgelegt"):
            session.flush()


# --- shredding -------------------------------------------------------------------------------


def test_after_shredding_nothing_of_the_subject_decrypts_even_with_all_keys(fresh):
    victim, bystander = _write_people(fresh, 2)
    all_keys = fresh.make_app(MASTER_KEYS=f"{K2},{TEST_MASTER_KEYS}")
    with fresh.app.app_context(), fresh.session() as session:
        person = session.get(Person, victim)
        assert person.last_name == "Nachname0"  # plaintext and data key now cached
        assert person.name_index is not None
        service.shred(session, ACTOR, victim, metadata=ProbeBase.metadata)
        # Caches are wiped at once, in this very session.
        with pytest.raises(SubjectShreddedError):
            _ = person.last_name
        assert person.name_index is None
        session.commit()
    for app in (fresh.app, all_keys):
        with app.app_context(), fresh.session(app) as session:
            person = session.get(Person, victim)
            visit = session.scalars(select(Visit).where(Visit.person_id == victim)).one()
            for obj, attribute in [
                (person, "first_name"),
                (person, "last_name"),
                (person, "birth_date"),
                (person, "nationalities"),
                (visit, "notes"),
            ]:
                with pytest.raises(SubjectShreddedError) as info:
                    getattr(obj, attribute)
                assert info.value.status == 410
            assert person.name_index is None
            row = session.get(DataKey, victim)
            assert row.wrapped_key is None and row.kek_id is None and row.shredded_at
            # Nothing of the key is left in the database to try any master key on.
            stored = session.execute(text("SELECT wrapped_key, kek_id FROM data_keys")).all()
            assert sum(1 for wrapped, _ in stored if wrapped is not None) == 1
    with fresh.app.app_context(), fresh.session() as session:
        assert session.get(Person, bystander).last_name == "Nachname1"
    events = _events(fresh, "keys.shred")
    assert [(e.object_type, e.object_id) for e in events] == [("data_subject", str(victim))]


def test_a_shredded_subject_gets_no_new_data_key(fresh):
    (victim,) = _write_people(fresh, 1)
    with fresh.app.app_context(), fresh.session() as session:
        service.shred(session, ACTOR, victim, metadata=ProbeBase.metadata)
        session.commit()
    with fresh.app.app_context(), fresh.session() as session:
        session.add(Visit(person_id=victim, notes="nach der Löschung"))
        with pytest.raises(SubjectShreddedError):
            session.flush()


def test_shredding_a_subject_without_data_key_leaves_a_tombstone(fresh):
    subject = uuid.uuid4()
    with fresh.app.app_context(), fresh.session() as session:
        service.shred(session, ACTOR, subject, metadata=ProbeBase.metadata)
        session.commit()
        assert session.get(DataKey, subject).shredded_at is not None
        status = service.key_status(session, state(fresh.app).master)
        assert status.shredded == 1


# --- CLI -------------------------------------------------------------------------------------


def test_cli_status_rotate_retire(fresh):
    ids = _write_people(fresh, 4)
    rotated = fresh.make_app(MASTER_KEYS=f"{K2},{TEST_MASTER_KEYS}")
    runner = rotated.test_cli_runner()

    status = runner.invoke(args=["keys", "status"])
    assert status.exit_code == 0, status.output
    assert "k2" in status.output and "test1" in status.output
    assert "noch zu rotieren: 4" in status.output

    refused = runner.invoke(args=["keys", "retire", "test1"])
    assert refused.exit_code == 1
    assert "umschließt noch 4 Datenschlüssel" in refused.output

    done = runner.invoke(args=["keys", "rotate", "--batch-size", "3"])
    assert done.exit_code == 0, done.output
    assert "4 Datenschlüssel unter k2 neu umschlossen" in done.output

    retired = runner.invoke(args=["keys", "retire", "test1"])
    assert retired.exit_code == 0, retired.output
    with fresh.session(rotated) as session:
        assert session.get(RetiredMasterKey, "test1").retired_by == "system:keys retire"
    _read_all(fresh, fresh.make_app(MASTER_KEYS=K2), ids)


def test_cli_status_fails_when_a_data_key_needs_an_unconfigured_master_key(fresh):
    _write_people(fresh, 1)
    # As `mgz keys status` builds it: without the start-up key check.
    runner = fresh.make_app(MASTER_KEYS=K2, verify_keys=False).test_cli_runner()
    result = runner.invoke(args=["keys", "status"])
    assert result.exit_code == 1
    assert "NICHT KONFIGURIERT" in result.output


# --- auditing a decryption failure while the request holds the database's lock ---------------


def test_decryption_failure_is_audited_even_while_the_request_holds_the_write_lock(fresh):
    (victim,) = _write_people(fresh, 1)
    with fresh.session() as session:
        session.execute(text("DELETE FROM data_keys"))
        session.commit()
    with fresh.app.app_context():
        with fresh.session() as session:
            session.add(Person(last_name="Schreibt zuerst"))
            session.flush()  # on SQLite this transaction now holds the write lock
            person = session.get(Person, victim)
            with pytest.raises(DecryptionError):
                _ = person.last_name
            if not fresh.url.startswith("sqlite"):
                # PostgreSQL writes it at once. SQLite (one writer, and this transaction
                # holds the lock) writes it as soon as the request's transaction ends; a
                # second session could not even read the log before that.
                assert len(_events(fresh, "crypto.decrypt")) == 1
        # The request's session is closed (rolled back): the event is in the log.
        events = _events(fresh, "crypto.decrypt")
    assert [(e.object_id, e.outcome) for e in events] == [(str(victim), "failure")]
    assert json.loads(events[0].details) == {"reason": "missing_key"}


def test_rotation_skips_a_data_key_a_request_holds_and_a_later_run_takes_it(fresh, backend):
    if backend.name != "postgresql":
        pytest.skip("row locks (SKIP LOCKED) are PostgreSQL's; SQLite has one writer")
    ids = _write_people(fresh, 5)
    rotated = fresh.make_app(MASTER_KEYS=f"{K2},{TEST_MASTER_KEYS}")
    master = state(rotated).master
    with fresh.session(rotated) as holder, fresh.session(rotated) as session:
        holder.scalars(select(DataKey).where(DataKey.subject_id == ids[2]).with_for_update()).one()
        result = service.rotate(session, ACTOR, master, batch_size=2)
        assert result.rewrapped == 4 and service.rotation_backlog(session, master) == 1
        holder.rollback()  # the request ends
        assert service.rotate(session, ACTOR, master).rewrapped == 1
        assert set(session.scalars(select(DataKey.kek_id))) == {"k2"}
    _read_all(fresh, rotated, ids)


def test_data_keys_loaded_before_the_rotation_are_not_stale_after_it(fresh):
    ids = _write_people(fresh, 3)
    rotated = fresh.make_app(MASTER_KEYS=f"{K2},{TEST_MASTER_KEYS}")
    with rotated.app_context(), fresh.session(rotated) as session:
        loaded = session.get(DataKey, ids[0])
        assert loaded.kek_id == "test1"
        service.rotate(session, ACTOR, state(rotated).master)
        assert session.get(DataKey, ids[0]).kek_id == "k2"
