"""One unit of work per request: services share it, a refusal keeps only its audit event."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from mgz.audit.models import AuditEvent
from mgz.clients import service as clients
from mgz.clients.access import AccessPolicy, AccessReasonRequiredError, CaseAccess
from mgz.clients.models import Client
from mgz.clients.schemas import ClientCreateSchema
from mgz.consultations import service as consultations
from mgz.consultations.models import Consultation
from mgz.core.actor import Actor
from mgz.core.db import database
from mgz.core.errors import InvalidInputError
from mgz.core.unit_of_work import unit_of_work
from tests import factories
from tests.clients.conftest import intake

ASSIGNED = AccessPolicy("assigned")


def _actor(db):
    user = factories.make_user(db, roles=("adviser",))
    return Actor(user.id, user.username, frozenset({"adviser"}), None, "adviser")


def _first_talk(**overrides):
    return {
        "kind": "first",
        "held_on": date(2024, 3, 20),
        "channel": "phone",
        "topics": [],
        "referrals_out": [],
        **overrides,
    }


def _count(db, model, **where):
    db.expire_all()
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.scalar(query)


def _actions(db, since):
    db.expire_all()
    rows = db.execute(
        select(AuditEvent.action, AuditEvent.outcome)
        .where(AuditEvent.seq > since)
        .order_by(AuditEvent.seq)
    )
    return [tuple(row) for row in rows]


def _head(db):
    return db.scalar(select(func.max(AuditEvent.seq))) or 0


def test_two_services_in_one_unit_of_work_commit_together(app, db):
    actor = _actor(db)
    db.commit()
    start = _head(db)
    with app.app_context():
        session = database(app).new_session()
        with unit_of_work(session):
            opened = clients.create_client(
                session, actor, ClientCreateSchema().load(intake(last_name="Gemeinsam"))
            )
            consultations.create_consultation(
                CaseAccess(session, actor, ASSIGNED), opened.client.id, _first_talk(),
                margin_days=90,
            )  # fmt: skip
        session.close()
    assert _count(db, Client, id=opened.client.id) == 1
    assert _count(db, Consultation, client_id=opened.client.id) == 1
    assert [a for a, _ in _actions(db, start)] == [
        "client.create",
        "client.read",
        "consultation.create",
        "consultation.read",
    ]


def test_a_failing_second_service_rolls_back_the_first(app, db):
    actor = _actor(db)
    db.commit()
    start = _head(db)
    before = _count(db, Client)
    with app.app_context():
        session = database(app).new_session()

        def request():
            with unit_of_work(session):
                opened = clients.create_client(
                    session, actor, ClientCreateSchema().load(intake(last_name="Halbfertig"))
                )
                consultations.create_consultation(
                    CaseAccess(session, actor, ASSIGNED), opened.client.id,
                    _first_talk(channel="no-such-channel"), margin_days=90,
                )  # fmt: skip

        with pytest.raises(InvalidInputError):
            request()
        session.close()
    assert _count(db, Client) == before
    assert _actions(db, start) == []


def test_a_refusal_rolls_back_the_work_and_keeps_its_audit_event(app, db):
    owner, stranger = _actor(db), _actor(db)
    db.commit()
    with app.app_context():
        session = database(app).new_session()
        with unit_of_work(session):
            client_id = clients.create_client(
                session, owner, ClientCreateSchema().load(intake(last_name="Fremdakte"))
            ).client.id
        start = _head(db)
        before = _count(db, Client)

        def request():
            with unit_of_work(session):
                # Work first (a new file), then a refused opening in the same unit of work.
                clients.create_client(
                    session, stranger, ClientCreateSchema().load(intake(last_name="Nebenbei"))
                )
                clients.open_client(CaseAccess(session, stranger, ASSIGNED), client_id)

        with pytest.raises(AccessReasonRequiredError):
            request()
        session.close()
    assert _count(db, Client) == before  # the new file is gone with the refusal
    assert _actions(db, start) == [("client.access", "denied")]
