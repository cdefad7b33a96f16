"""The read and write fast paths: a whole row opened at once, rows sealed in batches.

Reads of a row whose person's data key is already unwrapped in the session skip the
checked path and open every field of the row in one go; these tests make sure that
shortcut keeps every guarantee of the checked one (tampering fails and is audited,
unsaved assignments survive) and that the write path loses no assignment.
"""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Mapped, mapped_column

from mgz.audit.models import AuditEvent
from mgz.core.db import database
from mgz.crypto.data_keys import dek_cache
from mgz.crypto.errors import DecryptionError
from mgz.crypto.types import encrypted_column
from tests.crypto.conftest import Person, ProbeBase, Visit

FIXTURE_OK = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _set_raw(session, table, column, row_id, value):
    sqlite = session.get_bind().dialect.name == "sqlite"
    statement = text(f"UPDATE {table} SET {column} = :v WHERE id = :id")  # noqa: S608
    session.execute(statement, {"v": value, "id": row_id.hex if sqlite else row_id})


def _reload_keeping_keys(session, model, row_id):
    """Read the row back from the database; the session keeps its unwrapped data keys."""
    session.flush()
    session.expunge_all()
    return session.get(model, row_id)


def _last_seq(session):
    return session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0


def _person(pdb, **values):
    person = Person(id=uuid.uuid4(), **values)
    pdb.add(person)
    pdb.flush()
    return person


