"""Concurrent intake and first consultations with real commits (fresh databases)."""

import threading
import uuid

from sqlalchemy import select

from mgz.clients import service as clients
from mgz.clients.access import AccessPolicy, CaseAccess
from mgz.clients.models import Client
from mgz.consultations import service as consultations
from mgz.consultations.models import Consultation
from mgz.core.actor import Actor
from mgz.core.db import database
from mgz.core.unit_of_work import work_scope
from tests import factories
from tests.clients.conftest import intake

WRITERS = 8


def _app_on_fresh_database(backend, make_app):
    app = make_app(backend.new_database())
    with app.app_context():
        session = database(app).new_session()
        user = factories.make_user(session, roles=("adviser",))
        session.commit()
        actor = Actor(user.id, user.username, frozenset({"adviser"}), None, "adviser")
        session.close()
    return app, actor


def _loaded(data):
    from mgz.clients.schemas import ClientCreateSchema

    return ClientCreateSchema().load(data)


def _run_parallel(work, count=WRITERS):
    barrier = threading.Barrier(count)
    failures = []

    def run(index):
        try:
            barrier.wait(timeout=30)
            work(index)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return failures


def test_parallel_intake_never_duplicates_a_case_number(backend, make_app):
    app, actor = _app_on_fresh_database(backend, make_app)
    per_writer = 5

    def work(index):
        with app.app_context():
            for n in range(per_writer):
                with work_scope(app) as session:
                    data = _loaded(intake(last_name=f"Parallel{index}x{n}"))
                    clients.create_client(session, actor, data)

    failures = _run_parallel(work)
    assert failures == []
    with app.app_context():
        session = database(app).new_session()
        numbers = session.scalars(select(Client.case_number)).all()
        session.close()
    assert len(numbers) == WRITERS * per_writer
    assert len(set(numbers)) == len(numbers)


def test_parallel_first_consultations_leave_exactly_one(backend, make_app):
    app, actor = _app_on_fresh_database(backend, make_app)
    with app.app_context(), work_scope(app) as session:
        client_id = clients.create_client(session, actor, _loaded(intake())).client.id
    policy = AccessPolicy("team")
    outcomes = []

    def work(index):
        with app.app_context():
            try:
                with work_scope(app) as session:
                    consultations.create_consultation(
                        CaseAccess(session, actor, policy),
                        client_id,
                        {
                            "kind": "first",
                            "held_on": __import__("datetime").date(2024, 3, 20),
                            "channel": "phone",
                            "topics": [],
                            "referrals_out": [],
                        },
                        margin_days=90,
                    )
                outcomes.append("created")
            except consultations.FirstConsultationExistsError:
                outcomes.append("refused")

    failures = _run_parallel(work)
    assert failures == []
    assert sorted(outcomes) == ["created"] + ["refused"] * (WRITERS - 1)
    with app.app_context():
        session = database(app).new_session()
        firsts = session.scalars(
            select(Consultation).where(Consultation.client_id == client_id)
        ).all()
        session.close()
    assert len(firsts) == 1
    assert isinstance(uuid.UUID(str(firsts[0].id)), uuid.UUID)
