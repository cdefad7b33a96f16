"""Data keys of a page of rows arrive in one query, not one per row (no N+1)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from mgz.clients.models import Client
from mgz.clients.synthetic import seed_clients
from mgz.consultations.models import Consultation
from mgz.core.actor import Actor
from mgz.core.db import database, session_scope
from mgz.crypto.errors import DecryptionError
from mgz.crypto.service import shred


@pytest.fixture
def seeded(backend, make_app):
    """A committed database with 60 synthetic clients and their consultations."""
    app = make_app(backend.new_database())
    with app.app_context(), session_scope(app) as session:
        seed_clients(session, Actor.system("tests"), count=60, seed=7)
        session.commit()
    return app


def _key_queries(app):
    """Count the statements that read data_keys on the app's engine."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "data_keys" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(database(app).engine, "before_cursor_execute", count)
    return seen


def test_a_page_of_fifty_files_costs_one_key_query(seeded):
    seen = _key_queries(seeded)
    with seeded.app_context(), session_scope(seeded) as session:
        page = session.scalars(select(Client).order_by(Client.case_number).limit(50)).all()
        assert len({client.id for client in page}) == 50
        names = [client.last_name for client in page]
        birth_dates = [client.birth_date for client in page]
        talks = session.scalars(
            select(Consultation).where(Consultation.client_id.in_([c.id for c in page]))
        ).all()
        notes = [talk.notes for talk in talks]
    assert all(names) and all(birth_dates) and talks and len(notes) == len(talks)
    assert len(seen) == 1, seen  # the clients' keys; the consultations reuse them


def test_a_shredded_person_in_the_page_fails_alone(seeded):
    with seeded.app_context(), session_scope(seeded) as session:
        victim = session.scalars(select(Client).order_by(Client.case_number).limit(1)).one()
        shred(session, Actor.system("tests"), victim.id)
        session.commit()
    seen = _key_queries(seeded)
    with seeded.app_context(), session_scope(seeded) as session:
        page = session.scalars(select(Client).order_by(Client.case_number).limit(10)).all()
        readable = [client.last_name for client in page[1:]]
        assert all(readable)
        with pytest.raises(DecryptionError):
            _ = page[0].last_name
    # One batch for the page; the shredded person's own read looks once more.
    assert len(seen) <= 2, seen