@FIXTURE_OK
@given(data=st.data())
def test_any_flipped_bit_fails_when_the_row_is_opened_at_once(pdb, data):
    person = _person(pdb, first_name="Unversehrt", last_name="Bitkipper")
    stored = bytearray(person.last_name_ciphertext)
    position = data.draw(st.integers(0, len(stored) * 8 - 1))
    stored[position // 8] ^= 1 << (position % 8)
    _set_raw(pdb, "probe_persons", "last_name", person.id, bytes(stored))
    loaded = _reload_keeping_keys(pdb, Person, person.id)
    assert dek_cache(pdb).lookup(person.id) is not None  # the fast path is taken
    before = _last_seq(pdb)

    assert loaded.first_name == "Unversehrt"  # opens the whole row; one field is bad
    with pytest.raises(DecryptionError):
        _ = loaded.last_name

    events = pdb.scalars(select(AuditEvent).where(AuditEvent.seq > before)).all()
    assert [(e.action, e.outcome, json.loads(e.fields)) for e in events] == [
        ("crypto.decrypt", "failure", ["last_name"])
    ]


def test_a_value_moved_within_the_row_fails_on_the_fast_path(pdb):
    person = _person(pdb, first_name="Vorname", last_name="Nachname")
    _set_raw(pdb, "probe_persons", "last_name", person.id, person.first_name_ciphertext)
    loaded = _reload_keeping_keys(pdb, Person, person.id)
    assert loaded.first_name == "Vorname"
    with pytest.raises(DecryptionError) as info:
        _ = loaded.last_name
    assert info.value.reason == "tag"


def test_opening_a_row_keeps_an_unsaved_assignment(pdb):
    person = _person(pdb, first_name="Alt", last_name="Alt", birth_date=None)
    loaded = _reload_keeping_keys(pdb, Person, person.id)
    loaded.last_name = "Neu"  # not flushed yet
    assert loaded.first_name == "Alt"  # opens the row around the pending value
    assert loaded.last_name == "Neu"
    again = _reload_keeping_keys(pdb, Person, person.id)
    assert (again.first_name, again.last_name) == ("Alt", "Neu")


def test_rows_of_several_people_in_one_flush_each_use_their_own_key(pdb):
    people = [Person(id=uuid.uuid4(), last_name=f"Person {n}") for n in range(5)]
    visits = [Visit(person_id=p.id, notes=f"Notiz {n}") for n, p in enumerate(people)]
    pdb.add_all(people + visits)
    pdb.flush()
    pdb.expunge_all()
    pdb.info.clear()  # forget the keys: every read goes through the checked path
    for n, visit in enumerate(visits):
        assert pdb.get(Visit, visit.id).notes == f"Notiz {n}"
    # A value sealed under one person's key does not open under another's.
    _set_raw(pdb, "probe_visits", "notes", visits[1].id, visits[0].notes_ciphertext)
    loaded = _reload_keeping_keys(pdb, Visit, visits[1].id)
    with pytest.raises(DecryptionError):
        _ = loaded.notes


def test_every_field_of_every_row_gets_its_own_nonce(pdb):
    # The flush hook draws a row's nonces in one call; no two fields, rows or updates
    # may share one (a repeated GCM nonce under one key gives the key stream away).
    people = [Person(id=uuid.uuid4(), first_name="Gleich", last_name="Gleich") for _ in range(20)]
    pdb.add_all(people)
    stored = []
    for _ in range(2):  # INSERT, then UPDATE
        pdb.flush()
        stored += [p.first_name_ciphertext for p in people]
        stored += [p.last_name_ciphertext for p in people]
        for person in people:
            person.first_name = person.last_name = "Gleich"
    nonces = {value[5:17] for value in stored}
    assert len(nonces) == len(stored) == 80
    assert all(len(nonce) == 12 for nonce in nonces)


def test_every_assignment_is_saved_across_flushes_and_rollbacks(fresh):
    with fresh.app.app_context():
        with fresh.session() as session:
            person = Person(id=uuid.uuid4(), last_name="Erst")
            session.add(person)
            session.commit()
            person_id = person.id

        with fresh.session() as session:
            loaded = session.get(Person, person_id)
            loaded.last_name = "Zweit"
            session.flush()
            loaded.last_name = "Dritt"  # the row is no longer dirty after the flush
            session.commit()
        with fresh.session() as session:
            assert session.get(Person, person_id).last_name == "Dritt"

        with fresh.session() as session:
            loaded = session.get(Person, person_id)
            loaded.first_name = "Verworfen"
            session.rollback()
            loaded.last_name = "Viert"  # after the rollback the row is clean again
            session.commit()
        with fresh.session() as session:
            again = session.get(Person, person_id)
            assert again.last_name == "Viert"
            assert again.first_name is None  # the rolled-back assignment stays discarded


def test_expiring_a_row_discards_its_unsaved_assignments(pdb):
    person = _person(pdb, last_name="Gespeichert")
    person.last_name = "Ungespeichert"
    pdb.expire(person)
    assert person.last_name == "Gespeichert"
    pdb.flush()
    assert _reload_keeping_keys(pdb, Person, person.id).last_name == "Gespeichert"


def test_fields_of_one_model_share_one_subject():
    # Python before 3.12 wraps an error of __set_name__ in a RuntimeError.
    with pytest.raises((TypeError, RuntimeError)) as info:

        class Mixed(ProbeBase):  # noqa: F841 - the class statement is the test
            __tablename__ = "probe_mixed"
            id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
            other_id: Mapped[uuid.UUID]
            a: Mapped[str | None] = encrypted_column(str, subject="id")
            b: Mapped[str | None] = encrypted_column(str, subject="other_id")

    error = info.value if isinstance(info.value, TypeError) else info.value.__cause__
    assert "same subject" in str(error)


def test_unwrapped_keys_do_not_outlive_a_closed_session(fresh):
    with fresh.app.app_context():
        with fresh.session() as session:
            person = Person(id=uuid.uuid4(), last_name="Geschlossen")
            session.add(person)
            session.commit()
            person_id = person.id
        session = database(fresh.app).new_session()
        try:
            assert session.get(Person, person_id).last_name == "Geschlossen"
            cache = dek_cache(session)
            assert cache.lookup(person_id) is not None
        finally:
            session.close()  # neither commit nor rollback
        assert len(cache) == 0
