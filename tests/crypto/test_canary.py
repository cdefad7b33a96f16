"""Canaries: unmistakable names written through the model never reach the database as text.

The raw SQLite file (with its WAL) and a ``pg_dump`` of the PostgreSQL database are
searched for each canary in the encodings a leak could take.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from mgz.core.db import database
from mgz.crypto.keys import state
from tests.canary import forms
from tests.crypto.conftest import Person, Visit

CANARIES = [
    "Zqwxyvanderkanarien",
    "Quetzalkoatl-Ölmühlenstraße",
    "Kanarienvogel Ybbsitzer",
    "Xylophagou-Notizkanarie",
    "Vogelsang-Kanarienland",
]
CANARY_DATE = date(1903, 11, 17)


def _write_canaries(fresh):
    with fresh.app.app_context(), fresh.session() as session:
        person = Person(
            first_name=CANARIES[0],
            last_name=CANARIES[1],
            birth_date=CANARY_DATE,
            nationalities=[CANARIES[4]],
            extra={"address": CANARIES[2]},
        )
        session.add(person)
        session.flush()
        session.add(Visit(person_id=person.id, notes=f"Gespräch mit {CANARIES[3]}"))
        session.commit()
        person_id = person.id
    # The values really are in there, readable through the model.
    with fresh.app.app_context(), fresh.session() as session:
        loaded = session.get(Person, person_id)
        assert (loaded.first_name, loaded.last_name) == (CANARIES[0], CANARIES[1])
        assert loaded.birth_date == CANARY_DATE
        notes = session.scalars(select(Visit.notes_ciphertext)).one()
        assert notes is not None


def _secrets(app):
    keys = state(app)
    raw = [*keys.master.keys.values(), keys.index_key]
    return [form for key in raw for form in (key, binascii.hexlify(key), base64.b64encode(key))]


def _assert_absent(haystack: bytes, app) -> None:
    needles = [form for canary in CANARIES for form in forms(canary)]
    needles += forms(CANARY_DATE.isoformat()) + forms(CANARY_DATE.strftime("%d.%m.%Y"))
    found = [needle for needle in needles if needle.lower() in haystack.lower()]
    assert found == [], f"{len(found)} canary forms found in the database"
    leaked = [secret for secret in _secrets(app) if secret in haystack]
    assert leaked == [], "key material found in the database"


@pytest.fixture
def pg_cluster_if_postgres(backend, request):
    """The PostgreSQL cluster when the backend is PostgreSQL (for pg_dump)."""
    return request.getfixturevalue("pg_cluster") if backend.name == "postgresql" else None


def _haystack(fresh, backend, cluster) -> bytes:
    """The raw SQLite files (database, WAL, shared memory) or a pg_dump as bytes."""
    if backend.name == "sqlite":
        path = Path(make_url(fresh.url).database)
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        haystack = b"".join(p.read_bytes() for p in files)
        assert len(haystack) > 4096
        return haystack
    dump = cluster.dump(make_url(fresh.url).database)
    assert "COPY public.probe_persons" in dump
    return dump.encode("utf-8")


def test_no_canary_in_the_database(fresh, backend, pg_cluster_if_postgres):
    _write_canaries(fresh)
    database(fresh.app).engine.dispose()
    haystack = _haystack(fresh, backend, pg_cluster_if_postgres)
    assert b"probe_persons" in haystack  # the search covers the right database
    _assert_absent(haystack, fresh.app)


def test_the_canary_search_would_find_a_leak(fresh, backend, pg_cluster_if_postgres):
    # Guard against a search that cannot fail: a plain-text copy must be found.
    _write_canaries(fresh)
    with fresh.session() as session:
        session.execute(text("UPDATE probe_persons SET case_number = :v"), {"v": CANARIES[0]})
        session.commit()
    database(fresh.app).engine.dispose()
    with pytest.raises(AssertionError, match="canary forms found"):
        _assert_absent(_haystack(fresh, backend, pg_cluster_if_postgres), fresh.app)
