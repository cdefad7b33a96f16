"""Encrypted fields through the model layer: round trips, binding, tampering, fail closed."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update

from mgz.audit.models import AuditEvent
from mgz.core.errors import DomainError
from mgz.crypto import fields as fmt
from mgz.crypto.errors import DecryptionError
from mgz.crypto.models import DataKey
from mgz.crypto.types import ACTOR_INFO
from tests.crypto.conftest import Person, Visit

FIXTURE_OK = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Any code point, lone surrogates included (hypothesis leaves those out by default).
any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=200)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(any_text, children, max_size=5)
    ),
    max_leaves=20,
)


def _reload(session, model, row_id):
    """Forget everything in memory and read the row back from the database.

    ``row_id`` may be the object itself (its id is known only after the flush).
    """
    session.flush()
    if isinstance(row_id, model):
        row_id = row_id.id
    session.expunge_all()
    session.info.clear()
    return session.get(model, row_id)


def _raw(session, table, column, row_id):
    query = text(f"SELECT {column} FROM {table} WHERE id = :id")  # noqa: S608 - test names
    return session.execute(query, {"id": row_id.hex if _is_sqlite(session) else row_id}).scalar()


def _is_sqlite(session):
    return session.get_bind().dialect.name == "sqlite"


def _set_raw(session, table, column, row_id, value):
    statement = text(f"UPDATE {table} SET {column} = :v WHERE id = :id")  # noqa: S608
    session.execute(statement, {"v": value, "id": row_id.hex if _is_sqlite(session) else row_id})


# --- round trips ---------------------------------------------------------------------------


@FIXTURE_OK
@given(value=any_text)
def test_any_string_round_trips(pdb, value):
    person = Person(last_name=value)
    pdb.add(person)
    assert _reload(pdb, Person, person).last_name == value


@FIXTURE_OK
@given(value=st.dates())
def test_any_date_round_trips(pdb, value):
    person = Person(birth_date=value)
    pdb.add(person)
    loaded = _reload(pdb, Person, person)
    assert loaded.birth_date == value
    assert type(loaded.birth_date) is date


@FIXTURE_OK
@given(value=json_values)
def test_small_json_values_round_trip(pdb, value):
    person = Person(extra=value)
    pdb.add(person)
    loaded = _reload(pdb, Person, person).extra
    assert loaded == value
    assert repr(loaded) == repr(value)  # types and order too, e.g. -0.0 and key order


@FIXTURE_OK
@given(value=any_text)
def test_equal_plaintexts_give_different_ciphertexts(pdb, value):
    first, second = Person(last_name=value, first_name=value), Person(last_name=value)
    pdb.add_all([first, second])
    pdb.flush()
    stored = [first.last_name_ciphertext, first.first_name_ciphertext, second.last_name_ciphertext]
    assert len(set(stored)) == 3
    first.last_name = value
    pdb.flush()
    assert first.last_name_ciphertext not in stored


def test_values_that_would_not_round_trip_are_refused(pdb):
    person = Person()
    with pytest.raises(TypeError):
        person.extra = ("a", "tuple")
    with pytest.raises(ValueError, match="NaN"):
        person.extra = [float("nan")]
    with pytest.raises(TypeError):
        person.birth_date = "1990-01-02"
    with pytest.raises(TypeError):
        person.last_name = b"bytes"
    with pytest.raises(ValueError, match="limited"):
        person.last_name = "x" * (fmt.MAX_PLAINTEXT_BYTES + 1)


def test_none_is_stored_as_null_and_reads_as_none(pdb):
    person = Person(last_name="Vorname", first_name=None)
    pdb.add(person)
    pdb.flush()
    person.last_name = None
    loaded = _reload(pdb, Person, person)
    assert loaded.last_name is None
    assert loaded.first_name is None
    assert _raw(pdb, "probe_persons", "last_name", person.id) is None


def test_stored_form_starts_with_version_and_key_version(pdb):
    person = Person(last_name="Beispiel")
    pdb.add(person)
    pdb.flush()
    stored = bytes(_raw(pdb, "probe_persons", "last_name", person.id))
    assert stored[0] == fmt.FORMAT_VERSION
    assert int.from_bytes(stored[1:5], "big") == 1
    assert len(stored) == 5 + 12 + len(b"Beispiel") + 16
    assert b"Beispiel" not in stored


def test_stored_form_is_the_documented_format(pdb):
    # The model's inlined hot paths and the reference functions in fields.py agree.
    from mgz.crypto.data_keys import key_for_reading

    person = Person(last_name="Formatprobe")
    pdb.add(person)
    pdb.flush()
    dek = key_for_reading(pdb, person.id)
    ad = fmt.ad_prefix("probe_persons", "last_name") + fmt.ad_ids(person.id, person.id)
    assert fmt.open_sealed(dek.aead, ad, person.last_name_ciphertext) == b"Formatprobe"
    _set_raw(
        pdb, "probe_persons", "last_name", person.id, fmt.seal(dek.aead, dek.header, ad, b"Neu")
    )
    assert _reload(pdb, Person, person).last_name == "Neu"


def test_one_data_key_per_subject_wrapped_by_the_active_master_key(pdb):
    person = Person(last_name="Eins")
    pdb.add(person)
    pdb.flush()
    pdb.add_all([Visit(person_id=person.id, notes="a"), Visit(person_id=person.id, notes="b")])
    pdb.flush()
    keys = pdb.scalars(select(DataKey).where(DataKey.subject_id == person.id)).all()
    assert len(keys) == 1
    assert keys[0].kek_id == "test1"
    assert len(keys[0].wrapped_key) == 12 + 32 + 16


def test_primary_key_is_set_before_the_insert_if_missing(pdb):
    person = Person(last_name="Ohne Id")
    assert person.id is None
    pdb.add(person)
    pdb.flush()
    assert isinstance(person.id, uuid.UUID)
    assert _reload(pdb, Person, person).last_name == "Ohne Id"


def test_subject_of_an_encrypted_row_cannot_change(pdb):
    one, two = Person(last_name="A"), Person(last_name="B")
    pdb.add_all([one, two])
    pdb.flush()
    visit = Visit(person_id=one.id, notes="n")
    pdb.add(visit)
    pdb.flush()
    visit.person_id = two.id
    with pytest.raises(ValueError, match="cannot change"):
        pdb.flush()


# --- binding and tampering -----------------------------------------------------------------


def _two_people(pdb):
    one = Person(first_name="Erste", last_name="Person")
    two = Person(first_name="Zweite", last_name="Person")
    pdb.add_all([one, two])
    pdb.flush()
    return one, two


def _assert_fails(pdb, model, row_id, attribute, reason):
    loaded = _reload(pdb, model, row_id)
    with pytest.raises(DecryptionError) as info:
        getattr(loaded, attribute)
    assert info.value.reason == reason
    return info.value


def test_ciphertext_moved_to_another_row_fails(pdb):
    one, two = _two_people(pdb)
    _set_raw(pdb, "probe_persons", "last_name", two.id, one.last_name_ciphertext)
    _assert_fails(pdb, Person, two.id, "last_name", "tag")


def test_ciphertext_moved_to_another_row_of_the_same_subject_fails(pdb):
    # Same person, same data key: only the row id in the associated data tells them apart.
    person = Person(last_name="Gleich")
    pdb.add(person)
    pdb.flush()
    first = Visit(person_id=person.id, notes="erste Notiz")
    second = Visit(person_id=person.id, notes="zweite Notiz")
    pdb.add_all([first, second])
    pdb.flush()
    _set_raw(pdb, "probe_visits", "notes", second.id, first.notes_ciphertext)
    _assert_fails(pdb, Visit, second.id, "notes", "tag")


def test_moved_ciphertext_fails_also_for_a_row_already_read_in_this_session(pdb):
    # The row's ids and its data key are cached (fast path); a changed value still fails.
    person = Person(last_name="Schnell")
    pdb.add(person)
    pdb.flush()
    first = Visit(person_id=person.id, notes="erste")
    second = Visit(person_id=person.id, notes="zweite")
    pdb.add_all([first, second])
    pdb.flush()
    assert second.notes == "zweite"
    _set_raw(pdb, "probe_visits", "notes", second.id, first.notes_ciphertext)
    pdb.expire(second)
    with pytest.raises(DecryptionError) as info:
        _ = second.notes
    assert info.value.reason == "tag"


def test_ciphertext_moved_to_another_column_fails(pdb):
    one, _two = _two_people(pdb)
    _set_raw(pdb, "probe_persons", "last_name", one.id, one.first_name_ciphertext)
    _assert_fails(pdb, Person, one.id, "last_name", "tag")


def test_ciphertext_moved_to_another_table_of_the_same_subject_fails(pdb):
    one, _two = _two_people(pdb)
    visit = Visit(person_id=one.id, notes="x")
    pdb.add(visit)
    pdb.flush()
    _set_raw(pdb, "probe_visits", "notes", visit.id, one.first_name_ciphertext)
    _assert_fails(pdb, Visit, visit.id, "notes", "tag")


@FIXTURE_OK
@given(data=st.data())
def test_any_flipped_bit_fails(pdb, data):
    person = Person(last_name="Bitkipper")
    pdb.add(person)
    pdb.flush()
    stored = bytearray(person.last_name_ciphertext)
    position = data.draw(st.integers(0, len(stored) * 8 - 1))
    stored[position // 8] ^= 1 << (position % 8)
    _set_raw(pdb, "probe_persons", "last_name", person.id, bytes(stored))
    loaded = _reload(pdb, Person, person)
    with pytest.raises(DecryptionError):
        _ = loaded.last_name


def test_truncated_ciphertext_fails(pdb):
    person = Person(last_name="Kurz")
    pdb.add(person)
    pdb.flush()
    _set_raw(pdb, "probe_persons", "last_name", person.id, person.last_name_ciphertext[:20])
    _assert_fails(pdb, Person, person.id, "last_name", "format")


def test_plaintext_written_behind_the_models_back_is_not_returned(pdb):
    person = Person(last_name="Echt")
    pdb.add(person)
    pdb.flush()
    _set_raw(pdb, "probe_persons", "last_name", person.id, b"Klartext-Name-ohne-Schutz")
    _assert_fails(pdb, Person, person.id, "last_name", "format")


def test_missing_data_key_fails(pdb):
    person = Person(last_name="Schlüssellos")
    pdb.add(person)
    pdb.flush()
    pdb.execute(text("DELETE FROM data_keys"))
    _assert_fails(pdb, Person, person.id, "last_name", "missing_key")


def test_data_key_of_another_subject_fails(pdb):
    one, two = _two_people(pdb)
    wrapped = pdb.get(DataKey, one.id).wrapped_key
    pdb.execute(update(DataKey).where(DataKey.subject_id == two.id).values(wrapped_key=wrapped))
    _assert_fails(pdb, Person, two.id, "first_name", "dek_tag")


def test_wrong_master_key_fails(pdb, app, make_app):
    person = Person(last_name="Falschschlüssel")
    pdb.add(person)
    pdb.flush()
    # Same key id, other bytes: the wrapped data key does not authenticate. (Start-up
    # refuses such a key, see test_key_checks; the read path refuses it on its own.)
    other = make_app(
        app.config["DATABASE_URL"], MASTER_KEYS="test1:" + "Qk" * 21 + "Q", verify_keys=False
    )
    row_id = person.id
    pdb.flush()
    pdb.expunge_all()
    pdb.info.clear()
    with other.app_context():
        loaded = pdb.get(Person, row_id)
        with pytest.raises(DecryptionError) as info:
            _ = loaded.last_name
    assert info.value.reason == "dek_tag"


def test_unknown_master_key_id_fails(pdb, app, make_app):
    person = Person(last_name="Unbekannt")
    pdb.add(person)
    pdb.flush()
    other = make_app(
        app.config["DATABASE_URL"], MASTER_KEYS="other:" + "Qk" * 21 + "Q", verify_keys=False
    )
    pdb.expunge_all()
    pdb.info.clear()
    with other.app_context():
        loaded = pdb.get(Person, person.id)
        with pytest.raises(DecryptionError) as info:
            _ = loaded.last_name
    assert info.value.reason == "unknown_kek"


def test_decryption_failure_is_audited_without_values(pdb):
    person = Person(first_name="Auditprobe", last_name="Geheimname")
    pdb.add(person)
    pdb.flush()
    _set_raw(pdb, "probe_persons", "last_name", person.id, person.first_name_ciphertext)
    before = pdb.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0
    loaded = _reload(pdb, Person, person)
    with pytest.raises(DecryptionError):
        _ = loaded.last_name
    events = pdb.scalars(select(AuditEvent).where(AuditEvent.seq > before)).all()
    assert [(e.action, e.outcome) for e in events] == [("crypto.decrypt", "failure")]
    event = events[0]
    assert (event.object_type, event.object_id) == ("probe_persons", str(person.id))
    assert "last_name" in event.fields
    dumped = " ".join(str(v) for v in vars(event).values())
    assert "Auditprobe" not in dumped and "Geheimname" not in dumped


def test_decryption_failure_audit_names_the_actor_given_by_the_view(pdb):
    from mgz.core.actor import Actor

    person = Person(last_name="Akteur")
    pdb.add(person)
    pdb.flush()
    pdb.execute(text("DELETE FROM data_keys"))
    loaded = _reload(pdb, Person, person)
    pdb.info[ACTOR_INFO] = Actor(7, "berater7", frozenset({"adviser"}), "req-1", "adviser")
    with pytest.raises(DecryptionError):
        _ = loaded.last_name
    event = pdb.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (event.actor_user_id, event.request_id) == (7, "req-1")


def test_decryption_error_is_a_problem_json_naming_no_value(app, pdb):
    person = Person(last_name="Problemname")
    pdb.add(person)
    pdb.flush()
    _set_raw(pdb, "probe_persons", "last_name", person.id, b"\x01" + b"\x00" * 40)
    loaded = _reload(pdb, Person, person)
    with pytest.raises(DomainError) as info:
        _ = loaded.last_name
    with app.test_request_context():
        response = app.handle_user_exception(info.value)
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "/problems/decryption-failed"
    assert body["title"] == "Entschlüsselung fehlgeschlagen"
    assert "Problemname" not in response.get_data(as_text=True)
